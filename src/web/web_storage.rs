//! `localStorage` / `sessionStorage`: the only module that touches them. Holds the small
//! non-secret settings and, by the user's choice, the API key and this server's access token.
//!
//! A secret is kept for the tab only (`sessionStorage`) unless the user ticks "remember on
//! this device" (`localStorage`). "Forget" removes every copy.

use continuity_core::settings::Settings;
use web_sys::Storage;

const SETTINGS: &str = "continuity.settings";
const KEY: &str = "continuity.key";
const TOKEN: &str = "continuity.token";

fn local() -> Option<Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn session() -> Option<Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// Loads the settings (defaults when absent or damaged).
pub fn load_settings() -> Settings {
    local()
        .and_then(|s| s.get_item(SETTINGS).ok().flatten())
        .and_then(|json| crate::web::json::JsFields::parse(&json))
        .map_or_else(Settings::default, |fields| {
            continuity_core::fields::settings(&fields)
        })
}

/// Saves the settings (never a key: `Settings` has no key field).
pub fn save_settings(settings: &Settings) {
    if let (Some(storage), Ok(json)) = (local(), serde_json::to_string(settings)) {
        let _ = storage.set_item(SETTINGS, &json);
    }
}

/// A view preference of one series (how large its cards are), by series id: kept on this
/// device, not in the series (it is not part of the work, and another device may differ).
pub fn series_view(series_id: &str) -> Option<String> {
    local()?
        .get_item(&format!("continuity.view.{series_id}"))
        .ok()
        .flatten()
}

/// Keeps a series' view preference ([`series_view`]).
pub fn set_series_view(series_id: &str, value: &str) {
    if let Some(storage) = local() {
        let _ = storage.set_item(&format!("continuity.view.{series_id}"), value);
    }
}

/// A secret the user gives the app: an OpenAI key (for OpenAI or a custom endpoint), or an
/// access token for the server that serves the page. Stored apart, so one is never sent where
/// the other belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret {
    /// The OpenAI API key (or a custom endpoint's key).
    Key,
    /// This server's access token.
    Token,
}

impl Secret {
    fn item(self) -> &'static str {
        match self {
            Secret::Key => KEY,
            Secret::Token => TOKEN,
        }
    }
}

/// The stored secret: the tab's copy first, then the remembered one.
pub fn load(secret: Secret) -> Option<String> {
    [session(), local()]
        .into_iter()
        .flatten()
        .find_map(|s| s.get_item(secret.item()).ok().flatten())
        .filter(|k| !k.is_empty())
}

/// Stores the secret for this tab, and on this device only if `remember`.
pub fn store(secret: Secret, value: &str, remember: bool) {
    forget(secret);
    if value.trim().is_empty() {
        return;
    }
    if let Some(s) = session() {
        let _ = s.set_item(secret.item(), value.trim());
    }
    if remember {
        if let Some(s) = local() {
            let _ = s.set_item(secret.item(), value.trim());
        }
    }
}

/// Removes every stored copy of the secret.
pub fn forget(secret: Secret) {
    for storage in [session(), local()].into_iter().flatten() {
        let _ = storage.remove_item(secret.item());
    }
}

const DEVICE: &str = "continuity.device";

/// A random id for this browser profile, created on first use. Only its hash ever leaves
/// the browser (as `safety_identifier`), never the id itself and never anything personal.
pub fn device_id() -> String {
    let storage = local();
    if let Some(id) = storage
        .as_ref()
        .and_then(|s| s.get_item(DEVICE).ok().flatten())
    {
        return id;
    }
    let id = format!(
        "{:016x}{:016x}",
        crate::web::clock::random_u64(),
        crate::web::clock::random_u64()
    );
    if let Some(s) = storage {
        let _ = s.set_item(DEVICE, &id);
    }
    id
}
