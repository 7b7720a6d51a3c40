//! The series' batches of the Batch API while they run: "Batch running · submitted 14:02 ·
//! 3 / 11" per batch (a polite live region), and "Cancel batch".

use crate::app::said::{self, Place};
use crate::app::state::AppState;
use crate::web::clock::hours_minutes;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use continuity_core::openai::batch::BatchStatus;
use leptos::prelude::*;
use reactive_stores::Store;

/// The status line of each batch the series waits for, and its cancel button.
#[component]
pub fn BatchRuns(
    /// The series.
    store: Store<Series>,
) -> impl IntoView {
    let state = AppState::get();
    let lines = move || {
        store.batches().with(|runs| {
            runs.iter()
                .map(|run| {
                    let text = run.status_words(&hours_minutes(run.submitted_ms));
                    view! { <p class="batch-status small" data-testid="batch-status">{text}</p> }
                })
                .collect_view()
        })
    };
    let cancellable = move || {
        store.batches().with(|runs| {
            runs.iter()
                .any(|r| !r.is_finished() && r.status != BatchStatus::Cancelling)
        })
    };
    let cancel = move |_| {
        said::from(state, Place::Series);
        let series_id = store.id().get_untracked();
        leptos::task::spawn_local(async move {
            if let Err(missing) = crate::parts::batch_cancel(state, series_id).await {
                said::refuse(state, missing.to_string());
            }
        });
    };
    view! {
        <div class="batch-runs row" role="status" aria-live="polite">
            {lines}
            <Show when=cancellable>
                <button class="btn danger" data-testid="cancel-batch" on:click=cancel>"Cancel batch"</button>
            </Show>
        </div>
    }
}
