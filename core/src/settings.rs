//! Connection settings: where image requests go and with which credential (pure).
//!
//! Three ways to connect: **this server** (same origin; it holds the key or runs the fake),
//! **OpenAI directly** with the user's own key, or a **custom OpenAI-compatible endpoint**.
//! Keys are never serialised with the settings: they live in memory and `sessionStorage`
//! (or `localStorage` after an explicit "remember on this device"), handled by `web_storage`.

use serde::{Deserialize, Serialize};

/// The OpenAI API base.
pub const OPENAI_BASE: &str = "https://api.openai.com/v1";
/// This server's API base, relative to the page (works under a sub-path too).
pub const THIS_SERVER_BASE: &str = "v1";

/// Which way image requests go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionKind {
    /// The server that served the app (`continuity-server`).
    #[default]
    ThisServer,
    /// `https://api.openai.com/v1` with the user's key.
    OpenAiDirect,
    /// Any OpenAI-compatible base URL, with an optional key or token.
    Custom,
}

/// Non-secret settings, stored in `localStorage`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Where requests go.
    pub connection: ConnectionKind,
    /// Base URL of the custom endpoint, e.g. `https://proxy.example.org/v1`.
    pub custom_base_url: String,
    /// Whether the key is kept across browser restarts (explicit opt-in).
    pub remember_key: bool,
    /// Most requests in flight at once.
    pub concurrency: u8,
    /// Stream partial previews.
    pub stream_previews: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            connection: ConnectionKind::ThisServer,
            custom_base_url: String::new(),
            remember_key: false,
            concurrency: 4,
            stream_previews: true,
        }
    }
}

/// Where to send a request and with what credential.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// API base ending in `/v1` (or the relative `v1`).
    pub base_url: String,
    /// Bearer credential, if any. Only ever placed in the `Authorization` header.
    pub bearer: Option<String>,
}

// Hand-written so a key can never reach a log line through `{:?}`.
impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("base_url", &self.base_url)
            .field("bearer", &self.bearer.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Endpoint {
    /// URL of an API path such as `/images/generations`.
    pub fn url(&self, path: &str) -> String {
        format!(
            "{}/{}",
            self.base_url.trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    }
}

/// Shows a key as `sk-…abcd` (never more).
pub fn mask_key(key: &str) -> String {
    let key = key.trim();
    if key.is_empty() {
        return String::new();
    }
    let tail: String = key
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let head = if key.starts_with("sk-") { "sk-" } else { "" };
    format!("{head}…{tail}")
}

/// Checks a custom base URL: absolute http(s), no credentials, query or fragment in it.
pub fn check_base_url(url: &str) -> Result<String, String> {
    let url = url.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("The endpoint must start with https:// (or http:// for a local server).")?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err("The endpoint needs a host name.".into());
    }
    if rest.contains(['@', '?', '#', ' ']) {
        return Err("The endpoint must not contain a user name, query or fragment; put the key in the key field.".into());
    }
    Ok(url.to_string())
}

impl Settings {
    /// Resolves the endpoint for the chosen connection, or says what is missing.
    /// `key` is the in-memory key for the chosen connection.
    pub fn endpoint(
        &self,
        key: Option<&str>,
        server_can_generate: bool,
    ) -> Result<Endpoint, String> {
        let key = key
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_string);
        match self.connection {
            ConnectionKind::ThisServer => {
                if server_can_generate {
                    Ok(Endpoint { base_url: THIS_SERVER_BASE.into(), bearer: None })
                } else {
                    Err("This page is not served by continuity-server, so it cannot generate images itself. Open Settings and connect to OpenAI directly with your key, or to your own server.".into())
                }
            }
            ConnectionKind::OpenAiDirect => match key {
                Some(k) => Ok(Endpoint { base_url: OPENAI_BASE.into(), bearer: Some(k) }),
                None => Err("Add your OpenAI API key in Settings (a restricted, images-only key with a spend limit is best).".into()),
            },
            ConnectionKind::Custom => {
                let base = check_base_url(&self.custom_base_url)?;
                Ok(Endpoint { base_url: base, bearer: key })
            }
        }
    }

    /// The settings read back from storage; damaged or missing settings fall back to defaults.
    pub fn from_json(json: Option<&str>) -> Self {
        let mut s: Settings = json
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default();
        s.concurrency = s.concurrency.clamp(1, 12);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_server_needs_no_key() {
        let s = Settings::default();
        let e = s.endpoint(None, true).unwrap();
        assert_eq!(e.url("/images/generations"), "v1/images/generations");
        assert!(e.bearer.is_none());
        assert!(s
            .endpoint(None, false)
            .unwrap_err()
            .contains("OpenAI directly"));
    }

    #[test]
    fn openai_direct_needs_a_key_and_sends_it_as_bearer_only() {
        let s = Settings {
            connection: ConnectionKind::OpenAiDirect,
            ..Settings::default()
        };
        assert!(s
            .endpoint(Some("  "), true)
            .unwrap_err()
            .contains("API key"));
        let e = s.endpoint(Some("sk-test-123"), true).unwrap();
        assert_eq!(
            e.url("images/edits"),
            "https://api.openai.com/v1/images/edits"
        );
        assert_eq!(e.bearer.as_deref(), Some("sk-test-123"));
        assert!(
            !format!("{e:?}").contains("sk-test"),
            "Debug must not print the key"
        );
    }

    #[test]
    fn custom_endpoints_are_checked() {
        let mut s = Settings {
            connection: ConnectionKind::Custom,
            ..Settings::default()
        };
        s.custom_base_url = "ftp://x".into();
        assert!(s.endpoint(None, true).is_err());
        s.custom_base_url = "https://user:pw@proxy.example/v1".into();
        assert!(s.endpoint(None, true).unwrap_err().contains("user name"));
        s.custom_base_url = "http://127.0.0.1:8080/v1/".into();
        let e = s.endpoint(Some("tok"), true).unwrap();
        assert_eq!(
            e.url("/images/generations"),
            "http://127.0.0.1:8080/v1/images/generations"
        );
    }

    #[test]
    fn keys_are_never_serialised_and_masked_for_display() {
        let s = Settings {
            remember_key: true,
            ..Settings::default()
        };
        let json = serde_json::to_string(&s).unwrap();
        assert!(!json.contains("key\":\"sk"));
        assert_eq!(mask_key("sk-proj-abcdefgh1234"), "sk-…1234");
        assert_eq!(Settings::from_json(Some("{broken")), Settings::default());
        assert_eq!(
            Settings::from_json(Some(r#"{"concurrency":99}"#)).concurrency,
            12
        );
    }
}
