//! Settings: where images are made (this server, OpenAI directly, a custom endpoint), the key,
//! and batch behaviour.

use crate::state::AppState;
use crate::web_storage;
use continuity_core::settings::{check_base_url, mask_key, ConnectionKind};
use leptos::prelude::*;

/// The settings dialog.
#[component]
pub fn SettingsPanel() -> impl IntoView {
    let state = AppState::get();
    let close = move || state.settings_open.set(false);
    // Move focus into the dialog when it opens, so Escape and Tab work at once.
    let dialog = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(el) = dialog.get() {
            let _ = el.focus();
        }
    });
    let set = move |change: &dyn Fn(&mut continuity_core::settings::Settings)| {
        state.settings.update(|s| change(s));
        web_storage::save_settings(&state.settings.get_untracked());
    };
    let kind = move || state.settings.get().connection;
    let choose = move |k: ConnectionKind| set(&|s| s.connection = k);
    let key_input = RwSignal::new(String::new());
    let save_key = move || {
        let key = key_input.get_untracked();
        if key.trim().is_empty() {
            return;
        }
        let remember = state.settings.get_untracked().remember_key;
        web_storage::store_key(&key, remember);
        state.key.set(key.trim().to_string());
        key_input.set(String::new());
    };
    let forget = move |_| {
        web_storage::forget_key();
        state.key.set(String::new());
        key_input.set(String::new());
    };
    let custom_error = move || {
        let s = state.settings.get();
        (s.connection == ConnectionKind::Custom && !s.custom_base_url.is_empty())
            .then(|| check_base_url(&s.custom_base_url).err())
            .flatten()
    };
    let radio = move |k: ConnectionKind,
                      id: &'static str,
                      label: &'static str,
                      hint: &'static str| {
        view! {
            <label class="template-option" for=id>
                <input type="radio" name="connection" id=id prop:checked=move || kind() == k on:change=move |_| choose(k)/>
                <span class="template-name">{label}</span>
                <span class="template-meta">{hint}</span>
            </label>
        }
    };
    view! {
        <Show when=move || state.settings_open.get()>
            <div class="backdrop" on:click=move |_| close()></div>
            <div class="dialog card" role="dialog" aria-modal="true" aria-labelledby="settings-title" data-testid="settings" tabindex="-1" node_ref=dialog
                on:keydown=move |ev: leptos::ev::KeyboardEvent| { if ev.key() == "Escape" { close() } }>
                <h2 id="settings-title">"Settings"</h2>
                <fieldset class="templates">
                    <legend>"Make images with"</legend>
                    {radio(ConnectionKind::ThisServer, "conn-server", "This server", "The server that serves this page holds the key (or runs the built-in fake).")}
                    {radio(ConnectionKind::OpenAiDirect, "conn-openai", "OpenAI directly", "Your own key; requests go from this browser to api.openai.com.")}
                    {radio(ConnectionKind::Custom, "conn-custom", "Custom endpoint", "Any OpenAI-compatible base URL, e.g. your own proxy.")}
                </fieldset>
                <Show when=move || kind() == ConnectionKind::Custom>
                    <label class="field">
                        <span>"Base URL (ending in /v1)"</span>
                        <input type="url" data-testid="custom-base-url" placeholder="https://proxy.example.org/v1" spellcheck="false"
                            prop:value=move || state.settings.get().custom_base_url
                            on:change:target=move |ev| { let v = ev.target().value(); set(&|s| s.custom_base_url = v.trim().to_string()) }/>
                    </label>
                    {move || custom_error().map(|e| view! { <p class="frame-error" role="alert">{e}</p> })}
                </Show>
                <Show when=move || kind() != ConnectionKind::ThisServer>
                    <div class="key-box">
                        <label class="field">
                            <span>{move || if kind() == ConnectionKind::Custom { "Key or access token (optional)" } else { "OpenAI API key" }}</span>
                            <input type="password" autocomplete="off" spellcheck="false" autocapitalize="off" data-testid="api-key"
                                placeholder=move || { let k = state.key.get(); if k.is_empty() { "sk-…".to_string() } else { format!("Saved: {}", mask_key(&k)) } }
                                prop:value=move || key_input.get()
                                on:input:target=move |ev| key_input.set(ev.target().value())
                                on:keydown=move |ev: leptos::ev::KeyboardEvent| { if ev.key() == "Enter" { save_key() } }/>
                        </label>
                        <div class="row">
                            <button class="btn small" on:click=move |_| save_key() data-testid="save-key">"Use this key"</button>
                            <button class="btn ghost small" on:click=forget data-testid="forget-key">"Forget key"</button>
                            <label class="check">
                                <input type="checkbox" prop:checked=move || state.settings.get().remember_key
                                    on:change:target=move |ev| {
                                        let remember = ev.target().checked();
                                        set(&|s| s.remember_key = remember);
                                        let key = state.key.get_untracked();
                                        if !key.is_empty() { web_storage::store_key(&key, remember) }
                                    }/>
                                "Remember on this device"
                            </label>
                        </div>
                        <p class="muted small">
                            {move || if state.key.get().is_empty() { "No key in use.".to_string() } else { format!("Key in use: {}", mask_key(&state.key.get())) }}
                            " By default the key is kept for this tab only. Use a restricted key that can only create images, in a project with a spend limit: anything running in this page can read it."
                        </p>
                    </div>
                </Show>
                <fieldset class="row">
                    <legend>"Batches"</legend>
                    <label class="field narrow">
                        <span>"Requests at once"</span>
                        <input type="number" min="1" max="12" data-testid="concurrency" prop:value=move || state.settings.get().concurrency.to_string()
                            on:change:target=move |ev| {
                                if let Ok(n) = ev.target().value().parse::<u8>() { set(&|s| s.concurrency = n.clamp(1, 12)) }
                            }/>
                    </label>
                    <label class="check">
                        <input type="checkbox" data-testid="stream-previews" prop:checked=move || state.settings.get().stream_previews
                            on:change:target=move |ev| { let on = ev.target().checked(); set(&|s| s.stream_previews = on) }/>
                        "Show live previews (streaming; +100 tokens per preview)"
                    </label>
                </fieldset>
                <div class="row end">
                    <button class="btn primary" on:click=move |_| close() data-testid="close-settings">"Done"</button>
                </div>
            </div>
        </Show>
    }
}
