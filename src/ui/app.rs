//! The root component: provides the state, loads storage, follows the URL hash.

use crate::app::state::{AppState, Route, ServerInfo};
use crate::app::{library, saver, sync};
use crate::ui::projects::ProjectsScreen;
use crate::ui::series::SeriesScreen;
use crate::ui::settings::SettingsPanel;
use crate::web::idb::DB_NAME;
use crate::web::web_storage;
use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The whole app. `db_name` lets tests use a throwaway database.
#[component]
pub fn App(
    /// IndexedDB database name.
    #[prop(default = DB_NAME)]
    db_name: &'static str,
) -> impl IntoView {
    let state = AppState::new(db_name);
    provide_context(state);
    state.settings.set(web_storage::load_settings());
    if let Some(key) = web_storage::load(web_storage::Secret::Key) {
        state.key.set(key);
    }
    if let Some(token) = web_storage::load(web_storage::Secret::Token) {
        state.token.set(token);
    }
    let hash = || {
        web_sys::window()
            .and_then(|w| w.location().hash().ok())
            .unwrap_or_default()
    };
    state.route.set(Route::from_hash(&hash()));
    // From now on every change of the settings, the key or the token is stored.
    crate::app::settings::persist(state);
    // Ctrl/⌘+Z undoes, Shift+Ctrl/⌘+Z (or Ctrl+Y) redoes — except in a text field, where
    // the browser's own undo of the typing applies.
    let sheet = crate::ui::shortcuts::SheetOpen(RwSignal::new(false));
    provide_context(sheet);
    let generate_now = GenerateShortcut(StoredValue::new_local(None));
    provide_context(generate_now);
    let keys = window_event_listener(ev::keydown, move |e: web_sys::KeyboardEvent| {
        let typing = crate::ui::shortcuts::typing(&e);
        // `?` lists the shortcuts; `/` goes to the series search (not while typing).
        if !typing && !e.ctrl_key() && !e.meta_key() && !e.alt_key() {
            match e.key().as_str() {
                "?" => {
                    e.prevent_default();
                    sheet.0.set(true);
                }
                "/" => {
                    if let Some(search) =
                        web_sys::window().and_then(|w| w.document()).and_then(|d| {
                            d.query_selector("[data-testid=frame-search]")
                                .ok()
                                .flatten()
                        })
                    {
                        e.prevent_default();
                        let _ =
                            wasm_bindgen::JsCast::unchecked_ref::<web_sys::HtmlElement>(&search)
                                .focus();
                    }
                }
                _ => {}
            }
            return;
        }
        if !(e.ctrl_key() || e.meta_key()) || e.alt_key() {
            return;
        }
        // Ctrl/⌘+Enter: what the series' generate button says, even from a text field.
        if e.key() == "Enter" {
            if let Some(run) = generate_now.0.get_value() {
                e.prevent_default();
                run.run(());
            }
            return;
        }
        if typing {
            return;
        }
        let key = e.key().to_lowercase();
        let done = match (key.as_str(), e.shift_key()) {
            ("z", false) => {
                crate::app::edit::undo(state).map(|w| format!("Undone: {}.", w.to_lowercase()))
            }
            ("z", true) | ("y", false) => {
                crate::app::edit::redo(state).map(|w| format!("Redone: {}.", w.to_lowercase()))
            }
            _ => return,
        };
        e.prevent_default();
        if let Some(text) = done {
            state.info(text);
        }
    });
    on_cleanup(move || keys.remove());
    let listener = window_event_listener(ev::hashchange, move |_| {
        state.route.set(Route::from_hash(&hash()))
    });
    on_cleanup(move || listener.remove());
    spawn_local(library::load(state));
    sync::start(state);
    // Pending edits are written at once when the page is hidden or left.
    saver::flush_when_hidden(state);
    spawn_local(discover_server(state));
    crate::web::service_worker::register(move |notice| state.info(notice));
    spawn_local(load_catalogue(state));
    spawn_local(async move {
        let digest = crate::web::clock::sha256_hex(web_storage::device_id().as_bytes()).await;
        state
            .safety_id
            .set(digest.map(|d| format!("cty-{}", &d[..32])));
    });

    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="topbar">
            <button class="brand" on:click=move |_| state.go(Route::Projects) aria-label="Continuity: all series">
                <span class="brand-mark" aria-hidden="true"></span>
                "Continuity"
            </button>
            <ConnectionBadge/>
            <button class="btn ghost" on:click=move |_| state.settings_open.set(true) aria-haspopup="dialog">
                "Settings"
            </button>
        </header>
        <NoticeBar/>
        <main id="main" tabindex="-1">
            {move || match state.route.get() {
                Route::Projects => view! { <ProjectsScreen/> }.into_any(),
                Route::Series(id) => view! { <SeriesScreen id=id/> }.into_any(),
            }}
        </main>
        <SettingsPanel/>
        <crate::ui::shortcuts::ShortcutSheet/>
    }
}

