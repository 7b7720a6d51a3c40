//! A series' requests sent through the Batch API (reference §18), as the app keeps them with
//! the series: which batch, which request (`custom_id`) makes which frame and what it asked
//! for, and where the batch is. Pure: the app moves the bytes; here the lines are built, the
//! batch's state is followed, and its output and error lines become what lands on each frame
//! (images with their usage at the batch rate, or the reason a line failed or never ran).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalogue::ModelInfo;
use crate::cost::{actual_usd_at, BillingRate};
use crate::model::SentRequest;
use crate::openai::batch::{
    Batch, BatchEndpoint, BatchStatus, ImageRef, LineOutcome, Matched, RequestCounts, RequestLine,
};
use crate::openai::request::ImageRequest;
use crate::openai::types::{ApiError, Usage};

/// One request of a batch: the frame it makes and what it asked for (recorded with the
/// versions it makes, as a live request's are).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchLine {
    /// The line's `custom_id` (unique in its batch).
    pub custom_id: String,
    /// The frame it makes.
    pub frame_id: String,
    /// What it sent (images named by content hash, as on a version).
    pub request: SentRequest,
    /// The anchor image it was made from, if `request.images[0]` is the anchor.
    #[serde(default)]
    pub anchor_image: Option<String>,
}

/// A batch the series is waiting for. Kept in the series record from the moment it exists at
/// the provider until its results have landed on their frames.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchRun {
    /// `batch_…`.
    pub batch_id: String,
    /// Where its lines go.
    pub endpoint: BatchEndpoint,
    /// When it was submitted (ms since the epoch).
    pub submitted_ms: f64,
    /// Its state, as last seen.
    pub status: BatchStatus,
    /// Its progress, as last seen.
    #[serde(default)]
    pub counts: RequestCounts,
    /// Its requests.
    pub lines: Vec<BatchLine>,
    /// The output file, once it is finished.
    #[serde(default)]
    pub output_file_id: Option<String>,
    /// The error file, once it is finished.
    #[serde(default)]
    pub error_file_id: Option<String>,
    /// Why it was refused at validation (status `failed`).
    #[serde(default)]
    pub refusal: Option<String>,
}

impl BatchRun {
    /// A batch just created from `lines`, as the provider answered it.
    pub fn new(
        batch: &Batch,
        endpoint: BatchEndpoint,
        submitted_ms: f64,
        lines: Vec<BatchLine>,
    ) -> Self {
        let mut run = BatchRun {
            batch_id: batch.id.clone(),
            endpoint,
            submitted_ms,
            status: batch.status,
            counts: batch.request_counts,
            lines,
            output_file_id: None,
            error_file_id: None,
            refusal: None,
        };
        run.observe(batch);
        run
    }

    /// Takes in what the provider says of the batch now; returns whether anything changed.
    pub fn observe(&mut self, batch: &Batch) -> bool {
        let before = self.clone();
        self.status = batch.status;
        self.counts = batch.request_counts;
        if self.counts.total == 0 {
            self.counts.total = self.lines.len() as u64;
        }
        self.output_file_id.clone_from(&batch.output_file_id);
        self.error_file_id.clone_from(&batch.error_file_id);
        self.refusal = batch.errors.as_ref().and_then(|errors| {
            let said: Vec<String> = errors
                .data
                .iter()
                .filter_map(|e| e.message.clone())
                .collect();
            (!said.is_empty()).then(|| said.join(" "))
        });
        *self != before
    }

    /// Whether the batch will not change any more (its results can be landed).
    pub fn is_finished(&self) -> bool {
        self.status.is_terminal()
    }

    /// The line of `custom_id`.
    pub fn line(&self, custom_id: &str) -> Option<&BatchLine> {
        self.lines.iter().find(|l| l.custom_id == custom_id)
    }

    /// Every `custom_id` it was sent with.
    pub fn custom_ids(&self) -> Vec<String> {
        self.lines.iter().map(|l| l.custom_id.clone()).collect()
    }

    /// The status line of the series screen: "Batch running · submitted 14:02 · 3 / 11"
    /// (`submitted` is the time of day in the user's zone). A cancel asked for says so.
    pub fn status_words(&self, submitted: &str) -> String {
        let done = self.counts.completed + self.counts.failed;
        let total = self.counts.total.max(self.lines.len() as u64);
        let what = match self.status {
            BatchStatus::Cancelling => "Batch cancelling",
            BatchStatus::Validating => "Batch running (validating)",
            BatchStatus::Finalizing => "Batch running (finishing)",
            BatchStatus::Completed => "Batch finished, storing its images",
            BatchStatus::Expired => "Batch expired, storing what it made",
            BatchStatus::Cancelled => "Batch cancelled, storing what it made",
            BatchStatus::Failed => "Batch refused",
            BatchStatus::InProgress | BatchStatus::Unknown => "Batch running",
        };
        format!("{what} · submitted {submitted} · {done} / {total}")
    }
}

/// The frames waiting for a batch of the series: they are not "missing" (generating them now
/// would pay twice).
pub fn frames_in_batches(runs: &[BatchRun]) -> Vec<String> {
    runs.iter()
        .flat_map(|r| r.lines.iter().map(|l| l.frame_id.clone()))
        .collect()
}

