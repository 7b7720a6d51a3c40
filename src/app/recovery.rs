//! Recovery of requests the page lost (a reload, a crash, a dropped network): for every frame
//! whose request was sent with a job id and never answered here, ask `continuity-server`
//! for the answer it kept ([`crate::app::job_client`]). A done answer is stored as a normal
//! version through the same door as a live one (and the frame says "recovered"); a refusal
//! is the frame's error, not billed; a job still running is asked again after the server's
//! `retry-after`; a job the server does not know keeps the honest "may have been billed".
//! Asked when a series opens, after a request failed in a way the server may have answered,
//! and whenever the browser comes back online.

use crate::app::edit::{self, Edit};
use crate::app::frame_job::{store_images, Made, Origin, Target};
use crate::app::job_client::{read_job, JobAnswer};
use crate::app::state::AppState;
use crate::web::clock::sleep;
use continuity_core::cost::actual_usd;
use continuity_core::model::action::FrameEdit;
use continuity_core::model::{FrameError, Series};
use continuity_core::settings::{Endpoint, THIS_SERVER_BASE};
use leptos::prelude::*;
use leptos::task::spawn_local;
use reactive_stores::Store;
use std::cell::RefCell;
use std::collections::HashSet;

thread_local! {
    /// Jobs being asked for now (one question per job at a time).
    static ASKING: RefCell<HashSet<String>> = RefCell::default();
}

/// From then on, asks again about every lost job whenever the browser comes back online.
/// Installed when the workspace first opens a series.
pub fn install(state: AppState) {
    use std::sync::atomic::{AtomicBool, Ordering};
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if !INSTALLED.swap(true, Ordering::Relaxed) {
        crate::web::lifecycle::on_online(move || recover_loaded(state));
    }
}

/// Asks, for every series loaded, about every lost job (the browser came back online).
pub fn recover_loaded(state: AppState) {
    for id in state.loaded_series() {
        if let Some(store) = state.series(&id) {
            recover(state, store);
        }
    }
}

/// Asks about every lost job of one series (each job once at a time).
pub fn recover(state: AppState, store: Store<Series>) {
    let jobs = store.with_untracked(|s| s.recoverable_jobs());
    for (frame_id, job_id) in jobs {
        let fresh = ASKING.with(|a| a.borrow_mut().insert(job_id.clone()));
        if fresh {
            spawn_local(async move {
                ask(state, store, &frame_id, &job_id).await;
                ASKING.with(|a| a.borrow_mut().remove(&job_id));
            });
        }
    }
}

/// The endpoint jobs are read from: job ids are sent only to the server that serves the page
/// ("This server"), with its access token — whatever the page learned of it at this start
/// (loaded offline, it has not learned anything yet, and the jobs are still there).
fn job_endpoint(state: AppState) -> Endpoint {
    let token = state.token.get_untracked();
    let token = token.trim();
    Endpoint {
        base_url: THIS_SERVER_BASE.into(),
        bearer: (!token.is_empty()).then(|| token.to_string()),
        continuity_server: true,
    }
}

/// Asks about one job until it is settled (or the server cannot be reached: the `online`
/// event asks again).
async fn ask(state: AppState, store: Store<Series>, frame_id: &str, job_id: &str) {
    let endpoint = job_endpoint(state);
    loop {
        // Still the frame's lost job? (It may have been recovered or dropped meanwhile.)
        let job = store.with_untracked(|s| {
            s.frame(frame_id)
                .filter(|f| f.in_flight_since.is_none())
                .and_then(|f| f.in_flight_job.clone())
                .filter(|j| j.job_id.as_deref() == Some(job_id))
        });
        let Some(job) = job else { return };
        let catalogue = state.catalogue().get_untracked();
        let model = catalogue
            .get(&job.request.model)
            .unwrap_or(catalogue.default_model())
            .clone();
        let format = job.request.output_format.clone();
        match read_job(&endpoint, job_id, &model.id, &format).await {
            JobAnswer::Done {
                images,
                usage,
                request_id,
            } => {
                let total = usage.as_ref().map(|u| actual_usd(&model, u)).unwrap_or(0.0);
                let made = Made {
                    sent: job.request.clone(),
                    anchor_image: job.anchor_image.clone(),
                    request_cost: usage.as_ref().map(|_| total),
                    usage,
                    request_id,
                    maybe_billed_attempts: 0,
                };
                let series_id = store.with_untracked(|s| s.id.clone());
                let target = Target {
                    endpoint: &endpoint,
                    series_id: &series_id,
                    frame_id,
                    job_id: frame_id,
                    origin: Origin::of_job(&job),
                    mask: None,
                };
                store_images(state, store, target, images, made, total).await;
                return;
            }
            JobAnswer::Refused {
                message,
                may_be_billed,
                request_id,
            } => {
                let error = FrameError {
                    message,
                    may_be_billed,
                    request_ids: request_id.into_iter().collect(),
                    unsaved: false,
                };
                let _ = edit::app(
                    state,
                    store,
                    Edit::frame(frame_id, FrameEdit::Failed(error)),
                );
                // Settled: nothing more to ask.
                let _ = edit::app(state, store, Edit::frame(frame_id, FrameEdit::JobUnknown));
                return;
            }
            JobAnswer::Running { retry_after_ms } => {
                let _ = sleep(retry_after_ms, None).await;
            }
            JobAnswer::Unknown => {
                let _ = edit::app(state, store, Edit::frame(frame_id, FrameEdit::JobUnknown));
                return;
            }
            JobAnswer::Unreachable => return,
        }
    }
}
