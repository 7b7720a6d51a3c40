//! Stored images for the screen: an image or its thumbnail by content hash, from storage or —
//! a paid image not stored yet — from the saver's memory. A missing thumbnail (an image stored
//! before thumbnails existed) is made once from the full image and stored.

use crate::app::state::AppState;
use crate::web::blob;
use crate::web::idb::{self, Op};
use web_sys::Blob;

/// The image `hash`: stored, or still waiting to be stored.
pub async fn image(state: AppState, hash: &str) -> Option<Blob> {
    if let Some(db) = state.db() {
        if let Ok(Some(b)) = db.blob(idb::IMAGES, hash).await {
            return Some(b);
        }
    }
    state.saver().pending_image(hash)
}

/// The thumbnail of image `hash`: stored, or made from the image and stored, or the
/// not-yet-saved image held in memory.
pub async fn thumbnail(state: AppState, hash: &str) -> Option<Blob> {
    if let Some(pending) = state.saver().pending_image(hash) {
        return Some(pending);
    }
    let db = state.db()?;
    if let Ok(Some(t)) = db.blob(idb::THUMBS, hash).await {
        return Some(t);
    }
    // Rare (an image stored before thumbnails existed): made by a lazily loaded part, so
    // image decoding is not first-screen code.
    crate::parts::make_thumbnail(state, hash.to_string())
        .await
        .ok()
        .flatten()
}

/// Makes, stores and returns the thumbnail of stored image `hash` (the image itself where the
/// browser cannot make one); `None` when there is no such image.
pub async fn make_thumbnail(state: AppState, hash: &str) -> Option<Blob> {
    let db = state.db()?;
    let image = db.blob(idb::IMAGES, hash).await.ok().flatten()?;
    let checked = blob::check_image(&image).await.ok()?;
    match blob::thumbnail(&image, checked.width, checked.height).await {
        Ok(thumb) => {
            let store = vec![Op::PutBlob(idb::THUMBS, hash.to_string(), thumb.clone())];
            let _ = db.write(store, false).await;
            Some(thumb)
        }
        // Cannot make one (an old browser): show the image itself.
        Err(_) => Some(image),
    }
}
