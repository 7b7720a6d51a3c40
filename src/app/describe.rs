//! "Describe from images" (issue 22): the bible's attached reference images (1–10) go to the
//! text model; its proposals are accepted field by field through the one door for changes
//! ([`crate::app::edit`]). The images stay attached; the call's cost counts against the series.

use crate::app::brief::{endpoint, text_model};
use crate::app::edit::{self, Edit, SeriesEdit};
use crate::app::state::AppState;
use crate::app::text_call::{self, TextAnswer, TextFailure, TextOptions};
use continuity_core::brief::describe::{self, Description, ImageSource};
use continuity_core::brief::MAX_DESCRIBE_IMAGES;
use continuity_core::model::action::{BibleText, EntityText};
use continuity_core::model::bible::Swatch;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use continuity_core::text_models::{worst_case_usd, TextCallSize};
use leptos::prelude::*;
use reactive_stores::Store;

/// The reference images the describe call sends: every entity's, identity first, at most
/// [`MAX_DESCRIBE_IMAGES`], each image once.
pub fn reference_ids(series: &Series) -> Vec<(String, String)> {
    let mut ids: Vec<(String, String)> = Vec::new();
    for entity in &series.bible.entities {
        for image in &entity.references {
            if ids.len() < MAX_DESCRIBE_IMAGES && !ids.iter().any(|(id, _)| *id == image.id) {
                ids.push((image.id.clone(), image.mime.clone()));
            }
        }
    }
    ids
}

/// Sends the describe call for the series' reference images and entities; its cost (an answer
/// refused by the validator included) is counted against the series at once.
pub async fn describe(
    state: AppState,
    store: Store<Series>,
) -> Result<TextAnswer<Description>, TextFailure> {
    let refused = |message: String| TextFailure {
        message,
        cost_usd: 0.0,
        may_be_billed: false,
    };
    let (refs, names) = store.with_untracked(|s| {
        let names: Vec<String> = s.bible.entities.iter().map(|e| e.name.clone()).collect();
        (reference_ids(s), names)
    });
    if refs.is_empty() {
        return Err(refused("Attach reference images to a character, product or prop first; they are what gets described.".into()));
    }
    let mut images = Vec::new();
    for (id, mime) in &refs {
        let blob = crate::app::images::image(state, id)
            .await
            .ok_or_else(|| refused("A reference image could not be read from storage.".into()))?;
        let url = crate::web::blob::data_url(&blob, mime)
            .await
            .ok_or_else(|| refused("A reference image could not be read.".into()))?;
        images.push(ImageSource::DataUrl(url));
    }
    let model = text_model(&state.settings.get_untracked());
    if !model.vision {
        return Err(refused(format!(
            "{} does not read images; choose a vision model in Settings.",
            model.label
        )));
    }
    let request = describe::request(&model.id, &images, &names).map_err(refused)?;
    let endpoint = endpoint(state).map_err(refused)?;
    let counted = text_call::CountedIn {
        state,
        store,
        frame_id: String::new(),
        worst_usd: worst_case_usd(&model, &TextCallSize::of(&request)),
        refusal: "Not described",
    };
    text_call::send_counted(
        counted,
        &endpoint,
        &model,
        &request,
        &TextOptions::default(),
        |text| describe::parse(text, &names),
    )
    .await
}

/// One accepted proposal.
#[derive(Debug, Clone, PartialEq)]
pub enum Proposal {
    /// A style field with its text.
    Style(BibleText, String),
    /// The palette (replaces the current one).
    Palette(Vec<String>),
    /// An entity's field (description, or must-not-change one per line).
    Entity(String, EntityText, String),
}

/// Accepts one proposal: an ordinary, undoable edit of the bible.
pub fn accept(state: AppState, store: Store<Series>, proposal: Proposal) {
    let edit = match proposal {
        Proposal::Style(field, text) => SeriesEdit::Bible(field, text),
        Proposal::Palette(hexes) => SeriesEdit::Palette(
            hexes
                .into_iter()
                .map(|hex| Swatch {
                    hex,
                    name: String::new(),
                })
                .collect(),
        ),
        Proposal::Entity(name, field, text) => {
            let Some(id) = store.bible().with_untracked(|b| {
                b.entities
                    .iter()
                    .find(|e| e.name == name)
                    .map(|e| e.id.clone())
            }) else {
                return;
            };
            SeriesEdit::Entity { id, field, text }
        }
    };
    if let Err(refused) = edit::user(state, store, Edit::Series(edit)) {
        state.error(refused.to_string());
    }
}
