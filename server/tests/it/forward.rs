//! Forward mode's upstream hygiene against a recording upstream on 127.0.0.1: key
//! replacement, header allow-lists, SSE passthrough, default-deny routing, redirects, body
//! limit, timeouts and failures (security-reliability §2.4 PRX-04, PRX-05, PRX-10, PRX-13,
//! PRX-14).

use std::time::{Duration, Instant};

use axum::body::Bytes;
use continuity_server::tokens::Limits;
use continuity_server::{AccessConfig, ApiKey, Config, ForwardConfig, Provider};
use futures_util::StreamExt;
use serde_json::json;

use crate::common::{self, expect_error, json, scratch_dir, sha256_hex, Multipart};
use crate::stub::{
    forward_config, forward_config_with, start_upstream, tokens_in, CLIENT, SERVER_KEY,
};

#[tokio::test]
async fn replaces_the_key_and_filters_headers_both_ways() {
    let upstream = start_upstream().await;
    // The client's Authorization carries its access token, which must not travel on.
    let (tokens, issued) = tokens_in(
        &scratch_dir("forward-headers"),
        &[("alice", Limits::default())],
    );
    let access = AccessConfig {
        tokens,
        ..AccessConfig::default()
    };
    let server = common::start(forward_config_with(&upstream.url, 1024 * 1024, access)).await;
    let bearer = format!("Bearer {}", issued[0]);
    let resp = server
        .post_json(
            "/v1/images/generations",
            &json!({"model": "gpt-image-2", "prompt": "p"}),
            &[
                ("authorization", &bearer),
                ("cookie", "session=abc"),
                ("openai-organization", "org-client"),
                ("openai-project", "proj-client"),
                ("x-forwarded-for", "6.6.6.6"),
                ("x-base-url", "http://evil.example"),
                ("accept", "application/json"),
                CLIENT,
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

    let seen = upstream.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/v1/images/generations");
    let headers = &seen[0].headers;
    assert_eq!(
        headers["authorization"],
        format!("Bearer {SERVER_KEY}").as_str()
    );
    assert_eq!(headers["accept"], "application/json");
    assert!(
        headers
            .values()
            .all(|v| !String::from_utf8_lossy(v.as_bytes()).contains(&issued[0])),
        "the access token never reaches the upstream"
    );
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
    let upstream = start_upstream().await;
    let server = common::start(forward_config(&upstream.url, 1024 * 1024)).await;
    let form = Multipart::new()
        .text("model", "gpt-image-2")
        .text("prompt", "edit")
        .file("image[]", "a.png", "image/png", &common::rgb_png(32, 32));
    let (content_type, bytes) = form.finish();
    let resp = server
        .client
        .post(server.url("/v1/images/edits"))
        .header("content-type", &content_type)
        .header(CLIENT.0, CLIENT.1)
        .body(bytes.clone())
        .send()
        .await
        .expect("sent");
    assert_eq!(json(resp).await["echo_content_type"], content_type.as_str());
    let seen = upstream.seen();
    assert_eq!(seen[0].path, "/v1/images/edits");
    assert_eq!(
        seen[0].body_sha256,
        sha256_hex(&bytes),
        "body forwarded byte for byte"
    );
}

#[tokio::test]
async fn sse_passes_through_event_by_event() {
    let upstream = start_upstream().await;
    let server = common::start(forward_config(&upstream.url, 1024 * 1024)).await;
    let started = Instant::now();
    let resp = server
        .post_json(
            "/v1/images/generations",
            &json!({"model": "gpt-image-2", "prompt": "s", "stream": true}),
            &[CLIENT],
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
async fn only_the_fixed_routes_exist() {
    let upstream = start_upstream().await;
    let server = common::start(forward_config(&upstream.url, 1024 * 1024)).await;
    let c = &server.client;
    let attempts = [
        c.get(server.url("/v1/images/generations")),
        c.post(server.url("/v1/chat/completions")),
        c.get(server.url("/v1/models")),
        // Files and Batches: only the five routes (POST /v1/files, GET /v1/files/{id}/content,
        // POST /v1/batches, GET /v1/batches/{id}, POST /v1/batches/{id}/cancel).
        c.get(server.url("/v1/files")),
        c.delete(server.url("/v1/files/file-abc")),
        c.get(server.url("/v1/files/file-abc")),
        c.get(server.url("/v1/batches")),
        c.post(server.url("/v1/uploads")),
        c.post(server.url("/v1/images/variations")),
        c.get(server.url("/_fake/requests")),
        c.post(server.url("/v1/images/../models")),
        c.post(server.url("/v1/images/generations/extra")),
    ];
    for request in attempts {
        let resp = request.send().await.expect("sent");
        assert_eq!(resp.status(), 404, "{}", resp.url());
    }
    assert_eq!(upstream.count(), 0, "nothing may reach the upstream");
}

#[tokio::test]
async fn redirects_failures_and_limits() {
    let upstream = start_upstream().await;
    let server = common::start(forward_config(&upstream.url, 4096)).await;
    let err = expect_error(
        server
            .post_json(
                "/v1/images/generations",
                &json!({"prompt": "redirect-me"}),
                &[CLIENT],
            )
            .await,
        502,
    )
    .await;
    assert_eq!(err["code"], "upstream_redirect");
    assert_eq!(upstream.count(), 1, "the redirect is not followed");

    let big = json!({"prompt": "x".repeat(10_000)});
    expect_error(
        server
            .post_json("/v1/images/generations", &big, &[CLIENT])
            .await,
        413,
    )
    .await;
    assert_eq!(upstream.count(), 1, "an oversized body never leaves");

    // A port that nothing listens on.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let dead = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let server = common::start(forward_config(&dead, 4096)).await;
    let err = expect_error(
        server
            .post_json("/v1/images/generations", &json!({"prompt": "p"}), &[CLIENT])
            .await,
        502,
    )
    .await;
    assert_eq!(err["code"], "upstream_unreachable");
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_cut_off() {
    let upstream = start_upstream().await;
    let server = common::start(forward_config(&upstream.url, 4096)).await;
    // No content-length: the limit must be enforced while streaming.
    let chunks = (0..8).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; 1024])));
    let resp = server
        .client
        .post(server.url("/v1/images/generations"))
        .header("content-type", "application/json")
        .header(CLIENT.0, CLIENT.1)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .expect("sent");
    expect_error(resp, 413).await;
    assert_eq!(
        upstream.count(),
        0,
        "the upstream never sees a complete request"
    );
}

/// PRX-14: an upstream that never answers gets a clear 504 at the configured timeout.
#[tokio::test]
async fn a_silent_upstream_is_a_clear_504() {
    let upstream = start_upstream().await;
    let forward = ForwardConfig::with_timeout(
        &upstream.url,
        ApiKey::new(SERVER_KEY).expect("key"),
        Duration::from_secs(1),
    )
    .expect("config");
    let mut forward = forward;
    forward.access.allow_anonymous = true;
    let mut config = Config::new(
        "/nonexistent-continuity-dist".into(),
        Provider::OpenAi(forward),
    );
    config.max_body_bytes = 1024 * 1024;
    let server = common::start(config).await;
    let started = Instant::now();
    let err = expect_error(
        server
            .post_json(
                "/v1/images/generations",
                &json!({"prompt": "stall-me"}),
                &[CLIENT],
            )
            .await,
        504,
    )
    .await;
    assert_eq!(err["code"], "upstream_timeout");
    assert!(
        err["message"].as_str().is_some_and(|m| m.contains("1 s")),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "cut at the timeout, not the stall"
    );
    assert_eq!(upstream.count(), 1);
}
