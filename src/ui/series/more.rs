//! The series' "More" menu in the title bar: what is not part of the guided flow —
//! "Generate without an anchor" (every frame made on its own, through the plan like any
//! generation) and adding a frame.

use crate::app::edit::{self, Edit, SeriesEdit};
use crate::app::said::{self, Place};
use crate::app::state::AppState;
use crate::ui::menu::MenuButton;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use continuity_core::plan::Scope;
use leptos::prelude::*;
use reactive_stores::Store;

/// The menu.
#[component]
pub fn SeriesMore(
    /// The series.
    store: Store<Series>,
    /// Opens the plan dialog.
    plan_open: RwSignal<Option<Scope>>,
) -> impl IntoView {
    let state = AppState::get();
    let derived = crate::app::derived::get();
    // Without an anchor: the anchor is unset (an edit, undoable), then the frames without an
    // image — or all, when every frame has one — are planned as independent generations.
    let independent = move |_| {
        said::from(state, Place::Series);
        if store.anchor().with_untracked(Option::is_some) {
            let _ = edit::user(state, store, Edit::Series(SeriesEdit::ResetAnchor));
        }
        let scope = if derived.with_untracked(|d| d.missing) > 0 {
            Scope::Missing
        } else {
            Scope::All
        };
        plan_open.set(Some(scope));
    };
    let add_frame = move |_| {
        let random = crate::web::clock::random_u64();
        let add = Edit::Series(SeriesEdit::AddFrame {
            after: None,
            random,
        });
        let _ = edit::user(state, store, add);
    };
    view! {
        <MenuButton label="More series actions".to_string() text="More" id="series-more".to_string() testid="series-more" class="series-more">
            <button class="btn ghost" role="menuitem" data-testid="generate-independent" on:click=independent
                title="Make every frame on its own, each from its own prompt (no anchor image)">"Generate without an anchor"</button>
            <button class="btn ghost" role="menuitem" on:click=add_frame>"Add a frame"</button>
        </MenuButton>
    }
}
