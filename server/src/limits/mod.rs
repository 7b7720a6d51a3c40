//! Per-token counters: request rate, requests in flight and daily spend.
//!
//! In memory by default; in Redis with `--redis-url`, so that several replicas behind a load
//! balancer enforce one limit. One atomic check-and-update admits a request against all three
//! (a mutex in memory, one Lua script in Redis), so two replicas can never both take the last
//! unit of a limit, and a refused request changes nothing.
//!
//! The budget is charged with the request's estimate on admission; [`Ticket::finish`] then
//! replaces it with the actual cost from the response's `usage` and gives the concurrency unit
//! back (one more round trip). A replica that dies in between leaves the estimate charged (the
//! budget errs on the side of spending less) and its concurrency leases expire.

pub mod memory;
pub mod shared;

use std::sync::Arc;

use crate::tokens::Rate;

/// Where the counters live.
#[derive(Clone)]
pub enum Counters {
    /// This process only.
    Memory(Arc<memory::Memory>),
    /// Redis, shared by every replica that points at it.
    Redis(Arc<shared::RedisCounters>),
}

impl std::fmt::Debug for Counters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Counters::Memory(_) => "Counters::Memory",
            Counters::Redis(_) => "Counters::Redis",
        })
    }
}

impl Default for Counters {
    fn default() -> Self {
        Counters::Memory(Arc::new(memory::Memory::default()))
    }
}

/// The counters could not be read or updated (Redis unreachable): the request is refused,
/// never let through unlimited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterError(pub String);

/// What one request asks of its token's limits.
#[derive(Debug, Clone)]
pub struct Ask<'a> {
    /// The token's counter id.
    pub token_id: &'a str,
    /// Its request rate, if limited.
    pub rate: Option<Rate>,
    /// Its concurrency, if limited.
    pub concurrency: Option<u32>,
    /// Its budget and this request's estimate, if budgeted.
    pub budget: Option<BudgetAsk>,
}

/// The budget part of an [`Ask`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetAsk {
    /// The UTC day the spend counts in (`YYYY-MM-DD`).
    pub day: String,
    /// The budget for that day, micro-USD.
    pub limit_micros: u64,
    /// This request's estimated cost, micro-USD.
    pub estimate_micros: u64,
}

/// The answer of [`Counters::admit`].
#[derive(Debug)]
pub enum Admit {
    /// Go ahead; finish the ticket when the response is complete.
    Admitted(Ticket),
    /// Over the request rate; a request would be admitted again after this many ms.
    RateLimited {
        /// Milliseconds until the next request fits.
        retry_after_ms: u64,
    },
    /// As many requests in flight as allowed.
    Busy {
        /// The concurrency limit.
        limit: u32,
    },
    /// The estimate does not fit into what is left of the budget today.
    OverBudget {
        /// Micro-USD already charged today.
        spent_micros: u64,
    },
}

impl Counters {
    /// Checks the request against every limit of its token and, if it fits, takes one unit
    /// of rate and concurrency and charges the estimate — all or nothing.
    pub async fn admit(&self, ask: &Ask<'_>) -> Result<Admit, CounterError> {
        match self {
            Counters::Memory(m) => Ok(m.admit(self, ask)),
            Counters::Redis(r) => r.admit(self, ask).await,
        }
    }
}

/// An admitted request's hold on its token's counters: a concurrency unit and a charged
/// estimate. Dropping it (the client went away) gives the unit back in the background and
/// keeps the estimate charged, since the request may have been billed.
#[derive(Debug)]
pub struct Ticket {
    counters: Counters,
    token_id: String,
    /// Set when a concurrency unit was taken: the Redis lease member, or "" in memory.
    lease: Option<String>,
    /// The day and micro-USD charged.
    charge: Option<(String, u64)>,
}

impl Ticket {
    /// The charged estimate in micro-USD, if any.
    pub fn charged_micros(&self) -> Option<u64> {
        self.charge.as_ref().map(|(_, micros)| *micros)
    }

    /// Settles the charge to `actual_micros` (0 refunds it; `None` keeps the estimate) and
    /// gives the concurrency unit back. A Redis failure here is logged; the lease expires and
    /// the estimate stays charged.
    pub async fn finish(mut self, actual_micros: Option<u64>) {
        let lease = self.lease.take();
        let delta = match (self.charge.take(), actual_micros) {
            (Some((day, charged)), Some(actual)) if actual != charged => {
                Some((day, actual as i64 - charged as i64))
            }
            _ => None,
        };
        if lease.is_none() && delta.is_none() {
            return;
        }
        match &self.counters {
            Counters::Memory(m) => m.finish(&self.token_id, lease.is_some(), delta),
            Counters::Redis(r) => r.finish(&self.token_id, lease, delta).await,
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let Some(lease) = self.lease.take() else {
            return;
        };
        match &self.counters {
            Counters::Memory(m) => m.finish(&self.token_id, true, None),
            Counters::Redis(r) => {
                // Without a runtime the lease simply expires.
                if let Ok(handle) = tokio::runtime::Handle::try_current() {
                    let r = Arc::clone(r);
                    let token_id = std::mem::take(&mut self.token_id);
                    handle.spawn(async move { r.finish(&token_id, Some(lease), None).await });
                }
            }
        }
    }
}
