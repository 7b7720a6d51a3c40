//! Delivery of dist/: cache rules, the Content-Security-Policy, precompressed bodies chosen by
//! Accept-Encoding, ETag revalidation, byte ranges and HEAD; event streams stay uncompressed.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use continuity_server::cli::Cli;
use continuity_server::delivery::{csp, Delivery};
use continuity_server::static_files::{IMMUTABLE, NO_CACHE};
use serde_json::json;

use crate::common::{self, Server};
use crate::stub::{forward_config, start_upstream, CLIENT};

const JS: &str = "continuity-0123456789abcdef.js";
const WASM: &str = "continuity-0123456789abcdef_bg.wasm";
const WASM_BYTES: &[u8] = b"\0asm\x01\0\0\0 0123456789";
const INDEX: &str =
    "<!doctype html><meta charset=utf-8><meta http-equiv=\"Content-Security-Policy\" \
                     content=\"default-src 'none'\"><title>Continuity</title>";

fn write(dir: &Path, name: &str, data: &[u8]) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, data).expect("write");
}

/// A dist/ like Trunk's, with precompressed siblings for the wasm (their bytes only say which
/// one was sent).
fn dist() -> PathBuf {
    let dist = common::scratch_dir("delivery");
    write(&dist, "index.html", INDEX.as_bytes());
    write(&dist, JS, b"export default 1;");
    write(&dist, WASM, WASM_BYTES);
    write(&dist, &format!("{WASM}.br"), b"BROTLI");
    write(&dist, &format!("{WASM}.gz"), b"GZIP");
    write(&dist, "main-0123456789abcdef.css", b"body{}");
    write(&dist, "sw.js", b"const BUILD = null;");
    write(&dist, "boot.js", b"import('x');");
    write(&dist, "manifest.webmanifest", b"{}");
    write(&dist, "models.json", b"{}");
    write(&dist, "continuity-worker_bg.wasm", b"\0asm");
    write(&dist, "icons/icon-192.png", b"\x89PNG");
    write(
        &dist,
        "icons/icon-192.png.gz",
        b"never sent: PNG is not compressed",
    );
    dist
}

async fn serve(dist: &Path, delivery: Delivery) -> Server {
    let mut config = common::fake_config(0);
    config.dist = dist.to_path_buf();
    config.delivery = delivery;
    common::start(config).await
}

async fn get(server: &Server, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = server.client.get(server.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.expect("sent")
}

fn header<'a>(resp: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    resp.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn hashed_files_are_immutable_the_rest_revalidates_and_all_carry_the_policy() {
    let dist = dist();
    let server = serve(&dist, Delivery::default()).await;
    let policy = csp::policy(&[], csp::Delivery::Header);
    for (path, cache) in [
        (format!("/{JS}"), IMMUTABLE),
        (format!("/{WASM}"), IMMUTABLE),
        ("/main-0123456789abcdef.css".into(), IMMUTABLE),
        ("/".into(), NO_CACHE),
        ("/index.html".into(), NO_CACHE),
        ("/series/42".into(), NO_CACHE), // SPA fallback
        ("/sw.js".into(), NO_CACHE),
        ("/boot.js".into(), NO_CACHE),
        ("/manifest.webmanifest".into(), NO_CACHE),
        ("/models.json".into(), NO_CACHE),
        ("/continuity-worker_bg.wasm".into(), NO_CACHE),
        ("/icons/icon-192.png".into(), NO_CACHE),
    ] {
        let resp = get(&server, &path, &[]).await;
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(header(&resp, "cache-control"), Some(cache), "{path}");
        assert_eq!(
            header(&resp, "content-security-policy"),
            Some(policy.as_str()),
            "{path}"
        );
        assert!(header(&resp, "etag").is_some(), "{path}");
    }
    // The page's own <meta> policy is removed: the header is the one policy in force.
    let page = get(&server, "/", &[]).await.text().await.expect("text");
    assert_eq!(
        page,
        "<!doctype html><meta charset=utf-8><title>Continuity</title>"
    );
    assert!(policy.contains("frame-ancestors 'none'"));
    let _ = std::fs::remove_dir_all(dist);
}

