//! Batch scheduler: decides which generation requests of a series may start now.
//!
//! A series is a plan of [`Job`]s, some of which depend on an *anchor* (e.g. storyboard panel
//! 1 is generated first and the other panels are generated from it). The browser driver asks
//! [`Batch::start_next`] what to send, performs the requests and reports each [`Outcome`].
//!
//! The scheduler is a deterministic state machine without clock or I/O so that its rules
//! (concurrency with AIMD, dependencies, cost cap, batch-fatal stop, the circuit breaker,
//! cancellation, retry) can be property-tested natively. Policy: reference
//! `security-reliability.md` §4.3 and §4.4.
//!
//! Drivers that retry inside a job also report each attempt: they ask
//! [`Batch::begin_attempt`] before sending one and report how it ended with
//! [`Batch::end_attempt`]. That is what lets the batch keep requests in flight within the
//! concurrency limit (a rate-limited job waits for a slot before its retry), stop every
//! retry once the circuit breaker opens, and keep a retry after a possibly billed attempt
//! within the budget.

use std::collections::HashMap;

#[cfg(test)]
mod attempt_tests;
mod attempts;
#[cfg(test)]
mod proptests;
mod sim;
#[cfg(test)]
mod tests;
mod types;
mod view;

use attempts::{Breaker, Phase};
pub use sim::{ideal_makespan_units, simulate_makespan};
pub use types::{
    AttemptEnd, CancelEffect, Gate, Hold, Job, JobState, Outcome, PlanError, Progress, SkipReason,
    StopCause,
};

/// Consecutive successes after which the concurrency limit grows by one (reference §4.3).
pub const DEFAULT_GROW_AFTER: u32 = 5;

/// Server-side failures in a row (5xx, timeouts, cut streams) after which the batch stops
/// sending until the user resumes it: the circuit breaker of reference §4.3 (RTY-07).
pub const BREAKER_THRESHOLD: u32 = 5;

#[derive(Debug, Clone)]
struct Entry {
    job: Job,
    dep: Option<usize>,
    estimate: u64,
    state: JobState,
    /// A running job whose request has been answered (the driver is only storing the result):
    /// it no longer occupies a concurrency slot, but its outcome and cost are still pending.
    released: bool,
    /// Where a running job's attempts stand (drivers that report attempts).
    phase: Phase,
}

/// The state machine of one batch; see the module documentation.
#[derive(Debug, Clone)]
pub struct Batch {
    entries: Vec<Entry>,
    index: HashMap<String, usize>,
    /// Dependencies before dependents, so one pass propagates along chains.
    topo: Vec<usize>,
    max_concurrency: usize,
    limit: usize,
    grow_after: u32,
    streak: u32,
    budget: Option<u64>,
    spent: u64,
    maybe_billed: u64,
    stopped: bool,
    /// The job and reason of the failure that stopped the batch.
    fatal: Option<(String, String)>,
    cancelled_all: bool,
    /// The most attempts the service took at once without a rate limit, as far as we know:
    /// the concurrency limit never grows past it again.
    ceiling: usize,
    breaker: Breaker,
}

// Money is tracked in integer micro-dollars (see `cost::to_micros`), so that sums of
// estimates such as `0.1 + 0.2` compare exactly against a cap of `0.3`.
use crate::cost::{from_micros as to_usd, to_micros};

fn valid_amount(usd: f64) -> bool {
    usd.is_finite() && usd >= 0.0
}

