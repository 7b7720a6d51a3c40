//! The keep-everything-else guard: the leak of an edit outside its mask (or its changed area
//! against the parent without one) with a heat map, and "Keep outside mask", which composites
//! the edit back onto its parent and saves the result as a new, free version. The pixel work
//! runs in the worker (`crate::web::worker`); the mask comes back from storage (its hash is in
//! the edit's request), so all of it works after a reload.

use crate::app::edit::{self, Arrival, ArrivalError};
use crate::app::saver::Pointer;
use crate::app::state::AppState;
use crate::web::blob;
use crate::web::clock::{now_ms, random_u64};
use crate::web::worker::{self, LeakReport, Mask};
use continuity_core::guard::{
    composite_version, guard_inputs, leak_figure, marks_leak_figure, GuardInputs, COMPOSITE_FEATHER,
};
use continuity_core::model::{make_id, ImageRef, Series};
use continuity_core::pixels::LEAK_DELTA_E;
use leptos::prelude::*;
use reactive_stores::Store;
use web_sys::Blob;

/// What the guard of a version needs, read from the series (`None`: not an edit).
pub fn inputs(store: Store<Series>, version_id: &str) -> Option<GuardInputs> {
    store.with_untracked(|s| guard_inputs(s, version_id))
}

async fn load(state: AppState, hash: &str, what: &str) -> Result<Blob, String> {
    crate::app::images::image(state, hash)
        .await
        .ok_or_else(|| format!("The {what} is missing from storage."))
}

/// Measures the leak of the version `inputs` describe (ΔE > [`LEAK_DELTA_E`]), in the worker.
pub async fn measure(state: AppState, inputs: &GuardInputs) -> Result<LeakReport, String> {
    let parent = load(state, &inputs.parent_hash, "parent image").await?;
    let result = load(state, &inputs.result_hash, "edited image").await?;
    // A markup edit is measured outside its marks (widened), as a masked one outside its mask.
    let mask = match (&inputs.mask_hash, &inputs.markup_hash) {
        (Some(h), _) => Some(Mask::OpenAi(load(state, h, "mask").await?.into())),
        (None, Some(h)) => Some(Mask::Markup(load(state, h, "markup").await?.into())),
        (None, None) => None,
    };
    worker::leak(parent, result, mask, LEAK_DELTA_E)
        .await
        .map_err(|e| e.to_string())
}

/// The figure the inspector shows, e.g. "3.2% of pixels outside the mask changed (ΔE > 10)"
/// (for a markup edit, `marked`: "… away from the marks changed …").
pub fn leak_text(report: &LeakReport, marked: bool) -> String {
    if marked {
        return marks_leak_figure(report.changed, report.share, report.threshold);
    }
    leak_figure(
        report.changed,
        report.share,
        report.threshold,
        report.masked,
    )
}

/// "Keep outside mask": composites the edit `version_id` onto its parent outside the feathered
/// mask (in the worker), stores the image and its thumbnail with a new version — a child of
/// the edit, made without a request — and makes it active. Returns the new version's id.
pub async fn keep_outside_mask(
    state: AppState,
    store: Store<Series>,
    version_id: &str,
) -> Result<String, String> {
    let inputs = inputs(store, version_id).ok_or("That version is not an edit.")?;
    let mask_hash = inputs
        .mask_hash
        .clone()
        .filter(|_| inputs.can_composite)
        .ok_or("That edit has no mask to keep the rest outside of.")?;
    let parent = load(state, &inputs.parent_hash, "parent image").await?;
    let result = load(state, &inputs.result_hash, "edited image").await?;
    let mask = load(state, &mask_hash, "mask").await?;
    let image = worker::composite(parent, result, Mask::OpenAi(mask.into()), COMPOSITE_FEATHER)
        .await
        .map_err(|e| e.to_string())?;
    let hash = blob::sha256(&image).await?;
    let checked = blob::check_image(&image).await?;
    let thumb = blob::thumbnail(&image, checked.width, checked.height)
        .await
        .ok();
    let id = make_id("v", random_u64());
    let image_ref = ImageRef {
        hash: hash.clone(),
        width: checked.width,
        height: checked.height,
        mime: checked.mime.to_string(),
        bytes: image.size() as u64,
    };
    let version = store
        .with_untracked(|s| {
            let edited = s.version(version_id)?;
            composite_version(s, edited, id.clone(), image_ref, now_ms())
        })
        .ok_or("The edit or its parent no longer exists.")?;
    let arrival = Arrival {
        frame_id: version.frame_id.clone(),
        versions: vec![version],
        images: vec![(hash, image, thumb)],
        pointer: Pointer::Active,
    };
    // Shown at once, then stored with the frame in one transaction, as a paid result is
    // (the saver retries it if storage fails).
    match edit::arrived(state, store, arrival).await {
        Ok(()) => Ok(id),
        Err(ArrivalError::FrameGone) => Err("The frame no longer exists.".into()),
        Err(ArrivalError::NotSaved(why)) => Err(format!(
            "The composite is kept in this tab but not saved yet: {why}"
        )),
    }
}
