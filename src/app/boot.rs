//! Starting the app: settings and remembered secrets, the route, storage and the series list,
//! the tabs channel, what the serving server can do, the offline shell, and — once the first
//! screen is up and the browser idle — the lazily loaded parts ([`crate::parts`]).

use crate::app::state::{AppState, Route, ServerInfo};
use crate::app::{library, sync};
use crate::web::http::Fetched;
use crate::web::web_storage;
use continuity_core::fields::Fields;
use continuity_core::settings::ConnectionKind;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// What `GET api/config` of `continuity-server` answers (`server/src/app.rs`); absent on a
/// static host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerConfig {
    /// Where image requests go on this server (`/v1`); absent when it cannot make images.
    pub images_base: Option<String>,
    /// `fake` (the built-in fake API) or `openai` (forward mode).
    pub provider: String,
    /// Whether image requests need an access token.
    pub token_required: bool,
}

impl ServerConfig {
    /// Reads the answer (any JSON object; absent fields are empty).
    pub fn read(fields: &impl Fields) -> ServerConfig {
        ServerConfig {
            images_base: fields.text("images_base"),
            provider: fields.text("provider").unwrap_or_default(),
            token_required: fields.flag("token_required").unwrap_or(false),
        }
    }

    /// Reads the answer; `None` when it is not a JSON object (a static host's fallback page).
    pub fn parse(text: &str) -> Option<ServerConfig> {
        crate::web::json::JsFields::parse(text).map(|f| ServerConfig::read(&f))
    }

    /// What the app keeps of it.
    pub fn info(&self) -> ServerInfo {
        ServerInfo {
            available: self.images_base.is_some(),
            provider: self.provider.clone(),
            token_required: self.token_required,
            checked: true,
            unreachable: false,
        }
    }
}

/// The URL hash of the page now.
pub fn current_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// Everything the app does once at start, in order.
pub fn start(state: AppState) {
    state.settings.set(web_storage::load_settings());
    if let Some(key) = web_storage::load(web_storage::Secret::Key) {
        state.key.set(key);
    }
    if let Some(token) = web_storage::load(web_storage::Secret::Token) {
        state.token.set(token);
    }
    state.route.set(Route::from_hash(&current_hash()));
    spawn_local(async move {
        library::load(state).await;
        // The first screen is up: fetch the rest of the app when the browser is idle.
        crate::parts::prefetch_when_idle(state);
    });
    sync::start(move |text| {
        spawn_local(async move {
            let _ = crate::parts::receive_announcement(state, text).await;
        })
    });
    spawn_local(discover_server(state));
    // Opened offline: ask again once the network is back.
    crate::web::lifecycle::on_online(move || {
        if state.server.with_untracked(|s| s.unreachable) {
            spawn_local(discover_server(state));
        }
    });
    crate::web::service_worker::register(move |notice| state.info(notice));
    spawn_local(async move {
        let digest = crate::web::clock::sha256_hex(web_storage::device_id().as_bytes()).await;
        state
            .safety_id
            .set(digest.map(|d| format!("cty-{}", &d[..32])));
    });
}

/// Asks our server (if it is the one serving the page) whether it can generate images.
async fn discover_server(state: AppState) {
    let fetched = crate::web::http::get_document("api/config").await;
    let info = match &fetched {
        Fetched::Text(text) => ServerConfig::parse(text).map(|config| config.info()),
        Fetched::NotOk | Fetched::NoAnswer => None,
    }
    .unwrap_or(ServerInfo {
        checked: true,
        unreachable: fetched == Fetched::NoAnswer,
        ..ServerInfo::default()
    });
    // A static host (something answered, and it is not continuity-server): the only ways to
    // make images are the user's own key or endpoint, so a first run starts there instead of at
    // "This server". No answer at all (offline, the page from the service worker's cache) says
    // nothing about the host: the user's choice stays as it is.
    if !info.available
        && fetched != Fetched::NoAnswer
        && state
            .settings
            .with_untracked(|s| s.connection == ConnectionKind::ThisServer)
    {
        state
            .settings
            .update(|s| s.connection = ConnectionKind::OpenAiDirect);
    }
    state.server.set(info);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> ServerConfig {
        ServerConfig::read(&serde_json::from_str::<serde_json::Value>(text).unwrap())
    }

    #[test]
    fn a_server_config_is_read() {
        let fake = read(
            r#"{"provider":"fake","images_base":"/v1","version":"0.1.0","token_required":false}"#,
        );
        assert!(fake.info().available);
        assert_eq!(fake.info().provider, "fake");
        let guarded = read(r#"{"provider":"openai","images_base":"/v1","token_required":true}"#);
        assert!(guarded.info().token_required);
        // A server that serves the app but makes no images.
        assert!(!read(r#"{"provider":"none"}"#).info().available);
    }
}
