//! Jobs kept in Redis (`--redis-url`), so that a replica that did not forward a request can
//! answer for it.
//!
//! Keys (one hash tag, `{jobs}`, so a script may touch them together on a cluster):
//! - `<prefix>{jobs}:job:<key>`: the record (metadata line + body), expiring after 24 h;
//! - `<prefix>{jobs}:run:<key>`: the running mark, expiring after the longest a request lasts;
//! - `<prefix>{jobs}:index`: sorted set of stored keys by finish time (eviction order);
//! - `<prefix>{jobs}:sizes`: hash of stored keys to their bytes; `<prefix>{jobs}:bytes`: the sum.
//!
//! Storing is one Lua script (`put.lua`) that drops expired index entries, evicts the oldest
//! records until the new one fits within `--job-store-mb`, and writes it; starting is another
//! (`begin.lua`: an id already stored or running is refused). `<key>` is a hash of the owner
//! and the job id, never the id itself.

use std::time::Duration;

use bytes::Bytes;
use redis::aio::ConnectionManager;
use redis::Script;

use super::record::Record;
use super::{Begin, Found, StoreError, Stored};

/// How long a Redis command of the job store may take (a record can be megabytes).
const TIMEOUT: Duration = Duration::from_secs(10);

/// The Redis job store.
pub struct RedisJobs {
    conn: ConnectionManager,
    prefix: String,
    limit_bytes: u64,
    ttl: Duration,
    running_ttl: Duration,
    put: Script,
    begin: Script,
}

impl std::fmt::Debug for RedisJobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisJobs")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn failed(e: &redis::RedisError) -> StoreError {
    StoreError(format!("redis: {}", e.category()))
}

impl RedisJobs {
    /// Connects (and fails at once if Redis cannot be reached). `running_ttl` is the longest
    /// a request can last: a replica that dies mid-request leaves its mark that long.
    pub async fn connect(
        url: &str,
        prefix: &str,
        limit_bytes: u64,
        ttl: Duration,
        running_ttl: Duration,
    ) -> Result<Self, String> {
        Ok(Self {
            conn: crate::limits::shared::connect(url, TIMEOUT).await?,
            prefix: prefix.to_string(),
            limit_bytes,
            ttl,
            running_ttl,
            put: Script::new(include_str!("put.lua")),
            begin: Script::new(include_str!("begin.lua")),
        })
    }

    fn key(&self, what: &str) -> String {
        format!("{}{{jobs}}:{what}", self.prefix)
    }

    /// Marks `key` running unless it is running or stored.
    pub async fn begin(&self, key: &str) -> Result<Begin, StoreError> {
        let started: u8 = self
            .begin
            .key(self.key(&format!("job:{key}")))
            .key(self.key(&format!("run:{key}")))
            .arg(self.running_ttl.as_millis() as u64)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(|e| failed(&e))?;
        Ok(if started == 1 {
            Begin::Started
        } else {
            Begin::InUse
        })
    }

    /// Forgets a running job.
    pub async fn abandon(&self, key: &str) {
        let result: Result<(), _> = redis::cmd("DEL")
            .arg(self.key(&format!("run:{key}")))
            .query_async(&mut self.conn.clone())
            .await;
        if let Err(e) = result {
            // The mark expires by itself.
            let label = || "jobs: redis".to_string();
            crate::log::sampled_line("jobs-redis", label, || {
                format!("jobs: could not clear a running mark ({})", failed(&e).0)
            });
        }
    }

    /// Stores a finished job within the bound.
    pub async fn finish(&self, key: &str, record: &Record) -> Result<Stored, StoreError> {
        // Milliseconds, not whole seconds: the index orders jobs by it, and jobs finished in
        // the same second must still leave oldest first.
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let stored: u8 = self
            .put
            .key(self.key("index"))
            .key(self.key("sizes"))
            .key(self.key("bytes"))
            .key(self.key(&format!("job:{key}")))
            .key(self.key(&format!("run:{key}")))
            .arg(key)
            .arg(now_ms)
            .arg(self.ttl.as_millis() as u64)
            .arg(self.limit_bytes)
            .arg(record.encode())
            .arg(self.key("job:"))
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(|e| failed(&e))?;
        Ok(if stored == 1 {
            Stored::Kept
        } else {
            Stored::TooLarge
        })
    }

    /// Looks a job up (one round trip).
    pub async fn read(&self, key: &str) -> Result<Found, StoreError> {
        let (record, running): (Option<Vec<u8>>, bool) = redis::pipe()
            .cmd("GET")
            .arg(self.key(&format!("job:{key}")))
            .cmd("EXISTS")
            .arg(self.key(&format!("run:{key}")))
            .query_async(&mut self.conn.clone())
            .await
            .map_err(|e| failed(&e))?;
        match record {
            Some(bytes) => Record::decode(Bytes::from(bytes))
                .map(Found::Done)
                .map_err(StoreError),
            None if running => Ok(Found::Running),
            None => Ok(Found::Unknown),
        }
    }

    /// Jobs stored and the bytes they use.
    pub async fn usage(&self) -> Result<(usize, u64), StoreError> {
        let (count, bytes): (usize, Option<u64>) = redis::pipe()
            .cmd("ZCARD")
            .arg(self.key("index"))
            .cmd("GET")
            .arg(self.key("bytes"))
            .query_async(&mut self.conn.clone())
            .await
            .map_err(|e| failed(&e))?;
        Ok((count, bytes.unwrap_or(0)))
    }
}
