//! The progress line of the series' batch: done / total, elapsed time, money spent, and why
//! it stopped when it did.

use continuity_core::cost::format_usd;
use leptos::prelude::*;

/// Done / total, elapsed time and money spent for the batch of this series.
#[component]
pub fn BatchProgress(
    /// The batch, if one ran for this series.
    batch: Memo<Option<crate::app::state::BatchView>>,
) -> impl IntoView {
    let now = RwSignal::new(crate::web::clock::now_ms());
    // Tick once a second while running so "elapsed" moves.
    let handle = set_interval_with_handle(
        move || now.set(crate::web::clock::now_ms()),
        std::time::Duration::from_secs(1),
    )
    .ok();
    on_cleanup(move || {
        if let Some(h) = handle {
            h.clear();
        }
    });
    move || {
        batch.get().map(|b| {
            let p = b.progress.clone();
            let finished = p.done + p.failed + p.cancelled + p.skipped;
            let end = b.finished_ms.unwrap_or_else(|| now.get());
            let secs = ((end - b.started_ms) / 1000.0).max(0.0) as u64;
            let summary = format!(
                "{} / {} done{}{} · {}:{:02} · {} spent",
                p.done,
                p.total,
                if p.failed > 0 { format!(" · {} failed", p.failed) } else { String::new() },
                if p.cancelled + p.skipped > 0 { format!(" · {} not made", p.cancelled + p.skipped) } else { String::new() },
                secs / 60,
                secs % 60,
                format_usd(p.spent_usd)
            );
            view! {
                <div class="batch-progress" data-testid="batch-progress">
                    <progress max=p.total.to_string() value=finished.to_string() aria-label="Batch progress"></progress>
                    <span role="status" data-testid="batch-summary">{summary}</span>
                    {b.stopped.map(|s| view! { <span class="frame-error" role="alert">{s}</span> })}
                </div>
            }
        })
    }
}
