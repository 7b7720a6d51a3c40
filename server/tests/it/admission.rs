//! Admission in forward mode (issue 20, points 2, 3 and 6): tokens by default on every
//! address; bodies read only once a request is admitted; a slow body is the client's 408;
//! upstream error bodies without key fragments. Budgets and restarts: `budgets.rs`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use continuity_server::tokens::{Budget, Limits};
use continuity_server::AccessConfig;
use futures_util::StreamExt;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{self, expect_error, scratch_dir};
use crate::stub::{
    forward_config_with, spawn_forward, start_upstream, token_command, tokens_in, CLIENT,
    SERVER_KEY,
};

const GEN: &str = "/v1/images/generations";
const EDITS: &str = "/v1/images/edits";

/// An upstream that reads each body to its end (counting it), waits `delay`, and bills
/// `output_tokens` image output tokens and 10 text input tokens.
pub struct Billing {
    pub url: String,
    pub requests: Arc<AtomicU64>,
    pub bytes: Arc<AtomicU64>,
}

pub async fn start_billing(output_tokens: u64, delay: Duration) -> Billing {
    #[derive(Clone)]
    struct S {
        requests: Arc<AtomicU64>,
        bytes: Arc<AtomicU64>,
        output_tokens: u64,
        delay: Duration,
    }
    async fn handle(State(s): State<S>, body: Body) -> impl IntoResponse {
        s.requests.fetch_add(1, Ordering::SeqCst);
        let mut stream = body.into_data_stream();
        while let Some(Ok(chunk)) = stream.next().await {
            s.bytes.fetch_add(chunk.len() as u64, Ordering::SeqCst);
        }
        tokio::time::sleep(s.delay).await;
        let usage = json!({"input_tokens": 10, "input_tokens_details": {"text_tokens": 10, "image_tokens": 0},
                           "output_tokens": s.output_tokens, "total_tokens": 10 + s.output_tokens});
        (
            [("content-type", "application/json")],
            json!({"created": 1, "data": [{"b64_json": "iVBORw0KGgo="}], "usage": usage})
                .to_string(),
        )
    }
    let state = S {
        requests: Arc::default(),
        bytes: Arc::default(),
        output_tokens,
        delay,
    };
    let billing = Billing {
        url: String::new(),
        requests: Arc::clone(&state.requests),
        bytes: Arc::clone(&state.bytes),
    };
    let app = Router::new().fallback(post(handle)).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    Billing {
        url: format!("http://{addr}"),
        ..billing
    }
}

pub fn create(dir: &std::path::Path, args: &[&str]) -> String {
    let (status, token, err) = token_command(dir, &[&["create"], args].concat());
    assert_eq!(status, 0, "{err}");
    token.trim().to_string()
}

/// Peak resident memory of a process (VmHWM), bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    kb * 1024
}

