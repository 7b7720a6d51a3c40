//! "Check every result" (issue 22 item 5): when a series asks for it, every image that arrives
//! is checked by one vision call ([`crate::app::text_call`]) against what its frame asked; the
//! report (or the failed call, never shown as passed) lands on the version through the one
//! door ([`crate::app::edit`]). Nothing is re-sent automatically. "Edit to fix" drafts a
//! directed edit from the misses.

use crate::app::edit::{self, Edit};
use crate::app::state::AppState;
use crate::app::text_call::{self, TextOptions};
use continuity_core::brief::check::{self as check_call};
use continuity_core::brief::check_frame::{Asked, CheckOutcome, ResultCheck};
use continuity_core::model::action::FrameEdit;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use continuity_core::settings::Endpoint;
use continuity_core::text_models::{TextCatalogue, TextModelInfo};
use leptos::prelude::*;
use reactive_stores::Store;
use web_sys::Blob;

/// The text model checks use: the catalogue's default (it reads images) — the model the plan
/// reserves each check for (core's `check_frame::reserve_usd`), whatever the Settings' text
/// model (which the planner and "Describe from images" use).
pub fn check_model() -> Option<TextModelInfo> {
    TextCatalogue::builtin().default_model().cloned()
}

/// Checks the versions that just arrived and were stored (`(version id, image)`), one call
/// each, in the background, when the series asks for it.
pub fn arrived(
    state: AppState,
    store: Store<Series>,
    endpoint: Endpoint,
    frame_id: String,
    versions: Vec<(String, Blob)>,
) {
    if !store.check_results().get_untracked() || versions.is_empty() {
        return;
    }
    leptos::task::spawn_local(async move {
        for (version, image) in versions {
            check_one(state, store, &endpoint, &frame_id, &version, &image).await;
        }
    });
}

/// One check: asks, then lands what came back (or why nothing did) on the version.
async fn check_one(
    state: AppState,
    store: Store<Series>,
    endpoint: &Endpoint,
    frame_id: &str,
    version: &str,
    image: &Blob,
) {
    let Some(asked) = store.with_untracked(|s| s.frame(frame_id).map(|f| Asked::of(s, f))) else {
        return;
    };
    let outcome = ask(state, store, endpoint, frame_id, &asked, image).await;
    let (outcome, cost_usd) = match outcome {
        Ok((report, cost)) => (CheckOutcome::Report(report), cost),
        Err((message, cost)) => (CheckOutcome::Failed(message), cost),
    };
    let check = ResultCheck {
        asked,
        outcome,
        cost_usd,
    };
    let landed = edit::app(
        state,
        store,
        Edit::frame(
            frame_id,
            FrameEdit::Checked {
                version: version.to_string(),
                check,
            },
        ),
    );
    if landed.is_err() {
        // The version went meanwhile; what the call cost is counted in the ledger already.
        state.error(format!(
            "A check finished after its image was deleted; it cost {}, counted in the series' spend.",
            continuity_core::cost::format_usd(cost_usd)
        ));
    }
}

/// The call itself: the report and its cost, or the failure in words and what it cost.
async fn ask(
    state: AppState,
    store: Store<Series>,
    endpoint: &Endpoint,
    frame_id: &str,
    asked: &Asked,
    image: &Blob,
) -> Result<(check_call::CheckReport, f64), (String, f64)> {
    let model = check_model().ok_or(("No text model is available for checks.".to_string(), 0.0))?;
    // The app's one Blob → data URL helper (the describe call reads its references with it).
    let url = crate::web::blob::data_url(image, &image.type_())
        .await
        .ok_or((
            "The image could not be read for its check.".to_string(),
            0.0,
        ))?;
    let request = asked.request(&model.id, &url).map_err(|e| (e, 0.0))?;
    let parse = |text: &str| check_call::parse(text, &asked.texts, &asked.constraints);
    // Held to the series budget and counted in its ledger before it leaves, whatever becomes
    // of the version.
    let counted = text_call::CountedIn {
        state,
        store,
        frame_id: frame_id.to_string(),
        worst_usd: asked.worst_case_usd(&model),
        refusal: "Not checked",
    };
    match text_call::send_counted(
        counted,
        endpoint,
        &model,
        &request,
        &TextOptions::default(),
        parse,
    )
    .await
    {
        Ok(answer) => Ok((answer.value, answer.cost_usd)),
        Err(failure) => Err((
            format!("The check failed: {}", failure.message),
            failure.cost_usd,
        )),
    }
}
