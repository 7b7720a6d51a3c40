//! Settings and secrets kept in the browser: one effect per thing, so whatever changes them
//! (the settings dialog, the first screen, a static host switching to "OpenAI directly") is
//! stored the same way, and no component persists anything. The key and the token live in
//! `sessionStorage` for the tab, and in `localStorage` only when "Remember on this device" is
//! on; an empty secret is forgotten everywhere.

use crate::app::state::AppState;
use crate::web::web_storage::{self, Secret};
use leptos::prelude::*;

/// Stores settings and secrets whenever they change (call once, after they were loaded).
pub fn persist(state: AppState) {
    Effect::new(move |_| state.settings.with(web_storage::save_settings));
    let remember = Memo::new(move |_| state.settings.with(|s| s.remember_key));
    for (secret, value) in [(Secret::Key, state.key), (Secret::Token, state.token)] {
        Effect::new(move |_| {
            let remember = remember.get();
            value.with(|v| {
                if v.trim().is_empty() {
                    web_storage::forget(secret);
                } else {
                    web_storage::store(secret, v, remember);
                }
            });
        });
    }
}