#[tokio::test]
async fn connect_src_adds_the_deployments_endpoints() {
    let dist = dist();
    let delivery = Delivery {
        connect_src: vec!["https://proxy.example.org".into()],
    };
    let server = serve(&dist, delivery).await;
    let resp = get(&server, "/", &[]).await;
    let policy = header(&resp, "content-security-policy").expect("policy");
    assert!(
        policy.contains(
            "connect-src 'self' data: blob: https://api.openai.com https://proxy.example.org;"
        ),
        "{policy}"
    );
    // The flag is checked: nothing can end the directive or add a keyword.
    let parse = |value: &str| {
        <Cli as clap::Parser>::try_parse_from(["continuity-server", "--connect-src", value])
            .expect("parses")
            .into_config(None)
    };
    let config = parse("https://proxy.example.org").expect("valid");
    assert_eq!(config.delivery.connect_src, ["https://proxy.example.org"]);
    let err = parse("https://x.org; script-src *").expect_err("refused");
    assert!(err.contains("--connect-src"), "{err}");
    let _ = std::fs::remove_dir_all(dist);
}

#[tokio::test]
async fn precompressed_siblings_follow_accept_encoding() {
    let dist = dist();
    let server = serve(&dist, Delivery::default()).await;
    let path = format!("/{WASM}");
    for (accept, body, coding) in [
        ("gzip, deflate, br, zstd", &b"BROTLI"[..], Some("br")),
        ("gzip", b"GZIP", Some("gzip")),
        ("br;q=0, gzip;q=0.8", b"GZIP", Some("gzip")),
        ("identity", WASM_BYTES, None),
        ("", WASM_BYTES, None),
    ] {
        let headers: &[(&str, &str)] = if accept.is_empty() {
            &[]
        } else {
            &[("accept-encoding", accept)]
        };
        let resp = get(&server, &path, headers).await;
        assert_eq!(header(&resp, "content-encoding"), coding, "{accept}");
        assert_eq!(header(&resp, "content-type"), Some("application/wasm"));
        assert_eq!(header(&resp, "vary"), Some("accept-encoding"));
        assert_eq!(&resp.bytes().await.expect("body")[..], body, "{accept}");
    }
    // Each representation has its own validator.
    let etag = |accept: &'static str| {
        let server = &server;
        let path = path.clone();
        async move {
            let resp = get(server, &path, &[("accept-encoding", accept)]).await;
            header(&resp, "etag").expect("etag").to_string()
        }
    };
    assert_ne!(etag("br").await, etag("gzip").await);

    // Images are not compressed again, and a sibling older than its file (edited after the
    // build) is ignored.
    let resp = get(
        &server,
        "/icons/icon-192.png",
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(header(&resp, "content-encoding"), None);
    assert_eq!(header(&resp, "vary"), None);
    let old = SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(dist.join(format!("{WASM}.br")))
        .and_then(|f| f.set_modified(old))
        .expect("set mtime");
    let resp = get(&server, &path, &[("accept-encoding", "br")]).await;
    assert_eq!(header(&resp, "content-encoding"), None);
    assert_eq!(&resp.bytes().await.expect("body")[..], WASM_BYTES);
    let _ = std::fs::remove_dir_all(dist);
}

#[cfg(unix)]
#[tokio::test]
async fn a_sibling_may_not_lead_outside_the_directory() {
    let dist = dist();
    let outside = common::scratch_dir("outside");
    write(&outside, "secret.br", b"SECRET");
    std::os::unix::fs::symlink(outside.join("secret.br"), dist.join(format!("{JS}.br")))
        .expect("symlink");
    let server = serve(&dist, Delivery::default()).await;
    let resp = get(&server, &format!("/{JS}"), &[("accept-encoding", "br")]).await;
    assert_eq!(header(&resp, "content-encoding"), None);
    assert_eq!(resp.text().await.expect("text"), "export default 1;");
    let _ = std::fs::remove_dir_all(dist);
    let _ = std::fs::remove_dir_all(outside);
}

#[tokio::test]
async fn the_page_is_gzipped_when_accepted() {
    let dist = dist();
    let server = serve(&dist, Delivery::default()).await;
    let resp = get(&server, "/", &[("accept-encoding", "gzip, br")]).await;
    assert_eq!(header(&resp, "content-encoding"), Some("gzip"));
    assert_eq!(header(&resp, "vary"), Some("accept-encoding"));
    let gz = resp.bytes().await.expect("body");
    let mut page = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut page)
        .expect("valid gzip");
    assert_eq!(
        page,
        "<!doctype html><meta charset=utf-8><title>Continuity</title>"
    );
    let _ = std::fs::remove_dir_all(dist);
}

