//! Planning before any money is spent (pure): which frames get a request, which wait for the
//! anchor, what each sends (generation or edit with which reference images) and what it should
//! cost — and the one [`preflight`] every request of a series passes before it is sent: the
//! batch, a single frame's "Generate" or "Regenerate", "Retry failed", and (by their
//! [`RequestKind`]) edits and locale variants. The preflight counts what the series has
//! already spent, so many small requests cannot cross the budget one by one.

mod preflight;
#[cfg(test)]
mod tests;

pub use preflight::{check_budget, preflight, request_blockers, Preflight, Refusal, RequestKind};

use crate::catalogue::{Catalogue, ModelInfo};
use crate::compiler::{compile, CompiledFrame};
use crate::cost::{estimate, input_estimate, Confidence, CostQuery};
use crate::model::size::Size;
use crate::model::Series;
use crate::scheduler::Job;

/// Which frames to (re)generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The whole series ("Generate series").
    All,
    /// Only these frames (one frame's "Generate", "Retry failed").
    Frames(Vec<String>),
    /// The frames made from an old anchor image.
    Stale,
    /// The frames that have no image yet (resuming an interrupted series).
    Missing,
}

/// One planned request.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedRequest {
    /// What it makes: a generation, or (later) an edit or a locale variant of a version.
    pub kind: RequestKind,
    /// The frame it makes.
    pub frame_id: String,
    /// Title for display.
    pub title: String,
    /// Starts only after the anchor frame's new image exists.
    pub waits_for_anchor: bool,
    /// This request makes the anchor.
    pub is_anchor: bool,
    /// What is sent, as compiled now (a request that waits for the anchor is compiled again
    /// when it starts, with the new anchor as image 1).
    pub compiled: CompiledFrame,
    /// Estimated cost in US dollars (all variants).
    pub estimate_usd: f64,
    /// Whether the estimate rests on an assumption.
    pub estimate_assumed: bool,
    /// Problems that block this request (empty when it can be sent).
    pub blockers: Vec<String>,
}

impl PlannedRequest {
    /// Whether it goes to `/v1/images/edits` (it carries reference images).
    pub fn is_edit(&self) -> bool {
        self.waits_for_anchor || !self.compiled.references.is_empty()
    }

    /// How many `image[]` files it will send: its references, plus a new anchor that does
    /// not exist yet when it waits for one.
    pub fn image_count(&self) -> usize {
        self.compiled.references.len()
            + usize::from(self.waits_for_anchor && !self.compiled.uses_anchor)
    }
}

/// A whole plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Requests in the order they are queued (the anchor first).
    pub requests: Vec<PlannedRequest>,
    /// Sum of the estimates.
    pub total_usd: f64,
    /// The series budget, if set.
    pub budget_usd: Option<f64>,
    /// What the series had spent when it was planned.
    pub spent_usd: f64,
    /// The [`preflight`]'s verdict when it was planned.
    pub refused: Option<Refusal>,
}

impl Plan {
    /// A plan of `requests` for `series`, checked by the [`preflight`] (edits and locale
    /// variants build their requests themselves and come in here).
    pub fn new(series: &Series, catalogue: &Catalogue, requests: Vec<PlannedRequest>) -> Plan {
        let checked = preflight(series, catalogue, &requests);
        Plan {
            total_usd: requests.iter().map(|r| r.estimate_usd).sum(),
            budget_usd: series.budget_usd,
            spent_usd: series.spent_usd(),
            refused: checked.err(),
            requests,
        }
    }

    /// Why the plan cannot start, if it cannot: nothing to send, over the budget (counting
    /// what the series has already spent), or a request is blocked.
    pub fn refusal(&self) -> Option<String> {
        self.refused.as_ref().map(ToString::to_string)
    }

    /// Jobs for the scheduler: dependents wait for the anchor job.
    pub fn jobs(&self) -> Vec<Job> {
        let anchor = self
            .requests
            .iter()
            .find(|r| r.is_anchor)
            .map(|r| r.frame_id.clone());
        self.requests
            .iter()
            .map(|r| Job {
                id: r.frame_id.clone(),
                after: if r.waits_for_anchor {
                    anchor.clone()
                } else {
                    None
                },
                estimate_usd: r.estimate_usd,
            })
            .collect()
    }

    /// How many requests wait for the anchor.
    pub fn waiting_for_anchor(&self) -> usize {
        self.requests.iter().filter(|r| r.waits_for_anchor).count()
    }
}

