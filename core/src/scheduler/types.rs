//! The vocabulary of the scheduler: plans, job states, outcomes and errors.

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