#[tokio::test]
async fn revalidation_answers_304_until_the_file_changes() {
    let dist = dist();
    let server = serve(&dist, Delivery::default()).await;
    for path in ["/", "/sw.js", "/models.json"] {
        let etag = header(&get(&server, path, &[]).await, "etag")
            .expect("etag")
            .to_string();
        let resp = get(&server, path, &[("if-none-match", &etag)]).await;
        assert_eq!(resp.status(), 304, "{path}");
        assert_eq!(header(&resp, "etag"), Some(etag.as_str()));
        assert_eq!(header(&resp, "cache-control"), Some(NO_CACHE));
        let resp = get(&server, path, &[("if-none-match", "\"other\"")]).await;
        assert_eq!(resp.status(), 200, "{path}");
    }
    let etag = header(&get(&server, "/", &[]).await, "etag")
        .expect("etag")
        .to_string();
    write(&dist, "index.html", b"<!doctype html><title>v2</title>");
    let resp = get(&server, "/", &[("if-none-match", &etag)]).await;
    assert_eq!(resp.status(), 200, "a new page is sent in full");
    assert_eq!(
        resp.text().await.expect("text"),
        "<!doctype html><title>v2</title>"
    );
    let _ = std::fs::remove_dir_all(dist);
}

#[tokio::test]
async fn byte_ranges_and_head() {
    let dist = dist();
    let server = serve(&dist, Delivery::default()).await;
    let path = format!("/{WASM}");
    let len = WASM_BYTES.len();
    let resp = get(&server, &path, &[("range", "bytes=2-5")]).await;
    assert_eq!(resp.status(), 206);
    assert_eq!(header(&resp, "accept-ranges"), Some("bytes"));
    let expected = format!("bytes 2-5/{len}");
    assert_eq!(header(&resp, "content-range"), Some(expected.as_str()));
    assert_eq!(&resp.bytes().await.expect("body")[..], &WASM_BYTES[2..=5]);
    let resp = get(&server, &path, &[("range", "bytes=-4")]).await;
    assert_eq!(resp.status(), 206);
    assert_eq!(
        &resp.bytes().await.expect("body")[..],
        &WASM_BYTES[len - 4..]
    );
    // A range of the encoded body counts encoded bytes.
    let resp = get(
        &server,
        &path,
        &[("range", "bytes=0-1"), ("accept-encoding", "br")],
    )
    .await;
    assert_eq!(resp.status(), 206);
    assert_eq!(header(&resp, "content-range"), Some("bytes 0-1/6"));
    assert_eq!(&resp.bytes().await.expect("body")[..], b"BR");
    // Out of range: 416 with the length; If-Range naming another version: the whole file.
    let resp = get(&server, &path, &[("range", "bytes=100-")]).await;
    assert_eq!(resp.status(), 416);
    let expected = format!("bytes */{len}");
    assert_eq!(header(&resp, "content-range"), Some(expected.as_str()));
    let resp = get(
        &server,
        &path,
        &[("range", "bytes=0-1"), ("if-range", "\"old\"")],
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.expect("body").len(), len);
    // The page supports ranges too.
    let resp = get(&server, "/", &[("range", "bytes=0-8")]).await;
    assert_eq!(resp.status(), 206);
    assert_eq!(resp.text().await.expect("text"), "<!doctype");

    // HEAD: the same headers, the full length, no body.
    for (range, status, length) in [(None, 200, len), (Some("bytes=0-3"), 206, 4)] {
        let mut req = server.client.head(server.url(&path));
        if let Some(range) = range {
            req = req.header("range", range);
        }
        let resp = req.send().await.expect("sent");
        assert_eq!(resp.status(), status);
        assert_eq!(
            header(&resp, "content-length"),
            Some(length.to_string().as_str())
        );
        assert_eq!(header(&resp, "cache-control"), Some(IMMUTABLE));
        assert!(resp.bytes().await.expect("body").is_empty());
    }
    let resp = server
        .client
        .head(server.url("/"))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);
    assert!(header(&resp, "content-security-policy").is_some());
    let _ = std::fs::remove_dir_all(dist);
}

#[tokio::test]
async fn event_streams_are_never_compressed() {
    let body = json!({"model": "gpt-image-2", "prompt": "streamed", "stream": true, "partial_images": 1, "quality": "low"});
    let accept = ("accept-encoding", "br, gzip");
    // The fake...
    let fake = common::fake().await;
    let resp = fake
        .post_json("/v1/images/generations", &body, &[accept])
        .await;
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    assert_eq!(header(&resp, "content-encoding"), None);
    assert!(resp.text().await.expect("text").starts_with("event: "));
    // ...and forward mode, whose upstream is asked for no encoding either.
    let upstream = start_upstream().await;
    let server = common::start(forward_config(&upstream.url, 1024 * 1024)).await;
    let resp = server
        .post_json("/v1/images/generations", &body, &[accept, CLIENT])
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    assert_eq!(header(&resp, "content-encoding"), None);
    assert!(resp.text().await.expect("text").starts_with("event: "));
    let seen = upstream.seen();
    assert!(!seen[0].headers.contains_key("accept-encoding"));
}
