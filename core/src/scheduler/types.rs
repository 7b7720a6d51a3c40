//! The vocabulary of the scheduler: plans, job states, outcomes and errors.

use crate::failure::{Classification, FailureClass, Reason};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One request to make.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Unique id within the batch (e.g. the frame id).
    pub id: String,
    /// Id of a job that must be `Done` before this one may start (the anchor).
    pub after: Option<String>,
    /// Preflight cost estimate in US dollars; finite and ≥ 0.
    pub estimate_usd: f64,
}

/// Where a job stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum JobState {
    /// Ready: no dependency, or its dependency is `Done`; starts when a slot is free.
    Queued,
    /// Its dependency is not `Done` yet ("waiting for anchor").
    WaitingForDependency,
    /// Handed to the driver; an outcome is expected.
    Running,
    /// Finished successfully at the reported cost.
    Done {
        /// Actual cost as reported by the driver.
        cost_usd: f64,
    },
    /// Finished with an error.
    Failed {
        /// Human-readable reason supplied by the driver.
        reason: String,
        /// The request may have been processed (and billed) upstream.
        may_be_billed: bool,
    },
    /// Cancelled by the user.
    Cancelled {
        /// True when the request had already been sent (aborting does not refund).
        may_be_billed: bool,
    },
    /// Never sent.
    Skipped {
        /// Why it was not sent.
        reason: SkipReason,
    },
}

impl JobState {
    /// True for `Done`, `Failed`, `Cancelled` and `Skipped`.
    pub fn is_terminal(&self) -> bool {
        !matches!(
            self,
            JobState::Queued | JobState::WaitingForDependency | JobState::Running
        )
    }
}

/// Why a job was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SkipReason {
    /// Its dependency failed, was cancelled or was skipped.
    DependencyFailed,
    /// Starting it could make the batch cost cross the budget.
    BudgetExhausted,
    /// A batch-fatal error (e.g. insufficient quota, bad key) stopped the batch.
    BatchStopped,
}

/// What the driver observed for a running job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    /// Success at the given actual cost.
    Done {
        /// Actual cost in US dollars (negative or NaN is treated as 0).
        cost_usd: f64,
    },
    /// Failure after the driver's own retries.
    Failed {
        /// Human-readable reason.
        reason: String,
        /// The request may have been processed (and billed) upstream.
        may_be_billed: bool,
        /// The error affects every request (401, 403, 404 model, `insufficient_quota`).
        fatal_for_batch: bool,
    },
    /// The driver aborted the request after [`CancelEffect::AbortInFlight`].
    Cancelled {
        /// Normally true: an aborted request may still be billed.
        may_be_billed: bool,
    },
    /// Nothing was sent after all: [`Batch::begin_attempt`](super::Batch::begin_attempt) held
    /// the job's first attempt (the breaker opened or the batch stopped meanwhile). The job
    /// goes back to the queue.
    NotSent,
}

/// How one attempt of a running job ended, as far as the batch is concerned (the driver
/// reports every attempt, retries included, with [`Batch::end_attempt`](super::Batch::end_attempt)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttemptEnd {
    /// The service answered as a working service does, but the answer was a refusal of this
    /// request (invalid, moderation). It breaks a run of server-side failures.
    Answered {
        /// The attempt may have been billed (an output-stage moderation block).
        may_be_billed: bool,
    },
    /// A server-side failure: 5xx, a timeout after sending, a cut stream, an HTML page or a
    /// broken body. Counts towards the circuit breaker.
    ServerFailed {
        /// The attempt may have been billed (normally true).
        may_be_billed: bool,
    },
    /// 429 rate limit: the batch slows down.
    RateLimited,
    /// Anything else (not sent, cancelled, fatal for the batch): neither counts towards the
    /// breaker nor breaks a run of failures.
    Other {
        /// The attempt may have been billed.
        may_be_billed: bool,
    },
}

impl AttemptEnd {
    /// What a failed attempt classified as `c` means for the batch.
    pub fn of(c: &Classification) -> AttemptEnd {
        let may_be_billed = c.may_be_billed;
        match c.class {
            FailureClass::MaybeProcessed => AttemptEnd::ServerFailed { may_be_billed },
            FailureClass::NotProcessed if c.reason == Reason::RateLimited => {
                AttemptEnd::RateLimited
            }
            FailureClass::FatalForFrame => AttemptEnd::Answered { may_be_billed },
            FailureClass::NotProcessed | FailureClass::FatalForBatch | FailureClass::Cancelled => {
                AttemptEnd::Other { may_be_billed }
            }
        }
    }

    /// Whether the attempt may have been billed.
    pub fn may_be_billed(&self) -> bool {
        match *self {
            AttemptEnd::Answered { may_be_billed }
            | AttemptEnd::ServerFailed { may_be_billed }
            | AttemptEnd::Other { may_be_billed } => may_be_billed,
            AttemptEnd::RateLimited => false,
        }
    }
}

