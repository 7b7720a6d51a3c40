//! Reference images coming in from the user (file picker, drag and drop, paste): checked,
//! stored as `Blob`s next to the project record in one transaction, and listed in the bible.

use crate::images::check_image;
use crate::platform::random_u64;
use crate::state::AppState;
use continuity_core::model::bible::RefImage;
use continuity_core::model::make_id;
use leptos::prelude::*;
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
pub async fn add_references(state: AppState, project_id: &str, entity_id: &str, files: Vec<File>) {
    let mut accepted: Vec<(RefImage, Blob)> = Vec::new();
    let mut refused = Vec::new();
    for file in files {
        let name = file.name();
        if file.size() >= MAX_REFERENCE_BYTES {
            refused.push(format!("{name} is 50 MB or larger"));
            continue;
        }
        let blob: Blob = file.unchecked_into();
        match check_image(&blob).await {
            Ok(checked) if checked.mime != "image/gif" => accepted.push((
                RefImage {
                    id: make_id("r", random_u64()),
                    name,
                    mime: checked.mime.to_string(),
                    width: checked.width,
                    height: checked.height,
                },
                blob,
            )),
            Ok(_) => refused.push(format!("{name} is a GIF (use PNG, JPEG or WebP)")),
            // References are PNG, JPEG or WebP only: say so, whatever the decoder said.
            Err(e) if e == continuity_core::image_type::NOT_AN_IMAGE => {
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
    let refs: Vec<RefImage> = accepted.iter().map(|(r, _)| r.clone()).collect();
    let mut found = false;
    state.projects.update(|ps| {
        if let Some(p) = ps.iter_mut().find(|p| p.id == project_id) {
            if let Some(entity) = p.bible.entity_mut(entity_id) {
                entity.references.extend(refs);
                p.updated_ms = crate::platform::now_ms();
                found = true;
            }
        }
    });
    if !found {
        return;
    }
    let blobs: Vec<(String, Blob)> = accepted.into_iter().map(|(r, b)| (r.id, b)).collect();
    if let (Some(db), Some(project)) = (state.db(), state.project(project_id)) {
        if let Err(e) = db.save_images_with_project(&blobs, &project).await {
            // Keep memory and storage in agreement: drop what could not be stored.
            let keys: Vec<String> = blobs.iter().map(|(k, _)| k.clone()).collect();
            state.update_project(project_id, |p| {
                if let Some(entity) = p.bible.entity_mut(entity_id) {
                    entity.references.retain(|r| !keys.contains(&r.id));
                }
            });
            state.error(e.to_string());
        }
    }
}

/// Removes a reference image from an entity and from storage (an anchor that pointed at it
/// is cleared).
pub fn remove_reference(state: AppState, project_id: &str, entity_id: &str, image_id: &str) {
    let removed = state.update_project(project_id, |p| {
        if let Some(entity) = p.bible.entity_mut(entity_id) {
            entity.references.retain(|r| r.id != image_id);
        }
        if matches!(&p.anchor, Some(continuity_core::model::Anchor::Reference { image_id: a, .. }) if a == image_id) {
            p.anchor = None;
        }
    });
    if removed {
        delete_later(state, vec![image_id.to_string()]);
    }
}

/// Drops image blobs nothing refers to any more, in the background.
pub fn delete_later(state: AppState, keys: Vec<String>) {
    if keys.is_empty() {
        return;
    }
    if let Some(db) = state.db() {
        leptos::task::spawn_local(async move {
            let _ = db.delete_images(&keys).await;
        });
    }
}
