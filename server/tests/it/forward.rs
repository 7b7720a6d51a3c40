//! Forward mode against a recording upstream on 127.0.0.1: key replacement, header
//! allow-lists, SSE passthrough, default-deny routing, redirects and failures.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use continuity_server::{ApiKey, Config, ForwardConfig, Provider};
use futures_util::StreamExt;
use serde_json::json;

use crate::common::{self, expect_error, json, sha256_hex, Multipart};

const SERVER_KEY: &str = "sk-server-side-key";

/// One request the upstream saw.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    headers: HeaderMap,
    body_sha256: String,
}

type Log = Arc<Mutex<Vec<Seen>>>;

async fn upstream_handler(
    State(log): State<Log>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    log.lock().expect("lock").push(Seen {
        path: uri.path().to_string(),
        headers: headers.clone(),
        body_sha256: sha256_hex(&body),
    });
    let text = String::from_utf8_lossy(&body);
    if text.contains("redirect-me") {
        return (
            StatusCode::FOUND,
            [("location", "http://127.0.0.1:9/steal")],
            "",
        )
            .into_response();
    }
    if text.contains("\"stream\":true") {
        // Two events 600 ms apart: the proxy must deliver the first before the second exists.
        let stream = futures_util::stream::unfold(0u8, |i| async move {
            match i {
                0 => Some((Ok::<_, std::io::Error>(Bytes::from("event: image_generation.partial_image\ndata: {\"type\":\"image_generation.partial_image\"}\n\n")), 1)),
                1 => {
                    tokio::time::sleep(Duration::from_millis(600)).await;
                    Some((Ok(Bytes::from("event: image_generation.completed\ndata: {\"type\":\"image_generation.completed\"}\n\n")), 2))
                }
                _ => None,
            }
        });
        let mut response = Response::new(Body::from_stream(stream));
        response
            .headers_mut()
            .insert("content-type", "text/event-stream".parse().expect("value"));
        return response;
    }
    (
        StatusCode::OK,
        [
            ("content-type", "application/json"),
            ("x-request-id", "req_upstream"),
            ("x-ratelimit-remaining-requests", "4"),
            ("openai-processing-ms", "1234"),
            ("set-cookie", "__cf_bm=tracking; path=/"),
            ("server", "cloudflare"),
            ("x-internal-debug", "leak"),
        ],
        json!({"created": 1, "data": [], "echo_content_type": headers.get("content-type").and_then(|v| v.to_str().ok())}).to_string(),
    )
        .into_response()
}

async fn start_upstream() -> (String, Log) {
    let log: Log = Arc::default();
    let app = Router::new()
        .fallback(post(upstream_handler))
        .with_state(Arc::clone(&log));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (format!("http://{addr}"), log)
}

fn forward_config(upstream: &str, max_body_bytes: usize) -> Config {
    Config {
        dist: "/nonexistent-continuity-dist".into(),
        max_body_bytes,
        provider: Provider::OpenAi(
            ForwardConfig::new(upstream, ApiKey::new(SERVER_KEY).expect("key")).expect("config"),
        ),
    }
}

