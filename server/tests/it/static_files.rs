//! Serving dist/: MIME types, SPA fallback, API prefixes, a missing directory.

use std::path::Path;

use crate::common::{self, expect_error};

fn write(dir: &Path, name: &str, data: &[u8]) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, data).expect("write");
}

#[tokio::test]
async fn serves_files_with_mime_types_and_falls_back_to_index() {
    let dist = common::scratch_dir("dist");
    write(
        &dist,
        "index.html",
        b"<!doctype html><title>Continuity</title>",
    );
    write(&dist, "continuity-abc_bg.wasm", b"\0asm\x01\0\0\0");
    write(&dist, "continuity-abc.js", b"export default 1;");
    write(&dist, "style-1.css", b"body{}");
    write(
        &dist,
        "icons/logo.svg",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    );
    write(&dist, "manifest.json", b"{}");
    let mut config = common::fake_config(0);
    config.dist = dist.clone();
    let server = common::start(config).await;
    let get = |path: &str| server.client.get(server.url(path)).send();

    for (path, mime) in [
        ("/continuity-abc_bg.wasm", "application/wasm"),
        ("/continuity-abc.js", "application/javascript"),
        ("/style-1.css", "text/css"),
        ("/icons/logo.svg", "image/svg+xml"),
        ("/manifest.json", "application/json"),
        ("/", "text/html; charset=utf-8"),
    ] {
        let resp = get(path).await.expect("sent");
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(resp.headers()["content-type"], mime, "{path}");
        assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    }
    let wasm = get("/continuity-abc_bg.wasm")
        .await
        .expect("sent")
        .bytes()
        .await
        .expect("body");
    assert_eq!(&wasm[..], b"\0asm\x01\0\0\0");

    // Client-side routes get index.html.
    for path in ["/project/42/frames", "/settings", "/missing.png"] {
        let resp = get(path).await.expect("sent");
        assert_eq!(resp.status(), 200, "{path}");
        assert!(resp
            .text()
            .await
            .expect("text")
            .contains("<title>Continuity</title>"));
    }
    // API prefixes never fall back.
    for path in ["/api/nope", "/v1/nope", "/_fake/nope", "/api"] {
        expect_error(get(path).await.expect("sent"), 404).await;
    }
    // No escaping the directory.
    let resp = get("/%2e%2e/%2e%2e/etc/passwd").await.expect("sent");
    assert!(!resp.text().await.expect("text").contains("root:"));
    let _ = std::fs::remove_dir_all(dist);
}

#[tokio::test]
async fn missing_dist_still_serves_the_api() {
    let server = common::fake().await;
    let resp = server
        .client
        .get(server.url("/"))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 404);
    assert!(resp.text().await.expect("text").contains("not built"));
    let resp = server
        .client
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);
}
