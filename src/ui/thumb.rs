//! A stored image shown small: its thumbnail `Blob` (at most 384 px on the long edge) read
//! once per key and shown through an [`ObjectUrl`] that is revoked when the key changes or
//! the view goes away. A missing thumbnail (an image stored before thumbnails existed) is
//! made once from the full image and stored. The grid never decodes a full-size image.

use crate::app::state::AppState;
use crate::web::blob::{self, ObjectUrl};
use crate::web::idb::{self, Op};
use crate::web::visibility;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::rc::Rc;

/// The thumbnail `Blob` of image `hash`: stored, or made from the image and stored, or the
/// not-yet-saved image held in memory.
pub async fn thumb_blob(state: AppState, hash: &str) -> Option<web_sys::Blob> {
    if let Some(pending) = state.saver().pending_image(hash) {
        return Some(pending);
    }
    let db = state.db()?;
    if let Ok(Some(t)) = db.blob(idb::THUMBS, hash).await {
        return Some(t);
    }
    // Rare (an image stored before thumbnails existed): made by a lazily loaded part.
    crate::parts::make_thumbnail(state, hash.to_string())
        .await
        .ok()
        .flatten()
}

/// Makes, stores and returns the thumbnail of stored image `hash` (the image itself where the
/// browser cannot make one); `None` when there is no such image.
pub async fn make_thumbnail(state: AppState, hash: &str) -> Option<web_sys::Blob> {
    let db = state.db()?;
    let image = db.blob(idb::IMAGES, hash).await.ok().flatten()?;
    let checked = blob::check_image(&image).await.ok()?;
    match blob::thumbnail(&image, checked.width, checked.height).await {
        Ok(thumb) => {
            let _ = db
                .write(
                    vec![Op::PutBlob(idb::THUMBS, hash.to_string(), thumb.clone())],
                    false,
                )
                .await;
            Some(thumb)
        }
        // Cannot make one (an old browser): show the image itself.
        Err(_) => Some(image),
    }
}

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
            let Some(blob) = thumb_blob(state, &key).await else {
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
            let blob = match state.db() {
                Some(db) => db.blob(idb::IMAGES, &key).await.ok().flatten(),
                None => None,
            }
            .or_else(|| state.saver().pending_image(&key));
            let Some(blob) = blob else { return };
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
