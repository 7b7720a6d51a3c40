//! Batch mode: a plan's requests sent through OpenAI's Batch API at half price, answered
//! within 24 h (reference §18). The anchor is made now (interactive, through the runner);
//! the other frames become JSONL lines — edits in the JSON form, each image uploaded once as a
//! file and referred to by `file_id`, the anchor first — one batch per endpoint. Each batch is
//! kept in the series record ([`continuity_core::batch_run::BatchRun`]) and stored before
//! anything else happens, so a closed browser loses nothing: the series polls its batches
//! while it is open (and whenever it is opened again), and when one ends its output and error
//! files land on their frames through the same door as a live result
//! ([`crate::app::frame_job::store_images`], `ResultArrived`) with the cost at the batch rate.

pub mod http;

use crate::app::client::Image;
use crate::app::edit::{self, Edit, SeriesEdit};
use crate::app::frame_job::{self, Made, Target};
use crate::app::runner;
use crate::app::said;
use crate::app::saver::Pointer;
use crate::app::state::AppState;
use crate::web::blob::{base64_to_blob, check_image};
use crate::web::clock::{now_ms, sleep};
use crate::web::idb;
use crate::web::locks::{self, LockAnswer};
use continuity_core::batch_run::{
    custom_id_for, ended_words, landings, request_line, BatchLine, BatchRun, Landing,
};
use continuity_core::compiler::compile;
use continuity_core::image_type::mime_for_format;
use continuity_core::model::action::FrameEdit;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::{FrameError, Series};
use continuity_core::openai::batch::{
    match_lines, write_jsonl, BatchEndpoint, CreateBatch, ImageRef, RequestLine, PURPOSE_BATCH,
};
use continuity_core::openai::request::ImageRequest;
use continuity_core::plan::{preflight, Plan};
use continuity_core::scheduler::Outcome;
use continuity_core::settings::Endpoint;
use js_sys::JsString;
use leptos::prelude::*;
use leptos::task::spawn_local;
use reactive_stores::Store;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

/// What the plan says when the browser may not call the Batch API itself.
pub const NEEDS_SERVER: &str = "Batch mode needs continuity-server here: this browser could not reach the endpoint's Batch API (the endpoint does not allow it from a web page, or the network is down). Nothing was uploaded. Choose “Now”, or connect through continuity-server (Settings).";

/// The purpose of an image uploaded for `images[].file_id` (reference §18).
const PURPOSE_IMAGE: &str = "vision";

/// The series whose batches this tab is polling.
#[derive(Default)]
struct Watching(RefCell<HashSet<String>>);

/// The endpoint and credential batch calls go to (the same as live requests').
fn endpoint(state: AppState) -> Result<Endpoint, String> {
    state.settings.get_untracked().endpoint(
        Some(&state.key.get_untracked()),
        Some(&state.token.get_untracked()),
        state.server.get_untracked().caps(),
    )
}

/// Whether this browser may use batch mode with the current settings (a call that uploads
/// and creates nothing). `Err` says why not.
pub async fn check(state: AppState) -> Result<(), String> {
    let endpoint = endpoint(state)?;
    if http::reachable(&endpoint).await {
        Ok(())
    } else {
        Err(NEEDS_SERVER.into())
    }
}

/// Sends `plan` in batch mode: its anchor now, then the other frames in a batch. A refusal
/// is said where the action started.
pub fn submit(state: AppState, series_id: &str, plan: Plan) {
    let place = said::origin(state);
    let series_id = series_id.to_string();
    spawn_local(async move {
        if let Err(why) = submit_now(state, &series_id, &plan).await {
            said::refuse_at(state, place, why);
        }
    });
}

