//! A frame card's picture: the thumbnail of the image it shows (or the live preview while it
//! streams), the "No image yet" placeholder, the status badge, the drift badge and the
//! anchor's tag. The image is the button that opens the inspector.

use crate::app::consistency::describe;
use crate::ui::thumb::Thumb;
use crate::web::worker::Consistency;
use continuity_core::model::series::{OutputSettingsStoreFields, SeriesStoreFields};
use continuity_core::model::Series;
use continuity_core::status::Shown;
use leptos::prelude::*;
use reactive_stores::Store;

/// The picture of one frame card.
#[component]
pub fn FrameImage(
    /// The series (for the output size, which gives the picture its shape).
    store: Store<Series>,
    /// The frame's id.
    frame_id: String,
    /// The frame's title (the button's name and the image's alt text start with it).
    #[prop(into)]
    title: Signal<String>,
    /// The image's alt text.
    #[prop(into)]
    alt: Signal<String>,
    /// Content hash of the image shown (`None`: nothing to show yet).
    #[prop(into)]
    hash: Signal<Option<String>>,
    /// Object URL of a streamed partial preview, while one shows.
    #[prop(into)]
    preview: Signal<Option<String>>,
    /// The status badge.
    #[prop(into)]
    status: Signal<Shown>,
    /// The consistency figures against the anchor, when known.
    #[prop(into)]
    drift: Signal<Option<Consistency>>,
) -> impl IntoView {
    let inspector = use_context::<crate::ui::inspector::InspectorTarget>();
    let fid = StoredValue::new(frame_id);
    let aspect = move || {
        let size = store.output().size().get();
        format!("{} / {}", size.width, size.height)
    };
    // The image is the button that opens the inspector; the placeholder and the badge lie
    // over it (clicks pass through them) but outside it, so the button's name is only
    // "Open … in the inspector" and the texts are read as they are shown.
    view! {
        <div class="frame-image" style:aspect-ratio=aspect>
            <div class="frame-open" role="button" tabindex="-1" data-testid="open-inspector"
                aria-label=move || format!("Open {} in the inspector", title.get())
                on:click=move |_| if let Some(i) = inspector { i.open(&fid.get_value()) }>
                <Thumb hash=hash alt=alt/>
                {move || preview.get().map(|url| view! { <img class="preview" src=url alt="Partial preview"/> })}
            </div>
            {move || hash.with(Option::is_none).then(|| view! { <span class="no-image" data-testid="no-image">"No image yet"</span> })}
            <span class=move || format!("badge {}", status.get().class()) data-testid="frame-status" role="status">{move || status.get().label()}</span>
            <super::anchor::AnchorTag frame_id=fid.get_value()/>
            {move || drift.get().filter(|c| c.drifted).map(|c| view! {
                <span class="badge drifted" data-testid="drifted"
                    title=format!("Drifted from the anchor (a heuristic): {}", describe(&c))>"Drifted"</span>
            })}
        </div>
    }
}
