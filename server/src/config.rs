//! Runtime configuration shared by the router and its handlers.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::delivery::Delivery;
use crate::jobs::Jobs;
use crate::limits::Counters;
use crate::tokens::{Budget, TokenStore};

/// The production upstream. Only tests may point forward mode elsewhere (`--upstream`).
pub const DEFAULT_UPSTREAM: &str = "https://api.openai.com";

/// Everything [`crate::build_app`] needs. Built once at startup and never changed.
#[derive(Debug, Clone)]
pub struct Config {
    /// Directory holding the built app (`index.html`, `.wasm`, ...).
    pub dist: PathBuf,
    /// Largest accepted request body on the image routes, in bytes.
    pub max_body_bytes: usize,
    /// Who answers `/v1/images/*`.
    pub provider: Provider,
    /// How the app is delivered (its Content-Security-Policy's custom endpoints).
    pub delivery: Delivery,
    /// Longest time a request body may take to arrive once it is read (then 408).
    pub body_timeout: Duration,
    /// Where forward mode spools request bodies past 1 MiB (unlinked temporary files).
    pub spool_dir: PathBuf,
    /// Where recoverable jobs are kept (`--job-store-mb`, `--state-dir`, `--redis-url`).
    pub jobs: Arc<Jobs>,
    /// Fake mode: seconds a batch takes from creation to completion (`--fake-batch-seconds`).
    pub fake_batch: Duration,
    /// Largest upload to `POST /v1/files` (`--max-file-mb`; the Files API takes 200 MB).
    pub max_file_bytes: usize,
}

/// Default `--fake-batch-seconds`.
pub const FAKE_BATCH: Duration = Duration::from_secs(5);
/// Default `--max-file-mb`: the Files API's limit for a batch input file (reference §18).
pub const MAX_FILE_BYTES: usize = 200 * 1024 * 1024;

/// Default `--body-timeout-s`: a 64 MiB upload at about 4.5 Mbit/s.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(120);

impl Config {
    /// Fake mode with the given app directory and the default limits.
    pub fn new(dist: PathBuf, provider: Provider) -> Self {
        Self {
            dist,
            max_body_bytes: 64 * 1024 * 1024,
            provider,
            delivery: Delivery::default(),
            body_timeout: BODY_TIMEOUT,
            spool_dir: std::env::temp_dir(),
            jobs: Arc::new(Jobs::in_memory(
                crate::jobs::DEFAULT_LIMIT_MB * 1024 * 1024,
                crate::jobs::TTL,
            )),
            fake_batch: FAKE_BATCH,
            max_file_bytes: MAX_FILE_BYTES,
        }
    }
}

/// Who answers the image routes.
#[derive(Debug, Clone)]
pub enum Provider {
    /// The built-in fake of the OpenAI Images API.
    Fake(FakeConfig),
    /// Forward to the real API with the server's key.
    OpenAi(ForwardConfig),
}

impl Provider {
    /// The name shown in `/api/config` and in the startup line.
    pub fn name(&self) -> &'static str {
        match self {
            Provider::Fake(_) => "fake",
            Provider::OpenAi(_) => "openai",
        }
    }
}

/// Settings of the fake provider.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// Total time from request received to response (streams spread their events over it).
    pub latency: Duration,
    /// `--journal-allow-origin`: page origins that may read the journal (`/_fake/*`)
    /// cross-origin; `*` allows any. By default only the server's own pages may.
    pub journal_origins: Vec<String>,
    /// Whether the server listens on a loopback address (then the journal answers only to a
    /// loopback `Host`: DNS-rebinding defence).
    pub listen_loopback: bool,
}

impl Default for FakeConfig {
    fn default() -> Self {
        Self {
            latency: Duration::from_millis(300),
            journal_origins: Vec::new(),
            listen_loopback: true,
        }
    }
}

/// Settings of forward mode.
#[derive(Debug, Clone)]
pub struct ForwardConfig {
    /// Scheme, host and optional port of the upstream, without a trailing slash.
    pub upstream: String,
    /// The server's OpenAI key, attached to every forwarded request.
    pub api_key: ApiKey,
    /// HTTP client: no redirects, no proxy autodetection, bounded connect and idle times.
    pub client: reqwest::Client,
    /// Longest silence from the upstream (before its headers or between two reads).
    pub timeout: Duration,
    /// Who may use forward mode: origins, tokens, limits.
    pub access: AccessConfig,
    /// Which token owns which file and batch id (in memory, a state file or Redis).
    pub ids: Arc<crate::proxy::batches::ids::Ids>,
}

