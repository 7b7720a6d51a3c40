//! Counters in Redis, shared by every replica given the same `--redis-url`.
//!
//! Keys (`<prefix>` defaults to `continuity:`; the braces are a Redis Cluster hash tag, so
//! the keys of one token live on one shard and a script may touch them together):
//! - `<prefix>{<token id>}:rate`: GCRA arrival time, expires when the bucket is full again;
//! - `<prefix>{<token id>}:inflight`: sorted set of request leases, scored by expiry;
//! - `<prefix>{<token id>}:spent:<YYYY-MM-DD>`: micro-USD charged that UTC day (kept 2 days).
//!
//! - `<prefix>{*}:spent:<YYYY-MM-DD>`: the server-wide spend of `--budget-usd`.
//!
//! Admission is one Lua script (`admit.lua`, one round trip, atomic on the server), a
//! reservation another (`reserve.lua`, once per budget: the token's, then the server's);
//! finishing a request is one pipeline of `INCRBY` (settle the reservations) and `ZREM` (give
//! the lease back).
//!
//! Redis must keep its data (AOF or RDB snapshots): a Redis that restarts empty forgets the
//! day's spend and every rate bucket. [`persistence_warning`] says so at start.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;

use super::{Admit, Ask, BudgetAsk, CounterError, Counters, Reserve, Ticket};

/// How long a Redis command may take before the request is refused with 503.
const REDIS_TIMEOUT: Duration = Duration::from_secs(2);
/// A daily spend counter is kept this long (the day plus slack for late settlements).
const SPENT_TTL_S: u64 = 2 * 86_400;

/// The Redis-backed counters.
pub struct RedisCounters {
    conn: ConnectionManager,
    prefix: String,
    admit: Script,
    reserve: Script,
    lease_ttl_ms: u64,
    /// Lease ids: a random per-process prefix plus a counter, unique across replicas.
    lease_prefix: String,
    lease_seq: AtomicU64,
}

impl std::fmt::Debug for RedisCounters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCounters")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// A connection (reconnecting by itself) to `url`, checked with a `PING`; each command may
/// take `timeout`.
pub async fn connect(url: &str, timeout: Duration) -> Result<ConnectionManager, String> {
    // TCP_NODELAY: each check is one small command awaiting its reply; with Nagle's
    // algorithm and delayed ACKs a round trip can take 40 ms instead of 0.1 ms.
    let info = redis::IntoConnectionInfo::into_connection_info(url)
        .map_err(|e| format!("--redis-url: {e}"))?
        .set_tcp_settings(redis::io::tcp::TcpSettings::default().set_nodelay(true));
    let client = redis::Client::open(info).map_err(|e| format!("--redis-url: {e}"))?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(REDIS_TIMEOUT))
        .set_response_timeout(Some(timeout))
        .set_number_of_retries(2);
    let mut conn = ConnectionManager::new_with_config(client, config)
        .await
        .map_err(|e| format!("cannot connect to Redis: {e}"))?;
    let _: String = redis::cmd("PING")
        .query_async(&mut conn)
        .await
        .map_err(|e| format!("Redis does not answer PING: {e}"))?;
    Ok(conn)
}

fn failed(e: &redis::RedisError) -> CounterError {
    CounterError(format!("redis: {}", e.category()))
}

impl RedisCounters {
    /// Connects (and fails at once if Redis cannot be reached). `lease_ttl` bounds how long a
    /// concurrency unit of a replica that died stays taken: the longest a request can last.
    pub async fn connect(url: &str, prefix: &str, lease_ttl: Duration) -> Result<Counters, String> {
        Ok(Counters::Redis(Arc::new(
            Self::open(url, prefix, lease_ttl).await?,
        )))
    }

    async fn open(url: &str, prefix: &str, lease_ttl: Duration) -> Result<Self, String> {
        let conn = connect(url, REDIS_TIMEOUT).await?;
        Ok(Self {
            conn,
            prefix: prefix.to_string(),
            admit: Script::new(include_str!("admit.lua")),
            reserve: Script::new(include_str!("reserve.lua")),
            lease_ttl_ms: lease_ttl.as_millis() as u64,
            lease_prefix: crate::tokens::generate_id()?,
            lease_seq: AtomicU64::new(0),
        })
    }