/// The `custom_id` of the request that makes `frame_id` (a frame has one request per batch).
pub fn custom_id_for(frame_id: &str) -> String {
    format!("frame-{frame_id}")
}

/// The batch line of `request`: a generation, or — with `images` (the first the image the edit
/// starts from, e.g. the anchor as a `file_id`) — an edit in the JSON form. A batch never
/// streams.
pub fn request_line(custom_id: &str, request: &ImageRequest, images: &[ImageRef]) -> RequestLine {
    let mut request = request.clone();
    request.stream = false;
    request.partial_images = 0;
    if images.is_empty() {
        let body: Value =
            serde_json::from_str(&request.generation_json()).expect("the request is JSON");
        RequestLine::new(custom_id, BatchEndpoint::Generations, body)
    } else {
        RequestLine::new(
            custom_id,
            BatchEndpoint::Edits,
            request.edit_json(images, None),
        )
    }
}

/// What one line of a finished batch brings to its frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Landing<'a> {
    /// Images: the `ImagesResponse` body (`data[].b64_json`), its usage and cost at the batch
    /// rate, and the request's `x-request-id`.
    Images {
        /// The line.
        line: &'a BatchLine,
        /// The response body.
        body: &'a Value,
        /// Its usage.
        usage: Option<Usage>,
        /// Its cost at the batch rate (`None` without usage).
        cost_usd: Option<f64>,
        /// Its `x-request-id`.
        request_id: Option<String>,
    },
    /// No image: why, in words for the frame. `may_be_billed` when the request ran.
    Failed {
        /// The line.
        line: &'a BatchLine,
        /// What the frame says.
        message: String,
        /// Whether the request ran (an error answer), as opposed to never running.
        ran: bool,
    },
}

/// What each line of the finished batch `run` brings, given its matched output and error
/// files; a line found in neither file failed for that reason.
pub fn landings<'a>(
    run: &'a BatchRun,
    matched: &'a Matched,
    model: &ModelInfo,
) -> Vec<Landing<'a>> {
    run.lines
        .iter()
        .map(|line| match matched.by_custom_id.get(&line.custom_id) {
            None => Landing::Failed {
                line,
                message: not_run_words(run, None),
                ran: false,
            },
            Some(out) => match out.outcome() {
                LineOutcome::Succeeded(body) => {
                    let usage: Option<Usage> = body
                        .get("usage")
                        .and_then(|u| serde_json::from_value(u.clone()).ok());
                    let cost_usd = usage
                        .as_ref()
                        .map(|u| actual_usd_at(model, u, BillingRate::Batch));
                    Landing::Images {
                        line,
                        body,
                        usage,
                        cost_usd,
                        request_id: out
                            .response
                            .as_ref()
                            .map(|r| r.request_id.clone())
                            .filter(|id| !id.is_empty()),
                    }
                }
                LineOutcome::Failed(status, body) => {
                    let said = body
                        .get("error")
                        .and_then(ApiError::from_value)
                        .map(|e| e.message)
                        .filter(|m| !m.is_empty())
                        .unwrap_or_else(|| format!("status {status}"));
                    Landing::Failed {
                        line,
                        message: format!("The batch request failed: {said}"),
                        ran: true,
                    }
                }
                LineOutcome::NotRun(failure) => Landing::Failed {
                    line,
                    message: not_run_words(run, failure.code.as_deref()),
                    ran: false,
                },
            },
        })
        .collect()
}

/// Why a line never ran, from the batch's end and the line's error code.
fn not_run_words(run: &BatchRun, code: Option<&str>) -> String {
    match (run.status, code) {
        (BatchStatus::Failed, _) => format!(
            "Not made: the batch was refused before it ran{}",
            run.refusal
                .as_ref()
                .map_or_else(|| ".".to_string(), |r| format!(": {r}"))
        ),
        (BatchStatus::Expired, _) | (_, Some("batch_expired")) => {
            "Not made: the batch's 24 h window closed before this request ran. Generate it again, now or in a new batch.".into()
        }
        (BatchStatus::Cancelled, _) | (_, Some("batch_cancelled")) => {
            "Not made: the batch was cancelled before this request ran.".into()
        }
        _ => "Not made: the batch finished without an answer for this request.".into(),
    }
}

/// The words for a batch that has ended (shown once its results have landed).
pub fn ended_words(run: &BatchRun, made: usize) -> String {
    let total = run.lines.len();
    let rest = total - made.min(total);
    match run.status {
        BatchStatus::Cancelled => {
            format!("Batch cancelled: {made} of {total} frames made; {rest} not made.")
        }
        BatchStatus::Expired => {
            format!("Batch expired: {made} of {total} frames made; {rest} can be generated again.")
        }
        BatchStatus::Failed => format!("Batch refused: no frame made ({total} requests)."),
        _ if rest == 0 => format!("Batch done: {made} of {total} frames made."),
        _ => format!("Batch done: {made} of {total} frames made; {rest} failed."),
    }
}

#[cfg(test)]
#[path = "batch_run_tests.rs"]
mod tests;
