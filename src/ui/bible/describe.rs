//! "Describe from images" in the bible: the attached reference images go to the text model;
//! each proposal (a style field, the palette, an entity's description or must-not-change
//! list) is accepted or rejected on its own. Shown as text only, never as HTML.

use crate::app::describe::{self, Proposal};
use crate::app::state::AppState;
use continuity_core::brief::describe::Description;
use continuity_core::cost::format_usd;
use continuity_core::model::action::{BibleText, EntityText};
use continuity_core::model::Series;
use leptos::prelude::*;
use leptos::task::spawn_local;
use reactive_stores::Store;

/// The button, the call's cost or error, and the proposals still open.
#[component]
pub fn DescribeFromImages(
    /// The series whose bible is described.
    store: Store<Series>,
) -> impl IntoView {
    let state = AppState::get();
    let proposals = RwSignal::new(Vec::<(String, String, Proposal)>::new());
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let cost = RwSignal::new(None::<f64>);
    let run = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        problem.set(None);
        spawn_local(async move {
            match crate::parts::describe_images(state, store).await {
                Ok(Ok(answer)) => {
                    cost.set(Some(answer.cost_usd));
                    proposals.set(listed(answer.value));
                }
                Ok(Err(failure)) => problem.set(Some(failure.message)),
                Err(missing) => problem.set(Some(missing.to_string())),
            }
            busy.set(false);
        });
    };
    // Each proposal leaves the list once accepted or rejected.
    let settle = move |i: usize, accept: bool| {
        let taken = proposals
            .try_update(|p| (i < p.len()).then(|| p.remove(i)))
            .flatten();
        if let (true, Some((_, _, proposal))) = (accept, taken) {
            describe::accept(state, store, proposal);
        }
    };
    view! {
        <div class="describe" data-testid="describe">
            <button type="button" class="btn small" data-testid="describe-images" disabled=move || busy.get()
                on:click=run>"Describe from images"</button>
            {move || problem.get().map(|p| view! { <p class="error" role="alert" data-testid="describe-error">{p}</p> })}
            {move || cost.get().map(|c| view! { <p class="muted" data-testid="describe-cost">{format!("Describing cost {}.", format_usd(c))}</p> })}
            <ul class="proposals" data-testid="proposals">
                {move || proposals.get().into_iter().enumerate().map(|(i, (what, text, _))| view! {
                    <li data-testid="proposal">
                        <strong>{what.clone()}</strong> ": " <span data-testid="proposal-text">{text}</span>
                        <button type="button" class="btn small" aria-label=format!("Accept {what}") on:click=move |_| settle(i, true)>"Accept"</button>
                        <button type="button" class="btn small" aria-label=format!("Reject {what}") on:click=move |_| settle(i, false)>"Reject"</button>
                    </li>
                }).collect_view()}
            </ul>
        </div>
    }
}

/// The description as proposals, each with what it sets and its text.
fn listed(d: Description) -> Vec<(String, String, Proposal)> {
    let mut out = Vec::new();
    for (label, field, text) in [
        ("Medium", BibleText::Medium, d.style.medium),
        ("Rendering", BibleText::Rendering, d.style.rendering),
        ("Lens", BibleText::Lens, d.style.lens),
        ("Lighting", BibleText::Lighting, d.style.lighting),
    ] {
        if !text.is_empty() {
            out.push((
                label.to_string(),
                text.clone(),
                Proposal::Style(field, text),
            ));
        }
    }
    if !d.palette.is_empty() {
        out.push((
            "Palette".to_string(),
            d.palette.join(" "),
            Proposal::Palette(d.palette),
        ));
    }
    for e in d.entities {
        out.push((
            format!("{} description", e.name),
            e.description.clone(),
            Proposal::Entity(e.name.clone(), EntityText::Description, e.description),
        ));
        if !e.must_not_change.is_empty() {
            let lines = e.must_not_change.join("\n");
            out.push((
                format!("{} must not change", e.name),
                e.must_not_change.join("; "),
                Proposal::Entity(e.name, EntityText::MustNotChange, lines),
            ));
        }
    }
    out
}
