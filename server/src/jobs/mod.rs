//! Recoverable jobs: every image request that carries a job id (`X-Continuity-Job`, see
//! `continuity_core::openai::jobs` for the contract the app follows) has its finished answer
//! kept under that id and its owner for 24 h, so a reload, a crash or a dropped connection
//! loses nothing that was paid for.
//!
//! - [`capture`]: the layer on the image routes (fake and forward mode) that runs the request
//!   to its end even when the client has gone, and stores the answer;
//! - [`route`]: `GET /v1/continuity/jobs/{id}`, which reads it back for its owner only;
//! - [`local`]: the store in this process (a directory, or memory), [`shared`]: in Redis.
//!
//! Ownership ([`Owners`]): in forward mode the access token (its id), or one anonymous owner
//! under `--allow-anonymous`; in fake mode, which has no tokens, whatever `Authorization` the
//! request carried (a hash of it; no header is the anonymous owner). A job is stored and read
//! under a hash of its owner and its id, so another token cannot even learn that it exists.
//!
//! Nothing about a job is logged except its id and status.

pub mod capture;
pub mod local;
pub mod record;
pub mod route;
pub mod shared;

use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderMap};
use continuity_core::openai::jobs::JobId;
use sha2::{Digest, Sha256};

use crate::tokens::{Lookup, TokenStore};
use record::Record;

/// Default `--job-store-mb`.
pub const DEFAULT_LIMIT_MB: u64 = 1024;
/// How long a finished job is kept.
pub const TTL: Duration = Duration::from_secs(continuity_core::openai::jobs::JOB_TTL_SECONDS);
/// Largest answer a job keeps (an answer is held in memory while it streams; a larger one is
/// passed on but not kept, and its job reads as unknown).
pub const MAX_ANSWER_BYTES: usize = 256 * 1024 * 1024;

/// Whether a job id could be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Begin {
    /// Marked running.
    Started,
    /// Running or stored already: an id is used once.
    InUse,
}

/// What became of a finished job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Kept.
    Kept,
    /// Larger than the whole store: not kept.
    TooLarge,
}

/// A job looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// Answered and kept.
    Done(Record),
    /// Sent, not answered yet.
    Running,
    /// Not known (never sent, another owner's, expired or evicted).
    Unknown,
}

/// The store could not be reached or read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

/// Where jobs are kept.
#[derive(Debug, Clone)]
pub enum Store {
    /// In this process (a directory or memory).
    Local(Arc<local::LocalJobs>),
    /// In Redis, shared by replicas.
    Redis(Arc<shared::RedisJobs>),
}

/// Who owns a job: a token, the anonymous caller, or (fake mode) a hash of the
/// `Authorization` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner(String);

impl Owner {
    /// Requests without a token where none is needed.
    pub fn anonymous() -> Self {
        Owner("anonymous".into())
    }

    /// An access token, by its id.
    pub fn token(id: &str) -> Self {
        Owner(format!("token:{id}"))
    }

