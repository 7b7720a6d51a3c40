//! What the batch tells its driver and the progress bar: states, counters, money.

use super::types::{Job, JobState, Progress};
use super::{to_usd, Batch};

impl Batch {
    /// The state of one job, `None` for an unknown id.
    pub fn state(&self, id: &str) -> Option<&JobState> {
        self.index.get(id).map(|&i| &self.entries[i].state)
    }

    /// All job states in plan order.
    pub fn states(&self) -> impl Iterator<Item = (&str, &JobState)> {
        self.entries.iter().map(|e| (e.job.id.as_str(), &e.state))
    }

    /// The job with this id, `None` for an unknown id.
    pub fn job(&self, id: &str) -> Option<&Job> {
        self.index.get(id).map(|&i| &self.entries[i].job)
    }

    /// True when every job is terminal (Done, Failed, Cancelled, Skipped).
    pub fn is_finished(&self) -> bool {
        self.entries.iter().all(|e| e.state.is_terminal())
    }

    /// True after a batch-fatal failure until `retry_failed(true)`.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// True after [`Batch::cancel_all`].
    pub fn is_cancelled(&self) -> bool {
        self.cancelled_all
    }

    /// Counters for the progress bar.
    pub fn progress(&self) -> Progress {
        let mut p = Progress {
            total: self.entries.len(),
            done: 0,
            failed: 0,
            cancelled: 0,
            skipped: 0,
            running: 0,
            waiting: 0,
            queued: 0,
            spent_usd: self.spent_usd(),
            maybe_billed_usd: self.maybe_billed_usd(),
            estimate_remaining_usd: 0.0,
            concurrency_limit: self.limit,
        };
        let mut remaining = 0u64;
        for e in &self.entries {
            let counter = match e.state {
                JobState::Queued => &mut p.queued,
                JobState::WaitingForDependency => &mut p.waiting,
                JobState::Running => &mut p.running,
                JobState::Done { .. } => &mut p.done,
                JobState::Failed { .. } => &mut p.failed,
                JobState::Cancelled { .. } => &mut p.cancelled,
                JobState::Skipped { .. } => &mut p.skipped,
            };
            *counter += 1;
            if !e.state.is_terminal() {
                remaining = remaining.saturating_add(e.estimate);
            }
        }
        p.estimate_remaining_usd = to_usd(remaining);
        p
    }

    /// The current AIMD concurrency limit (1 ..= `max_concurrency`).
    pub fn concurrency_limit(&self) -> usize {
        self.limit
    }

    /// The user's maximum concurrency.
    pub fn max_concurrency(&self) -> usize {
        self.max_concurrency
    }

    /// Sum of reported actual costs, in US dollars.
    pub fn spent_usd(&self) -> f64 {
        to_usd(self.spent)
    }

    /// Sum of estimates of failed/cancelled requests that may have been billed.
    pub fn maybe_billed_usd(&self) -> f64 {
        to_usd(self.maybe_billed)
    }

    /// The budget cap, if any (at micro-dollar resolution).
    pub fn budget_usd(&self) -> Option<f64> {
        self.budget.map(to_usd)
    }
}
