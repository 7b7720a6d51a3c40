//! The batch driver: runs a [`continuity_core::plan::Plan`] through the pure
//! [`continuity_core::scheduler::Batch`] in the browser. It asks the scheduler what may start, sends
//! those requests (generations, or edits carrying the anchor and reference images), stores
//! each finished image **before** showing the frame as done, and reports outcomes back.
//! One batch runs at a time.

use crate::api::client::{self, Files, Options, Progress as ClientProgress};
use crate::images::{object_url, revoke_url};
use crate::net::DEFAULT_TIMEOUT_MS;
use crate::platform::{now_ms, random_u64};
use crate::state::{AppState, BatchView, FrameRun};
use continuity_core::compiler::compile;
use continuity_core::cost::actual_usd;
use continuity_core::failure::FailureClass;
use continuity_core::model::{make_id, FrameError, Take};
use continuity_core::openai::request::ImageRequest;
use continuity_core::plan::{plan, Plan, Scope};
use continuity_core::scheduler::{Batch, JobState, Outcome, SkipReason};
use continuity_core::settings::Endpoint;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use web_sys::AbortController;

/// A running batch.
struct Run {
    state: AppState,
    project_id: String,
    endpoint: Endpoint,
    batch: RefCell<Batch>,
    /// One controller per in-flight frame, so one frame can be cancelled alone.
    controllers: RefCell<HashMap<String, AbortController>>,
    started_ms: f64,
}

thread_local! {
    static ACTIVE: RefCell<Option<Rc<Run>>> = const { RefCell::new(None) };
}

/// Whether a batch is running.
pub fn is_running() -> bool {
    ACTIVE.with(|a| a.borrow().is_some())
}

/// The plan for `scope` with the current settings, for the preview and for [`start`].
pub fn plan_for(state: AppState, project_id: &str, scope: &Scope) -> Option<Plan> {
    let project = state.project(project_id)?;
    let previews = u32::from(state.settings.get_untracked().stream_previews);
    Some(plan(
        &project,
        &state.catalogue.get_untracked(),
        scope,
        previews,
    ))
}

/// Plans and starts at once (single-frame buttons, where the card shows the estimate).
pub fn generate(state: AppState, project_id: &str, scope: Scope) {
    if let Some(plan) = plan_for(state, project_id, &scope) {
        start(state, project_id, &plan);
    }
}

/// Starts a planned batch, at most `concurrency` requests at a time. Problems that stop it
/// before it starts (no key, over budget, a blocked request) are shown as a notice.
pub fn start(state: AppState, project_id: &str, plan: &Plan) {
    if is_running() {
        state.info("A batch is already running; wait for it or cancel it first.");
        return;
    }
    if let Some(why) = plan.refusal() {
        state.error(why);
        return;
    }
    let settings = state.settings.get_untracked();
    let key = state.key.get_untracked();
    let endpoint = match settings.endpoint(Some(&key), state.server.get_untracked().available) {
        Ok(e) => e,
        Err(message) => {
            state.error(message);
            state.settings_open.set(true);
            return;
        }
    };
    let batch = match Batch::new(
        plan.jobs(),
        usize::from(settings.concurrency.max(1)),
        plan.budget_usd,
    ) {
        Ok(b) => b,
        Err(e) => {
            state.error(format!("The plan cannot run: {e}"));
            return;
        }
    };
    let run = Rc::new(Run {
        state,
        project_id: project_id.to_string(),
        endpoint,
        batch: RefCell::new(batch),
        controllers: RefCell::new(HashMap::new()),
        started_ms: now_ms(),
    });
    state.notice.set(None);
    ACTIVE.with(|a| *a.borrow_mut() = Some(run.clone()));
    pump(&run);
}

/// Cancels one frame of the running batch (queued: dropped; in flight: aborted).
pub fn cancel_frame(frame_id: &str) {
    let Some(run) = ACTIVE.with(|a| a.borrow().clone()) else {
        return;
    };
    let effect = run.batch.borrow_mut().cancel(frame_id);
    if effect == continuity_core::scheduler::CancelEffect::AbortInFlight {
        if let Some(c) = run.controllers.borrow().get(frame_id) {
            c.abort();
        }
    }
    sync_view(&run);
    finish_if_done(&run);
}