    /// Fake mode: whatever the `Authorization` header said (hashed; never kept as is).
    pub fn credential(value: &[u8]) -> Self {
        let digest = Sha256::digest([b"continuity fake owner\0".as_slice(), value].concat());
        Owner(format!("key:{}", hex(&digest[..16])))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How a request's owner is found.
#[derive(Debug, Clone)]
pub enum Owners {
    /// Forward mode: the access token, or the anonymous owner under `--allow-anonymous`.
    Tokens {
        /// The tokens.
        tokens: Arc<TokenStore>,
        /// Whether requests without a token are forwarded.
        allow_anonymous: bool,
    },
    /// Fake mode: a hash of the `Authorization` value (none: anonymous).
    Credential,
}

impl Owners {
    /// The owner of a request, or `None` when it has no valid token (it is refused anyway).
    pub fn owner_of(&self, headers: &HeaderMap) -> Option<Owner> {
        let auth = headers.get(header::AUTHORIZATION);
        match self {
            Owners::Credential => {
                Some(auth.map_or_else(Owner::anonymous, |v| Owner::credential(v.as_bytes())))
            }
            Owners::Tokens {
                tokens,
                allow_anonymous,
            } => match auth {
                None if *allow_anonymous => Some(Owner::anonymous()),
                None => None,
                Some(_) => match tokens
                    .current()
                    .lookup(crate::proxy::admission::bearer(headers))
                {
                    Lookup::Valid(info) => Some(Owner::token(&info.id)),
                    _ => None,
                },
            },
        }
    }
}

/// The job store and its rules.
#[derive(Debug)]
pub struct Jobs {
    store: Store,
    ttl: Duration,
}

impl Jobs {
    /// Jobs kept in `store` for `ttl` (the store expires them; this says how long in answers).
    pub fn new(store: Store, ttl: Duration) -> Self {
        Self { store, ttl }
    }

    /// A store in memory bounded to `limit_bytes` (tests, fake mode without a state directory).
    pub fn in_memory(limit_bytes: u64, ttl: Duration) -> Self {
        Self::new(
            Store::Local(Arc::new(local::LocalJobs::in_memory(limit_bytes, ttl))),
            ttl,
        )
    }

    /// How long a finished job is kept.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Where the jobs are kept, for the startup line.
    pub fn describe(&self) -> &'static str {
        match &self.store {
            Store::Local(_) => "in this process",
            Store::Redis(_) => "in Redis",
        }
    }

    /// The storage key of `owner`'s job `id`: a hash of both, so another owner's look-up
    /// lands elsewhere and files and keys do not carry the id.
    fn key(owner: &Owner, id: &JobId) -> String {
        let digest = Sha256::digest(format!("{}\0{}", owner.0, id.as_str()).as_bytes());
        hex(&digest)
    }

    /// Takes `id` for `owner`'s request about to be sent.
    pub async fn begin(&self, owner: &Owner, id: &JobId) -> Result<Begin, StoreError> {
        let key = Self::key(owner, id);
        match &self.store {
            Store::Local(s) => Ok(s.begin(&key)),
            Store::Redis(s) => s.begin(&key).await,
        }
    }

    /// Forgets a running job that was not answered completely (or refused before it was
    /// sent): its id reads as unknown and may be used again.
    pub async fn abandon(&self, owner: &Owner, id: &JobId) {
        let key = Self::key(owner, id);
        match &self.store {
            Store::Local(s) => s.abandon(&key),
            Store::Redis(s) => s.abandon(&key).await,
        }
    }

    /// Keeps a finished job.
    pub async fn finish(
        &self,
        owner: &Owner,
        id: &JobId,
        record: &Record,
    ) -> Result<Stored, StoreError> {
        let key = Self::key(owner, id);
        match &self.store {
            Store::Local(s) => s.finish(&key, record).await,
            Store::Redis(s) => s.finish(&key, record).await,
        }
    }

    /// Reads `owner`'s job `id`.
    pub async fn read(&self, owner: &Owner, id: &JobId) -> Result<Found, StoreError> {
        let key = Self::key(owner, id);
        match &self.store {
            Store::Local(s) => s.read(&key).await,
            Store::Redis(s) => s.read(&key).await,
        }
    }

    /// Jobs stored and the bytes they use.
    pub async fn usage(&self) -> Result<(usize, u64), StoreError> {
        match &self.store {
            Store::Local(s) => Ok(s.usage()),
            Store::Redis(s) => s.usage().await,
        }
    }

    /// Sweeps expired local jobs once a minute (Redis expires its own).
    pub fn spawn_sweeper(self: &Arc<Self>) {
        let Store::Local(store) = &self.store else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let store = Arc::downgrade(store);
        runtime.spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(60));
            loop {
                every.tick().await;
                let Some(store) = store.upgrade() else { return };
                let _ = tokio::task::spawn_blocking(move || store.sweep()).await;
            }
        });
    }
}

/// Logs one line about a job: its id and status only.
pub fn log_job(id: &JobId, status: &str) {
    let label = || format!("job {status}");
    crate::log::sampled_line(&format!("job-{status}"), label, || {
        format!("job {id} {status}")
    });
}
