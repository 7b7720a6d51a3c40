//! Attempts inside a running job: the gate before each one ([`Batch::begin_attempt`]), how
//! each ended ([`Batch::end_attempt`]), and the circuit breaker they feed.
//!
//! The rules:
//! - **Concurrency.** An attempt is sent only while fewer than the current limit are in
//!   flight. A 429 halves the limit (AIMD) and also caps it for the rest of the batch below
//!   the number of attempts that were in flight when it came (the service refused the
//!   last of them), so the limit settles under the service's ceiling instead of probing it
//!   again and again.
//! - **Circuit breaker.** After [`BREAKER_THRESHOLD`] server-side failures in a row (5xx,
//!   timeouts, cut streams, HTML pages; reference §4.3, RTY-07) the batch stops sending: no
//!   new job starts and no retry is sent until [`Batch::resume`]. An answer from the service
//!   (an image, or a refusal of one request) ends the run; rate limits and unreachable servers
//!   neither count nor end it. With every request failing, requests sent stay ≤ the
//!   attempts in flight when it opens + the failures that opened it.
//! - **Budget.** An attempt after one that may have been billed may cost again: it is sent
//!   only if the spend so far, what may have been billed (now including that attempt) and
//!   the reservations of running jobs stay within the cap.

use super::types::{AttemptEnd, Gate, Hold, JobState, StopCause};
use super::{Batch, BREAKER_THRESHOLD};

/// Where a running job's attempts stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Started; no attempt sent yet (or the driver does not report attempts).
    Preparing,
    /// An attempt is in flight.
    Sending,
    /// The last attempt ended; the job may retry.
    Backoff {
        /// The last attempt may have been billed and is not yet committed to the batch's
        /// maybe-billed sum (it is at the next attempt, or when the job ends).
        billed_pending: bool,
    },
}

/// The run of consecutive server-side failures, and whether it opened the breaker.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Breaker {
    /// Server-side failures in a row.
    failures: u32,
    /// When the first of them happened (the driver's clock).
    since_ms: Option<u64>,
    /// Open: (since, failures) at opening, failures growing while attempts in flight fail.
    open: Option<(u64, u32)>,
}

impl Breaker {
    pub(super) fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// A server-side failure at `now_ms`.
    fn failed(&mut self, now_ms: u64) {
        self.failures = self.failures.saturating_add(1);
        let since = *self.since_ms.get_or_insert(now_ms);
        match &mut self.open {
            Some((_, failures)) => *failures = failures.saturating_add(1),
            None if self.failures >= BREAKER_THRESHOLD => {
                self.open = Some((since, self.failures));
            }
            None => {}
        }
    }

    /// The service answered: the run of failures ends (an open breaker stays open).
    pub(super) fn answered(&mut self) {
        self.failures = 0;
        self.since_ms = None;
    }

    /// Closes the breaker and forgets the run.
    pub(super) fn reset(&mut self) {
        *self = Breaker::default();
    }
}