impl Batch {
    /// Validates and creates a batch.
    ///
    /// `max_concurrency` 0 is treated as 1. Refuses an empty plan, invalid estimates or budget,
    /// duplicate ids, unknown dependencies, cycles, and a plan whose total estimate exceeds
    /// `budget_usd` (when `Some`). Amounts are compared at micro-dollar resolution.
    pub fn new(
        jobs: Vec<Job>,
        max_concurrency: usize,
        budget_usd: Option<f64>,
    ) -> Result<Batch, PlanError> {
        if jobs.is_empty() {
            return Err(PlanError::Empty);
        }
        if let Some(job) = jobs.iter().find(|j| !valid_amount(j.estimate_usd)) {
            return Err(PlanError::InvalidEstimate(job.id.clone()));
        }
        if budget_usd.is_some_and(|b| !valid_amount(b)) {
            return Err(PlanError::InvalidBudget);
        }
        let mut index = HashMap::with_capacity(jobs.len());
        for (i, job) in jobs.iter().enumerate() {
            if index.insert(job.id.clone(), i).is_some() {
                return Err(PlanError::DuplicateId(job.id.clone()));
            }
        }
        let mut entries = Vec::with_capacity(jobs.len());
        for job in jobs {
            let dep = match &job.after {
                None => None,
                Some(d) => Some(
                    *index
                        .get(d)
                        .ok_or_else(|| PlanError::UnknownDependency(d.clone()))?,
                ),
            };
            let estimate = to_micros(job.estimate_usd);
            entries.push(Entry {
                job,
                dep,
                estimate,
                state: JobState::Queued,
                released: false,
                phase: Phase::Preparing,
            });
        }
        let topo = topological_order(&entries).ok_or(PlanError::DependencyCycle)?;
        let total = entries
            .iter()
            .fold(0u64, |acc, e| acc.saturating_add(e.estimate));
        let budget = budget_usd.map(to_micros);
        if let (Some(cap), Some(budget_usd)) = (budget, budget_usd) {
            if total > cap {
                return Err(PlanError::OverBudget {
                    estimate_usd: to_usd(total),
                    budget_usd,
                });
            }
        }
        let max_concurrency = max_concurrency.max(1);
        let mut batch = Batch {
            entries,
            index,
            topo,
            max_concurrency,
            limit: max_concurrency,
            grow_after: DEFAULT_GROW_AFTER,
            streak: 0,
            budget,
            spent: 0,
            maybe_billed: 0,
            stopped: false,
            fatal: None,
            cancelled_all: false,
            ceiling: max_concurrency,
            breaker: Breaker::default(),
        };
        batch.refresh();
        Ok(batch)
    }

    /// Sets how many consecutive successes raise the concurrency limit by one (min 1).
    pub fn with_grow_after(mut self, successes: u32) -> Self {
        self.grow_after = successes.max(1);
        self
    }

    /// The jobs that may start now, in plan order; they become `Running`.
    ///
    /// Never lets `Running` exceed the current limit and never starts a job whose dependency
    /// is not `Done`. A job starts only if spent + maybe-billed + estimates of running jobs +
    /// its estimate ≤ budget. A job that could not fit even once all running jobs settled at
    /// zero cost becomes `Skipped { BudgetExhausted }`; one that only lacks room because of
    /// in-flight reservations stays `Queued` (their actual cost may come in lower). Returns
    /// nothing after a batch-fatal failure, while the circuit breaker is open, or after
    /// [`Batch::cancel_all`].
    pub fn start_next(&mut self) -> Vec<String> {
        self.refresh();
        let mut started = Vec::new();
        if self.stopped || self.cancelled_all || self.breaker.is_open() {
            return started;
        }
        let mut running = 0usize;
        let mut reserved = 0u64;
        for e in self.entries.iter().filter(|e| e.state == JobState::Running) {
            running += usize::from(!e.released);
            reserved = reserved.saturating_add(e.estimate);
        }
        let committed = self.spent.saturating_add(self.maybe_billed);
        for e in &mut self.entries {
            if e.state != JobState::Queued {
                continue;
            }
            if let Some(cap) = self.budget {
                // Spending only grows, so a job that does not fit now never will.
                if committed.saturating_add(e.estimate) > cap {
                    e.state = JobState::Skipped {
                        reason: SkipReason::BudgetExhausted,
                    };
                    continue;
                }
                let need = committed
                    .saturating_add(reserved)
                    .saturating_add(e.estimate);
                if need > cap {
                    continue;
                }
            }
            if running >= self.limit {
                continue;
            }
            e.state = JobState::Running;
            e.released = false;
            e.phase = Phase::Preparing;
            running += 1;
            reserved = reserved.saturating_add(e.estimate);
            started.push(e.job.id.clone());
        }
        // Budget skips above must cascade to their dependents.
        self.refresh();
        started
    }

