//! Settings: where images are made (this server, OpenAI directly, a custom endpoint), the key
//! or this server's access token, and batch behaviour.

use crate::app::state::AppState;
use crate::web::web_storage::Secret;
use continuity_core::settings::{check_base_url, mask_key, ConnectionKind};
use leptos::prelude::*;

/// A secret's field: type it, use it, forget it, remember it on this device (opt-in). The
/// value is never shown again, only its last four characters.
#[component]
fn SecretBox(
    /// Which secret (stored apart from the other).
    secret: Secret,
    /// Where it is kept in memory.
    current: RwSignal<String>,
    /// The field's label.
    #[prop(into)]
    label: Signal<String>,
    /// `data-testid` of the field; the buttons get `save-…` and `forget-…`.
    testid: &'static str,
    /// What the secret is called in the buttons and status ("key", "token").
    noun: &'static str,
    /// One sentence of advice.
    advice: &'static str,
) -> impl IntoView {
    let state = AppState::get();
    let input = RwSignal::new(String::new());
    let save = move || {
        let value = input.get_untracked();
        if value.trim().is_empty() {
            return;
        }
        // Stored by `app::settings::persist` (for the tab; on this device if asked).
        current.set(value.trim().to_string());
        input.set(String::new());
    };
    let forget = move |_| {
        current.set(String::new());
        input.set(String::new());
    };
    let (save_id, forget_id) = match secret {
        Secret::Key => ("save-key", "forget-key"),
        Secret::Token => ("save-token", "forget-token"),
    };
    view! {
        <div class="key-box">
            <div class="field">
                <label for=testid>{move || label.get()}</label>
                <input type="password" id=testid autocomplete="off" spellcheck="false" autocapitalize="off" data-testid=testid
                    placeholder=move || { let k = current.get(); if k.is_empty() { String::new() } else { format!("Saved: {}", mask_key(&k)) } }
                    prop:value=move || input.get()
                    on:input:target=move |ev| input.set(ev.target().value())
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| { if ev.key() == "Enter" { save() } }/>
            </div>
            <div class="row">
                <button class="btn small" on:click=move |_| save() data-testid=save_id>{format!("Use this {noun}")}</button>
                <button class="btn ghost small" on:click=forget data-testid=forget_id>{format!("Forget {noun}")}</button>
                <label class="check">
                    <input type="checkbox" prop:checked=move || state.settings.get().remember_key
                        on:change:target=move |ev| {
                            let remember = ev.target().checked();
                            state.settings.update(|s| s.remember_key = remember);
                        }/>
                    "Remember on this device"
                </label>
            </div>
            <p class="muted small">
                {move || if current.get().is_empty() { format!("No {noun} in use.") } else { format!("{} in use: {}", capitalised(noun), mask_key(&current.get())) }}
                " " {advice}
            </p>
        </div>
    }
}

fn capitalised(word: &str) -> String {
    let mut c = word.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// The settings dialog.
#[component]
pub fn SettingsPanel() -> impl IntoView {
    let state = AppState::get();
    let close = move || state.settings_open.set(false);
    // A native modal: focus moves in and stays in, Escape closes it.
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    crate::ui::modal::show_when_mounted(dialog);
    let set = move |change: &dyn Fn(&mut continuity_core::settings::Settings)| {
        state.settings.update(|s| change(s));
    };
    let kind = move || state.settings.get().connection;
    let choose = move |k: ConnectionKind| set(&|s| s.connection = k);
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
            <dialog class="dialog card" aria-labelledby="settings-title" data-testid="settings" node_ref=dialog
                on:close=move |_| close()>
                <h2 id="settings-title">"Settings"</h2>
                <fieldset class="templates">
                    <legend>"Make images with"</legend>
                    {radio(ConnectionKind::ThisServer, "conn-server", "This server", "The server that serves this page holds the key (or runs the built-in fake).")}
                    {radio(ConnectionKind::OpenAiDirect, "conn-openai", "OpenAI directly", "Your own key; requests go from this browser to api.openai.com.")}
                    {radio(ConnectionKind::Custom, "conn-custom", "Custom endpoint", "Any OpenAI-compatible base URL, e.g. your own proxy.")}
                </fieldset>
                <Show when=move || kind() == ConnectionKind::Custom>
                    <div class="field">
                        <label for="custom-base-url">"Base URL (ending in /v1)"</label>
                        <input type="url" id="custom-base-url" data-testid="custom-base-url" placeholder="https://proxy.example.org/v1" spellcheck="false"
                            prop:value=move || state.settings.get().custom_base_url
                            on:change:target=move |ev| { let v = ev.target().value(); set(&|s| s.custom_base_url = v.trim().to_string()) }/>
                    </div>
                    {move || custom_error().map(|e| view! { <p class="frame-error" role="alert">{e}</p> })}
                </Show>
                <Show when=move || kind() == ConnectionKind::ThisServer>
                    <SecretBox secret=Secret::Token current=state.token testid="access-token" noun="token"
                        label=Signal::derive(move || if state.server.get().token_required {
                            "Access token (this server asks for one)".to_string()
                        } else {
                            "Access token (only if this server asks for one)".to_string()
                        })
                        advice="The server's owner gives you a token; it works only on this server, can be revoked, and has its own limits. Kept for this tab unless you tick Remember."/>
                </Show>
                <Show when=move || kind() != ConnectionKind::ThisServer>
                    <SecretBox secret=Secret::Key current=state.key testid="api-key" noun="key"
                        label=Signal::derive(move || if kind() == ConnectionKind::Custom { "Key or access token (optional)".to_string() } else { "OpenAI API key".to_string() })
                        advice="By default the key is kept for this tab only. Use a restricted key that can only create images, in a project with a spend limit: anything running in this page can read it."/>
                    <p class="muted small" data-testid="recovery-note">
                        "Without a server, an image whose request is in flight when the page reloads, crashes or loses the network is lost (and may have been billed). Through continuity-server (“This server”) in-flight work is recoverable: the server keeps each answer for 24 hours and the app stores it when it comes back."
                    </p>
                </Show>
                <fieldset class="row">
                    <legend>"Batches"</legend>
                    <div class="field narrow">
                        <label for="concurrency">"Requests at once"</label>
                        <input type="number" id="concurrency" min="1" max="12" data-testid="concurrency" prop:value=move || state.settings.get().concurrency.to_string()
                            on:change:target=move |ev| {
                                if let Ok(n) = ev.target().value().parse::<u8>() { set(&|s| s.concurrency = n.clamp(1, 12)) }
                            }/>
                    </div>
                    <label class="check">
                        <input type="checkbox" data-testid="stream-previews" prop:checked=move || state.settings.get().stream_previews
                            on:change:target=move |ev| { let on = ev.target().checked(); set(&|s| s.stream_previews = on) }/>
                        "Show live previews (streaming; +100 tokens per preview)"
                    </label>
                </fieldset>
                <div class="field">
                    <label for="text-model">"Text model (plans from a brief, describing images)"</label>
                    <select id="text-model" data-testid="text-model"
                        on:change:target=move |ev| { let id = ev.target().value(); set(&|s| s.text_model = id.clone()) }>
                        {continuity_core::text_models::TextCatalogue::builtin().text_models.into_iter().map(|m| {
                            let chosen = crate::app::brief::text_model(&state.settings.get_untracked()).id == m.id;
                            view! { <option value=m.id.clone() selected=chosen>{format!("{} — {}", m.label, m.note)}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="row end">
                    <button class="btn primary" on:click=move |_| close() data-testid="close-settings">"Done"</button>
                </div>
            </dialog>
        </Show>
    }
}
