//! The root component: provides the state, starts the app ([`crate::app::boot`]), follows the
//! URL hash, and shows the first screen — every other screen and dialog is a lazily loaded part
//! ([`crate::parts`]).

use crate::app::state::{AppState, Route};
use crate::parts;
use crate::ui::lazy_view::LazyView;
use crate::ui::projects::ProjectsScreen;
use crate::web::idb::DB_NAME;
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
    crate::app::boot::start(state);
    let sheet = crate::ui::shortcuts::SheetOpen(RwSignal::new(false));
    provide_context(sheet);
    provide_context(GenerateShortcut(StoredValue::new_local(None)));
    // `?` lists the shortcuts, everywhere but in a text field. The workspace's own shortcuts
    // (search, generate, undo) are installed with the workspace part.
    let keys = window_event_listener(ev::keydown, move |e: web_sys::KeyboardEvent| {
        let plain = !e.ctrl_key() && !e.meta_key() && !e.alt_key();
        if plain && e.key() == "?" && !crate::ui::shortcuts::typing(&e) {
            e.prevent_default();
            sheet.0.set(true);
        }
    });
    on_cleanup(move || keys.remove());
    // `go` sets the route and the hash; the hashchange that follows names the same route and
    // must not render the screen anew (that closed a drawer opened in between).
    let listener = window_event_listener(ev::hashchange, move |_| {
        let route = Route::from_hash(&crate::app::boot::current_hash());
        if state.route.with_untracked(|now| *now != route) {
            state.route.set(route);
        }
    });
    on_cleanup(move || listener.remove());
    // Latches: true from the first time the dialog opens (its part loads then, not before).
    let settings_wanted = Memo::new(move |was: Option<&bool>| {
        was.copied().unwrap_or(false) || state.settings_open.get()
    });
    let sheet_wanted =
        Memo::new(move |was: Option<&bool>| was.copied().unwrap_or(false) || sheet.0.get());
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
                Route::Series(id) => view! {
                    <LazyView load=move || parts::series_screen(id.clone())/>
                }.into_any(),
            }}
        </main>
        // Dialogs load the first time they open, and stay mounted after.
        <Show when=move || settings_wanted.get()>
            <LazyView load=parts::settings_panel/>
        </Show>
        <Show when=move || sheet_wanted.get()>
            <LazyView load=parts::shortcut_sheet/>
        </Show>
    }
}

/// Undo or redo (the history lives with the workspace, loaded on first use); says so if that
/// part cannot be loaded.
async fn undo_or_redo(state: AppState, step: parts::Step) {
    if let Err(missing) = parts::undo_or_redo(state, step).await {
        state.error(missing.to_string());
    }
}

pub use crate::ui::shortcuts::GenerateShortcut;

/// Where images will be made, at a glance.
#[component]
fn ConnectionBadge() -> impl IntoView {
    let state = AppState::get();
    let label = move || {
        use continuity_core::settings::ConnectionKind::*;
        let server = state.server.get();
        match state.settings.get().connection {
            ThisServer if server.unreachable => "This server · offline".to_string(),
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
                        spawn_local(undo_or_redo(state, parts::Step::Undo));
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
