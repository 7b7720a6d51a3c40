//! The batch driver: runs a [`continuity_core::plan::Plan`] through the pure
//! [`continuity_core::scheduler::Batch`] in the browser. It asks the scheduler what may start, sends
//! those requests (generations, or edits carrying the anchor and reference images), stores
//! each finished image **before** showing the frame as done, and reports outcomes back.
//! One batch runs at a time.

use crate::app::frame_job::{self, Run};
use crate::app::said;
use crate::app::state::{AppState, BatchView, FrameRun};
use crate::web::clock::now_ms;
use crate::web::locks::{self, LockAnswer};
use continuity_core::cost::{format_budget, format_usd};
use continuity_core::plan::{plan, preflight, Plan, Scope};
use continuity_core::requests::Item;
use continuity_core::scheduler::{Batch, JobState, SkipReason, StopCause};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use web_sys::AbortController;
use web_sys::Blob;

/// This app's batch: the one running, and whether one is starting (held by the app state).
#[derive(Default)]
struct Batches {
    active: RefCell<Option<Rc<Run>>>,
    starting: Cell<bool>,
}

fn batches(state: AppState) -> Rc<Batches> {
    state.handle::<Batches>()
}

fn active(state: AppState) -> Option<Rc<Run>> {
    batches(state).active.borrow().clone()
}

/// The Web Lock held by the tab that runs a batch.
const BATCH_LOCK: &str = "continuity-batch";

/// Whether a batch is running (or starting) in this tab.
pub fn is_running(state: AppState) -> bool {
    let b = batches(state);
    let running = b.active.borrow().is_some();
    running || b.starting.get()
}

/// The plan for `scope` with the current settings, for the preview and for [`start`].
pub fn plan_for(state: AppState, series_id: &str, scope: &Scope) -> Option<Plan> {
    let store = state.series(series_id)?;
    let previews = u32::from(state.settings.get_untracked().stream_previews);
    let catalogue = state.catalogue().get_untracked();
    Some(store.with_untracked(|series| plan(series, &catalogue, scope, previews)))
}

/// Plans and starts at once (single-frame buttons, where the card shows the estimate).
pub fn generate(state: AppState, series_id: &str, scope: Scope) {
    if let Some(plan) = plan_for(state, series_id, &scope) {
        start(state, series_id, &plan);
    }
}

/// Starts a planned batch, at most `concurrency` requests at a time. Every start path comes
/// here (the plan dialog, a frame's "Generate" / "Regenerate", "Retry failed"), so every one
/// passes the same [`preflight`] against the series as it is now: the spend so far plus the
/// plan's estimate must stay within the budget, and the batch may spend only what is left.
/// Problems that stop it before it starts (no key, over budget, a blocked request, a batch in
/// another tab) are shown as a notice and where the action was ([`said`]).
pub fn start(state: AppState, series_id: &str, plan: &Plan) {
    start_with(state, series_id, plan, HashMap::new());
}

/// Starts a planned batch whose jobs include edits or locale variants (`work`, by job id; any
/// other job is a plain generation of the frame it is named after).
pub fn start_with(
    state: AppState,
    series_id: &str,
    plan: &Plan,
    work: HashMap<String, (Item, Option<Blob>)>,
) {
    if is_running(state) {
        said::refuse(
            state,
            "A batch is already running; wait for it or cancel it first.",
        );
        return;
    }
    let Some(store) = state.series(series_id) else {
        return;
    };
    let catalogue = state.catalogue().get_untracked();
    let checked = store.with_untracked(|series| preflight(series, &catalogue, &plan.requests));
    let checked = match checked {
        Ok(checked) => checked,
        Err(refusal) => {
            said::refuse(state, refusal.to_string());
            return;
        }
    };
    let settings = state.settings.get_untracked();
    let (key, token) = (state.key.get_untracked(), state.token.get_untracked());
    let endpoint = match settings.endpoint(
        Some(&key),
        Some(&token),
        state.server.get_untracked().caps(),
    ) {
        Ok(e) => e,
        Err(message) => {
            said::refuse(state, message);
            state.settings_open.set(true);
            return;
        }
    };
    let batch = match Batch::new(
        plan.jobs(),
        usize::from(settings.concurrency.max(1)),
        checked.remaining_usd(),
    ) {
        Ok(b) => b,
        Err(e) => {
            said::refuse(state, format!("The plan cannot run: {e}"));
            return;
        }
    };
    let series_id = series_id.to_string();
    let place = said::origin(state);
    // Claim the slot in this tab at once (a double click must not start two batches), then
    // the cross-tab lock.
    batches(state).starting.set(true);
    spawn_local(async move {
        let lock = locks::try_lock(BATCH_LOCK).await;
        batches(state).starting.set(false);
        let lock = match lock {
            LockAnswer::Held(lock) => Some(lock),
            LockAnswer::Unsupported => None,
            LockAnswer::Busy => {
                said::refuse_at(state, place, "A batch is running in another tab of Continuity. Wait for it to finish there, or cancel it, then start this one.");
                return;
            }
        };
        let run = Rc::new(Run {
            state,
            series_id,
            endpoint,
            batch: RefCell::new(batch),
            controllers: RefCell::new(HashMap::new()),
            started_ms: now_ms(),
            _lock: lock,
            work: RefCell::new(work),
            pump,
            refresh: sync_view,
        });
        state.notice.set(None);
        *batches(state).active.borrow_mut() = Some(run.clone());
        pump(&run);
    });
}

