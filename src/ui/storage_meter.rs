//! The storage meter: what this site uses of the browser's space, what the open series uses,
//! whether the browser promised to keep it (in the series settings), and — always on the
//! board — how many changes are not saved yet and a warning before space runs out.

use crate::app::state::AppState;
use crate::app::storage::low_space_warning;
use continuity_core::meter::{format_bytes, usage_line};
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use leptos::prelude::*;
use reactive_stores::Store;

/// The meter of one series (the site-wide figures plus this series' images).
#[component]
pub fn StorageMeter(
    /// The open series.
    store: Store<Series>,
) -> impl IntoView {
    // Each image counted once (variants of the same bytes share one Blob).
    let series_bytes = Memo::new(move |_| {
        store.versions().with(|vs| {
            let mut seen = std::collections::HashSet::new();
            vs.iter()
                .filter(|v| seen.insert(v.image.hash.clone()))
                .map(|v| v.image.bytes as f64)
                .sum::<f64>()
        })
    });
    view! { <StorageLine series_bytes=Signal::derive(move || Some(series_bytes.get()))/> }
}

/// The meter's line, for any screen; `series_bytes` is what the open series' images take.
#[component]
pub fn StorageLine(
    /// Bytes of the open series' images, if a series is open.
    #[prop(into)]
    series_bytes: Signal<Option<f64>>,
) -> impl IntoView {
    let state = AppState::get();
    let line = move || {
        let s = state.storage.get();
        let mut parts = Vec::new();
        if let (Some(u), Some(q)) = (s.usage, s.quota) {
            parts.push(usage_line(u, q));
        }
        if let Some(b) = series_bytes.get() {
            parts.push(format!("this series {}", format_bytes(b)));
        }
        match s.persisted {
            Some(true) => parts.push("kept by the browser".into()),
            Some(false) => parts.push(
                "may be cleared by the browser under storage pressure: export to keep a copy"
                    .into(),
            ),
            None => {}
        }
        parts.join(" · ")
    };
    let value = move || state.storage.with(|s| s.usage.unwrap_or(0.0));
    let max = move || state.storage.with(|s| s.quota.unwrap_or(1.0).max(1.0));
    view! {
        <div class="storage-meter" data-testid="storage-meter">
            <meter min="0" max=move || max().to_string() value=move || value().to_string() aria-label="Browser storage used"></meter>
            <span class="muted small" data-testid="storage-line">{line}</span>
        </div>
    }
}

/// Whether everything is saved: "Saving…" while writes wait, the count and the reason when a
/// write failed, and a warning before the browser's space runs out.
#[component]
pub fn SaveState() -> impl IntoView {
    let state = AppState::get();
    let warning = move || low_space_warning(&state.storage.get());
    // Changes waiting for their debounced write are normal ("Saving…", muted); only a write
    // that failed is a warning that counts what is not saved and says why.
    let unsaved = move || {
        let s = state.saving.get();
        (s.unsaved > 0).then(|| match s.problem {
            None => view! { <span class="muted small" role="status" data-testid="saving">"Saving…"</span> }.into_any(),
            Some(problem) => {
                let n = s.unsaved;
                let text = format!("{n} change{} not saved yet: {problem}", if n == 1 { "" } else { "s" });
                view! { <span class="unsaved" role="status" data-testid="unsaved">{text}</span> }.into_any()
            }
        })
    };
    view! {
        <span class="save-state">
            {unsaved}
            {move || warning().map(|w| view! { <span class="field-warning" role="status" data-testid="storage-warning">{w}</span> })}
        </span>
    }
}
