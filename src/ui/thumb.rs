//! A stored image shown small: its thumbnail `Blob` (at most 384 px on the long edge, read
//! through [`crate::app::images`]) once per key, shown through an [`ObjectUrl`] that is
//! revoked when the key changes or the view goes away. The grid never decodes a full-size
//! image.

use crate::app::images;
use crate::app::state::AppState;
use crate::web::blob::ObjectUrl;
use crate::web::visibility;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::rc::Rc;

/// Shows the thumbnail of stored image `hash` (nothing while it loads or when `None`).
#[component]
pub fn Thumb(
    /// Content hash of the stored image.
    #[prop(into)]
    hash: Signal<Option<String>>,
    /// Text alternative.
    #[prop(into)]
    alt: Signal<String>,
) -> impl IntoView {
    let state = AppState::get();
    // The URL shown and the content hash of the image it is the thumbnail of.
    let url: RwSignal<Option<(Rc<ObjectUrl>, String)>, LocalStorage> = RwSignal::new_local(None);
    let shown: StoredValue<Option<String>> = StoredValue::new(None);
    // Nothing is read from storage until the thumbnail is near the viewport.
    let near = RwSignal::new(false);
    let holder = NodeRef::<leptos::html::Span>::new();
    Effect::new(move |_| {
        if let Some(el) = holder.get() {
            let el: web_sys::Element = el.into();
            visibility::when_near(&el, move || {
                let _ = near.try_set(true);
            });
            on_cleanup(move || visibility::forget(&el));
        }
    });
    Effect::new(move |_| {
        if !near.get() {
            return;
        }
        let wanted = hash.get();
        // Same key as shown: nothing to fetch (a re-render never re-reads the Blob).
        if shown.get_value() == wanted && url.with_untracked(Option::is_some) {
            return;
        }
        shown.set_value(wanted.clone());
        url.set(None);
        let Some(key) = wanted else { return };
        spawn_local(async move {
            let Some(blob) = images::thumbnail(state, &key).await else {
                return;
            };
            // The frame may have moved on (or the view gone) while we read.
            if shown.try_get_value().flatten().as_deref() != Some(key.as_str()) {
                return;
            }
            if let Some(object_url) = ObjectUrl::new(&blob) {
                let _ = url.try_set(Some((Rc::new(object_url), key)));
            }
        });
    });
    let img = move || {
        url.get().map(|(u, key)| {
            let src = u.as_str().to_string();
            // `data-hash`: which stored image this is the thumbnail of (tests check it).
            view! { <img src=src alt=move || alt.get() decoding="async" data-hash=key/> }
        })
    };
    view! { <span class="thumb" node_ref=holder>{img}</span> }
}

/// Shows the full stored image `hash` (for the inspector; the grid shows thumbnails). Read
/// once per key, shown through an [`ObjectUrl`] revoked when the key changes or the view goes.
#[component]
pub fn FullImage(
    /// Content hash of the stored image.
    #[prop(into)]
    hash: Signal<Option<String>>,
    /// Text alternative.
    #[prop(into)]
    alt: Signal<String>,
    /// Called with the `<img>` once it has loaded (its natural size is then known).
    #[prop(optional)]
    on_load: Option<Callback<web_sys::HtmlImageElement>>,
) -> impl IntoView {
    let state = AppState::get();
    let url: RwSignal<Option<(Rc<ObjectUrl>, String)>, LocalStorage> = RwSignal::new_local(None);
    Effect::new(move |_| {
        let Some(key) = hash.get() else {
            url.set(None);
            return;
        };
        if url.with_untracked(|u| u.as_ref().is_some_and(|(_, k)| *k == key)) {
            return;
        }
        spawn_local(async move {
            let Some(blob) = images::image(state, &key).await else {
                return;
            };
            if hash.try_get_untracked().flatten().as_deref() != Some(key.as_str()) {
                return;
            }
            if let Some(object_url) = ObjectUrl::new(&blob) {
                let _ = url.try_set(Some((Rc::new(object_url), key)));
            }
        });
    });
    move || {
        url.get().map(|(u, key)| {
            let src = u.as_str().to_string();
            view! {
                <img class="full" src=src alt=move || alt.get() data-hash=key
                    on:load=move |ev| {
                        if let Some(cb) = on_load {
                            cb.run(event_target::<web_sys::HtmlImageElement>(&ev));
                        }
                    }/>
            }
        })
    }
}
