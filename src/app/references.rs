//! Reference images coming in from the user (file picker, drag and drop, paste): checked,
//! hashed, stored as `Blob`s (with a thumbnail) together with the series record that lists
//! them in its bible, in one transaction.

use crate::app::edit::{self, Edit, SeriesEdit};
use crate::app::state::AppState;
use crate::web::blob::{self, check_image, BlobError};
use continuity_core::model::bible::RefImage;
use continuity_core::model::Series;
use reactive_stores::Store;
use wasm_bindgen::JsCast;
use web_sys::{Blob, DataTransfer, File, FileList};

/// The API refuses input images of 50 MB or more.
pub const MAX_REFERENCE_BYTES: f64 = 50.0 * 1024.0 * 1024.0;

/// The files of a picker, a drop or a paste.
pub fn files_of(list: Option<FileList>) -> Vec<File> {
    let Some(list) = list else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.item(i)).collect()
}

/// Files carried by a drag-and-drop or clipboard `DataTransfer`.
pub fn files_of_transfer(transfer: Option<DataTransfer>) -> Vec<File> {
    files_of(transfer.and_then(|t| t.files()))
}

/// Checks and stores `files` as reference images of an entity, in order. Files that are not
/// PNG, JPEG or WebP, are too large or do not decode are refused with a message naming them;
/// the others are kept.
pub async fn add_references(
    state: AppState,
    store: Store<Series>,
    entity_id: &str,
    files: Vec<File>,
) {
    let mut accepted: Vec<(RefImage, Blob, Option<Blob>)> = Vec::new();
    let mut refused = Vec::new();
    for file in files {
        let name = file.name();
        if file.size() >= MAX_REFERENCE_BYTES {
            refused.push(format!("{name} is 50 MB or larger"));
            continue;
        }
        let file_blob: Blob = file.unchecked_into();
        match check_image(&file_blob).await {
            Ok(checked) if checked.mime != "image/gif" => {
                let Ok(hash) = blob::sha256(&file_blob).await else {
                    refused.push(format!("{name} could not be read"));
                    continue;
                };
                let thumb = blob::thumbnail(&file_blob, checked.width, checked.height)
                    .await
                    .ok();
                accepted.push((
                    RefImage {
                        id: hash,
                        name,
                        mime: checked.mime.to_string(),
                        width: checked.width,
                        height: checked.height,
                    },
                    file_blob,
                    thumb,
                ))
            }
            Ok(_) => refused.push(format!("{name} is a GIF (use PNG, JPEG or WebP)")),
            // References are PNG, JPEG or WebP only: say so, whatever the decoder said.
            Err(BlobError::NotAnImage) => {
                refused.push(format!("{name} is not a PNG, JPEG or WebP image"))
            }
            Err(e) => refused.push(format!("{name}: {e}")),
        }
    }
    if !refused.is_empty() {
        state.error(format!("Not added: {}.", refused.join("; ")));
    }
    if accepted.is_empty() {
        return;
    }
    let references: Vec<RefImage> = accepted.iter().map(|(r, _, _)| r.clone()).collect();
    let blobs = accepted.into_iter().map(|(r, b, t)| (r.id, b, t)).collect();
    let add = Edit::Series(SeriesEdit::AddReferences {
        entity_id: entity_id.to_string(),
        references,
    });
    if let Err(e) = edit::with_images(state, store, add, blobs).await {
        state.error(format!("The reference images could not be saved: {e}"));
    }
}

/// Removes a reference image from an entity (an anchor that pointed at it is cleared), as an
/// undoable step; its `Blob` stays until the next load's clean-up, so an undo brings it back.
pub fn remove_reference(state: AppState, store: Store<Series>, entity_id: &str, image_id: &str) {
    let remove = Edit::Series(SeriesEdit::RemoveReference {
        entity_id: entity_id.to_string(),
        image_id: image_id.to_string(),
    });
    if edit::user(state, store, remove).is_ok() {
        state.undoable("Reference image removed.");
    }
}