async fn submit_now(state: AppState, series_id: &str, plan: &Plan) -> Result<(), String> {
    let store = state
        .series(series_id)
        .ok_or("This series is no longer open.")?;
    let catalogue = state.catalogue().get_untracked();
    store
        .with_untracked(|s| preflight(s, &catalogue, &plan.requests))
        .map_err(|refusal| refusal.to_string())?;
    if runner::is_running(state) {
        return Err("A batch is already running; wait for it or cancel it first.".into());
    }
    let endpoint = endpoint(state)?;
    // Before anything is paid for or uploaded: may this browser call the Batch API at all?
    if !http::reachable(&endpoint).await {
        return Err(NEEDS_SERVER.into());
    }
    let frames: Vec<String> = plan
        .requests
        .iter()
        .filter(|r| !r.is_anchor)
        .map(|r| r.frame_id.clone())
        .collect();
    if let Some(anchor) = plan.requests.iter().find(|r| r.is_anchor) {
        // The anchor is made now; the batch is built from its result.
        let anchor_plan = store.with_untracked(|s| Plan::new(s, &catalogue, vec![anchor.clone()]));
        runner::start(state, series_id, &anchor_plan);
        while runner::is_running(state) {
            let _ = sleep(300, None).await;
        }
        let made = store.with_untracked(|s| {
            s.frame(&anchor.frame_id)
                .is_some_and(|f| s.active(f).is_some())
        });
        if !made {
            return Err(
                "The anchor was not made, so the batch was not sent (nothing else was paid for)."
                    .into(),
            );
        }
    }
    if frames.is_empty() {
        return Ok(());
    }
    let built = store.with_untracked(|series| build(state, series, &frames))?;
    let file_ids = upload_images(state, &endpoint, &built).await?;
    let mut made = 0;
    for endpoint_kind in [BatchEndpoint::Generations, BatchEndpoint::Edits] {
        let group: Vec<&Built> = built
            .iter()
            .filter(|b| endpoint_of(b) == endpoint_kind)
            .collect();
        if group.is_empty() {
            continue;
        }
        let lines: Vec<RequestLine> = group
            .iter()
            .map(|b| {
                let images: Vec<ImageRef> = b
                    .line
                    .request
                    .images
                    .iter()
                    .map(|key| ImageRef::File {
                        file_id: file_ids[key].clone(),
                    })
                    .collect();
                request_line(&b.line.custom_id, &b.request, &images)
            })
            .collect();
        let text = write_jsonl(endpoint_kind, &lines).map_err(|e| e.to_string())?;
        let input = http::upload(
            &endpoint,
            "continuity-batch.jsonl",
            &http::jsonl_blob(&text)?,
            PURPOSE_BATCH,
        )
        .await?;
        let batch = http::create(&endpoint, &CreateBatch::new(input.id, endpoint_kind)).await?;
        let run = BatchRun::new(
            &batch,
            endpoint_kind,
            now_ms(),
            group.iter().map(|b| b.line.clone()).collect(),
        );
        // Stored (awaited) before anything else: from now on a closed tab loses nothing.
        let mut runs = store.with_untracked(|s| s.batches.clone());
        runs.push(run);
        let _ = edit::app(state, store, Edit::Series(SeriesEdit::Batches(runs)));
        state.saver().save_now(state).await;
        made += group.len();
    }
    state.info(format!(
        "Batch sent: {made} request{} at half price, answered within 24 h. You may close this tab; the series picks the results up when it is open.",
        if made == 1 { "" } else { "s" }
    ));
    watch(state, series_id);
    Ok(())
}

/// One frame's request, compiled for a batch line.
struct Built {
    line: BatchLine,
    request: ImageRequest,
}

fn endpoint_of(built: &Built) -> BatchEndpoint {
    if built.line.request.images.is_empty() {
        BatchEndpoint::Generations
    } else {
        BatchEndpoint::Edits
    }
}

/// Compiles each frame now (the anchor as image 1) into its request, as a live request would
/// send it; a request the API would refuse stops the batch before anything is uploaded.
fn build(state: AppState, series: &Series, frames: &[String]) -> Result<Vec<Built>, String> {
    frames
        .iter()
        .filter_map(|id| series.frames.iter().position(|f| &f.id == id))
        .map(|index| {
            let frame = &series.frames[index];
            let compiled = compile(series, index);
            let (model, request) =
                frame_job::image_request(state, &compiled, &series.output, &Pointer::Active);
            request
                .validate(&model, compiled.references.len())
                .map_err(|problems| format!("{}: {}", frame.title, problems.join(" ")))?;
            Ok(Built {
                line: BatchLine {
                    custom_id: custom_id_for(&frame.id),
                    frame_id: frame.id.clone(),
                    request: frame_job::sent_request(&compiled, &request),
                    anchor_image: frame_job::anchor_of(&compiled),
                },
                request,
            })
        })
        .collect()
}