    /// Reports the outcome of a `Running` job; ignored for any other job (e.g. a late report
    /// after the job was cancelled, or an unknown id).
    ///
    /// A failed or cancelled job that may have been billed keeps its estimate committed (its
    /// actual cost is unknown). When the driver reported attempts, attempts billed before a
    /// retry were committed at that retry, so only the last one is added here.
    pub fn report(&mut self, id: &str, outcome: Outcome) {
        let Some(&i) = self.index.get(id) else {
            return;
        };
        if self.entries[i].state != JobState::Running {
            return;
        }
        let estimate = self.entries[i].estimate;
        // Whether the last attempt may have been billed and is not yet committed: an answered
        // request was; after a reported attempt the batch knows; otherwise the driver says.
        let (phase, released) = (self.entries[i].phase, self.entries[i].released);
        let last_billed = |may_be_billed: bool| match phase {
            _ if released => true,
            Phase::Backoff { billed_pending } => billed_pending,
            Phase::Preparing | Phase::Sending => may_be_billed,
        };
        self.entries[i].state = match outcome {
            Outcome::Done { cost_usd } => {
                let cost = if valid_amount(cost_usd) {
                    cost_usd
                } else {
                    0.0
                };
                self.spent = self.spent.saturating_add(to_micros(cost));
                self.breaker.answered();
                self.note_success();
                JobState::Done { cost_usd: cost }
            }
            Outcome::Failed {
                reason,
                may_be_billed,
                fatal_for_batch,
            } => {
                if last_billed(may_be_billed) {
                    // Unknown actual cost: keep the estimate committed so the cap stays safe.
                    self.maybe_billed = self.maybe_billed.saturating_add(estimate);
                }
                if fatal_for_batch {
                    self.stopped = true;
                    if self.fatal.is_none() {
                        self.fatal = Some((id.to_string(), reason.clone()));
                    }
                }
                // A failure interrupts the run of consecutive successes.
                self.streak = 0;
                JobState::Failed {
                    reason,
                    may_be_billed,
                }
            }
            Outcome::Cancelled { may_be_billed } => {
                if last_billed(may_be_billed) {
                    self.maybe_billed = self.maybe_billed.saturating_add(estimate);
                }
                JobState::Cancelled { may_be_billed }
            }
            Outcome::NotSent if self.cancelled_all => JobState::Cancelled {
                may_be_billed: false,
            },
            Outcome::NotSent => JobState::Queued,
        };
        self.entries[i].phase = Phase::Preparing;
        self.entries[i].released = false;
        self.refresh();
    }

    /// The request of a running job has been answered; the driver is now only storing its
    /// result. The job frees its concurrency slot (the cap counts requests in flight) but stays
    /// `Running` — and keeps its budget reservation — until [`Batch::report`]. Dependents still
    /// wait for `Done`. Ignored for jobs that are not running.
    pub fn release_slot(&mut self, id: &str) {
        if let Some(&i) = self.index.get(id) {
            if self.entries[i].state == JobState::Running {
                self.entries[i].released = true;
                // An answer with the image: the service works.
                self.breaker.answered();
                if self.entries[i].phase == Phase::Sending {
                    self.entries[i].phase = Phase::Backoff {
                        billed_pending: false,
                    };
                }
            }
        }
    }

    /// A request was answered 429 rate-limit (the job itself keeps running/retrying):
    /// multiplicative decrease, halving the current limit (min 1). Drivers that report
    /// attempts use [`Batch::end_attempt`] instead, which also caps the limit.
    pub fn rate_limited(&mut self) {
        self.limit = (self.limit / 2).max(1).min(self.ceiling);
        self.streak = 0;
    }

    /// Cancels one job. Queued/waiting → `Cancelled { may_be_billed: false }` and its
    /// dependents are skipped; running → [`CancelEffect::AbortInFlight`]; otherwise `Noop`.
    pub fn cancel(&mut self, id: &str) -> CancelEffect {
        let Some(&i) = self.index.get(id) else {
            return CancelEffect::Noop;
        };
        match self.entries[i].state {
            JobState::Queued | JobState::WaitingForDependency => {
                self.entries[i].state = JobState::Cancelled {
                    may_be_billed: false,
                };
                self.refresh();
                CancelEffect::Cancelled
            }
            JobState::Running => CancelEffect::AbortInFlight,
            _ => CancelEffect::Noop,
        }
    }

