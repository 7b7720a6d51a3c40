//! [`SaidHere`]: what was said about an action started at this place (see
//! [`crate::app::said`]), announced to screen readers as it appears.

use crate::app::said::{said, Place};
use crate::app::state::AppState;
use leptos::prelude::*;

/// The message of the action started here, if it was refused. The live region is always in
/// the page (empty until something is said), so the text is announced when it appears.
#[component]
pub fn SaidHere(
    /// The place this slot stands for.
    place: Place,
) -> impl IntoView {
    let said = said(AppState::get());
    let here = Memo::new(move |_| {
        said.with(|s| {
            s.as_ref()
                .filter(|s| s.place == place)
                .map(|s| s.text.clone())
        })
    });
    view! {
        <div class="said-slot" role="alert">
            {move || here.get().map(|text| view! {
                <p class="said" data-testid="said">
                    <span>{text}</span>
                    <button class="btn ghost small" on:click=move |_| said.set(None)>"Dismiss"</button>
                </p>
            })}
        </div>
    }
}