    /// A warning to print at start if Redis keeps nothing across its own restart (`save ""`
    /// and `appendonly no`), or `None` when it persists (or cannot be asked: `CONFIG` is often
    /// disabled on managed Redis, then `INFO persistence` tells whether AOF is on).
    pub async fn persistence_warning(&self) -> Option<String> {
        let mut conn = self.conn.clone();
        let config = |name: &'static str| {
            let mut conn = conn.clone();
            async move {
                let pairs: Vec<String> = redis::cmd("CONFIG")
                    .arg("GET")
                    .arg(name)
                    .query_async(&mut conn)
                    .await
                    .ok()?;
                pairs.get(1).cloned()
            }
        };
        let (save, aof) = (config("save").await, config("appendonly").await);
        let aof_on = match aof {
            Some(value) => value == "yes",
            None => {
                let info: String = redis::cmd("INFO")
                    .arg("persistence")
                    .query_async(&mut conn)
                    .await
                    .ok()?;
                if info.lines().any(|l| l.trim() == "aof_enabled:1") {
                    return None;
                }
                return Some(
                    "warning: Redis does not say whether it keeps its data (CONFIG GET is not \
                     allowed and AOF is off); if it has no RDB snapshots either, a Redis \
                     restart resets every token's spend and rate counters."
                        .into(),
                );
            }
        };
        let rdb_on = save.is_some_and(|s| !s.trim().is_empty());
        (!aof_on && !rdb_on).then(|| {
            "warning: Redis keeps no data across a restart (save \"\" and appendonly no): a \
             Redis restart resets every token's spend and rate counters. Turn on AOF \
             (appendonly yes) or RDB snapshots (save 60 1)."
                .into()
        })
    }

    fn key(&self, token_id: &str, what: &str) -> String {
        format!("{}{{{token_id}}}:{what}", self.prefix)
    }

    pub(super) async fn admit(
        &self,
        counters: &Counters,
        ask: &Ask<'_>,
    ) -> Result<Admit, CounterError> {
        let ticket = |lease: Option<String>| {
            Admit::Admitted(Ticket {
                counters: counters.clone(),
                token_id: ask.token_id.to_string(),
                lease,
                charges: Vec::new(),
            })
        };
        if ask.rate.is_none() && ask.concurrency.is_none() && ask.budget.is_none() {
            return Ok(ticket(None));
        }
        let lease = format!(
            "{}-{}",
            self.lease_prefix,
            self.lease_seq.fetch_add(1, Ordering::Relaxed)
        );
        let budget = ask.budget.as_ref();
        let day = budget.map_or("none", |b| b.day.as_str());
        let (verdict, value): (u8, u64) = self
            .admit
            .key(self.key(ask.token_id, "rate"))
            .key(self.key(ask.token_id, "inflight"))
            .key(self.key(ask.token_id, &format!("spent:{day}")))
            .arg(ask.rate.map_or(0, |r| r.count))
            .arg(ask.rate.map_or(1, |r| r.period_ms))
            .arg(ask.concurrency.unwrap_or(0))
            .arg(&lease)
            .arg(self.lease_ttl_ms)
            .arg(budget.map_or(0, |b| b.limit_micros))
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(|e| failed(&e))?;
        Ok(match verdict {
            0 => ticket(ask.concurrency.map(|_| lease)),
            1 => Admit::RateLimited {
                retry_after_ms: value,
            },
            2 => Admit::Busy {
                limit: value as u32,
            },
            _ => Admit::OverBudget {
                spent_micros: value,
            },
        })
    }

    /// See [`Counters::spent`].
    pub(super) async fn spent(&self, owner: &str, day: &str) -> Result<u64, CounterError> {
        let spent: Option<u64> = redis::cmd("GET")
            .arg(self.key(owner, &format!("spent:{day}")))
            .query_async(&mut self.conn.clone())
            .await
            .map_err(|e| failed(&e))?;
        Ok(spent.unwrap_or(0))
    }

    /// See [`Counters::reserve`]: `reserve.lua`.
    pub(super) async fn reserve(
        &self,
        owner: &str,
        budget: &BudgetAsk,
        micros: u64,
    ) -> Result<Reserve, CounterError> {
        let (verdict, spent): (u8, u64) = self
            .reserve
            .key(self.key(owner, &format!("spent:{}", budget.day)))
            .arg(budget.limit_micros)
            .arg(micros)
            .arg(SPENT_TTL_S)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(|e| failed(&e))?;
        Ok(match verdict {
            0 => Reserve::Reserved,
            _ => Reserve::OverBudget {
                spent_micros: spent,
            },
        })
    }

    /// Gives `lease` back and adds each `(owner, day, delta)` micro-USD to that day's spend,
    /// in one round trip.
    pub(super) async fn finish(
        &self,
        token_id: &str,
        lease: Option<String>,
        deltas: &[(String, String, i64)],
    ) {
        let mut pipe = redis::pipe();
        if let Some(lease) = &lease {
            pipe.cmd("ZREM")
                .arg(self.key(token_id, "inflight"))
                .arg(lease)
                .ignore();
        }
        for (owner, day, delta) in deltas {
            pipe.cmd("INCRBY")
                .arg(self.key(owner, &format!("spent:{day}")))
                .arg(*delta)
                .ignore();
        }
        let result: Result<(), _> = pipe.query_async(&mut self.conn.clone()).await;
        if let Err(e) = result {
            eprintln!(
                "limits: could not finish a request's accounting ({}); its lease expires by \
                 itself and its reservation stays charged",
                failed(&e).0
            );
        }
    }
}
