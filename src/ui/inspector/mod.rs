//! The frame inspector: one frame large, with everything about its images — the version tree
//! (make active, delete with undo, compare any two), the directed edit (an instruction and an
//! optional painted mask), what changed, and its place among the series' locales. A native
//! `<dialog>` opened with `showModal()`: it traps focus and Escape closes it.

pub mod compare;
pub mod edit;
pub mod guard;
pub mod markup_painter;
pub mod mask_painter;
pub mod tree;

use crate::app::state::AppState;
use crate::ui::thumb::FullImage;
use compare::Compare;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use edit::EditForm;
use guard::{GuardPanel, HeatMap};
use leptos::html;
use leptos::prelude::*;
use markup_painter::MarkupPainter;
use mask_painter::{Mask, MaskPainter};
use reactive_stores::Store;
use tree::VersionTree;

/// Which frame the inspector shows (`None`: closed). Provided by the series screen.
#[derive(Clone, Copy)]
pub struct InspectorTarget(pub RwSignal<Option<String>>);

impl InspectorTarget {
    /// The target of the open series screen.
    pub fn get() -> Self {
        expect_context::<InspectorTarget>()
    }

    /// Opens the inspector on a frame.
    pub fn open(&self, frame_id: &str) {
        self.0.set(Some(frame_id.to_string()));
    }
}

/// The inspector of the series' frames.
#[component]
pub fn Inspector(
    /// The series.
    store: Store<Series>,
) -> impl IntoView {
    let target = InspectorTarget::get();
    let dialog = NodeRef::<html::Dialog>::new();
    // Open and close the native dialog with the target.
    Effect::new(move |_| {
        let open = target.0.get().is_some();
        if let Some(d) = dialog.get() {
            if open && !d.open() {
                let _ = d.show_modal();
            } else if !open && d.open() {
                d.close();
            }
        }
    });
    let on_close = move |_| target.0.set(None);
    view! {
        <dialog node_ref=dialog class="inspector" data-testid="inspector" aria-labelledby="inspector-title" on:close=on_close>
            {move || target.0.get().map(|fid| view! { <InspectorBody store=store frame_id=fid/> })}
        </dialog>
    }
}

/// What the inspector shows for one frame.
#[component]
fn InspectorBody(store: Store<Series>, frame_id: String) -> impl IntoView {
    let state = AppState::get();
    let target = InspectorTarget::get();
    let fid = StoredValue::new(frame_id.clone());
    let title = Memo::new(move |_| {
        store.with(|s| {
            s.frame(&fid.get_value())
                .map(|f| f.title.clone())
                .unwrap_or_default()
        })
    });
    let active = Memo::new(move |_| {
        store.with(|s| {
            s.frame(&fid.get_value())
                .and_then(|f| s.active(f))
                .map(|v| v.id.clone())
        })
    });
    // The version shown: the one picked in the tree, else the active one.
    let picked: RwSignal<Option<String>> = RwSignal::new(None);
    let shown = Memo::new(move |_| picked.get().or_else(|| active.get()));
    let shown_image = Memo::new(move |_| {
        let id = shown.get()?;
        store.with(|s| {
            s.version(&id)
                .map(|v| (v.image.hash.clone(), v.image.width, v.image.height))
        })
    });
    let compare_with: RwSignal<Option<String>> = RwSignal::new(None);
    let painting = RwSignal::new(false);
    let mask = RwSignal::new(Mask::default());
    let marking = RwSignal::new(false);
    let marks = RwSignal::new(Vec::<crate::web::markup::Mark>::new());
    let heat: HeatMap = RwSignal::new_local(None);
    // ←/→ go to the neighbour frame (not while typing).
    let neighbour = move |delta: isize| {
        let order = store.frame_order().get_untracked();
        let at = order
            .iter()
            .position(|x| *x == fid.get_value())
            .unwrap_or(0) as isize;
        let to = (at + delta).clamp(0, order.len() as isize - 1) as usize;
        if let Some(next) = order.get(to) {
            target.open(next);
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let typing = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
        if typing || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        match ev.key().as_str() {
            "ArrowLeft" => neighbour(-1),
            "ArrowRight" => neighbour(1),
            _ => return,
        }
        ev.prevent_default();
    };
    let stage = move || {
        let (hash, w, h) = shown_image.get()?;
        Some(match compare_with.get() {
            Some(other) => view! { <Compare store=store left=shown.get().unwrap_or_default() right=other/> }.into_any(),
            None => view! {
                <div class="stage-image" style:aspect-ratio=format!("{w} / {h}")>
                    <FullImage hash=Signal::derive(move || Some(hash.clone())) alt=Signal::derive(move || format!("{} (large)", title.get()))/>
                    {move || heat.get().map(|url| view! { <img class="heat-map" data-testid="heat-map" src=url.as_str().to_string() alt=""/> })}
                    {move || painting.get().then(|| view! { <MaskPainter width=w height=h mask=mask/> })}
                    {move || marking.get().then(|| view! { <MarkupPainter width=w height=h marks=marks/> })}
                </div>
            }
            .into_any(),
        })
    };
    view! {
        <div class="inspector-body" on:keydown=on_key>
            <header class="row inspector-head">
                <h2 id="inspector-title">{title}</h2>
                <span class="muted small">"←/→ neighbour frames · Esc closes"</span>
                <div class="row end grow">
                    <button class="btn ghost small" aria-label="Previous frame" on:click=move |_| neighbour(-1)>"←"</button>
                    <button class="btn ghost small" aria-label="Next frame" on:click=move |_| neighbour(1)>"→"</button>
                    <button class="btn ghost small" data-testid="download-image" disabled=move || shown.get().is_none()
                        on:click=move |_| if let Some(v) = shown.get_untracked() {
                            crate::app::export::download_image(state, &store.get_untracked(), &v)
                        }>"Download image"</button>
                    <button class="btn small" data-testid="close-inspector" on:click=move |_| target.0.set(None)>"Close"</button>
                </div>
            </header>
            <div class="inspector-grid">
                <div class="stage">
                    {move || stage().unwrap_or_else(|| view! { <p class="empty-stage">"No image yet"</p> }.into_any())}
                    // Under the image it describes (the side panel keeps the tree in view).
                    <GuardPanel store=store frame_id=fid.get_value() shown=shown picked=picked heat=heat/>
                </div>
                <aside class="inspector-side">
                    <VersionTree store=store frame_id=fid.get_value() picked=picked shown=shown compare_with=compare_with/>
                    <EditForm store=store frame_id=fid.get_value() base=shown painting=painting mask=mask marking=marking marks=marks/>
                </aside>
            </div>
            {move || state.saving.with(|s| s.unsaved > 0).then(|| view! { <p class="muted small">"Saving…"</p> })}
        </div>
    }
}
