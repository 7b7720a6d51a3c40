//! Runtime configuration shared by the router and its handlers.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

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
}

impl Default for FakeConfig {
    fn default() -> Self {
        Self {
            latency: Duration::from_millis(300),
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
}

/// Connect timeout towards the upstream.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest silence between two reads of an upstream response (gpt-image-2 `high` can take
/// minutes before the first byte without partial images).
pub const READ_TIMEOUT: Duration = Duration::from_secs(600);

impl ForwardConfig {
    /// Checks that `upstream` is an absolute http(s) URL without path, query or credentials.
    pub fn new(upstream: &str, api_key: ApiKey) -> Result<Self, String> {
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
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .build()
            .map_err(|e| format!("cannot create the HTTP client: {e}"))?;
        Ok(Self {
            upstream: origin,
            api_key,
            client,
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
