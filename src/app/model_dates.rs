//! The endpoint's model dates: when the configured endpoint answers `GET /v1/models`
//! (reference §18), the `shutdown_date`s it reports win over the catalogue's, so the Model
//! select stops offering a model the day the endpoint says it ends. An endpoint that does not
//! answer (or answers something else) changes nothing: the catalogue's dates stay.

use crate::app::state::AppState;
use continuity_core::openai::models::ModelList;
use continuity_core::settings::Endpoint;
use leptos::prelude::*;

/// Asks the endpoint for its model list now and whenever the endpoint changes (settings, key,
/// token, the server's answer about itself). Call once, after the catalogue is loaded.
pub fn follow(state: AppState) {
    let endpoint = Memo::new(move |_| {
        let server = state.server.get();
        // Until the server has said what it is, "This server" cannot be resolved.
        if !server.checked {
            return None;
        }
        state
            .settings
            .get()
            .endpoint(
                Some(&state.key.get()),
                Some(&state.token.get()),
                server.caps(),
            )
            .ok()
    });
    Effect::new(move |_| {
        if let Some(endpoint) = endpoint.get() {
            leptos::task::spawn_local(apply(state, endpoint));
        }
    });
}

/// Fetches the endpoint's list and applies its dates; silent on any failure.
async fn apply(state: AppState, endpoint: Endpoint) {
    let Some(text) = crate::web::http::get_api_text(
        &endpoint.url("models"),
        endpoint.bearer.as_deref(),
        &endpoint.extra_headers(),
    )
    .await
    else {
        return;
    };
    if let Ok(list) = ModelList::parse(&text) {
        state.catalogue().update(|c| {
            c.apply_lifecycle(&list);
        });
    }
}