/// Cancels the running batch: queued frames are dropped, in-flight requests are aborted (and
/// marked "may be billed": OpenAI does not stop work when we stop waiting).
pub fn cancel_all() {
    let Some(run) = ACTIVE.with(|a| a.borrow().clone()) else {
        return;
    };
    let in_flight = run.batch.borrow_mut().cancel_all();
    for id in in_flight {
        if let Some(c) = run.controllers.borrow().get(&id) {
            c.abort();
        }
    }
    sync_view(&run);
    finish_if_done(&run);
}

/// Starts whatever the scheduler allows, then mirrors its states into the UI.
fn pump(run: &Rc<Run>) {
    let ids = run.batch.borrow_mut().start_next();
    for id in ids {
        let controller = AbortController::new().expect("AbortController");
        run.controllers
            .borrow_mut()
            .insert(id.clone(), controller.clone());
        let run = run.clone();
        spawn_local(async move {
            let outcome = run_frame(&run, &id, &controller).await;
            run.controllers.borrow_mut().remove(&id);
            run.batch.borrow_mut().report(&id, outcome);
            pump(&run);
        });
    }
    sync_view(run);
    finish_if_done(run);
}

fn finish_if_done(run: &Rc<Run>) {
    if !run.batch.borrow().is_finished() {
        return;
    }
    ACTIVE.with(|a| {
        let mut a = a.borrow_mut();
        if a.as_ref().is_some_and(|r| Rc::ptr_eq(r, run)) {
            *a = None;
        }
    });
    let finished = now_ms();
    run.state.batch.update(|b| {
        if let Some(b) = b {
            b.finished_ms = Some(finished);
        }
    });
}

/// Copies scheduler states into the per-frame live status and the progress bar.
fn sync_view(run: &Rc<Run>) {
    let batch = run.batch.borrow();
    run.state.runs.update(|runs| {
        for (id, job) in batch.states() {
            match job {
                JobState::Queued => {
                    runs.insert(id.to_string(), FrameRun::Queued);
                }
                JobState::WaitingForDependency => {
                    runs.insert(id.to_string(), FrameRun::WaitingForAnchor);
                }
                JobState::Running => {
                    runs.entry(id.to_string())
                        .or_insert(FrameRun::Running { attempt: 1 });
                }
                JobState::Cancelled { may_be_billed } => {
                    runs.insert(
                        id.to_string(),
                        FrameRun::Cancelled {
                            may_be_billed: *may_be_billed,
                        },
                    );
                }
                JobState::Skipped { reason } => {
                    let reason = match reason {
                        SkipReason::DependencyFailed => {
                            "Not sent: the anchor frame did not finish."
                        }
                        SkipReason::BudgetExhausted => {
                            "Not sent: it would cross the series budget."
                        }
                        SkipReason::BatchStopped => {
                            "Not sent: the batch stopped after an error that affects every frame."
                        }
                    };
                    runs.insert(
                        id.to_string(),
                        FrameRun::Skipped {
                            reason: reason.into(),
                        },
                    );
                }
                // Done and failed frames show what is stored with them.
                JobState::Done { .. } | JobState::Failed { .. } => {
                    runs.remove(id);
                }
            }
        }
    });
    let progress = batch.progress();
    let stopped = batch
        .is_stopped()
        .then(|| "Stopped: an error affects every frame (see the failed frame).".to_string());
    run.state.batch.set(Some(BatchView {
        project_id: run.project_id.clone(),
        progress,
        started_ms: run.started_ms,
        finished_ms: None,
        stopped,
    }));
}

fn set_run(state: AppState, frame_id: &str, status: FrameRun) {
    state.runs.update(|runs| {
        if let Some(FrameRun::Streaming { preview_url }) = runs.get(frame_id) {
            revoke_url(preview_url);
        }
        runs.insert(frame_id.to_string(), status);
    });
}

