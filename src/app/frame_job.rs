//! One frame of a batch: compile its prompt (now, so a new anchor is image 1), load its
//! reference images, send (with retries), then store the images, their versions and the frame
//! pointing at them in one strict transaction — only then is the frame done.

use crate::app::client::{self, Files, Image, Options, Permit, Progress as ClientProgress};
use crate::app::edit::{self, Arrival, ArrivalError, Edit};
use crate::app::saver::Pointer;
use crate::app::state::{AppState, FrameRun};
use crate::web::blob::{self, object_url};
use crate::web::clock::{now_ms, random_u64};
use crate::web::http::DEFAULT_TIMEOUT_MS;
use crate::web::idb;
use crate::web::locks::HeldLock;
use continuity_core::catalogue::ModelInfo;
use continuity_core::compiler::{compile, CompiledFrame};
use continuity_core::cost::actual_usd;
use continuity_core::failure::FailureClass;
use continuity_core::model::action::FrameEdit;
use continuity_core::model::{
    make_id, FrameError, ImageRef, OutputSettings, SentRequest, Series, Version, VersionKind,
};
use continuity_core::openai::request::ImageRequest;
use continuity_core::openai::types::Usage;
use continuity_core::output_options::compile_request;
use continuity_core::requests::{compile_item, Item, Work};
use continuity_core::scheduler::{AttemptEnd, Batch, Gate, Outcome};
use continuity_core::settings::Endpoint;
use leptos::prelude::*;
use reactive_stores::Store;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use web_sys::{AbortController, Blob};

/// A running batch, as its jobs see it (the runner creates and drives it).
pub(crate) struct Run {
    pub(crate) state: AppState,
    pub(crate) series_id: String,
    pub(crate) endpoint: Endpoint,
    pub(crate) batch: RefCell<Batch>,
    /// One controller per in-flight frame, so one frame can be cancelled alone.
    pub(crate) controllers: RefCell<HashMap<String, AbortController>>,
    pub(crate) started_ms: f64,
    /// Released when the batch ends (the run is dropped).
    pub(crate) _lock: Option<HeldLock>,
    /// Jobs that are not plain generations (edits, locale variants), by job id, with the
    /// mask an edit sends (its markup layer when the item says `marked`).
    pub(crate) work: RefCell<HashMap<String, (Item, Option<Blob>)>>,
    /// Starts whatever the scheduler allows now (a job calls it when its slot frees).
    pub(crate) pump: fn(&Rc<Run>),
    /// Mirrors the scheduler into the view now (a job calls it when an attempt failed).
    pub(crate) refresh: fn(&Rc<Run>),
}

fn cancelled() -> Outcome {
    Outcome::Cancelled {
        may_be_billed: false,
    }
}

/// The app's own change to the job's frame (a frame deleted meanwhile has nothing to change).
fn frame_edit(state: AppState, store: Store<Series>, frame_id: &str, change: FrameEdit) {
    let _ = edit::app(state, store, Edit::frame(frame_id, change));
}

/// Records a failure on the frame (saved with the next debounced write).
fn set_error(state: AppState, store: Store<Series>, frame_id: &str, error: FrameError) {
    frame_edit(state, store, frame_id, FrameEdit::Failed(error));
}

/// The request for `compiled` with the series' output settings (not streamed), and the
/// model it goes to. Shared by live requests and batch lines.
pub(crate) fn image_request(
    state: AppState,
    compiled: &CompiledFrame,
    output: &OutputSettings,
    pointer: &Pointer,
) -> (ModelInfo, ImageRequest) {
    let catalogue = state.catalogue().get_untracked();
    let model = catalogue
        .get(&output.model)
        .unwrap_or(catalogue.default_model())
        .clone();
    // Model, size, quality, format, transparency and complexity as the series' model takes them.
    let mut request = compile_request(output, &model, &compiled.prompt);
    request.n = match pointer {
        // One image per locale variant: the text is the only thing that changes.
        Pointer::Locale(_) => 1,
        Pointer::Active => output.variants.clamp(1, 4),
    };
    request.safety_identifier = state.safety_id.get_untracked();
    (model, request)
}

