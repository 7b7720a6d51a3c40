//! The "Series settings" drawer's content: the output settings (locales, model, quality,
//! format, variants per frame) and what the series takes of the browser's storage. A lazy
//! part of its own (`crate::parts::series_settings`), loaded when the drawer first opens.

use super::output::OutputSettingsCard;
use crate::ui::storage_meter::StorageMeter;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use leptos::prelude::*;
use reactive_stores::Store;

/// The series settings.
#[component]
pub fn SeriesSettings(
    /// The series.
    store: Store<Series>,
) -> impl IntoView {
    view! {
        <div class="series-settings-panel" data-testid="series-settings">
            <section aria-labelledby="output-title">
                <h3 id="output-title">"Output"</h3>
                <OutputSettingsCard store=store/>
            </section>
            <section aria-labelledby="checks-title">
                <h3 id="checks-title">"Checks"</h3>
                <CheckEveryResult store=store/>
            </section>
            <section aria-labelledby="storage-title">
                <h3 id="storage-title">"Storage"</h3>
                <StorageMeter store=store/>
            </section>
        </div>
    }
}

/// "Check every result": each image that arrives is checked against what its frame asked by
/// one text-model call (off by default; the plan prices it).
#[component]
fn CheckEveryResult(
    /// The series.
    store: Store<Series>,
) -> impl IntoView {
    let state = crate::app::state::AppState::get();
    let on = move || store.check_results().get();
    let set = move |ev: leptos::ev::Event| {
        let checked = event_target_checked(&ev);
        let _ = crate::app::edit::user(
            state,
            store,
            continuity_core::model::action::Edit::Series(
                continuity_core::model::action::SeriesEdit::CheckResults(checked),
            ),
        );
    };
    view! {
        <div class="field">
            <label class="check"><input type="checkbox" data-testid="check-every-result"
                prop:checked=on on:change=set aria-describedby="check-every-result-why"/>"Check every result"</label>
            <p id="check-every-result-why" class="muted small">"One text-model call per image reads back its text and checks it against the frame's constraints; its cost counts against the budget."</p>
        </div>
    }
}