/// Makes one frame: compile (now, so a new anchor is image 1), load its reference images,
/// send (with retries), store, report.
async fn run_frame(run: &Rc<Run>, frame_id: &str, controller: &AbortController) -> Outcome {
    let state = run.state;
    let Some(project) = state.project(&run.project_id) else {
        return Outcome::Cancelled {
            may_be_billed: false,
        };
    };
    let Some(index) = project.frames.iter().position(|f| f.id == frame_id) else {
        return Outcome::Cancelled {
            may_be_billed: false,
        };
    };
    let compiled = compile(&project, index);
    let settings = state.settings.get_untracked();
    let catalogue = state.catalogue.get_untracked();
    let model = catalogue
        .get(&project.output.model)
        .unwrap_or(catalogue.default_model())
        .clone();
    let mut request = ImageRequest::new(
        &model.id,
        &compiled.prompt,
        Some(project.output.size),
        &project.output.quality,
    );
    request.output_format = project.output.output_format.clone();
    request.n = project.output.variants.clamp(1, 4);
    request.safety_identifier = state.safety_id.get_untracked();
    if settings.stream_previews {
        request.stream = true;
        request.partial_images = 1;
    }
    let fail_now = |message: String| {
        state.update_project(&run.project_id, |p| {
            p.set_error(
                frame_id,
                Some(FrameError {
                    message: message.clone(),
                    may_be_billed: false,
                    request_ids: Vec::new(),
                }),
            )
        });
        Outcome::Failed {
            reason: message,
            may_be_billed: false,
            fatal_for_batch: false,
        }
    };
    if let Err(problems) = request.validate(&model, compiled.references.len()) {
        return fail_now(problems.join(" "));
    }
    // Reference images go straight from IndexedDB into the form as Blobs.
    let mut files = Files::default();
    for reference in &compiled.references {
        match state
            .db()
            .map(|db| async move { db.image(&reference.key).await })
        {
            Some(read) => match read.await {
                Ok(Some(blob)) => files.images.push(blob),
                _ => {
                    return fail_now(format!(
                    "The reference image “{}” is missing from storage; replace it in the bible.",
                    reference.label
                ))
                }
            },
            None => return fail_now("Storage is not available.".into()),
        }
    }

    let signal = controller.signal();
    let options = Options {
        signal: Some(&signal),
        timeout_ms: DEFAULT_TIMEOUT_MS,
        extra_headers: Vec::new(),
    };
    let frame = frame_id.to_string();
    let batch_run = run.clone();
    let mut on_progress = move |p: ClientProgress| match p {
        ClientProgress::Attempt(attempt) => set_run(state, &frame, FrameRun::Running { attempt }),
        ClientProgress::Partial(blob) => {
            if let Some(url) = object_url(&blob) {
                set_run(state, &frame, FrameRun::Streaming { preview_url: url });
            }
        }
        ClientProgress::RateLimited => batch_run.batch.borrow_mut().rate_limited(),
        ClientProgress::Waiting { ms, reason } => set_run(
            state,
            &frame,
            FrameRun::Retrying {
                reason,
                seconds: ms as f64 / 1000.0,
            },
        ),
    };
    let files = (!files.images.is_empty()).then_some(files);
    // Mark the frame in flight (stored), so a reload mid-request can say it may be billed.
    let started = now_ms();
    state.update_project(&run.project_id, |p| {
        if let Some(f) = p.frame_mut(frame_id) {
            f.in_flight_since = Some(started);
        }
    });
    let result = client::send(
        &run.endpoint,
        &request,
        files.as_ref(),
        &options,
        &mut on_progress,
    )
    .await;
    state.projects.update(|ps| {
        if let Some(f) = ps
            .iter_mut()
            .find(|p| p.id == run.project_id)
            .and_then(|p| p.frame_mut(frame_id))
        {
            f.in_flight_since = None;
        }
    });
    // Persisted with the outcome below (a take or an error); a cancel saves it here.
    if matches!(&result, Err(f) if f.classification.class == FailureClass::Cancelled) {
        state.save(&run.project_id);
    }
    match result {
        Ok(result) => {
            // The request is answered: free its concurrency slot now, so the next request
            // starts while this image is decoded and stored (the cap counts requests in flight).
            run.batch.borrow_mut().release_slot(frame_id);
            pump(run);
            let total = result
                .usage
                .as_ref()
                .map(|u| actual_usd(&model, u))
                .unwrap_or(0.0);
            let count = result.images.len().max(1);
            let anchor_image = compiled
                .uses_anchor
                .then(|| compiled.references[0].key.clone());
            let reference_keys: Vec<String> =
                compiled.references.iter().map(|r| r.key.clone()).collect();
            let maybe_billed_attempts = result.maybe_billed_attempts();
            let mut takes = Vec::new();
            for (i, image) in result.images.into_iter().enumerate() {
                let take = Take {
                    id: make_id("t", random_u64()),
                    width: image.checked.width,
                    height: image.checked.height,
                    mime: image.checked.mime.to_string(),
                    created_ms: now_ms(),
                    prompt: compiled.prompt.clone(),
                    // Usage is per request: keep it on the first variant, split the cost.
                    usage: if i == 0 { result.usage.clone() } else { None },
                    cost_usd: result.usage.as_ref().map(|_| total / count as f64),
                    request_id: result.request_id.clone(),
                    anchor_image: anchor_image.clone(),
                    references: reference_keys.clone(),
                    maybe_billed_attempts,
                };
                takes.push((take, image.blob));
            }
            store_takes(run, frame_id, takes, total).await
        }
        Err(failure) => {
            if failure.classification.class == FailureClass::Cancelled {
                set_run(
                    state,
                    frame_id,
                    FrameRun::Cancelled {
                        may_be_billed: failure.may_be_billed(),
                    },
                );
                return Outcome::Cancelled {
                    may_be_billed: failure.may_be_billed(),
                };
            }
            let error = FrameError {
                message: failure.message.clone(),
                may_be_billed: failure.may_be_billed(),
                request_ids: failure
                    .attempts
                    .iter()
                    .filter_map(|a| a.request_id.clone())
                    .collect(),
            };
            state.update_project(&run.project_id, |p| p.set_error(frame_id, Some(error)));
            state.runs.update(|r| {
                r.remove(frame_id);
            });
            Outcome::Failed {
                may_be_billed: failure.may_be_billed(),
                reason: failure.message,
                fatal_for_batch: failure.classification.class == FailureClass::FatalForBatch,
            }
        }
    }
}