/// The batch's answer before an attempt is sent ([`Batch::begin_attempt`](super::Batch::begin_attempt)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Send it now.
    Go,
    /// Not now: the concurrency limit is reached, or the budget is reserved by requests in
    /// flight whose cost may come in lower. Ask again shortly.
    Wait,
    /// Do not send it.
    Hold(Hold),
}

/// Why [`Gate::Hold`] refused an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// The batch or this job was cancelled.
    Cancelled,
    /// An error that affects every request stopped the batch.
    Stopped,
    /// The circuit breaker is open: the service failed `failures` times in a row, the first
    /// at `since_ms` (the driver's clock).
    ServiceFailing {
        /// When the first failure of the run happened (ms, the driver's clock).
        since_ms: u64,
        /// Server-side failures in a row.
        failures: u32,
    },
    /// Another attempt after one that may have been billed could cross the budget.
    Budget,
}

impl Hold {
    /// Why a retry was not sent, in words (a sentence shown after the failure's own message;
    /// a first attempt that is held is not a failure: the job goes back to the queue).
    pub fn message(&self) -> String {
        match self {
            Hold::Cancelled => "It was not retried: the batch was cancelled.".into(),
            Hold::Stopped => {
                "It was not retried: the batch stopped after an error that affects every frame."
                    .into()
            }
            Hold::ServiceFailing { failures, .. } => format!(
                "It was not retried: the image service failed {failures} times in a row, so the batch is paused until you resume it."
            ),
            Hold::Budget => {
                "It was not retried: another attempt could cross the series budget.".into()
            }
        }
    }
}

/// Why the batch stopped sending ([`Batch::stop_cause`](super::Batch::stop_cause)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopCause {
    /// A failure that affects every request (key, access, model, billing, storage).
    Fatal {
        /// The job that met it.
        job: String,
        /// Its reason, as the driver reported it.
        reason: String,
    },
    /// The circuit breaker opened; nothing is sent until [`Batch::resume`](super::Batch::resume).
    ServiceFailing {
        /// When the first failure of the run happened (ms, the driver's clock).
        since_ms: u64,
        /// Server-side failures in a row (including any that arrived after it opened).
        failures: u32,
    },
}

/// Why a plan was refused by [`Batch::new`](super::Batch::new).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PlanError {
    /// The total estimate exceeds the budget.
    OverBudget {
        /// Sum of the job estimates.
        estimate_usd: f64,
        /// The cap that was asked for.
        budget_usd: f64,
    },
    /// A job depends on an id that is not in the plan.
    UnknownDependency(String),
    /// The dependencies form a cycle (including a job depending on itself).
    DependencyCycle,
    /// Two jobs share this id.
    DuplicateId(String),
    /// The plan has no jobs.
    Empty,
    /// This job's estimate is negative, NaN or infinite.
    InvalidEstimate(String),
    /// The budget is negative, NaN or infinite.
    InvalidBudget,
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::OverBudget {
                estimate_usd,
                budget_usd,
            } => write!(
                f,
                "estimated cost ${estimate_usd:.2} exceeds the budget of ${budget_usd:.2}"
            ),
            PlanError::UnknownDependency(id) => write!(f, "depends on unknown frame “{id}”"),
            PlanError::DependencyCycle => f.write_str("the frame dependencies form a cycle"),
            PlanError::DuplicateId(id) => write!(f, "frame id “{id}” is used twice"),
            PlanError::Empty => f.write_str("the batch has no frames"),
            PlanError::InvalidEstimate(id) => write!(f, "frame “{id}” has an invalid estimate"),
            PlanError::InvalidBudget => f.write_str("the budget must be a non-negative amount"),
        }
    }
}

impl std::error::Error for PlanError {}

/// What [`Batch::cancel`](super::Batch::cancel) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelEffect {
    /// The job had not started; it is now `Cancelled { may_be_billed: false }`.
    Cancelled,
    /// The job is running: the driver must abort the fetch and report
    /// `Outcome::Cancelled { may_be_billed: true }`.
    AbortInFlight,
    /// Already terminal or unknown id; nothing changed.
    Noop,
}

/// Counters for the progress bar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Number of jobs in the plan.
    pub total: usize,
    /// Jobs `Done`.
    pub done: usize,
    /// Jobs `Failed`.
    pub failed: usize,
    /// Jobs `Cancelled`.
    pub cancelled: usize,
    /// Jobs `Skipped`.
    pub skipped: usize,
    /// Jobs `Running`.
    pub running: usize,
    /// Jobs `WaitingForDependency`.
    pub waiting: usize,
    /// Jobs `Queued`.
    pub queued: usize,
    /// Sum of reported actual costs.
    pub spent_usd: f64,
    /// Sum of estimates of failed/cancelled requests that may have been billed.
    pub maybe_billed_usd: f64,
    /// Sum of estimates of jobs not yet terminal (queued, waiting, running).
    pub estimate_remaining_usd: f64,
    /// Current AIMD concurrency limit.
    pub concurrency_limit: usize,
}