/// Uploads every image the lines refer to, each once (the anchor is on every line); returns
/// their file ids by content hash.
async fn upload_images(
    state: AppState,
    endpoint: &Endpoint,
    built: &[Built],
) -> Result<HashMap<String, String>, String> {
    let db = state.db().ok_or("Storage is not available.")?;
    let mut ids = HashMap::new();
    for key in built.iter().flat_map(|b| b.line.request.images.iter()) {
        if ids.contains_key(key) {
            continue;
        }
        let blob = match db.blob(idb::IMAGES, key).await {
            Ok(Some(b)) => Some(b),
            _ => state.saver().pending_image(key),
        }
        .ok_or("A reference image is missing from storage; replace it in the bible.")?;
        let name = format!("{}.{}", &key[..key.len().min(16)], extension(&blob));
        let file = http::upload(endpoint, &name, &blob, PURPOSE_IMAGE).await?;
        ids.insert(key.clone(), file.id);
    }
    Ok(ids)
}

fn extension(blob: &web_sys::Blob) -> &'static str {
    match blob.type_().as_str() {
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        _ => "png",
    }
}

/// Polls the batches of `series_id` until none is left (or the series is closed): started when
/// a series opens and after a batch is sent. One poller per series per tab.
pub fn watch(state: AppState, series_id: &str) {
    let watching = state.handle::<Watching>();
    let has_runs = state
        .series(series_id)
        .is_some_and(|s| s.with_untracked(|s| !s.batches.is_empty()));
    if !has_runs || !watching.0.borrow_mut().insert(series_id.to_string()) {
        return;
    }
    let series_id = series_id.to_string();
    spawn_local(async move {
        poll_until_done(state, &series_id).await;
        state.handle::<Watching>().0.borrow_mut().remove(&series_id);
    });
}

/// How long to wait before asking again: often just after sending (a small batch can end in
/// seconds), rarely once it has run for a while (it may take 24 h).
fn poll_interval_ms(submitted_ms: f64) -> u64 {
    let age = now_ms() - submitted_ms;
    if age < 2.0 * 60_000.0 {
        1_500
    } else if age < 60.0 * 60_000.0 {
        20_000
    } else {
        60_000
    }
}

async fn poll_until_done(state: AppState, series_id: &str) {
    loop {
        let Some(store) = state.series(series_id) else {
            return;
        };
        let runs = store.with_untracked(|s| s.batches.clone());
        let Some(newest) = runs.iter().map(|r| r.submitted_ms).reduce(f64::max) else {
            return;
        };
        if let Ok(endpoint) = endpoint(state) {
            for run in runs {
                poll_one(state, store, &endpoint, run).await;
            }
        }
        let _ = sleep(poll_interval_ms(newest), None).await;
    }
}

/// Replaces the stored run of the same batch with `run` (or removes it), stored at once.
async fn put_run(state: AppState, store: Store<Series>, batch_id: &str, run: Option<BatchRun>) {
    let mut runs = store.with_untracked(|s| s.batches.clone());
    match (runs.iter().position(|r| r.batch_id == batch_id), run) {
        (Some(at), Some(run)) => runs[at] = run,
        (Some(at), None) => {
            runs.remove(at);
        }
        (None, _) => return,
    }
    let _ = edit::app(state, store, Edit::Series(SeriesEdit::Batches(runs)));
    state.saver().save_now(state).await;
}

async fn poll_one(state: AppState, store: Store<Series>, endpoint: &Endpoint, mut run: BatchRun) {
    if !run.is_finished() {
        // A failed read (network gone) is asked again next time.
        let Ok(batch) = http::retrieve(endpoint, &run.batch_id).await else {
            return;
        };
        if run.observe(&batch) {
            put_run(state, store, &run.batch_id, Some(run.clone())).await;
        }
    }
    if run.is_finished() {
        land(state, store, endpoint, &run).await;
    }
}

/// Cancels the running batches of `series_id`: requests not yet run are dropped (what ran is
/// kept and lands as usual).
pub fn cancel(state: AppState, series_id: &str) {
    let Some(store) = state.series(series_id) else {
        return;
    };
    let place = said::origin(state);
    spawn_local(async move {
        let endpoint = match endpoint(state) {
            Ok(e) => e,
            Err(why) => return said::refuse_at(state, place, why),
        };
        let runs = store.with_untracked(|s| s.batches.clone());
        for mut run in runs.into_iter().filter(|r| !r.is_finished()) {
            match http::cancel(&endpoint, &run.batch_id).await {
                Ok(batch) => {
                    run.observe(&batch);
                    put_run(state, store, &run.batch_id, Some(run.clone())).await;
                }
                Err(why) => said::refuse_at(state, place.clone(), why),
            }
        }
    });
}