/// Who may spend the server's key, and how much.
#[derive(Debug, Clone)]
pub struct AccessConfig {
    /// `--allow-origin` values: pages on these origins may call the image routes (CORS).
    pub allowed_origins: Vec<String>,
    /// Whether the server listens on a loopback address (then `Host` must be a loopback name
    /// or an allowed origin's host: DNS-rebinding defence).
    pub listen_loopback: bool,
    /// `--allow-anonymous`: image requests without an access token are forwarded too.
    pub allow_anonymous: bool,
    /// `--budget-usd`: the most the server spends per UTC day, over every request.
    pub global_budget: Option<Budget>,
    /// The tokens (reloaded from their file while the server runs).
    pub tokens: Arc<TokenStore>,
    /// Rate, concurrency and budget counters (memory or Redis).
    pub counters: Counters,
}

impl AccessConfig {
    /// Whether image requests need an access token.
    pub fn token_required(&self) -> bool {
        !self.allow_anonymous
    }
}

impl Default for AccessConfig {
    /// Loopback, tokens required, none known, no server budget, counters in memory (kept
    /// nowhere).
    fn default() -> Self {
        Self {
            allowed_origins: Vec::new(),
            listen_loopback: true,
            allow_anonymous: false,
            global_budget: None,
            tokens: Arc::new(TokenStore::empty()),
            counters: Counters::default(),
        }
    }
}

/// Connect timeout towards the upstream.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default longest silence between two reads of an upstream response (gpt-image-2 `high`
/// can take minutes before the first byte without partial images).
pub const READ_TIMEOUT: Duration = Duration::from_secs(600);

impl ForwardConfig {
    /// Checks that `upstream` is an absolute http(s) URL without path, query or credentials.
    /// Default timeout and access rules (see [`AccessConfig::default`]).
    pub fn new(upstream: &str, api_key: ApiKey) -> Result<Self, String> {
        Self::with_timeout(upstream, api_key, READ_TIMEOUT)
    }

    /// Like [`ForwardConfig::new`] with a given upstream timeout.
    pub fn with_timeout(
        upstream: &str,
        api_key: ApiKey,
        timeout: Duration,
    ) -> Result<Self, String> {
        let url = reqwest::Url::parse(upstream)
            .map_err(|e| format!("--upstream {upstream:?} is not a valid URL: {e}"))?;
        if url.scheme() != "https" && url.scheme() != "http" {
            return Err(format!(
                "--upstream must use http or https, not {:?}",
                url.scheme()
            ));
        }
        if url.host_str().is_none() {
            return Err("--upstream must name a host".to_string());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("--upstream must not contain credentials".to_string());
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err("--upstream must be a bare origin such as https://api.openai.com".into());
        }
        // The route table appends fixed paths, so keep the origin without its trailing slash.
        let origin = url.as_str().trim_end_matches('/').to_string();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(CONNECT_TIMEOUT.min(timeout))
            .read_timeout(timeout)
            .build()
            .map_err(|e| format!("cannot create the HTTP client: {e}"))?;
        Ok(Self {
            upstream: origin,
            api_key,
            client,
            timeout,
            access: AccessConfig::default(),
            ids: Arc::default(),
        })
    }
}

/// An API key that never prints itself (`Debug` and `Display` show `***`).
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key; returns `None` for an empty or blank string.
    pub fn new(key: impl Into<String>) -> Option<Self> {
        let key = key.into().trim().to_string();
        (!key.is_empty()).then_some(Self(key))
    }

    /// The key itself, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_key_never_prints() {
        let key = ApiKey::new("sk-secret").expect("non-empty");
        assert_eq!(format!("{key:?} {key}"), "ApiKey(***) ***");
        assert!(ApiKey::new("  ").is_none());
    }

    #[test]
    fn upstream_must_be_a_bare_origin() {
        let key = || ApiKey::new("k").expect("non-empty");
        let ok = ForwardConfig::new("http://127.0.0.1:9999/", key()).expect("valid");
        assert_eq!(ok.upstream, "http://127.0.0.1:9999");
        assert!(ForwardConfig::new("ftp://x", key()).is_err());
        assert!(ForwardConfig::new("https://x/v1", key()).is_err());
        assert!(ForwardConfig::new("https://u:p@x", key()).is_err());
        assert!(ForwardConfig::new("not a url", key()).is_err());
    }
}
