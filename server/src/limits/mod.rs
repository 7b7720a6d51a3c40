//! Per-token counters: request rate, requests in flight and daily spend.
//!
//! In memory by default; in Redis with `--redis-url`, so that several replicas behind a load
//! balancer enforce one limit. Every check-and-update is atomic (a mutex in memory, a Lua
//! script in Redis), so two replicas can never both take the last unit of a limit.
//!
//! Two steps per request: [`Counters::admit`] (rate and concurrency) before the body is read,
//! and [`Counters::reserve`] (budget) once the request has been priced. A reservation charges
//! the estimate at once; [`Charge::settle`] later replaces it with the actual cost from the
//! response's `usage`. A replica that dies in between leaves the estimate charged: the
//! budget errs on the side of spending less.

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

/// The answer of [`Counters::admit`].
#[derive(Debug)]
pub enum Admit {
    /// Go ahead; hold the slot until the response is complete.
    Admitted(Slot),
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
}

/// The answer of [`Counters::reserve`].
#[derive(Debug)]
pub enum Reserve {
    /// The estimate is charged.
    Reserved(Charge),
    /// The estimate does not fit into what is left of the budget today.
    OverBudget {
        /// Micro-USD already charged today.
        spent_micros: u64,
    },
}

impl Counters {
    /// Takes one unit of the token's rate and one of its concurrency, atomically.
    pub async fn admit(
        &self,
        token_id: &str,
        rate: Option<Rate>,
        concurrency: Option<u32>,
    ) -> Result<Admit, CounterError> {
        match self {
            Counters::Memory(m) => Ok(m.admit(self, token_id, rate, concurrency)),
            Counters::Redis(r) => r.admit(self, token_id, rate, concurrency).await,
        }
    }

    /// Charges `estimate_micros` against the token's budget for UTC day `day` unless that
    /// would cross `limit_micros`.
    pub async fn reserve(
        &self,
        token_id: &str,
        day: &str,
        limit_micros: u64,
        estimate_micros: u64,
    ) -> Result<Reserve, CounterError> {
        let spent = match self {
            Counters::Memory(m) => m.reserve(token_id, day, limit_micros, estimate_micros),
            Counters::Redis(r) => {
                r.reserve(token_id, day, limit_micros, estimate_micros)
                    .await?
            }
        };
        Ok(match spent {
            Ok(()) => Reserve::Reserved(Charge {
                counters: self.clone(),
                token_id: token_id.to_string(),
                day: day.to_string(),
                micros: estimate_micros,
            }),
            Err(spent_micros) => Reserve::OverBudget { spent_micros },
        })
    }
}

/// A unit of concurrency (and, for the log, proof of admission). Released when the response
/// is complete ([`Slot::release`]) or, if it is dropped early, in the background.
#[derive(Debug)]
pub struct Slot {
    counters: Counters,
    token_id: String,
    /// Set when a concurrency unit was taken: the Redis lease member, or "" in memory.
    lease: Option<String>,
}

impl Slot {
    /// Gives the concurrency unit back.
    pub async fn release(mut self) {
        if let Some(lease) = self.lease.take() {
            match &self.counters {
                Counters::Memory(m) => m.release(&self.token_id),
                Counters::Redis(r) => r.release(&self.token_id, &lease).await,
            }
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let Some(lease) = self.lease.take() else {
            return;
        };
        match &self.counters {
            Counters::Memory(m) => m.release(&self.token_id),
            Counters::Redis(r) => {
                // Dropped without `release` (client went away): give the unit back in the
                // background. Without a runtime the lease simply expires.
                if let Ok(handle) = tokio::runtime::Handle::try_current() {
                    let r = Arc::clone(r);
                    let token_id = std::mem::take(&mut self.token_id);
                    handle.spawn(async move { r.release(&token_id, &lease).await });
                }
            }
        }
    }
}

/// An estimate charged against a budget. Dropping it keeps the estimate charged (the request
/// may have been billed); [`Charge::settle`] replaces it with the actual cost.
#[derive(Debug)]
pub struct Charge {
    counters: Counters,
    token_id: String,
    day: String,
    micros: u64,
}

impl Charge {
    /// The charged estimate in micro-USD.
    pub fn micros(&self) -> u64 {
        self.micros
    }

    /// Replaces the estimate with `actual_micros` (0 refunds it). A Redis failure here is
    /// logged and leaves the estimate charged.
    pub async fn settle(self, actual_micros: u64) {
        let delta = actual_micros as i64 - self.micros as i64;
        if delta == 0 {
            return;
        }
        match &self.counters {
            Counters::Memory(m) => m.adjust(&self.token_id, &self.day, delta),
            Counters::Redis(r) => r.adjust(&self.token_id, &self.day, delta).await,
        }
    }
}
