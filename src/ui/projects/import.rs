//! The projects screen's "Import" button: a file input for a Continuity ZIP export or a bare
//! `manifest.json`. The import makes a new series (never overwrites one) or says exactly why
//! the file was refused, with nothing changed.

use crate::app::state::AppState;
use leptos::html::Input;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// "Import" and what the last import did.
#[component]
pub fn ImportButton() -> impl IntoView {
    let state = AppState::get();
    let input = NodeRef::<Input>::new();
    let busy = RwSignal::new(false);
    let outcome: RwSignal<Option<Result<String, String>>> = RwSignal::new(None);
    let on_change = move |_| {
        let Some(el) = input.get() else { return };
        let Some(file) = el.files().and_then(|f| f.get(0)) else {
            return;
        };
        // The same file can be chosen again after a refusal.
        el.set_value("");
        busy.set(true);
        outcome.set(None);
        spawn_local(async move {
            // The importer is a lazy part: a module that cannot be fetched is a refusal too.
            let result = crate::parts::import_file(state, file)
                .await
                .unwrap_or_else(|missing| Err(missing.to_string()));
            let _ = busy.try_set(false);
            let _ = outcome.try_set(Some(result));
        });
    };
    view! {
        <div class="import">
            <button class="btn" data-testid="import" disabled=move || busy.get()
                on:click=move |_| { if let Some(el) = input.get() { el.click(); } }>"Import"</button>
            <input type="file" class="sr-only" node_ref=input tabindex="-1" data-testid="import-file"
                aria-label="Series file (ZIP or manifest.json)"
                accept=".zip,application/zip,.json,application/json" on:change=on_change/>
            {move || busy.get().then(|| view! { <span class="muted" role="status">"Importing…"</span> })}
            {move || outcome.get().map(|r| match r {
                Ok(text) => view! { <p class="muted" role="status" data-testid="import-result">{text}</p> }.into_any(),
                Err(text) => view! {
                    <p class="error" role="alert" data-testid="import-error">{format!("Import refused: {text} Nothing was changed.")}</p>
                }.into_any(),
            })}
        </div>
    }
}
