//! An image read from IndexedDB and shown through an object URL, revoked when it changes or
//! the view goes away (so `Blob`s do not pile up in memory).

use crate::web::blob::{object_url, revoke_url};
use crate::app::state::AppState;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Shows the stored image `take_id` (nothing while it loads or when `None`).
#[component]
pub fn Thumb(
    /// Key of the stored image.
    #[prop(into)]
    take_id: Signal<Option<String>>,
    /// Text alternative.
    #[prop(into)]
    alt: Signal<String>,
) -> impl IntoView {
    let state = AppState::get();
    let url: RwSignal<Option<String>> = RwSignal::new(None);
    Effect::new(move |_| {
        let wanted = take_id.get();
        if let Some(old) = url.get_untracked() {
            revoke_url(&old);
            url.set(None);
        }
        let (Some(key), Some(db)) = (wanted, state.db()) else {
            return;
        };
        spawn_local(async move {
            let Ok(Some(blob)) = db.image(&key).await else {
                return;
            };
            let Some(new_url) = object_url(&blob) else {
                return;
            };
            // The frame may have moved on (or the view gone) while we read.
            let still_wanted =
                take_id.try_get_untracked().flatten().as_deref() == Some(key.as_str());
            if !still_wanted || url.try_set(Some(new_url.clone())).is_some() {
                revoke_url(&new_url);
            }
        });
    });
    on_cleanup(move || {
        if let Some(u) = url.try_get_untracked().flatten() {
            revoke_url(&u);
        }
    });
    move || {
        url.get().map(
            |src| view! { <img src=src alt=move || alt.get() loading="lazy" decoding="async"/> },
        )
    }
}
