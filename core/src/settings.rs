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
    /// The text model of the planner, "Describe from images" and the checks; empty: the
    /// text catalogue's default.
    pub text_model: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            connection: ConnectionKind::ThisServer,
            custom_base_url: String::new(),
            remember_key: false,
            concurrency: 4,
            stream_previews: true,
            text_model: String::new(),
        }
    }
}

/// The header continuity-server requires on image requests in forward mode. A custom header
/// makes every cross-origin browser request need a CORS preflight, which the server refuses
/// for foreign origins: another website cannot spend the server's key.
pub const CLIENT_HEADER: (&str, &str) = ("x-continuity-client", "1");

/// Access tokens of continuity-server start with this (so a custom endpoint that is one of
/// our servers gets the client header too).
pub const TOKEN_PREFIX: &str = "ct_";

/// Where to send a request and with what credential.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// API base ending in `/v1` (or the relative `v1`).
    pub base_url: String,
    /// Bearer credential, if any. Only ever placed in the `Authorization` header.
    pub bearer: Option<String>,
    /// Whether the endpoint is a continuity-server, which wants [`CLIENT_HEADER`]. Never sent
    /// to OpenAI or other endpoints (an unknown header would fail their CORS preflight).
    pub continuity_server: bool,
}

// Hand-written so a key can never reach a log line through `{:?}`.
impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("base_url", &self.base_url)
            .field("bearer", &self.bearer.as_ref().map(|_| "<redacted>"))
            .field("continuity_server", &self.continuity_server)
            .finish()
    }
}

impl Endpoint {
    /// Headers to send besides `Authorization` and the content type.
    pub fn extra_headers(&self) -> Vec<(String, String)> {
        if self.continuity_server {
            vec![(CLIENT_HEADER.0.into(), CLIENT_HEADER.1.into())]
        } else {
            Vec::new()
        }
    }

    /// URL of an API path such as `/images/generations`.
    pub fn url(&self, path: &str) -> String {
        format!(
            "{}/{}",
            self.base_url.trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    }
}

/// What the server that served the page said about itself (`/api/config`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerCaps {
    /// It is continuity-server and answers the image routes (fake or forwarding).
    pub can_generate: bool,
    /// It refuses image requests without an access token.
    pub token_required: bool,
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
    let head = if key.starts_with("sk-") {
        "sk-"
    } else if key.starts_with(TOKEN_PREFIX) {
        TOKEN_PREFIX
    } else {
        ""
    };
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
    /// Resolves the endpoint for the chosen connection, or says what is missing. `key` is the
    /// user's OpenAI (or custom endpoint) key; `server` says what the server that served the
    /// page can do, and `token` is the user's access token for it. The key never goes to this
    /// server, and the token never goes anywhere else.
    pub fn endpoint(
        &self,
        key: Option<&str>,
        token: Option<&str>,
        server: ServerCaps,
    ) -> Result<Endpoint, String> {
        let clean = |s: Option<&str>| {
            s.map(str::trim)
                .filter(|k| !k.is_empty())
                .map(str::to_string)
        };
        let (key, token) = (clean(key), clean(token));
        match self.connection {
            ConnectionKind::ThisServer => {
                if !server.can_generate {
                    return Err("This page is not served by continuity-server, so it cannot generate images itself. Open Settings and connect to OpenAI directly with your key, or to your own server.".into());
                }
                if server.token_required && token.is_none() {
                    return Err("This server needs an access token. Ask its owner for one and enter it in Settings.".into());
                }
                Ok(Endpoint {
                    base_url: THIS_SERVER_BASE.into(),
                    bearer: token,
                    continuity_server: true,
                })
            }
            ConnectionKind::OpenAiDirect => match key {
                Some(k) => Ok(Endpoint {
                    base_url: OPENAI_BASE.into(),
                    bearer: Some(k),
                    continuity_server: false,
                }),
                None => Err("Add your OpenAI API key in Settings (a restricted, images-only key with a spend limit is best).".into()),
            },
            ConnectionKind::Custom => {
                let base = check_base_url(&self.custom_base_url)?;
                let ours = key.as_deref().is_some_and(|k| k.starts_with(TOKEN_PREFIX));
                Ok(Endpoint {
                    base_url: base,
                    bearer: key,
                    continuity_server: ours,
                })
            }
        }
    }

    /// The settings read back from storage; damaged or missing settings fall back to defaults.
    pub fn from_json(json: Option<&str>) -> Self {
        json.and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
            .map_or_else(Settings::default, |v| crate::fields::settings(&v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER: ServerCaps = ServerCaps {
        can_generate: true,
        token_required: false,
    };

    #[test]
    fn this_server_needs_no_key_and_never_gets_it() {
        let s = Settings::default();
        let e = s.endpoint(Some("sk-mine"), None, SERVER).unwrap();
        assert_eq!(e.url("/images/generations"), "v1/images/generations");
        assert!(
            e.bearer.is_none(),
            "the OpenAI key never goes to this server"
        );
        assert_eq!(
            e.extra_headers(),
            vec![("x-continuity-client".to_string(), "1".to_string())]
        );
        assert!(s
            .endpoint(None, None, ServerCaps::default())
            .unwrap_err()
            .contains("OpenAI directly"));
    }

    #[test]
    fn this_server_takes_an_access_token_when_it_asks_for_one() {
        let s = Settings::default();
        let asks = ServerCaps {
            can_generate: true,
            token_required: true,
        };
        assert!(s
            .endpoint(None, None, asks)
            .unwrap_err()
            .contains("access token"));
        let e = s.endpoint(Some("sk-mine"), Some(" ct_abc "), asks).unwrap();
        assert_eq!(e.bearer.as_deref(), Some("ct_abc"));
        assert_eq!(mask_key("ct_abcdefgh1234"), "ct_…1234");
    }

    #[test]
    fn openai_direct_needs_a_key_and_sends_it_as_bearer_only() {
        let s = Settings {
            connection: ConnectionKind::OpenAiDirect,
            ..Settings::default()
        };
        assert!(s
            .endpoint(Some("  "), None, SERVER)
            .unwrap_err()
            .contains("API key"));
        let e = s
            .endpoint(Some("sk-test-123"), Some("ct_x"), SERVER)
            .unwrap();
        assert_eq!(
            e.url("images/edits"),
            "https://api.openai.com/v1/images/edits"
        );
        assert_eq!(e.bearer.as_deref(), Some("sk-test-123"));
        assert!(
            e.extra_headers().is_empty(),
            "no custom header to OpenAI (CORS preflight)"
        );
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
        assert!(s.endpoint(None, None, SERVER).is_err());
        s.custom_base_url = "https://user:pw@proxy.example/v1".into();
        assert!(s
            .endpoint(None, None, SERVER)
            .unwrap_err()
            .contains("user name"));
        s.custom_base_url = "http://127.0.0.1:8080/v1/".into();
        let theirs = s.endpoint(Some("tok"), None, SERVER).unwrap();
        assert!(theirs.extra_headers().is_empty());
        let e = s.endpoint(Some("ct_ours"), None, SERVER).unwrap();
        assert_eq!(
            e.extra_headers().len(),
            1,
            "one of our servers: the client header"
        );
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
