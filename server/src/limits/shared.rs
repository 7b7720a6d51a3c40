//! Counters in Redis, shared by every replica given the same `--redis-url`.
//!
//! Keys (`<prefix>` defaults to `continuity:`; the braces are a Redis Cluster hash tag, so
//! the keys of one token live on one shard and a script may touch them together):
//! - `<prefix>{<token id>}:rate`: GCRA arrival time, expires when the bucket is full again;
//! - `<prefix>{<token id>}:inflight`: sorted set of request leases, scored by expiry;
//! - `<prefix>{<token id>}:spent:<YYYY-MM-DD>`: micro-USD charged that UTC day (kept 2 days).
//!
//! Admission and reservation are Lua scripts (one round trip each, atomic on the server);
//! settling is an `INCRBY`, releasing a `ZREM`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;

use super::{Admit, CounterError, Counters, Slot};
use crate::tokens::Rate;

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

fn failed(e: &redis::RedisError) -> CounterError {
    CounterError(format!("redis: {}", e.category()))
}

impl RedisCounters {
    /// Connects (and fails at once if Redis cannot be reached). `lease_ttl` bounds how long a
    /// concurrency unit of a replica that died stays taken: the longest a request can last.
    pub async fn connect(url: &str, prefix: &str, lease_ttl: Duration) -> Result<Counters, String> {
        let client = redis::Client::open(url).map_err(|e| format!("--redis-url: {e}"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_number_of_retries(2);
        let mut conn = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(|e| format!("cannot connect to Redis: {e}"))?;
        let _: String = redis::cmd("PING")
            .query_async(&mut conn)
            .await
            .map_err(|e| format!("Redis does not answer PING: {e}"))?;
        Ok(Counters::Redis(Arc::new(Self {
            conn,
            prefix: prefix.to_string(),
            admit: Script::new(include_str!("admit.lua")),
            reserve: Script::new(include_str!("reserve.lua")),
            lease_ttl_ms: lease_ttl.as_millis() as u64,
            lease_prefix: crate::tokens::generate_id()?,
            lease_seq: AtomicU64::new(0),
        })))
    }

    fn key(&self, token_id: &str, what: &str) -> String {
        format!("{}{{{token_id}}}:{what}", self.prefix)
    }

    pub(super) async fn admit(
        &self,
        counters: &Counters,
        token_id: &str,
        rate: Option<Rate>,
        concurrency: Option<u32>,
    ) -> Result<Admit, CounterError> {
        if rate.is_none() && concurrency.is_none() {
            return Ok(Admit::Admitted(Slot {
                counters: counters.clone(),
                token_id: token_id.to_string(),
                lease: None,
            }));
        }
        let lease = format!(
            "{}-{}",
            self.lease_prefix,
            self.lease_seq.fetch_add(1, Ordering::Relaxed)
        );
        let (verdict, value): (u8, u64) = self
            .admit
            .key(self.key(token_id, "rate"))
            .key(self.key(token_id, "inflight"))
            .arg(rate.map_or(0, |r| r.count))
            .arg(rate.map_or(1, |r| r.period_ms))
            .arg(concurrency.unwrap_or(0))
            .arg(&lease)
            .arg(self.lease_ttl_ms)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(|e| failed(&e))?;
        Ok(match verdict {
            0 => Admit::Admitted(Slot {
                counters: counters.clone(),
                token_id: token_id.to_string(),
                lease: concurrency.map(|_| lease),
            }),
            1 => Admit::RateLimited {
                retry_after_ms: value,
            },
            _ => Admit::Busy {
                limit: value as u32,
            },
        })
    }

    pub(super) async fn release(&self, token_id: &str, lease: &str) {
        let result: Result<(), _> = redis::cmd("ZREM")
            .arg(self.key(token_id, "inflight"))
            .arg(lease)
            .query_async(&mut self.conn.clone())
            .await;
        if let Err(e) = result {
            eprintln!(
                "limits: could not release a concurrency lease ({}); it expires by itself",
                failed(&e).0
            );
        }
    }

    /// `Ok(Ok(()))` charged, `Ok(Err(spent))` over budget.
    pub(super) async fn reserve(
        &self,
        token_id: &str,
        day: &str,
        limit: u64,
        estimate: u64,
    ) -> Result<Result<(), u64>, CounterError> {
        let (verdict, spent): (u8, u64) = self
            .reserve
            .key(self.key(token_id, &format!("spent:{day}")))
            .arg(limit)
            .arg(estimate)
            .arg(SPENT_TTL_S)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(|e| failed(&e))?;
        Ok(if verdict == 0 { Ok(()) } else { Err(spent) })
    }

    pub(super) async fn adjust(&self, token_id: &str, day: &str, delta: i64) {
        let result: Result<(), _> = redis::cmd("INCRBY")
            .arg(self.key(token_id, &format!("spent:{day}")))
            .arg(delta)
            .query_async(&mut self.conn.clone())
            .await;
        if let Err(e) = result {
            eprintln!(
                "limits: could not settle a request's cost ({}); the estimate stays charged",
                failed(&e).0
            );
        }
    }
}
