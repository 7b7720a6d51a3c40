//! Response hygiene (issue 20, point 6): `Referrer-Policy: no-referrer` everywhere, `nosniff`
//! and `no-store` on JSON, and the fake's journal — every prompt typed — only for the
//! server's own pages.

use serde_json::json;

use crate::common::{self, fake_config, json};
use continuity_server::{FakeConfig, Provider};

#[tokio::test]
async fn every_response_has_the_safety_headers() {
    let server = common::fake().await;
    let get = |path: &str| server.client.get(server.url(path)).send();
    let health = get("/healthz").await.expect("healthz");
    assert_eq!(health.headers()["referrer-policy"], "no-referrer");
    assert_eq!(health.headers()["x-content-type-options"], "nosniff");
    for resp in [
        get("/api/config").await.expect("config"),
        get("/v1/models").await.expect("404"),
        server.generate(json!({"model": "gpt-image-2"})).await,
        get("/_fake/requests").await.expect("journal"),
    ] {
        let h = resp.headers().clone();
        assert!(h["content-type"]
            .to_str()
            .is_ok_and(|c| c.starts_with("application/json")));
        assert_eq!(h["referrer-policy"], "no-referrer", "{}", resp.url());
        assert_eq!(h["x-content-type-options"], "nosniff", "{}", resp.url());
        assert_eq!(h["cache-control"], "no-store", "{}", resp.url());
    }
}

#[tokio::test]
async fn the_journal_is_kept_from_other_sites() {
    let server = common::fake().await;
    let prompt = "a private prompt 91c2";
    assert_eq!(
        server
            .generate(json!({"model": "gpt-image-2", "prompt": prompt, "quality": "low"}))
            .await
            .status(),
        200
    );
    let journal = |headers: &[(&str, &str)]| {
        let mut req = server.client.get(server.url("/_fake/requests"));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send()
    };
    for headers in [
        &[("origin", "https://evil.example")][..],
        &[("sec-fetch-site", "cross-site")][..],
        // DNS rebinding: evil.example resolving to 127.0.0.1.
        &[
            ("host", "evil.example:8080"),
            ("origin", "http://evil.example:8080"),
        ][..],
    ] {
        let resp = journal(headers).await.expect("answered");
        assert_eq!(resp.status(), 403, "{headers:?}");
        assert!(!resp.headers().contains_key("access-control-allow-origin"));
        assert!(
            !resp.text().await.expect("body").contains(prompt),
            "{headers:?}"
        );
    }
    // Nor can they clear it.
    let resp = server
        .client
        .delete(server.url("/_fake/requests"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("answered");
    assert_eq!(resp.status(), 403);
    // The server's own pages and scripts without an Origin read it.
    let own = format!("http://{}", server.addr);
    for headers in [
        &[][..],
        &[("origin", own.as_str()), ("sec-fetch-site", "same-origin")][..],
    ] {
        let resp = journal(headers).await.expect("answered");
        assert_eq!(resp.status(), 200);
        assert!(!resp.headers().contains_key("access-control-allow-origin"));
        assert!(json(resp).await.to_string().contains(prompt));
    }
}

#[tokio::test]
async fn a_test_rig_may_open_the_journal_to_its_pages() {
    let mut config = fake_config(10);
    config.provider = Provider::Fake(FakeConfig {
        journal_origins: vec!["*".into()],
        ..FakeConfig::default()
    });
    let server = common::start(config).await;
    let resp = server
        .client
        .get(server.url("/_fake/requests"))
        .header("origin", "http://127.0.0.1:9999")
        .send()
        .await
        .expect("answered");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
}