/// Stores the images and the updated project in one transaction; only then is the frame done.
/// The takes are added to the in-memory project first, so any save that starts meanwhile
/// already includes them (IndexedDB commits transactions in order). The first variant is
/// selected; the others wait to be picked.
async fn store_takes(
    run: &Rc<Run>,
    frame_id: &str,
    takes: Vec<(Take, web_sys::Blob)>,
    cost: f64,
) -> Outcome {
    let state = run.state;
    set_run(state, frame_id, FrameRun::Saving);
    let keys: Vec<String> = takes.iter().map(|(t, _)| t.id.clone()).collect();
    let first = keys.first().cloned();
    let mut added = false;
    state.projects.update(|ps| {
        if let Some(p) = ps.iter_mut().find(|p| p.id == run.project_id) {
            for (take, _) in &takes {
                added = p.add_take(frame_id, take.clone());
            }
            if let Some(f) = p.frame_mut(frame_id) {
                f.selected_take = first.clone();
            }
            p.updated_ms = now_ms();
        }
    });
    if !added {
        // The frame was deleted while its image was being made.
        return Outcome::Cancelled {
            may_be_billed: true,
        };
    }
    let blobs: Vec<(String, web_sys::Blob)> = takes.into_iter().map(|(t, b)| (t.id, b)).collect();
    let saved = match (state.db(), state.project(&run.project_id)) {
        (Some(db), Some(snapshot)) => db.save_images_with_project(&blobs, &snapshot).await,
        _ => Err(crate::storage::StorageError::Unavailable(
            "storage is not open".into(),
        )),
    };
    match saved {
        Ok(()) => {
            state.runs.update(|r| {
                r.remove(frame_id);
            });
            Outcome::Done { cost_usd: cost }
        }
        Err(e) => {
            // Never show a frame as done without its stored image.
            let message = format!("The image was made but could not be saved: {e}");
            state.update_project(&run.project_id, |p| {
                if let Some(f) = p.frame_mut(frame_id) {
                    f.takes.retain(|t| !keys.contains(&t.id));
                    if f.selected_take.as_ref().is_some_and(|s| keys.contains(s)) {
                        f.selected_take = f.takes.last().map(|t| t.id.clone());
                    }
                    f.error = Some(FrameError {
                        message: message.clone(),
                        may_be_billed: true,
                        request_ids: Vec::new(),
                    });
                }
            });
            state.runs.update(|r| {
                r.remove(frame_id);
            });
            state.error(e.to_string());
            Outcome::Failed {
                reason: message,
                may_be_billed: true,
                fatal_for_batch: true,
            }
        }
    }
}
