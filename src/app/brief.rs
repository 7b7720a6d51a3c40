//! "New from a brief" (issue 22): the planner call and the series a reviewed plan makes.
//! Nothing image-related is sent here; the new series generates through the usual plan.

use crate::app::library;
use crate::app::state::AppState;
use crate::app::text_call::{self, TextAnswer, TextFailure, TextOptions};
use crate::web::clock::{now_ms, random_u64};
use continuity_core::brief::adopt::series_from_plan;
use continuity_core::brief::planner::{self, Plan};
use continuity_core::openai::responses::ResponsesRequest;
use continuity_core::settings::{Endpoint, Settings};
use continuity_core::text_models::{TextCatalogue, TextModelInfo};
use leptos::prelude::*;

/// The text model the settings choose, else the text catalogue's default.
pub fn text_model(settings: &Settings) -> TextModelInfo {
    let catalogue = TextCatalogue::builtin();
    catalogue
        .get(&settings.text_model)
        .or_else(|| catalogue.default_model())
        .cloned()
        .expect("the built-in text catalogue lists a model")
}

/// The planner request for `brief` and `frames` with the chosen text model (what "What will
/// be sent" shows, and what [`plan`] sends).
pub fn planner_request(
    state: AppState,
    brief: &str,
    frames: usize,
) -> Result<ResponsesRequest, String> {
    let model = text_model(&state.settings.get_untracked());
    planner::request(&model.id, brief, frames)
}

/// The configured endpoint with the key or token of this tab.
pub fn endpoint(state: AppState) -> Result<Endpoint, String> {
    let settings = state.settings.get_untracked();
    let (key, token) = (state.key.get_untracked(), state.token.get_untracked());
    settings.endpoint(
        Some(&key),
        Some(&token),
        state.server.get_untracked().caps(),
    )
}

/// Sends the planner call: the validated plan with its cost, or a clear failure (the cost of
/// an answer that arrived but was refused included).
pub async fn plan(
    state: AppState,
    brief: String,
    frames: usize,
) -> Result<TextAnswer<Plan>, TextFailure> {
    let refused = |message: String| TextFailure {
        message,
        cost_usd: 0.0,
        may_be_billed: false,
    };
    let request = planner_request(state, &brief, frames).map_err(refused)?;
    let endpoint = endpoint(state).map_err(refused)?;
    let model = text_model(&state.settings.get_untracked());
    text_call::send(
        &endpoint,
        &model,
        &request,
        &TextOptions::default(),
        |text| planner::parse(text, frames),
    )
    .await
}

/// Makes the series of a reviewed plan, carrying the planner's cost (`spent_usd`, every call
/// made for it) into the series' spend, stores it and returns its id.
pub async fn create(
    state: AppState,
    name: String,
    plan: Plan,
    spent_usd: f64,
) -> Result<String, String> {
    let model = state.catalogue().get_untracked().default_model().id.clone();
    let mut series = series_from_plan(&name, &plan, &model, now_ms(), random_u64);
    series.record_text_spend(continuity_core::model::ledger::TextSpend {
        usd: Some(spent_usd),
        at_ms: now_ms(),
        ..Default::default()
    });
    let id = series.id.clone();
    library::create(state, series)
        .await
        .map_err(|e| e.to_string())?;
    Ok(id)
}
