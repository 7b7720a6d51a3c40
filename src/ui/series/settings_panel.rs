//! The "Series settings" drawer's content: the output settings (locales, model, quality,
//! format, variants per frame) and what the series takes of the browser's storage. A lazy
//! part of its own (`crate::parts::series_settings`), loaded when the drawer first opens.

use super::output::OutputSettingsCard;
use crate::ui::storage_meter::StorageMeter;
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
            <section aria-labelledby="storage-title">
                <h3 id="storage-title">"Storage"</h3>
                <StorageMeter store=store/>
            </section>
        </div>
    }
}
