//! The router: health and config endpoints, the provider's image routes, the static app.

use std::sync::Arc;

use axum::extract::Request;
use axum::extract::State;
use axum::http::{header, HeaderValue, Method, Uri};
use axum::middleware::{self, Next};
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
            Provider::OpenAi(forward) => forward.access.token_required(),
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
    config.jobs.spawn_sweeper();
    let router = match &config.provider {
        Provider::Fake(fake_config) => {
            let state = Arc::new(FakeState::new(
                fake_config,
                config.max_body_bytes,
                config.body_timeout,
            ));
            let journal = Arc::new(fake::JournalAccess::new(fake_config));
            info.merge(fake::routes(state, &config))
                .merge(statics)
                .layer(middleware::from_fn_with_state(journal, fake::api_headers))
        }
        Provider::OpenAi(forward_config) => info
            .merge(proxy::routes(forward_config, &config))
            .merge(statics),
    };
    router
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(log::log_requests))
}

/// Headers every response carries: no `Referer` from the app's pages to anywhere, no MIME
/// sniffing, and no caching of JSON (API answers, errors, `/api/config`) unless the handler
/// chose a policy (the static files do).
async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    let h = response.headers_mut();
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if json && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
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
        // Image requests carrying this header are kept and can be read back (jobs/).
        "recoverable_jobs": {
            "header": continuity_core::openai::jobs::JOB_HEADER,
            "path": continuity_core::openai::jobs::JOBS_PATH,
            "ttl_seconds": continuity_core::openai::jobs::JOB_TTL_SECONDS,
        },
        "batches": true,
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