/// Cancels one frame of the running batch (queued: dropped; in flight: aborted).
pub fn cancel_frame(state: AppState, frame_id: &str) {
    let Some(run) = active(state) else {
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
pub fn cancel_all(state: AppState) {
    let Some(run) = active(state) else {
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

/// Resumes the running batch after its circuit breaker paused it (the user's "Resume").
pub fn resume(state: AppState) {
    let Some(run) = active(state) else {
        return;
    };
    if run.batch.borrow_mut().resume() {
        pump(&run);
    }
}

/// Whether the batch of `series_id` is paused by its circuit breaker and can be resumed.
pub fn can_resume(state: AppState, series_id: &str) -> bool {
    active(state).is_some_and(|run| {
        run.series_id == series_id
            && run.batch.borrow().is_paused()
            && !run.batch.borrow().is_finished()
    })
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
            let outcome = frame_job::run_frame(&run, &id, &controller).await;
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
    {
        let slot = batches(run.state);
        let mut active = slot.active.borrow_mut();
        if active.as_ref().is_some_and(|r| Rc::ptr_eq(r, run)) {
            *active = None;
        }
    }
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
    let stopped = stop_words(run, &batch);
    run.state.batch.set(Some(BatchView {
        series_id: run.series_id.clone(),
        progress,
        started_ms: run.started_ms,
        finished_ms: None,
        stopped,
    }));
}

/// Why the batch stopped (or paused), in words, naming the cause: the error that affects every
/// frame (quota, key, organization verification, model, storage), the failing service and
/// since when, or the budget.
fn stop_words(run: &Run, batch: &Batch) -> Option<String> {
    match batch.stop_cause() {
        Some(StopCause::Fatal { reason, .. }) => Some(format!("Stopped: {reason}")),
        Some(StopCause::ServiceFailing { since_ms, failures }) => {
            let what = format!(
                "the image service is failing: {failures} server errors in a row since {}.",
                clock_time(since_ms)
            );
            Some(if batch.is_finished() {
                format!("Stopped: {what} Try the failed frames again later.")
            } else {
                format!("Paused: {what} Nothing more is sent until you resume.")
            })
        }
        None => {
            let skipped = batch
                .states()
                .filter(|(_, s)| {
                    matches!(
                        s,
                        JobState::Skipped {
                            reason: SkipReason::BudgetExhausted
                        }
                    )
                })
                .count();
            if skipped == 0 {
                return None;
            }
            let (budget, spent) = run
                .state
                .series(&run.series_id)
                .map(|s| s.with_untracked(|s| (s.budget_usd, s.spent_usd())))
                .unwrap_or_default();
            Some(format!(
                "Stopped at the series budget: {skipped} frame{} not sent because {} could cross the budget of {} ({} spent so far). Raise the budget to make {}.",
                if skipped == 1 { " was" } else { "s were" },
                if skipped == 1 { "it" } else { "they" },
                budget.map(format_budget).unwrap_or_default(),
                format_usd(spent),
                if skipped == 1 { "it" } else { "them" },
            ))
        }
    }
}

/// A time of day in this browser's time zone, `14:03:07`.
fn clock_time(ms: u64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    format!(
        "{:02}:{:02}:{:02}",
        date.get_hours(),
        date.get_minutes(),
        date.get_seconds()
    )
}
