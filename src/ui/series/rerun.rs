//! "Re-run from manifest": regenerate a series with the parameters its images were made with
//! (model, size, quality, format and variants of each active image's request, as an imported
//! manifest recorded them), through the usual plan and cost preview — never on its own. It is
//! an item of the Export menu (the manifest is what an export writes and an import reads),
//! not a button on every series.

use crate::app::edit::{self, Edit, SeriesEdit};
use crate::app::state::AppState;
use continuity_core::export::rerun::rerun_groups;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use continuity_core::plan::Scope;
use leptos::prelude::*;
use reactive_stores::Store;

/// The menu item (in the Export menu). Frames made with different settings are re-run a group at a time (the anchor's
/// group first): each press sets the series' output to the next group's recorded settings
/// and opens that group's plan.
#[component]
pub fn RerunButton(
    /// The series.
    store: Store<Series>,
    /// Opens the plan dialog for a scope (the series screen's).
    plan_open: RwSignal<Option<Scope>>,
) -> impl IntoView {
    let state = AppState::get();
    // Only versions matter here, so typing in a frame never re-runs this.
    let recorded = Memo::new(move |_| {
        store.versions().with(|vs| {
            vs.iter()
                .any(|v| !v.request.model.is_empty() && !v.request.endpoint.is_empty())
        })
    });
    let next = RwSignal::new(0usize);
    let rerun = move |_| {
        let groups = store.with_untracked(rerun_groups);
        if groups.is_empty() {
            return;
        }
        let at = next.get_untracked() % groups.len();
        let (settings, frames) = groups[at].clone();
        next.set(at + 1);
        if groups.len() > 1 {
            state.info(format!(
                "These frames were made with {} different settings; this plan re-runs group {} of {} ({} frame{}). Choose “Re-run from manifest” again for the next.",
                groups.len(),
                at + 1,
                groups.len(),
                frames.len(),
                if frames.len() == 1 { "" } else { "s" }
            ));
        }
        let _ = edit::user(state, store, Edit::Series(SeriesEdit::Output(settings)));
        plan_open.set(Some(Scope::Frames(frames)));
    };
    view! {
        <Show when=move || recorded.get()>
            <button class="btn" role="menuitem" data-testid="rerun" on:click=rerun
                title="Regenerate every frame with the model, size, quality and variants its image was made with">
                "Re-run from manifest"
            </button>
        </Show>
    }
}
