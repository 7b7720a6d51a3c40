//! The guided series flow at the top of a series: 1 write the bible → 2 choose and generate the
//! anchor → 3 approve it → 4 generate the series → 5 review, edit, export. The current step is
//! highlighted; each step is one sentence and one button.

use crate::app::edit::{self, Edit, SeriesEdit};
use crate::app::runner;
use crate::app::state::AppState;
use crate::ui::inspector::InspectorTarget;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::{Anchor, Series};
use continuity_core::plan::Scope;
use leptos::prelude::*;
use reactive_stores::Store;

use crate::ui::frame::anchor::ANCHOR_WHY;

/// The guide. `generate` opens the one generate button's plan.
#[component]
pub fn Guide(
    /// The series.
    store: Store<Series>,
    /// Opens the plan of the one generate button.
    generate: Callback<()>,
    /// The one generate button's label.
    #[prop(into)]
    generate_label: Signal<String>,
) -> impl IntoView {
    let state = AppState::get();
    let derived = crate::app::derived::get();
    let inspector = use_context::<InspectorTarget>();
    let bible_written = Memo::new(move |_| {
        store.bible().with(|b| {
            !b.style.medium.trim().is_empty()
                || !b.style.rendering.trim().is_empty()
                || !b.palette.is_empty()
                || !b.entities.is_empty()
                || !b.setting.trim().is_empty()
                || !b.always.is_empty()
                || !b.style.look.trim().is_empty()
        })
    });
    let anchor = Memo::new(move |_| store.anchor().get());
    let has_anchor_image = Memo::new(move |_| derived.with(|d| d.anchor_image.is_some()));
    let approved = Memo::new(move |_| derived.with(|d| d.anchor_approved));
    let generated = Memo::new(move |_| derived.with(|d| d.missing == 0 && d.stale.is_empty()));
    let step = Memo::new(move |_| {
        if !bible_written.get() {
            1
        } else if !has_anchor_image.get() {
            2
        } else if !approved.get() {
            3
        } else if !generated.get() {
            4
        } else {
            5
        }
    });
    let open_bible = move |_| {
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector("[data-testid=bible]").ok().flatten())
        {
            let _ = el.set_attribute("open", "");
            el.scroll_into_view();
            if let Ok(Some(first)) = el.query_selector("input, textarea") {
                let _ = wasm_bindgen::JsCast::unchecked_ref::<web_sys::HtmlElement>(&first).focus();
            }
        }
    };
    let first_frame = move || store.frame_order().with(|o| o.first().cloned());
    let anchor_frame = move || match anchor.get() {
        Some(Anchor::Frame { frame_id, .. }) => Some(frame_id),
        _ => None,
    };
    let anchor_step = move |_| match anchor_frame() {
        Some(fid) => runner::generate(state, &store.id().get_untracked(), Scope::Frames(vec![fid])),
        None => {
            if let Some(fid) = first_frame() {
                let _ = edit::user(
                    state,
                    store,
                    Edit::Series(SeriesEdit::AnchorFrame(fid.clone())),
                );
                runner::generate(state, &store.id().get_untracked(), Scope::Frames(vec![fid]));
            }
        }
    };
    let approve = move |_| {
        let _ = edit::user(state, store, Edit::Series(SeriesEdit::ApproveAnchor));
    };
    let review = move |_| {
        if let (Some(i), Some(fid)) = (inspector, first_frame()) {
            i.open(&fid);
        }
    };
    let item = move |n: u8, title: &'static str, sentence: Signal<String>, button: AnyView| {
        let current = move || step.get() == n;
        let done = move || step.get() > n;
        view! {
            <li class="guide-step" class:current=current class:done=done aria-current=move || current().then_some("step") data-step=n.to_string()>
                <span class="guide-number" aria-hidden="true">{n}</span>
                <div class="guide-text">
                    <strong>{title}{move || done().then_some(" ✓")}</strong>
                    <span class="small">{move || sentence.get()}</span>
                </div>
                {button}
            </li>
        }
    };
    view! {
        <ol class="guide card" aria-label="Steps to a consistent series" data-testid="guide">
            {item(1, "Write the bible", Signal::derive(|| "Style, palette and the characters or products every frame must share.".to_string()),
                view! { <button class="btn small" on:click=open_bible>"Open the bible"</button> }.into_any())}
            {item(2, "Choose and generate the anchor", Signal::derive(|| ANCHOR_WHY.to_string()),
                view! { <button class="btn small" data-testid="guide-anchor" on:click=anchor_step>
                    {move || if anchor_frame().is_some() { "Generate the anchor" } else { "Use frame 1 as the anchor" }}
                </button> }.into_any())}
            {item(3, "Approve it", Signal::derive(|| "Look at the anchor: every other frame will copy its look.".to_string()),
                view! { <button class="btn small" data-testid="guide-approve" disabled=move || !has_anchor_image.get() || approved.get() on:click=approve>"Approve the anchor"</button> }.into_any())}
            {item(4, "Generate the series", Signal::derive(|| "Every other frame, made from the approved anchor; you see the plan and cost first.".to_string()),
                view! { <button class="btn small" on:click=move |_| generate.run(())>{move || generate_label.get()}</button> }.into_any())}
            {item(5, "Review, edit, export", Signal::derive(|| "Open a frame to edit it, compare versions, or make locale variants.".to_string()),
                view! { <button class="btn small" on:click=review>"Open the first frame"</button> }.into_any())}
        </ol>
    }
}
