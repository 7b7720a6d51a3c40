//! The keyboard shortcut sheet (`?`), and the list it shows. Shortcuts are ignored while typing
//! in a field where they would clash (letters, arrows, Enter); Ctrl/⌘ combinations work
//! everywhere except the browser's own undo inside a text field.

use leptos::html;
use leptos::prelude::*;

/// What Ctrl/⌘+Enter does on the current screen (the series screen registers its generate
/// button's action; `None` elsewhere).
#[derive(Clone, Copy)]
pub struct GenerateShortcut(pub StoredValue<Option<Callback<()>>, LocalStorage>);

/// Every shortcut, as the sheet lists it: (keys, what it does).
pub const SHORTCUTS: &[(&str, &str)] = &[
    (
        "Ctrl/⌘+Enter",
        "Generate what the series' generate button says",
    ),
    ("← → ↑ ↓", "Move between frames in the grid"),
    ("Enter", "Open the focused frame in the inspector"),
    ("← →", "In the inspector: the previous or next frame"),
    ("Esc", "Close the inspector or a dialog"),
    ("/", "Search the frames of the series"),
    ("Ctrl/⌘+Z", "Undo (outside text fields)"),
    ("Shift+Ctrl/⌘+Z", "Redo"),
    ("?", "Show this list"),
];

/// Whether the shortcut sheet is open.
#[derive(Clone, Copy)]
pub struct SheetOpen(pub RwSignal<bool>);

/// The sheet: a native modal dialog listing every shortcut.
#[component]
pub fn ShortcutSheet() -> impl IntoView {
    let open = expect_context::<SheetOpen>().0;
    let dialog = NodeRef::<html::Dialog>::new();
    Effect::new(move |_| {
        let want = open.get();
        if let Some(d) = dialog.get() {
            if want && !d.open() {
                let _ = d.show_modal();
            } else if !want && d.open() {
                d.close();
            }
        }
    });
    view! {
        <dialog node_ref=dialog class="dialog-native" data-testid="shortcuts" aria-labelledby="shortcuts-title" on:close=move |_| open.set(false)>
            <h2 id="shortcuts-title">"Keyboard shortcuts"</h2>
            <table class="shortcuts">
                <caption class="sr-only">"Keyboard shortcuts"</caption>
                <tbody>
                    {SHORTCUTS.iter().map(|(keys, what)| view! { <tr><th scope="row"><kbd>{*keys}</kbd></th><td>{*what}</td></tr> }).collect_view()}
                </tbody>
            </table>
            <div class="row end"><button class="btn primary" on:click=move |_| open.set(false)>"Close"</button></div>
        </dialog>
    }
}

/// Installs the workspace's shortcuts (once, when its part first loads): `/` goes to the frame
/// search, Ctrl/⌘+Enter does what the generate button says (even from a text field), Ctrl/⌘+Z
/// undoes and Shift+Ctrl/⌘+Z (or Ctrl+Y) redoes — except in a text field, where the browser's
/// own undo of the typing applies.
pub fn install_workspace_keys(state: crate::app::state::AppState) {
    use std::sync::atomic::{AtomicBool, Ordering};
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::Relaxed) {
        return;
    }
    let generate_now = expect_context::<GenerateShortcut>();
    let keys = window_event_listener(leptos::ev::keydown, move |e: web_sys::KeyboardEvent| {
        let typing = typing(&e);
        if !typing && !e.ctrl_key() && !e.meta_key() && !e.alt_key() {
            if e.key() == "/" {
                let search = web_sys::window().and_then(|w| w.document()).and_then(|d| {
                    d.query_selector("[data-testid=frame-search]")
                        .ok()
                        .flatten()
                });
                if let Some(search) = search {
                    e.prevent_default();
                    let _ = wasm_bindgen::JsCast::unchecked_ref::<web_sys::HtmlElement>(&search)
                        .focus();
                }
            }
            return;
        }
        if !(e.ctrl_key() || e.meta_key()) || e.alt_key() {
            return;
        }
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
        let done = match (e.key().to_lowercase().as_str(), e.shift_key()) {
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
    // The listener lives as long as the page: the workspace part stays loaded once loaded.
    std::mem::forget(keys);
}

/// Whether a key event comes from a place where typing happens (a shortcut of plain keys
/// must not fire there).
pub fn typing(ev: &web_sys::KeyboardEvent) -> bool {
    use wasm_bindgen::JsCast;
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| {
            matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                || el.get_attribute("contenteditable").is_some()
        })
}