#[tokio::test]
async fn replaces_the_key_and_filters_headers_both_ways() {
    let (upstream, log) = start_upstream().await;
    let server = common::start(forward_config(&upstream, 1024 * 1024)).await;
    let resp = server
        .post_json(
            "/v1/images/generations",
            &json!({"model": "gpt-image-2", "prompt": "p"}),
            &[
                ("authorization", "Bearer sk-client-key"),
                ("cookie", "session=abc"),
                ("openai-organization", "org-client"),
                ("openai-project", "proj-client"),
                ("x-forwarded-for", "6.6.6.6"),
                ("x-base-url", "http://evil.example"),
                ("accept", "application/json"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 200);
    let h = resp.headers().clone();
    assert_eq!(h["x-request-id"], "req_upstream");
    assert_eq!(h["x-ratelimit-remaining-requests"], "4");
    assert_eq!(h["openai-processing-ms"], "1234");
    assert_eq!(h["cache-control"], "no-store");
    for dropped in [
        "set-cookie",
        "server",
        "x-internal-debug",
        "access-control-allow-origin",
    ] {
        assert!(
            !h.contains_key(dropped),
            "{dropped} must not reach the client"
        );
    }
    let body = json(resp).await;
    assert_eq!(body["echo_content_type"], "application/json");

    let seen = log.lock().expect("lock").clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/v1/images/generations");
    let headers = &seen[0].headers;
    assert_eq!(
        headers["authorization"],
        format!("Bearer {SERVER_KEY}").as_str()
    );
    assert_eq!(headers["accept"], "application/json");
    for dropped in [
        "cookie",
        "openai-organization",
        "openai-project",
        "x-forwarded-for",
        "x-base-url",
    ] {
        assert!(
            !headers.contains_key(dropped),
            "{dropped} must not reach the upstream"
        );
    }

    let config = json(
        server
            .client
            .get(server.url("/api/config"))
            .send()
            .await
            .expect("config"),
    )
    .await;
    assert_eq!(config["provider"], "openai");
    assert!(!config.to_string().contains(SERVER_KEY));
}

#[tokio::test]
async fn multipart_passes_with_its_boundary() {
    let (upstream, log) = start_upstream().await;
    let server = common::start(forward_config(&upstream, 1024 * 1024)).await;
    let form = Multipart::new()
        .text("model", "gpt-image-2")
        .text("prompt", "edit")
        .file("image[]", "a.png", "image/png", &common::rgb_png(32, 32));
    let (content_type, bytes) = form.finish();
    let resp = server
        .client
        .post(server.url("/v1/images/edits"))
        .header("content-type", &content_type)
        .body(bytes.clone())
        .send()
        .await
        .expect("sent");
    assert_eq!(json(resp).await["echo_content_type"], content_type.as_str());
    let seen = log.lock().expect("lock").clone();
    assert_eq!(seen[0].path, "/v1/images/edits");
    assert_eq!(
        seen[0].body_sha256,
        sha256_hex(&bytes),
        "body forwarded byte for byte"
    );
}

#[tokio::test]
async fn sse_passes_through_event_by_event() {
    let (upstream, _log) = start_upstream().await;
    let server = common::start(forward_config(&upstream, 1024 * 1024)).await;
    let started = Instant::now();
    let resp = server
        .post_json(
            "/v1/images/generations",
            &json!({"model": "gpt-image-2", "prompt": "s", "stream": true}),
            &[],
        )
        .await;
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut stream = resp.bytes_stream();
    let first = stream.next().await.expect("first chunk").expect("ok");
    let first_at = started.elapsed();
    assert!(String::from_utf8_lossy(&first).contains("partial_image"));
    let mut rest = Vec::new();
    while let Some(chunk) = stream.next().await {
        rest.extend_from_slice(&chunk.expect("ok"));
    }
    assert!(String::from_utf8_lossy(&rest).contains("completed"));
    // The upstream waits 600 ms between the events; a buffering proxy would deliver both at once.
    let gap = started.elapsed() - first_at;
    assert!(
        gap >= Duration::from_millis(400),
        "first event buffered: {first_at:?}, gap {gap:?}"
    );
}

#[tokio::test]
async fn only_the_two_image_routes_exist() {
    let (upstream, log) = start_upstream().await;
    let server = common::start(forward_config(&upstream, 1024 * 1024)).await;
    let c = &server.client;
    let attempts = [
        c.get(server.url("/v1/images/generations")),
        c.post(server.url("/v1/chat/completions")),
        c.get(server.url("/v1/models")),
        c.post(server.url("/v1/files")),
        c.post(server.url("/v1/images/variations")),
        c.get(server.url("/_fake/requests")),
        c.post(server.url("/v1/images/../models")),
        c.post(server.url("/v1/images/generations/extra")),
    ];
    for request in attempts {
        let resp = request.send().await.expect("sent");
        assert_eq!(resp.status(), 404, "{}", resp.url());
    }
    assert!(
        log.lock().expect("lock").is_empty(),
        "nothing may reach the upstream"
    );
    let preflight = c
        .request(reqwest::Method::OPTIONS, server.url("/v1/images/edits"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("sent");
    assert!(preflight.status().is_success());
    assert!(!preflight
        .headers()
        .contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn redirects_failures_and_limits() {
    let (upstream, log) = start_upstream().await;
    let server = common::start(forward_config(&upstream, 4096)).await;
    let err = expect_error(
        server
            .post_json(
                "/v1/images/generations",
                &json!({"prompt": "redirect-me"}),
                &[],
            )
            .await,
        502,
    )
    .await;
    assert_eq!(err["code"], "upstream_redirect");
    assert_eq!(
        log.lock().expect("lock").len(),
        1,
        "the redirect is not followed"
    );

    let big = json!({"prompt": "x".repeat(10_000)});
    expect_error(
        server.post_json("/v1/images/generations", &big, &[]).await,
        413,
    )
    .await;
    assert_eq!(
        log.lock().expect("lock").len(),
        1,
        "an oversized body never leaves"
    );

    // A port that nothing listens on.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let dead = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let server = common::start(forward_config(&dead, 4096)).await;
    let err = expect_error(
        server
            .post_json("/v1/images/generations", &json!({"prompt": "p"}), &[])
            .await,
        502,
    )
    .await;
    assert_eq!(err["code"], "upstream_unreachable");
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_cut_off() {
    let (upstream, log) = start_upstream().await;
    let server = common::start(forward_config(&upstream, 4096)).await;
    // No content-length: the limit must be enforced while streaming.
    let chunks = (0..8).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; 1024])));
    let resp = server
        .client
        .post(server.url("/v1/images/generations"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .expect("sent");
    expect_error(resp, 413).await;
    assert!(
        log.lock().expect("lock").is_empty(),
        "the upstream never sees a complete request"
    );
}
