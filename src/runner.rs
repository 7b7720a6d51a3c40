//! The batch driver: runs the pure [`crate::scheduler::Batch`] in the browser. It asks the
//! scheduler what may start, sends those requests, stores each finished image **before**
//! showing the frame as done, and reports outcomes back. One batch runs at a time.

use crate::api::client::{self, Files, Options, Progress as ClientProgress};
use crate::api::request::ImageRequest;
use crate::compiler::compile;
use crate::cost::{actual_usd, estimate, CostQuery};
use crate::failure::FailureClass;
use crate::images::{object_url, revoke_url};
use crate::model::{make_id, FrameError, Take};
use crate::net::DEFAULT_TIMEOUT_MS;
use crate::platform::{now_ms, random_u64};
use crate::scheduler::{Batch, Job, JobState, Outcome, SkipReason};
use crate::settings::Endpoint;
use crate::state::{AppState, BatchView, FrameRun};
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

/// Generates every frame of a series (or only `frame_ids`), at most `concurrency` at a time.
/// Problems that stop it before it starts are shown as a notice.
pub fn generate(state: AppState, project_id: &str, frame_ids: Option<Vec<String>>) {
    if is_running() {
        state.info("A batch is already running; wait for it or cancel it first.");
        return;
    }
    let Some(project) = state.project(project_id) else {
        return;
    };
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
    let catalogue = state.catalogue.get_untracked();
    let model = catalogue
        .get(&project.output.model)
        .unwrap_or(catalogue.default_model())
        .clone();
    let per_frame = estimate(
        &model,
        &CostQuery {
            size: Some(project.output.size),
            quality: &project.output.quality,
            n: 1,
            partial_images: u32::from(settings.stream_previews),
        },
    );
    let jobs: Vec<Job> = project
        .frames
        .iter()
        .filter(|f| frame_ids.as_ref().is_none_or(|ids| ids.contains(&f.id)))
        .map(|f| Job {
            id: f.id.clone(),
            after: None,
            estimate_usd: per_frame.usd,
        })
        .collect();
    let batch = match Batch::new(jobs, usize::from(settings.concurrency.max(1)), None) {
        Ok(b) => b,
        Err(e) => {
            state.error(format!("The plan cannot run: {e:?}"));
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

/// Makes one frame: compile, send (with retries), store, report.
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
    if settings.stream_previews {
        request.stream = true;
        request.partial_images = 1;
    }
    if let Err(problems) = request.validate(&model, 0) {
        let message = problems.join(" ");
        state.update_project(&run.project_id, |p| {
            p.set_error(
                frame_id,
                Some(FrameError {
                    message: message.clone(),
                    may_be_billed: false,
                }),
            )
        });
        return Outcome::Failed {
            reason: message,
            may_be_billed: false,
            fatal_for_batch: false,
        };
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
    let files: Option<&Files> = None;
    let result = client::send(&run.endpoint, &request, files, &options, &mut on_progress).await;
    match result {
        Ok(result) => {
            let Some(image) = result.images.into_iter().next() else {
                return Outcome::Failed {
                    reason: "no image".into(),
                    may_be_billed: true,
                    fatal_for_batch: false,
                };
            };
            let cost = result.usage.as_ref().map(|u| actual_usd(&model, u));
            let take = Take {
                id: make_id("t", random_u64()),
                width: image.checked.width,
                height: image.checked.height,
                mime: image.checked.mime.to_string(),
                created_ms: now_ms(),
                prompt: compiled.prompt,
                usage: result.usage,
                cost_usd: cost,
                request_id: result.request_id,
                anchor_image: None,
                references: Vec::new(),
            };
            store_take(run, frame_id, take, &image.blob, cost.unwrap_or(0.0)).await
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

/// Stores the image and the updated project in one transaction; only then is the frame done.
/// The take is added to the in-memory project first, so any save that starts meanwhile
/// already includes it (IndexedDB commits transactions in order).
async fn store_take(
    run: &Rc<Run>,
    frame_id: &str,
    take: Take,
    blob: &web_sys::Blob,
    cost: f64,
) -> Outcome {
    let state = run.state;
    let take_id = take.id.clone();
    set_run(state, frame_id, FrameRun::Saving);
    let mut added = false;
    state.projects.update(|ps| {
        if let Some(p) = ps.iter_mut().find(|p| p.id == run.project_id) {
            added = p.add_take(frame_id, take);
            p.updated_ms = now_ms();
        }
    });
    if !added {
        // The frame was deleted while its image was being made.
        return Outcome::Cancelled {
            may_be_billed: true,
        };
    }
    let saved = match (state.db(), state.project(&run.project_id)) {
        (Some(db), Some(snapshot)) => db.save_image_with_project(&take_id, blob, &snapshot).await,
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
                    f.takes.retain(|t| t.id != take_id);
                    if f.selected_take.as_deref() == Some(take_id.as_str()) {
                        f.selected_take = f.takes.last().map(|t| t.id.clone());
                    }
                    f.error = Some(FrameError {
                        message: message.clone(),
                        may_be_billed: true,
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
