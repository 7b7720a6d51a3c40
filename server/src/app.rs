//! The router: health and config endpoints, the provider's image routes, the static app.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderValue, Method, Uri};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::config::{Config, Provider};
use crate::errors::ApiError;
use crate::fake::{self, FakeState};
use crate::static_files::{self, StaticFiles};
use crate::{log, proxy};

/// Builds the whole server. Every response passes through the one-line request log.
pub fn build_app(config: Config) -> Router {
    let info = ServerInfo {
        provider: config.provider.name(),
        token_required: match &config.provider {
            Provider::OpenAi(forward) => forward.access.require_token,
            Provider::Fake(_) => false,
        },
    };
    let info = Router::new()
        .route("/healthz", get(healthz))
        .route("/api/config", get(api_config))
        .with_state(info);
    let statics = Router::new()
        .fallback(static_files::serve)
        .with_state(Arc::new(StaticFiles::new(
            config.dist.clone(),
            &config.delivery,
        )));
    let router = match &config.provider {
        Provider::Fake(fake_config) => {
            let state = Arc::new(FakeState::new(fake_config, config.max_body_bytes));
            info.merge(fake::routes(state))
                .merge(statics)
                .layer(middleware::from_fn(fake::api_headers))
        }
        Provider::OpenAi(forward_config) => info
            .merge(proxy::routes(forward_config, config.max_body_bytes))
            .merge(statics),
    };
    router.layer(middleware::from_fn(log::log_requests))
}

/// `GET /healthz`
async fn healthz() -> &'static str {
    "ok"
}

/// What `/api/config` tells.
#[derive(Debug, Clone, Copy)]
struct ServerInfo {
    provider: &'static str,
    token_required: bool,
}

/// `GET /api/config`: tells the app that this server can generate images, and whether it
/// needs an access token. Never the key.
async fn api_config(State(info): State<ServerInfo>) -> Response {
    let mut response = Json(json!({
        "provider": info.provider,
        "images_base": "/v1",
        "token_required": info.token_required,
        "version": env!("CARGO_PKG_VERSION"),
    }))
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// 404 in OpenAI's envelope for any other method or path under the API prefixes.
pub async fn api_not_found(method: Method, uri: Uri) -> Response {
    ApiError::invalid_url(method.as_str(), uri.path()).into_response()
}