pub use crate::ui::shortcuts::GenerateShortcut;

/// Asks our server (if it is the one serving the page) whether it can generate images.
async fn discover_server(state: AppState) {
    let info = crate::web::http::get_text("api/config")
        .await
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .map(|v| ServerInfo {
            available: v.get("images_base").is_some(),
            provider: v
                .get("provider")
                .and_then(|p| p.as_str())
                .unwrap_or("")
                .to_string(),
            token_required: v
                .get("token_required")
                .and_then(|t| t.as_bool())
                .unwrap_or(false),
            checked: true,
        })
        .unwrap_or(ServerInfo {
            checked: true,
            ..ServerInfo::default()
        });
    // A static host (no continuity-server behind the page): the only ways to make images are
    // the user's own key or endpoint, so a first run starts there instead of at "This server".
    if !info.available
        && state.settings.with_untracked(|s| {
            s.connection == continuity_core::settings::ConnectionKind::ThisServer
        })
    {
        state
            .settings
            .update(|s| s.connection = continuity_core::settings::ConnectionKind::OpenAiDirect);
    }
    state.server.set(info);
}

/// Replaces the built-in model catalogue with the deployment's `models.json`, if it has a valid
/// one (so a host can add a model or fix a price without rebuilding). A broken file is reported
/// and ignored.
async fn load_catalogue(state: AppState) {
    let Some(text) = crate::web::http::get_text("models.json").await else {
        return;
    };
    match continuity_core::catalogue::Catalogue::parse(&text) {
        Ok(catalogue) => state.catalogue.set(catalogue),
        Err(e) => state.error(format!("{e} Using the built-in model list.")),
    }
}

/// Where images will be made, at a glance.
#[component]
fn ConnectionBadge() -> impl IntoView {
    let state = AppState::get();
    let label = move || {
        use continuity_core::settings::ConnectionKind::*;
        let server = state.server.get();
        match state.settings.get().connection {
            ThisServer if server.checked && !server.available => "No server here".to_string(),
            ThisServer => match server.provider.as_str() {
                "fake" => "This server · built-in fake".to_string(),
                "openai" => "This server · OpenAI".to_string(),
                _ => "This server".to_string(),
            },
            OpenAiDirect if state.key.get().is_empty() => {
                "OpenAI directly · no key yet".to_string()
            }
            OpenAiDirect => "OpenAI directly".to_string(),
            Custom => "Custom endpoint".to_string(),
        }
    };
    view! { <span class="connection" data-testid="connection">{label}</span> }
}

/// The banner for errors and notices; errors are announced to screen readers at once. A
/// notice after a delete offers "Undo".
#[component]
fn NoticeBar() -> impl IntoView {
    let state = AppState::get();
    move || {
        state.notice.get().map(|n| {
            let class = if n.is_error { "notice error" } else { "notice" };
            let undo = n.undo.then(|| {
                view! {
                    <button class="btn small" data-testid="undo" on:click=move |_| {
                        state.notice.set(None);
                        if let Some(what) = crate::app::edit::undo(state) {
                            state.info(format!("Undone: {}.", what.to_lowercase()));
                        }
                    }>"Undo"</button>
                }
            });
            view! {
                <div class=class role=if n.is_error { "alert" } else { "status" } data-testid="notice">
                    <p>{n.text}</p>
                    {undo}
                    <button class="btn ghost small" on:click=move |_| state.notice.set(None)>"Dismiss"</button>
                </div>
            }
        })
    }
}