    /// Cancels everything: every not-started job becomes `Cancelled`, and the ids of running
    /// jobs (to abort) are returned in plan order. Final: nothing starts afterwards, not even
    /// after [`Batch::retry_failed`]; resume with a new batch.
    pub fn cancel_all(&mut self) -> Vec<String> {
        self.cancelled_all = true;
        let mut running = Vec::new();
        for e in &mut self.entries {
            match e.state {
                JobState::Queued | JobState::WaitingForDependency => {
                    e.state = JobState::Cancelled {
                        may_be_billed: false,
                    };
                }
                JobState::Running => running.push(e.job.id.clone()),
                _ => {}
            }
        }
        running
    }

    /// Puts failed, cancelled and dependency-skipped jobs back to `Queued` (or
    /// `WaitingForDependency`) and returns how many were re-queued.
    ///
    /// With `clear_stop` the batch-fatal stop and an open circuit breaker are lifted and `BatchStopped`/`BudgetExhausted`
    /// skips are retried too (budget skips only start if [`Batch::set_budget`] made room).
    /// Without it a stopped batch stays stopped and nothing is re-queued. Does nothing after
    /// [`Batch::cancel_all`]. Money already spent or maybe billed stays counted.
    pub fn retry_failed(&mut self, clear_stop: bool) -> usize {
        if self.cancelled_all || (self.stopped && !clear_stop) {
            return 0;
        }
        if clear_stop {
            self.stopped = false;
            self.fatal = None;
            self.breaker.reset();
        }
        let mut retried = Vec::new();
        for (i, e) in self.entries.iter_mut().enumerate() {
            let retry = match &e.state {
                JobState::Failed { .. } | JobState::Cancelled { .. } => true,
                JobState::Skipped { reason } => {
                    clear_stop || *reason == SkipReason::DependencyFailed
                }
                _ => false,
            };
            if retry {
                e.state = JobState::Queued;
                retried.push(i);
            }
        }
        // Dependents of jobs that stay terminal are skipped again; they don't count.
        self.refresh();
        retried
            .into_iter()
            .filter(|&i| !self.entries[i].state.is_terminal())
            .count()
    }

    /// Changes the budget cap (e.g. the user raised it before "retry").
    pub fn set_budget(&mut self, budget_usd: Option<f64>) -> Result<(), PlanError> {
        if budget_usd.is_some_and(|b| !valid_amount(b)) {
            return Err(PlanError::InvalidBudget);
        }
        self.budget = budget_usd.map(to_micros);
        Ok(())
    }

    fn note_success(&mut self) {
        self.streak += 1;
        if self.streak >= self.grow_after {
            self.streak = 0;
            self.limit = (self.limit + 1).min(self.max_concurrency).min(self.ceiling);
        }
    }

    /// Recomputes Queued/Waiting/Skipped for every job that has not started.
    fn refresh(&mut self) {
        for k in 0..self.topo.len() {
            let i = self.topo[k];
            if !matches!(
                self.entries[i].state,
                JobState::Queued | JobState::WaitingForDependency
            ) {
                continue;
            }
            let next = match self.entries[i].dep.map(|d| &self.entries[d].state) {
                None | Some(JobState::Done { .. }) => JobState::Queued,
                Some(s) if s.is_terminal() => JobState::Skipped {
                    reason: SkipReason::DependencyFailed,
                },
                Some(_) => JobState::WaitingForDependency,
            };
            self.entries[i].state = match next {
                JobState::Queued | JobState::WaitingForDependency if self.stopped => {
                    JobState::Skipped {
                        reason: SkipReason::BatchStopped,
                    }
                }
                other => other,
            };
        }
    }
}

/// Kahn's algorithm over the single-parent dependency graph; `None` if there is a cycle.
fn topological_order(entries: &[Entry]) -> Option<Vec<usize>> {
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); entries.len()];
    let mut order: Vec<usize> = Vec::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        match e.dep {
            Some(d) => children[d].push(i),
            None => order.push(i),
        }
    }
    let mut k = 0;
    while k < order.len() {
        order.extend_from_slice(&children[order[k]]);
        k += 1;
    }
    // Jobs on a cycle are never reached from a root.
    (order.len() == entries.len()).then_some(order)
}
