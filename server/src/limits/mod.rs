//! Per-token counters: request rate, requests in flight and daily spend, plus the server-wide
//! daily spend of `--budget-usd`.
//!
//! In memory by default (written to the state directory, so a restart keeps the day's
//! counters: [`memory`]); in Redis with `--redis-url`, so that several replicas behind a load
//! balancer enforce one limit ([`shared`]).
//!
//! A request goes through two steps, each one atomic check-and-update (a mutex in memory, one
//! Lua script in Redis) that changes nothing when it refuses:
//! 1. [`Counters::admit`], from the request's headers alone: the token's rate and concurrency,
//!    and whether its budget is already used up today;
//! 2. [`Counters::reserve`], once the body has been read and priced: the request's worst-case
//!    cost is added to the day's spend if it fits under the budget, else the request is
//!    refused. Spend therefore counts every request in flight at its worst case, and requests
//!    in flight cannot overspend a budget together.
//!
//! [`Ticket::finish`] settles each reservation to the actual cost from the response's `usage`
//! (one more round trip) and gives the concurrency unit back. A replica that dies in between
//! leaves the reservation charged (the budget errs on the side of spending less) and its
//! concurrency leases expire.

pub mod memory;
pub mod shared;

use std::sync::Arc;

use crate::tokens::Rate;

/// The owner of the server-wide budget's counters (token ids are hex digits, never this).
pub const GLOBAL: &str = "*";

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

/// What one request asks of its token's limits at admission.
#[derive(Debug, Clone)]
pub struct Ask<'a> {
    /// The token's counter id.
    pub token_id: &'a str,
    /// Its request rate, if limited.
    pub rate: Option<Rate>,
    /// Its concurrency, if limited.
    pub concurrency: Option<u32>,
    /// Its budget, if budgeted: a budget already used up refuses at once.
    pub budget: Option<BudgetAsk>,
}

/// A daily budget as the counters see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetAsk {
    /// The UTC day the spend counts in (`YYYY-MM-DD`).
    pub day: String,
    /// The budget for that day, micro-USD.
    pub limit_micros: u64,
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
    /// Nothing is left of the budget today.
    OverBudget {
        /// Micro-USD spent or reserved today.
        spent_micros: u64,
    },
}

/// The answer of [`Counters::reserve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reserve {
    /// Reserved; the ticket settles it.
    Reserved,
    /// The reservation does not fit into what is left today.
    OverBudget {
        /// Micro-USD spent or reserved today.
        spent_micros: u64,
    },
}

impl Counters {
    /// Checks the request against its token's rate, concurrency and used-up budget and, if it
    /// fits, takes one unit of rate and concurrency — all or nothing.
    pub async fn admit(&self, ask: &Ask<'_>) -> Result<Admit, CounterError> {
        match self {
            Counters::Memory(m) => Ok(m.admit(self, ask)),
            Counters::Redis(r) => r.admit(self, ask).await,
        }
    }

    /// Micro-USD spent (or reserved) by `owner` on `day`.
    pub async fn spent(&self, owner: &str, day: &str) -> Result<u64, CounterError> {
        match self {
            Counters::Memory(m) => Ok(m.spent(owner, day)),
            Counters::Redis(r) => r.spent(owner, day).await,
        }
    }

    /// Adds `micros` to `owner`'s spend on `budget.day` if the total stays within the budget;
    /// the ticket then holds the reservation.
    pub async fn reserve(
        &self,
        ticket: &mut Ticket,
        owner: &str,
        budget: &BudgetAsk,
        micros: u64,
    ) -> Result<Reserve, CounterError> {
        let answer = match self {
            Counters::Memory(m) => m.reserve(owner, budget, micros),
            Counters::Redis(r) => r.reserve(owner, budget, micros).await?,
        };
        if answer == Reserve::Reserved {
            ticket.charges.push(Charge {
                owner: owner.to_string(),
                day: budget.day.clone(),
                micros,
            });
        }
        Ok(answer)
    }

    /// Gives back reservations kept past their request (a batch that failed validation was
    /// not billed): each charge's micro-USD leave its owner's spend on its day.
    pub async fn refund(&self, charges: &[Charge]) {
        let deltas: Vec<(String, String, i64)> = charges
            .iter()
            .map(|c| (c.owner.clone(), c.day.clone(), -(c.micros as i64)))
            .collect();
        match self {
            Counters::Memory(m) => m.finish("", false, &deltas),
            Counters::Redis(r) => r.finish("", None, &deltas).await,
        }
    }

    /// Writes in-memory counters to their file now (at shutdown); nothing for Redis.
    pub fn save(&self) -> Result<(), String> {
        match self {
            Counters::Memory(m) => m.save(),
            Counters::Redis(_) => Ok(()),
        }
    }
}

/// One reservation a ticket holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Charge {
    /// A token id or [`GLOBAL`].
    pub owner: String,
    /// The UTC day it counts in.
    pub day: String,
    /// Micro-USD reserved.
    pub micros: u64,
}

/// An admitted request's hold on the counters: a concurrency unit and its reservations.
/// Dropping it (the client went away) gives the unit back in the background and keeps the
/// reservations charged, since the request may have been billed.
#[derive(Debug)]
pub struct Ticket {
    counters: Counters,
    /// The token's counter id ("" for an anonymous request).
    token_id: String,
    /// Set when a concurrency unit was taken: the Redis lease member, or "" in memory.
    lease: Option<String>,
    /// The reservations.
    charges: Vec<Charge>,
}

impl Ticket {
    /// A ticket without a token (an anonymous request), holding only reservations.
    pub fn anonymous(counters: &Counters) -> Self {
        Self {
            counters: counters.clone(),
            token_id: String::new(),
            lease: None,
            charges: Vec::new(),
        }
    }

    /// The reservations held.
    pub fn charges(&self) -> &[Charge] {
        &self.charges
    }

    /// Settles every reservation to `actual_micros` (0 refunds it; `None` keeps it charged)
    /// and gives the concurrency unit back. A Redis failure here is logged; the lease expires
    /// and the reservations stay charged.
    pub async fn finish(mut self, actual_micros: Option<u64>) {
        let lease = self.lease.take();
        let deltas: Vec<(String, String, i64)> = match actual_micros {
            None => Vec::new(),
            Some(actual) => std::mem::take(&mut self.charges)
                .into_iter()
                .filter(|c| c.micros != actual)
                .map(|c| (c.owner, c.day, actual as i64 - c.micros as i64))
                .collect(),
        };
        if lease.is_none() && deltas.is_empty() {
            return;
        }
        match &self.counters {
            Counters::Memory(m) => m.finish(&self.token_id, lease.is_some(), &deltas),
            Counters::Redis(r) => r.finish(&self.token_id, lease, &deltas).await,
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let Some(lease) = self.lease.take() else {
            return;
        };
        match &self.counters {
            Counters::Memory(m) => m.finish(&self.token_id, true, &[]),
            Counters::Redis(r) => {
                // Without a runtime the lease simply expires.
                if let Ok(handle) = tokio::runtime::Handle::try_current() {
                    let r = Arc::clone(r);
                    let token_id = std::mem::take(&mut self.token_id);
                    handle.spawn(async move { r.finish(&token_id, Some(lease), &[]).await });
                }
            }
        }
    }
}
