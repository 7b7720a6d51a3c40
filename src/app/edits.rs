//! Directed edits and locale variants: planned, priced and budgeted like any batch, then run
//! by the same scheduler and runner (each is an `/v1/images/edits` request whose image 1 is
//! the version it starts from).

use crate::app::runner;
use crate::app::said;
use crate::app::state::AppState;
use crate::web::canvas::{self, Mask};
use crate::web::markup::{self, Mark};
use continuity_core::locale::missing_locales;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use continuity_core::plan::Plan;
use continuity_core::requests::{plan_items, Item, Work};
use leptos::prelude::*;
use leptos::task::spawn_local;
use reactive_stores::Store;
use std::collections::HashMap;

pub use continuity_core::requests::base_label;

/// A directed edit the user asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct EditJob {
    /// The frame.
    pub frame_id: String,
    /// The version it starts from.
    pub base_version: String,
    /// What to change.
    pub instruction: String,
    /// The painted mask, if one limits the change.
    pub mask: Option<Mask>,
    /// The marks drawn over the image ("Mark changes"), sent as `markup` when there is no mask.
    pub marks: Option<Vec<Mark>>,
}

/// The plan of `items` for the open series (for the cost shown before sending).
pub fn plan(state: AppState, store: Store<Series>, items: &[Item]) -> Plan {
    let previews = u32::from(state.settings.get_untracked().stream_previews);
    let catalogue = state.catalogue().get_untracked();
    store.with_untracked(|s| plan_items(s, &catalogue, items, previews))
}

/// Sends a directed edit: the mask or the marks (if any; never both) are drawn as a PNG of the
/// base image's size, then the edit is planned and started like a one-request batch.
pub fn start(state: AppState, store: Store<Series>, job: EditJob) {
    let series_id = store.id().get_untracked();
    let size = store.with_untracked(|s| {
        s.version(&job.base_version)
            .map(|v| (v.image.width, v.image.height))
    });
    let Some((width, height)) = size else {
        state.error("The version to edit no longer exists.");
        return;
    };
    spawn_local(async move {
        let mask = match &job.mask {
            Some(m) => match canvas::mask_png(width, height, &m.strokes, m.inverted).await {
                Ok(b) => Some(b),
                Err(e) => {
                    state.error(format!("The mask could not be made: {e}"));
                    return;
                }
            },
            None => None,
        };
        let markup = match job.marks.as_deref().filter(|_| mask.is_none()) {
            Some(marks) => match markup::markup_png(width, height, marks).await {
                Ok(b) => Some(b),
                Err(e) => {
                    state.error(format!("The marks could not be made: {e}"));
                    return;
                }
            },
            None => None,
        };
        let item = Item {
            job_id: job.frame_id.clone(),
            frame_id: job.frame_id.clone(),
            work: Work::Edit {
                base: job.base_version.clone(),
                instruction: job.instruction.clone(),
                masked: mask.is_some(),
                marked: markup.is_some(),
            },
        };
        let plan = plan(state, store, std::slice::from_ref(&item));
        // One overlay goes with the job: the mask, or the markup (the item says which).
        let work = HashMap::from([(item.job_id.clone(), (item, mask.or(markup)))]);
        runner::start_with(state, &series_id, &plan, work);
    });
}

/// The locale-variant requests a set of frames still needs (every translated locale without
/// a variant), one job per frame and locale.
pub fn locale_items(store: Store<Series>, frame_ids: &[String]) -> Vec<Item> {
    store.with_untracked(|s| {
        frame_ids
            .iter()
            .flat_map(|fid| {
                missing_locales(s, fid).into_iter().map(move |locale| Item {
                    job_id: format!("{fid}@{locale}"),
                    frame_id: fid.clone(),
                    work: Work::Locale { locale },
                })
            })
            .collect()
    })
}

/// Starts the locale variants `items` (planned and budgeted like a batch).
pub fn start_locales(state: AppState, store: Store<Series>, items: Vec<Item>) {
    if items.is_empty() {
        state.info("Every locale already has its variant, or its translations are missing.");
        return;
    }
    let plan = plan(state, store, &items);
    let work = items
        .into_iter()
        .map(|i| (i.job_id.clone(), (i, None)))
        .collect();
    runner::start_with(state, &store.id().get_untracked(), &plan, work);
}

/// Starts one directed edit per item ("Edit selected": the same instruction for every chosen
/// frame, each from its own active version), planned, priced and budgeted as one batch. With
/// a `region`, each edit carries a mask of its own image's size that frees only that region.
pub fn start_many(
    state: AppState,
    store: Store<Series>,
    items: Vec<Item>,
    region: Option<continuity_core::bulk_edit::Region>,
) {
    if items.is_empty() {
        said::refuse(
            state,
            "None of the selected frames has an image to edit yet.",
        );
        return;
    }
    let series_id = store.id().get_untracked();
    let sizes: Vec<Option<(u32, u32)>> = store.with_untracked(|s| {
        items
            .iter()
            .map(|item| match &item.work {
                Work::Edit { base, .. } => s.version(base).map(|v| (v.image.width, v.image.height)),
                Work::Locale { .. } => None,
            })
            .collect()
    });
    spawn_local(async move {
        let mut work = HashMap::new();
        for (item, size) in items.iter().zip(sizes) {
            let mask = match (region, size) {
                (Some(r), Some((w, h))) => {
                    match canvas::region_mask_png(w, h, r.pixels(w, h)).await {
                        Ok(b) => Some(b),
                        Err(e) => {
                            said::refuse(state, format!("The mask could not be made: {e}"));
                            return;
                        }
                    }
                }
                _ => None,
            };
            work.insert(item.job_id.clone(), (item.clone(), mask));
        }
        let plan = plan(state, store, &items);
        runner::start_with(state, &series_id, &plan, work);
    });
}