/// Lands a finished batch: downloads its output and error files, stores each image as a
/// version (usage, cost at the batch rate), says on each other frame why it has none, then
/// forgets the batch. One tab lands a batch (a Web Lock); a line whose request id is already a
/// version is not stored twice (a landing cut short is taken up again).
async fn land(state: AppState, store: Store<Series>, endpoint: &Endpoint, run: &BatchRun) {
    let series_id = store.id().get_untracked();
    let _lock = match locks::try_lock(&format!("continuity-batch-land-{series_id}")).await {
        LockAnswer::Held(lock) => Some(lock),
        LockAnswer::Unsupported => None,
        LockAnswer::Busy => return,
    };
    // Another tab may have landed it meanwhile.
    if !store.with_untracked(|s| s.batches.iter().any(|r| r.batch_id == run.batch_id)) {
        return;
    }
    let mut files = Vec::new();
    for id in [&run.output_file_id, &run.error_file_id] {
        match id {
            Some(id) => match http::content(endpoint, id).await {
                Ok(text) => files.push(Some(text)),
                // Asked again at the next poll.
                Err(_) => return,
            },
            None => files.push(None),
        }
    }
    let matched = match_lines(&run.custom_ids(), files[0].as_deref(), files[1].as_deref());
    let catalogue = state.catalogue().get_untracked();
    let model_id = run
        .lines
        .first()
        .map(|l| l.request.model.clone())
        .unwrap_or_default();
    let model = catalogue
        .get(&model_id)
        .unwrap_or(catalogue.default_model())
        .clone();
    let mut made = 0;
    for landing in landings(run, &matched, &model) {
        match landing {
            Landing::Images {
                line,
                body,
                usage,
                cost_usd,
                request_id,
            } => {
                let landed_before = request_id.as_ref().is_some_and(|id| {
                    store.with_untracked(|s| {
                        s.versions.iter().any(|v| {
                            v.request_id.as_ref() == Some(id) && v.frame_id == line.frame_id
                        })
                    })
                });
                if landed_before {
                    made += 1;
                    continue;
                }
                let images = match decode(body, &line.request.output_format).await {
                    Ok(images) => images,
                    Err(why) => {
                        fail(state, store, &line.frame_id, why, true);
                        continue;
                    }
                };
                let target = Target {
                    series_id: &series_id,
                    frame_id: &line.frame_id,
                    job_id: &line.frame_id,
                    origin: frame_job::origin_of(None, None),
                    mask: None,
                    marked: false,
                };
                let made_by = Made {
                    sent: line.request.clone(),
                    anchor_image: line.anchor_image.clone(),
                    usage,
                    request_cost: cost_usd,
                    request_id,
                    maybe_billed_attempts: 0,
                };
                let total = cost_usd.unwrap_or(0.0);
                if let Outcome::Done { .. } =
                    frame_job::store_images(state, store, target, images, made_by, total).await
                {
                    made += 1;
                }
            }
            // A refused or unrun request is not billed.
            Landing::Failed { line, message, .. } => {
                fail(state, store, &line.frame_id, message, false);
            }
        }
    }
    put_run(state, store, &run.batch_id, None).await;
    state.info(ended_words(run, made));
}

/// Says on the frame why the batch made no image for it.
fn fail(
    state: AppState,
    store: Store<Series>,
    frame_id: &str,
    message: String,
    may_be_billed: bool,
) {
    let error = FrameError {
        message,
        may_be_billed,
        request_ids: Vec::new(),
        unsaved: false,
    };
    let _ = edit::app(
        state,
        store,
        Edit::frame(frame_id, FrameEdit::Failed(error)),
    );
}

/// The images of a successful line's body (`data[].b64_json`), decoded and checked by the
/// browser.
async fn decode(body: &serde_json::Value, output_format: &str) -> Result<Vec<Image>, String> {
    let mime = mime_for_format(output_format);
    let data = body
        .get("data")
        .and_then(|d| d.as_array())
        .filter(|d| !d.is_empty())
        .ok_or("The batch answered without an image for this frame.")?;
    let mut images = Vec::new();
    for item in data {
        let b64 = item
            .get("b64_json")
            .and_then(|b| b.as_str())
            .ok_or("The batch answered without an image for this frame.")?;
        let blob = base64_to_blob(&JsString::from(b64), mime)
            .await
            .map_err(|e| format!("The batch's image could not be read: {e}"))?;
        let checked = check_image(&blob)
            .await
            .map_err(|e| format!("The batch's image could not be read: {e}"))?;
        images.push(Image { blob, checked });
    }
    Ok(images)
}
