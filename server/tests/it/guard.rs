//! The cross-site guard of forward mode (issue 8; security-reliability §2.3 P4): requests
//! from other origins are refused before anything reaches the upstream; the fake still
//! answers any origin.

use continuity_server::tokens::Limits;
use continuity_server::AccessConfig;
use serde_json::json;

use crate::common::{self, expect_error, scratch_dir, Multipart};
use crate::stub::{forward_config, forward_config_with, start_upstream, tokens_in, CLIENT};

const GEN: &str = "/v1/images/generations";

#[tokio::test]
async fn foreign_pages_are_refused_before_anything_is_forwarded() {
    let upstream = start_upstream().await;
    let server = common::start(forward_config(&upstream.url, 1024 * 1024)).await;
    let own = format!("http://{}", server.addr);
    let body = json!({"model": "gpt-image-2", "prompt": "p", "quality": "high"});
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![], "client_header_missing"),
        (
            vec![("x-continuity-client", "true")],
            "client_header_missing",
        ),
        (
            vec![("origin", "https://evil.example"), CLIENT],
            "cross_origin_refused",
        ),
        (vec![("origin", "null"), CLIENT], "cross_origin_refused"),
        (
            vec![("origin", "http://127.0.0.1:1"), CLIENT],
            "cross_origin_refused",
        ),
        (
            vec![("sec-fetch-site", "cross-site"), CLIENT],
            "cross_site_refused",
        ),
        (
            vec![("sec-fetch-site", "same-site"), CLIENT],
            "cross_site_refused",
        ),
        // DNS rebinding: the attacker's name resolves to 127.0.0.1, so its page is
        // "same-origin" in the browser's eyes.
        (
            vec![
                ("host", "rebind.evil.example"),
                ("origin", "http://rebind.evil.example"),
                CLIENT,
            ],
            "host_not_allowed",
        ),
        // The own origin does not help without the client header.
        (vec![("origin", own.as_str())], "client_header_missing"),
    ];
    for (headers, code) in &cases {
        let err = expect_error(server.post_json(GEN, &body, headers).await, 403).await;
        assert_eq!(err["code"], *code, "{headers:?}");
        assert_eq!(err["type"], "invalid_request_error");
    }
    // The exploit as a request: a no-cors multipart edit from another site.
    let form = Multipart::new()
        .text("model", "gpt-image-2")
        .text("prompt", "spend the owner's key")
        .text("quality", "high")
        .file("image[]", "a.png", "image/png", &common::rgb_png(16, 16));
    let resp = server
        .post_multipart(
            "/v1/images/edits",
            form,
            &[
                ("origin", "https://evil.example"),
                ("sec-fetch-site", "cross-site"),
                ("sec-fetch-mode", "no-cors"),
            ],
        )
        .await;
    assert_eq!(
        expect_error(resp, 403).await["code"],
        "cross_origin_refused"
    );
    assert_eq!(upstream.count(), 0, "nothing may reach the upstream");

    // Control: the same request from the server's own page goes through.
    let ok = [
        ("origin", own.as_str()),
        ("sec-fetch-site", "same-origin"),
        CLIENT,
    ];
    let resp = server.post_json(GEN, &body, &ok).await;
    assert_eq!(resp.status(), 200);
    assert!(!resp.headers().contains_key("access-control-allow-origin"));
    assert_eq!(upstream.count(), 1);
    let localhost = format!("localhost:{}", server.addr.port());
    let by_name = [("host", localhost.as_str()), CLIENT];
    assert_eq!(server.post_json(GEN, &body, &by_name).await.status(), 200);
}

#[tokio::test]
async fn preflights_from_foreign_origins_are_refused() {
    let upstream = start_upstream().await;
    let access = AccessConfig {
        allowed_origins: vec!["https://app.example.com".into()],
        ..AccessConfig::default()
    };
    let server = common::start(forward_config_with(&upstream.url, 1024 * 1024, access)).await;
    let preflight = |origin: &'static str| {
        server
            .client
            .request(reqwest::Method::OPTIONS, server.url("/v1/images/edits"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type, x-continuity-client",
            )
            .send()
    };
    let resp = preflight("https://evil.example").await.expect("sent");
    assert!(!resp.headers().contains_key("access-control-allow-origin"));
    assert_eq!(
        expect_error(resp, 403).await["code"],
        "cross_origin_refused"
    );

    let resp = preflight("https://app.example.com").await.expect("sent");
    assert_eq!(resp.status(), 204);
    let h = resp.headers();
    assert_eq!(h["access-control-allow-origin"], "https://app.example.com");
    assert_eq!(h["vary"], "origin");
    let allowed = h["access-control-allow-headers"].to_str().expect("ascii");
    for name in ["authorization", "content-type", "x-continuity-client"] {
        assert!(allowed.contains(name), "{name}");
    }
    assert_eq!(
        upstream.count(),
        0,
        "a preflight never reaches the upstream"
    );
}

/// Pages on an `--allow-origin` (the app on a CDN, the proxy elsewhere) can call the routes
/// and read the answers, refusals included.
#[tokio::test]
async fn allowed_origins_get_cors_on_every_answer() {
    let upstream = start_upstream().await;
    let dir = scratch_dir("guard-cors");
    let (tokens, issued) = tokens_in(&dir, &[("app", Limits::default())]);
    let access = AccessConfig {
        allowed_origins: vec!["https://app.example.com".into()],
        tokens,
        ..AccessConfig::default()
    };
    let server = common::start(forward_config_with(&upstream.url, 1024 * 1024, access)).await;
    let body = json!({"model": "gpt-image-2", "prompt": "p"});
    let origin = ("origin", "https://app.example.com");
    let resp = server
        .post_json(
            GEN,
            &body,
            &[origin, ("sec-fetch-site", "cross-site"), CLIENT],
        )
        .await;
    assert_eq!(
        resp.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert!(resp.headers()["access-control-expose-headers"]
        .to_str()
        .is_ok_and(|v| v.contains("retry-after")));
    assert_eq!(expect_error(resp, 401).await["code"], "missing_token");
    let bearer = format!("Bearer {}", issued[0]);
    let resp = server
        .post_json(GEN, &body, &[origin, ("authorization", &bearer), CLIENT])
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert_eq!(upstream.count(), 1);
}

/// The fake spends nothing and answers any origin, with or without a key, like the real API.
#[tokio::test]
async fn the_fake_answers_any_origin() {
    let server = common::fake().await;
    let resp = server
        .post_json(
            GEN,
            &json!({"model": "gpt-image-2", "prompt": "p", "quality": "low"}),
            &[
                ("origin", "https://evil.example"),
                ("sec-fetch-site", "cross-site"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
}