/// What a request of `compiled` sends, as its versions record it (`n` and the mask are set
/// when its images are stored).
pub(crate) fn sent_request(compiled: &CompiledFrame, request: &ImageRequest) -> SentRequest {
    SentRequest {
        endpoint: if compiled.references.is_empty() {
            "images/generations".into()
        } else {
            "images/edits".into()
        },
        model: request.model.clone(),
        prompt: compiled.prompt.clone(),
        size: request.size.map(|s| s.to_string()).unwrap_or_default(),
        quality: request.quality.clone(),
        output_format: request.output_format.clone(),
        n: request.n,
        images: compiled.references.iter().map(|r| r.key.clone()).collect(),
        mask: None,
        markup: None,
        note: String::new(),
    }
}

/// The anchor image `compiled` is made from, if its image 1 is the anchor.
pub(crate) fn anchor_of(compiled: &CompiledFrame) -> Option<String> {
    compiled
        .uses_anchor
        .then(|| compiled.references[0].key.clone())
}

/// Makes one job (a frame's generation, a directed edit or a locale variant) and reports
/// the outcome to the scheduler.
pub(crate) async fn run_frame(
    run: &Rc<Run>,
    job_id: &str,
    controller: &AbortController,
) -> Outcome {
    let state = run.state;
    let Some(store) = state.series(&run.series_id) else {
        return cancelled();
    };
    // A job is a plain generation of the frame it is named after, unless the batch says it
    // makes an edit or a locale variant.
    let work = run.work.borrow().get(job_id).cloned();
    let frame_id: &str = work
        .as_ref()
        .map_or(job_id, |(item, _)| item.frame_id.as_str());
    // Compiled in place: what the request needs, without cloning the whole series.
    let compiled = store.with_untracked(|series| match &work {
        Some((item, _)) => compile_item(series, item)
            .ok()
            .map(|c| (c, series.output.clone())),
        None => {
            let index = series.frames.iter().position(|f| f.id == frame_id)?;
            Some((compile(series, index), series.output.clone()))
        }
    });
    let Some((compiled, output)) = compiled else {
        return cancelled();
    };
    let active = store.with_untracked(|s| {
        s.frame(frame_id)
            .and_then(|f| s.active(f))
            .map(|v| v.id.clone())
    });
    let origin = origin_of(work.as_ref().map(|(item, _)| item), active);
    let mask = work.as_ref().and_then(|(_, m)| m.clone());
    // A markup edit's overlay is its marks, sent as `markup` (never with a mask).
    let marked = work.as_ref().is_some_and(|(item, _)| {
        matches!(
            item.work,
            Work::Edit {
                marked: true,
                masked: false,
                ..
            }
        )
    });
    let settings = state.settings.get_untracked();
    let (model, mut request) = image_request(state, &compiled, &output, &origin.pointer);
    if settings.stream_previews {
        request.stream = true;
        request.partial_images = 1;
    }
    let fail_now = |message: String| {
        set_error(
            state,
            store,
            frame_id,
            FrameError {
                message: message.clone(),
                may_be_billed: false,
                request_ids: Vec::new(),
                unsaved: false,
            },
        );
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
    let Some(db) = state.db() else {
        return fail_now("Storage is not available.".into());
    };
    let mut files = Files::default();
    for reference in &compiled.references {
        let stored = match db.blob(idb::IMAGES, &reference.key).await {
            Ok(Some(b)) => Some(b),
            _ => state.saver().pending_image(&reference.key),
        };
        match stored {
            Some(b) => files.images.push(b),
            None => {
                return fail_now(format!(
                    "The reference image “{}” is missing from storage; replace it in the bible.",
                    reference.label
                ))
            }
        }
    }

    let signal = controller.signal();
    // Every attempt asks the batch first (concurrency limit, circuit breaker, budget).
    let gate = || match run.batch.borrow_mut().begin_attempt(job_id) {
        Gate::Go => Permit::Go,
        Gate::Wait => Permit::Wait,
        Gate::Hold(hold) => Permit::Refuse(hold.message()),
    };
    let options = Options {
        signal: Some(&signal),
        timeout_ms: DEFAULT_TIMEOUT_MS,
        extra_headers: run.endpoint.extra_headers(),
        gate: Some(&gate),
    };
    let frame = job_id.to_string();
    let batch_run = run.clone();
    let mut on_progress = move |p: ClientProgress| match p {
        ClientProgress::Attempt(attempt) => state.set_run(&frame, FrameRun::Running { attempt }),
        ClientProgress::Partial(blob) => {
            if let Some(url) = object_url(&blob) {
                state.set_run(&frame, FrameRun::Streaming { preview_url: url });
            }
        }
        // The batch slows down, counts server-side failures and may pause (the view shows it).
        ClientProgress::Failed(class) => {
            let end = AttemptEnd::of(&class);
            batch_run
                .batch
                .borrow_mut()
                .end_attempt(&frame, end, now_ms() as u64);
            (batch_run.refresh)(&batch_run);
        }
        ClientProgress::RateLimited => {}
        ClientProgress::Waiting { ms, reason } => state.set_run(
            &frame,
            FrameRun::Retrying {
                reason,
                seconds: ms as f64 / 1000.0,
            },
        ),
    };
    if marked {
        files.markup = mask.clone();
    } else {
        files.mask = mask.clone();
    }
    let files = (!files.images.is_empty()).then_some(files);
    // Mark the frame in flight and store that before the request goes (not debounced, and
    // after any write running now), so a reload mid-request can say it may have been billed.
    frame_edit(state, store, frame_id, FrameEdit::InFlight(now_ms()));
    state.saver().save_now(state).await;
    let result = client::send(
        &run.endpoint,
        &request,
        files.as_ref(),
        &options,
        &mut on_progress,
    )
    .await;
    match result {
        Ok(result) => {
            // The request is answered: free its concurrency slot now, so the next request
            // starts while this image is decoded and stored (the cap counts requests in flight).
            run.batch.borrow_mut().release_slot(job_id);
            (run.pump)(run);
            let total = result
                .usage
                .as_ref()
                .map(|u| actual_usd(&model, u))
                .unwrap_or(0.0);
            let made = Made {
                sent: sent_request(&compiled, &request),
                anchor_image: anchor_of(&compiled),
                usage: result.usage.clone(),
                request_cost: result.usage.as_ref().map(|_| total),
                request_id: result.request_id.clone(),
                maybe_billed_attempts: result.maybe_billed_attempts(),
            };
            let target = Target {
                series_id: &run.series_id,
                frame_id,
                job_id,
                origin,
                mask,
                marked,
            };
            store_images(state, store, target, result.images, made, total).await
        }
        Err(failure) => {
            if failure.held {
                // The batch held it before anything was sent: back to the queue.
                frame_edit(state, store, frame_id, FrameEdit::Settled);
                return Outcome::NotSent;
            }
            if failure.classification.class == FailureClass::Cancelled {
                frame_edit(state, store, frame_id, FrameEdit::Settled);
                state.set_run(
                    job_id,
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
                unsaved: false,
            };
            set_error(state, store, frame_id, error);
            state.runs.update(|r| {
                r.remove(job_id);
            });
            Outcome::Failed {
                may_be_billed: failure.may_be_billed(),
                reason: failure.message,
                fatal_for_batch: failure.classification.class == FailureClass::FatalForBatch,
            }
        }
    }
}

/// Where a result goes and how its versions were made.
pub(crate) struct Target<'a> {
    pub(crate) series_id: &'a str,
    pub(crate) frame_id: &'a str,
    pub(crate) job_id: &'a str,
    pub(crate) origin: Origin,
    pub(crate) mask: Option<web_sys::Blob>,
    /// Whether `mask` is a markup layer.
    pub(crate) marked: bool,
}

/// How a job's versions come about: a generation, a directed edit of a version, or a locale
/// variant of the frame's active version.
pub(crate) struct Origin {
    kind: VersionKind,
    parent: Option<String>,
    instruction: Option<String>,
    locale: Option<String>,
    pointer: Pointer,
}

/// `active` is the frame's active version when the request is made (a locale variant's
/// parent).
pub(crate) fn origin_of(item: Option<&Item>, active: Option<String>) -> Origin {
    match item.map(|i| &i.work) {
        Some(Work::Edit {
            base, instruction, ..
        }) => Origin {
            kind: VersionKind::Edited,
            parent: Some(base.clone()),
            instruction: Some(instruction.clone()),
            locale: None,
            pointer: Pointer::Active,
        },
        Some(Work::Locale { locale }) => Origin {
            kind: VersionKind::Localized,
            parent: active,
            instruction: None,
            locale: Some(locale.clone()),
            pointer: Pointer::Locale(locale.clone()),
        },
        None => Origin {
            kind: VersionKind::Generated,
            parent: None,
            instruction: None,
            locale: None,
            pointer: Pointer::Active,
        },
    }
}

/// What a successful request sent and got, shared by its images.
pub(crate) struct Made {
    pub(crate) sent: SentRequest,
    pub(crate) anchor_image: Option<String>,
    pub(crate) usage: Option<Usage>,
    pub(crate) request_cost: Option<f64>,
    pub(crate) request_id: Option<String>,
    pub(crate) maybe_billed_attempts: u32,
}

/// Hashes the images, makes their thumbnails, adds their versions to the store and writes them
/// with the frame in one strict transaction. Only then is the frame done. When the write
/// fails the images stay in this tab (shown, and retried) and the batch stops.
pub(crate) async fn store_images(
    state: AppState,
    store: Store<Series>,
    target: Target<'_>,
    images: Vec<Image>,
    made: Made,
    total: f64,
) -> Outcome {
    let Target {
        series_id,
        frame_id,
        job_id,
        origin,
        mask,
        marked,
    } = target;
    state.set_run(job_id, FrameRun::Saving);
    // The mask (or markup) is stored with the versions it made (its hash is in their request).
    let mut stored = Vec::new();
    let mask_hash = match &mask {
        Some(m) => match blob::sha256(m).await {
            Ok(h) => {
                stored.push((h.clone(), m.clone(), None));
                Some(h)
            }
            Err(_) => None,
        },
        None => None,
    };
    let count = images.len().max(1);
    let group = make_id("g", random_u64());
    let anchor_image = made.anchor_image.clone();
    let sent = SentRequest {
        n: count.min(255) as u8,
        mask: mask_hash.clone().filter(|_| !marked),
        markup: mask_hash.filter(|_| marked),
        ..made.sent.clone()
    };
    let mut versions = Vec::new();
    for image in images {
        let hash = match blob::sha256(&image.blob).await {
            Ok(h) => h,
            Err(e) => {
                return Outcome::Failed {
                    reason: format!("The image arrived but could not be read: {e}"),
                    may_be_billed: true,
                    fatal_for_batch: false,
                }
            }
        };
        let thumb = blob::thumbnail(&image.blob, image.checked.width, image.checked.height)
            .await
            .ok();
        versions.push(Version {
            id: make_id("v", random_u64()),
            series_id: series_id.to_string(),
            frame_id: frame_id.to_string(),
            rev: 1,
            parent: origin.parent.clone(),
            group: Some(group.clone()),
            kind: origin.kind,
            image: ImageRef {
                hash: hash.clone(),
                width: image.checked.width,
                height: image.checked.height,
                mime: image.checked.mime.to_string(),
                bytes: image.blob.size() as u64,
            },
            created_ms: now_ms(),
            request: sent.clone(),
            instruction: origin.instruction.clone(),
            locale: origin.locale.clone(),
            usage: made.usage.clone(),
            request_cost_usd: made.request_cost,
            cost_usd: made.request_cost.map(|_| total / count as f64),
            request_id: made.request_id.clone(),
            anchor_image: anchor_image.clone(),
            maybe_billed_attempts: made.maybe_billed_attempts,
        });
        stored.push((hash, image.blob, thumb));
    }
    let arrival = Arrival {
        frame_id: frame_id.to_string(),
        versions,
        images: stored,
        pointer: origin.pointer,
    };
    let saved = edit::arrived(state, store, arrival).await;
    state.runs.update(|r| {
        r.remove(job_id);
    });
    match saved {
        Ok(()) => Outcome::Done { cost_usd: total },
        // The frame was deleted while its image was being made.
        Err(ArrivalError::FrameGone) => Outcome::Cancelled {
            may_be_billed: true,
        },
        Err(ArrivalError::NotSaved(message)) => Outcome::Failed {
            reason: message,
            may_be_billed: true,
            fatal_for_batch: true,
        },
    }
}
