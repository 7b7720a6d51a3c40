//! The progress line of the series' batch: done / total, elapsed time, money spent, and why
//! it stopped when it did (with "Resume" when the circuit breaker paused it); and the series'
//! spend so far against its budget.

use crate::app::runner;
use continuity_core::cost::{format_usd, spend_line};
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use leptos::prelude::*;
use reactive_stores::Store;

/// Done / total, elapsed time and money spent for the batch of this series.
#[component]
pub fn BatchProgress(
    /// The batch, if one ran for this series.
    batch: Memo<Option<crate::app::state::BatchView>>,
) -> impl IntoView {
    let state = crate::app::state::AppState::get();
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
                "{} / {} done{}{} · {}:{:02} · {} spent in this batch",
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
                    {b.stopped.map(|s| view! { <span class="frame-error" role="alert" data-testid="batch-stopped">{s}</span> })}
                    {runner::can_resume(state, &b.series_id).then(|| view! {
                        <button class="btn small" data-testid="resume-batch" on:click=move |_| runner::resume(state)>"Resume"</button>
                    })}
                </div>
            }
        })
    }
}

/// What the series has spent so far (its ledger: what every request cost, deleted work too:
/// paid is paid) against its budget, e.g. "$0.196 spent of $0.10 budget · $0.04 of it on
/// deleted frames"; nothing before the first cost or budget.
#[component]
pub fn SpendLine(
    /// The series.
    store: Store<Series>,
) -> impl IntoView {
    let line = move || {
        // "Spent" is the ledger (deleting never shrinks it); read with the versions, which
        // every landing result notifies.
        store.versions().track();
        store.ledger().track();
        let (spent, on_deleted) =
            store.with_untracked(|s| (s.spent_usd(), s.spent_on_deleted_now_usd()));
        let budget = store.budget_usd().get();
        (spent > 0.0 || budget.is_some()).then(|| {
            let line = spend_line(spent, budget);
            if on_deleted > 0.0 {
                format!(
                    "{line} · {} of it on deleted frames or versions",
                    format_usd(on_deleted)
                )
            } else {
                line
            }
        })
    };
    move || {
        line().map(|text| view! { <p class="muted small" data-testid="series-spend">{text}</p> })
    }
}