#[tokio::test]
async fn behind_a_tls_proxy_on_loopback_a_tokenless_request_is_refused() {
    // The layout the README recommends: TLS in a reverse proxy, the server on 127.0.0.1 with
    // the public origin allowed, and no other flag.
    let upstream = start_upstream().await;
    let dir = scratch_dir("admission-default");
    let tokens = dir.join("tokens.json");
    let server = spawn_forward(
        &upstream.url,
        &[
            "--allow-origin",
            "https://images.example.com",
            "--tokens",
            tokens.to_str().expect("utf-8"),
        ],
    );
    let client = reqwest::Client::new();
    for i in 0..3 {
        // What an internet client sends through the reverse proxy, with the app's header.
        let resp = client
            .post(server.url(GEN))
            .header("host", "images.example.com")
            .header("origin", "https://images.example.com")
            .header("content-type", "application/json")
            .header(CLIENT.0, CLIENT.1)
            .body(json!({"model": "gpt-image-2", "prompt": format!("anon {i}")}).to_string())
            .send()
            .await
            .expect("sent");
        assert_eq!(expect_error(resp, 401).await["code"], "missing_token");
    }
    assert_eq!(upstream.count(), 0, "nothing forwarded");
    let config = common::json(
        client
            .get(server.url("/api/config"))
            .send()
            .await
            .expect("config"),
    )
    .await;
    assert_eq!(config["token_required"], true);
    drop(server);

    // --allow-anonymous with a public origin needs a server-wide budget, and says what it does.
    let out = std::process::Command::new(crate::stub::BIN)
        .args(["--provider", "openai", "--addr", "127.0.0.1:0"])
        .args([
            "--allow-origin",
            "https://images.example.com",
            "--allow-anonymous",
        ])
        .arg("--tokens")
        .arg(&tokens)
        .env("OPENAI_API_KEY", SERVER_KEY)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--budget-usd"), "{err}");
    let server = spawn_forward(
        &upstream.url,
        &[
            "--allow-origin",
            "https://images.example.com",
            "--allow-anonymous",
            "--budget-usd",
            "1/day",
            "--tokens",
            tokens.to_str().expect("utf-8"),
        ],
    );
    let log = server.stop();
    assert!(
        log.contains("warning: --allow-anonymous")
            && log.contains("spend it (up to the server's budget, $1.00/day)"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_uploads_of_50_mb_from_one_token_keep_memory_bounded() {
    let upstream = start_billing(196, Duration::from_millis(200)).await;
    let dir = scratch_dir("admission-uploads");
    let token = create(
        &dir,
        &[
            "--name",
            "up",
            "--concurrency",
            "4",
            "--budget-usd",
            "100/day",
        ],
    );
    let tokens = dir.join("tokens.json");
    let server = spawn_forward(
        &upstream.url,
        &["--tokens", tokens.to_str().expect("utf-8")],
    );
    let before = peak_rss(server.pid());
    // One 50 MB multipart edit (the image is noise: priced at the widest size).
    let boundary = "continuity-upload-flood";
    let mut body = Vec::with_capacity(50 * 1024 * 1024 + 1024);
    for (name, value) in [
        ("model", "gpt-image-2"),
        ("prompt", "p"),
        ("quality", "low"),
        ("size", "1024x1024"),
    ] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"image[]\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes(),
    );
    body.extend((0..50 * 1024 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let body = Bytes::from(body);
    let sent_each = body.len() as u64;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .expect("client");
    let uploads = (0..30).map(|_| {
        let (client, url, body, token) = (
            client.clone(),
            server.url(EDITS),
            body.clone(),
            token.clone(),
        );
        tokio::spawn(async move {
            let resp = client
                .post(url)
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .header(CLIENT.0, CLIENT.1)
                .header("authorization", format!("Bearer {token}"))
                .body(body)
                .send()
                .await
                .expect("answered, even when refused before the body was read");
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap_or_default();
            (status, text)
        })
    });
    let mut admitted = 0;
    for upload in futures_util::future::join_all(uploads).await {
        let (status, text) = upload.expect("task");
        match status {
            200 => admitted += 1,
            429 => assert!(text.contains("at most 4 in flight"), "{text}"),
            other => panic!("status {other}: {text}"),
        }
    }
    let peak = peak_rss(server.pid());
    let per_request_cap = 64 * 1024 * 1024;
    let bound = 4 * per_request_cap + 64 * 1024 * 1024;
    println!(
        "upload flood: {admitted} of 30 admitted; proxy RSS {:.0} MB before, peak {:.0} MB (bound {:.0} MB)",
        before as f64 / 1e6,
        peak as f64 / 1e6,
        bound as f64 / 1e6
    );
    assert!(admitted >= 4, "the first four were admitted");
    assert_eq!(upstream.requests.load(Ordering::SeqCst), admitted);
    assert_eq!(
        upstream.bytes.load(Ordering::SeqCst),
        admitted * sent_each,
        "forwarded whole"
    );
    assert!(peak < bound, "peak RSS {peak} over {bound}");
}

#[tokio::test]
async fn a_slow_body_is_the_clients_408_and_nothing_is_sent() {
    let upstream = start_upstream().await;
    let (tokens, issued) = tokens_in(
        &scratch_dir("admission-slow"),
        &[("slow", Limits::default())],
    );
    let access = AccessConfig {
        tokens,
        ..AccessConfig::default()
    };
    let mut config = forward_config_with(&upstream.url, 1024 * 1024, access);
    config.body_timeout = Duration::from_secs(1);
    let server = common::start(config).await;
    let mut stream = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    let head = format!(
        "POST {GEN} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: 1000\r\nX-Continuity-Client: 1\r\nAuthorization: Bearer {}\r\n\r\n{{\"prompt\":",
        issued[0]
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("answered within the timeout")
        .expect("read");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(
        text.contains("\"request_timeout\"") && text.contains("the client sent it too slowly"),
        "{text}"
    );
    assert!(text.contains("Nothing was sent upstream"), "{text}");
    assert!(
        !text.contains("upstream timeout") && !text.contains("billed"),
        "{text}"
    );
    assert_eq!(upstream.count(), 0);
}

#[tokio::test]
async fn an_upstream_401_reaches_the_client_without_key_fragments() {
    let upstream = start_upstream().await;
    let (tokens, issued) = tokens_in(
        &scratch_dir("admission-redact"),
        &[(
            "r",
            Limits {
                budget: Budget::parse("1/day").ok(),
                ..Limits::default()
            },
        )],
    );
    let access = AccessConfig {
        tokens,
        ..AccessConfig::default()
    };
    let server = common::start(forward_config_with(&upstream.url, 1024 * 1024, access)).await;
    let bearer = format!("Bearer {}", issued[0]);
    let resp = server
        .post_json(
            GEN,
            &json!({"model": "gpt-image-2", "prompt": "fail-401", "quality": "low", "size": "1024x1024"}),
            &[CLIENT, ("authorization", &bearer)],
        )
        .await;
    assert_eq!(resp.headers()["cache-control"], "no-store");
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    let err = expect_error(resp, 401).await;
    assert_eq!(err["code"], "invalid_api_key");
    let message = err["message"].as_str().expect("message");
    assert!(
        message.starts_with("Incorrect API key provided: sk-***."),
        "{message}"
    );
    for fragment in [
        "abcd",
        "wxyz",
        SERVER_KEY,
        &SERVER_KEY[SERVER_KEY.len() - 4..],
    ] {
        assert!(!message.contains(fragment), "{fragment:?} in {message}");
    }
    // Not billed: the budget is whole again.
    let resp = server
        .post_json(
            GEN,
            &json!({"model": "gpt-image-2", "prompt": "p", "quality": "high", "size": "1024x1024", "n": 4}),
            &[CLIENT, ("authorization", &bearer)],
        )
        .await;
    assert_eq!(resp.status(), 200);
}