impl Batch {
    /// Asks whether running job `id` may send an attempt now (its first, or a retry).
    ///
    /// [`Gate::Go`] marks the attempt in flight; report its end with [`Batch::end_attempt`]
    /// (or, for a successful answer, [`Batch::release_slot`]). [`Gate::Wait`]: ask again
    /// shortly (the limit is reached, or the budget is reserved by attempts in flight).
    /// [`Gate::Hold`]: do not send; a job held before its first attempt reports
    /// [`Outcome::NotSent`](super::Outcome::NotSent) and goes back to the queue, a job held
    /// before a retry reports its last failure.
    pub fn begin_attempt(&mut self, id: &str) -> Gate {
        let Some(&i) = self.index.get(id) else {
            return Gate::Hold(Hold::Cancelled);
        };
        if self.entries[i].state != JobState::Running || self.cancelled_all {
            return Gate::Hold(Hold::Cancelled);
        }
        if self.stopped {
            return Gate::Hold(Hold::Stopped);
        }
        if let Some((since_ms, failures)) = self.breaker.open {
            return Gate::Hold(Hold::ServiceFailing { since_ms, failures });
        }
        let estimate = self.entries[i].estimate;
        let pending = match self.entries[i].phase {
            Phase::Backoff { billed_pending } => billed_pending,
            Phase::Preparing | Phase::Sending => false,
        };
        if let (Some(cap), true) = (self.budget, pending) {
            // The attempt that may have been billed, then this one (already reserved).
            let committed = self
                .spent
                .saturating_add(self.maybe_billed)
                .saturating_add(estimate);
            if committed.saturating_add(estimate) > cap {
                return Gate::Hold(Hold::Budget);
            }
            let reserved = self
                .entries
                .iter()
                .filter(|e| e.state == JobState::Running)
                .fold(0u64, |sum, e| sum.saturating_add(e.estimate));
            if committed.saturating_add(reserved) > cap {
                return Gate::Wait;
            }
        }
        let in_flight = self
            .entries
            .iter()
            .enumerate()
            .filter(|(j, e)| *j != i && e.state == JobState::Running && e.phase == Phase::Sending)
            .count();
        if in_flight >= self.limit {
            return Gate::Wait;
        }
        if pending {
            self.maybe_billed = self.maybe_billed.saturating_add(estimate);
        }
        self.entries[i].phase = Phase::Sending;
        Gate::Go
    }

    /// Reports how an attempt of running job `id` ended without an image, at `now_ms` (the
    /// driver's clock, for "failing since"). Feeds the breaker, the AIMD limit and the
    /// maybe-billed sum. Ignored for jobs that are not running.
    pub fn end_attempt(&mut self, id: &str, end: AttemptEnd, now_ms: u64) {
        let Some(&i) = self.index.get(id) else {
            return;
        };
        if self.entries[i].state != JobState::Running {
            return;
        }
        let phase = self.entries[i].phase;
        if phase
            == (Phase::Backoff {
                billed_pending: true,
            })
        {
            // Two ends without a new attempt between them: keep the first one counted.
            self.maybe_billed = self.maybe_billed.saturating_add(self.entries[i].estimate);
        }
        match end {
            AttemptEnd::Answered { .. } => self.breaker.answered(),
            AttemptEnd::ServerFailed { .. } => {
                self.breaker.failed(now_ms);
                self.streak = 0;
            }
            AttemptEnd::RateLimited => {
                // The service refused the newest of the attempts in flight (this one included).
                let in_flight = self
                    .entries
                    .iter()
                    .enumerate()
                    .filter(|(j, e)| {
                        e.state == JobState::Running && (*j == i || e.phase == Phase::Sending)
                    })
                    .count();
                self.ceiling = self.ceiling.min(in_flight.saturating_sub(1).max(1));
                self.rate_limited();
            }
            AttemptEnd::Other { .. } => {}
        }
        self.entries[i].phase = Phase::Backoff {
            billed_pending: end.may_be_billed(),
        };
    }

    /// Closes an open circuit breaker (the user asked to resume); the next
    /// [`Batch::start_next`] starts jobs again. Returns whether it was open.
    pub fn resume(&mut self) -> bool {
        let was_open = self.breaker.is_open();
        self.breaker.reset();
        was_open
    }

    /// True while the circuit breaker is open (nothing is sent until [`Batch::resume`]).
    pub fn is_paused(&self) -> bool {
        self.breaker.is_open()
    }

    /// Why the batch stopped sending, if it did: a failure that affects every request
    /// (first), or the open circuit breaker.
    pub fn stop_cause(&self) -> Option<StopCause> {
        if let (true, Some((job, reason))) = (self.stopped, &self.fatal) {
            return Some(StopCause::Fatal {
                job: job.clone(),
                reason: reason.clone(),
            });
        }
        self.breaker
            .open
            .map(|(since_ms, failures)| StopCause::ServiceFailing { since_ms, failures })
    }

    /// The highest the concurrency limit may grow again, after rate limits.
    pub fn concurrency_ceiling(&self) -> usize {
        self.ceiling
    }
}