/// The series' model, or the catalogue's default when the series names an unknown one.
pub fn model_of<'a>(series: &Series, catalogue: &'a Catalogue) -> &'a ModelInfo {
    catalogue
        .get(&series.output.model)
        .unwrap_or(catalogue.default_model())
}

/// The estimate of one request of `series` on `model`: its output (`n` variants with
/// `partial_images` previews each) plus its input (prompt text and `images`, e.g. reference
/// images, the version an edit changes). Returns dollars and whether an assumption is in it.
pub fn estimate_request(
    series: &Series,
    model: &ModelInfo,
    prompt_chars: usize,
    images: &[Size],
    partial_images: u32,
) -> (f64, bool) {
    let output = estimate(
        model,
        &CostQuery {
            size: Some(series.output.size),
            quality: &series.output.quality,
            n: u32::from(series.output.variants.clamp(1, 4)),
            partial_images,
        },
    );
    let input = input_estimate(model, prompt_chars, images, !model.input_fidelity);
    (
        output.usd + input.usd,
        output.confidence == Confidence::Assumed || input.confidence == Confidence::Assumed,
    )
}

/// Plans a batch for `series`. `partial_images` is the number of streamed previews per image.
pub fn plan(series: &Series, catalogue: &Catalogue, scope: &Scope, partial_images: u32) -> Plan {
    let anchor_frame = series.anchor_frame_id().map(str::to_string);
    let stale = series.stale_frames();
    let missing = series.missing_frames();
    let wanted = |id: &str| match scope {
        Scope::All => true,
        Scope::Frames(ids) => ids.iter().any(|f| f == id),
        Scope::Stale => stale.iter().any(|f| f == id),
        Scope::Missing => missing.iter().any(|f| f == id),
    };
    // When is the anchor (re)made first? "Generate series" remakes it unless its current
    // image is approved; asking for the anchor frame itself remakes it; otherwise dependents
    // use the current anchor image, and the anchor runs only if there is none yet.
    let others_need_anchor = series
        .frames
        .iter()
        .any(|f| wanted(&f.id) && Some(&f.id) != anchor_frame.as_ref());
    let no_anchor_image = series.anchor_image().is_none();
    let run_anchor = match (&anchor_frame, scope) {
        (None, _) => false,
        (Some(_), Scope::All) => !series.anchor_approved(),
        (Some(a), Scope::Frames(ids)) => ids.contains(a) || (others_need_anchor && no_anchor_image),
        (Some(_), Scope::Stale) => others_need_anchor && no_anchor_image,
        (Some(a), Scope::Missing) => missing.contains(a) || (others_need_anchor && no_anchor_image),
    };
    let model = model_of(series, catalogue);
    let in_batch = crate::batch_run::frames_in_batches(&series.batches);
    let mut requests = Vec::new();
    for (index, frame) in series.frames.iter().enumerate() {
        let is_anchor = anchor_frame.as_deref() == Some(frame.id.as_str());
        let included = if is_anchor {
            run_anchor
        } else {
            wanted(&frame.id)
        };
        if !included {
            continue;
        }
        let compiled = compile(series, index);
        let waits_for_anchor = run_anchor && !is_anchor;
        // Input side: the prompt and every reference image; a not-yet-made anchor will be an
        // image of the series' size.
        let mut images: Vec<Size> = compiled
            .references
            .iter()
            .map(|r| series.image_size(&r.key).unwrap_or(series.output.size))
            .collect();
        if waits_for_anchor && !compiled.uses_anchor {
            images.insert(0, series.output.size);
        }
        let (estimate_usd, estimate_assumed) = estimate_request(
            series,
            model,
            compiled.prompt.chars().count(),
            &images,
            partial_images,
        );
        let mut request = PlannedRequest {
            kind: RequestKind::Generate,
            frame_id: frame.id.clone(),
            title: frame.title.clone(),
            waits_for_anchor,
            is_anchor: is_anchor && run_anchor,
            compiled,
            estimate_usd,
            estimate_assumed,
            blockers: Vec::new(),
        };
        request.blockers = request_blockers(model, &request);
        if in_batch.contains(&frame.id) {
            // Sending it now as well would pay for it twice.
            request.blockers.push(
                "It is waiting for its batch (sent at half price); cancel the batch to make it now."
                    .into(),
            );
        }
        if request.is_anchor {
            requests.insert(0, request);
        } else {
            requests.push(request);
        }
    }
    Plan::new(series, catalogue, requests)
}
