//! Limits shared by several replicas through one Redis (issue 8): two server processes with
//! the same `--redis-url` enforce one rate, one budget and one concurrency limit; a Redis
//! outage refuses (503) instead of letting requests through unlimited.
//!
//! Redis: `$CONTINUITY_TEST_REDIS_URL` (scripts/test.sh starts one), else a private
//! `redis-server` on a free port if the binary is installed. Without either the tests print
//! why and pass, unless `CONTINUITY_REQUIRE_REDIS=1` (CI), where they fail.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::{expect_error, scratch_dir};
use crate::stub::{spawn_forward, start_upstream, token_command, Process, CLIENT, SERVER_KEY};

const GEN: &str = "/v1/images/generations";

/// A Redis server started by a test (killed on drop).
pub struct PrivateRedis {
    child: Child,
    url: String,
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn redis_required() -> bool {
    std::env::var("CONTINUITY_REQUIRE_REDIS").is_ok_and(|v| v == "1")
}

pub fn skip(why: &str) {
    assert!(!redis_required(), "CONTINUITY_REQUIRE_REDIS=1 but {why}");
    eprintln!("SKIPPED (no Redis): {why}");
}

/// Starts `redis-server` on a free loopback port, if installed, keeping nothing on disk.
fn private_redis() -> Option<PrivateRedis> {
    private_redis_with(&["--save", "", "--appendonly", "no"])
}

/// Starts `redis-server` with `config` on a free loopback port, if installed.
fn private_redis_with(config: &[&str]) -> Option<PrivateRedis> {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .ok()?
        .port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let redis = PrivateRedis {
        child,
        url: format!("redis://127.0.0.1:{port}/"),
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let ping = redis::Client::open(redis.url.as_str())
            .and_then(|c| c.get_connection())
            .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c));
        if ping.is_ok() {
            return Some(redis);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// A key prefix no earlier run used (the shared Redis may hold their counters).
pub fn fresh_prefix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("continuity-test-{}-{nanos}:", std::process::id())
}

/// The shared test Redis, or a private one (kept alive by the returned guard).
pub fn redis_url() -> Option<(String, Option<PrivateRedis>)> {
    if let Ok(url) = std::env::var("CONTINUITY_TEST_REDIS_URL") {
        return Some((url, None));
    }
    let private = private_redis()?;
    Some((private.url.clone(), Some(private)))
}

async fn post(server: &Process, token: &str, prompt: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(server.url(GEN))
        .header("content-type", "application/json")
        .header(CLIENT.0, CLIENT.1)
        .header("authorization", format!("Bearer {token}"))
        .body(json!({"model": "gpt-image-2", "prompt": prompt, "quality": "low", "size": "1024x1024"}).to_string())
        .send()
        .await
        .expect("sent")
}

fn create(dir: &std::path::Path, args: &[&str]) -> String {
    let (status, token, err) = token_command(dir, &[&["create"], args].concat());
    assert_eq!(status, 0, "{err}");
    token.trim().to_string()
}

#[tokio::test]
async fn two_processes_share_one_set_of_limits_through_redis() {
    let Some((url, _guard)) = redis_url() else {
        return skip("no $CONTINUITY_TEST_REDIS_URL and no redis-server binary");
    };
    let upstream = start_upstream().await;
    let dir = scratch_dir("shared-limits");
    let alice = create(&dir, &["--name", "alice", "--rate", "4/min"]);
    let bob = create(&dir, &["--name", "bob", "--budget-usd", "0.008/day"]);
    let carol = create(&dir, &["--name", "carol", "--concurrency", "1"]);
    let tokens = dir.join("tokens.json");
    let prefix = fresh_prefix();
    let args = [
        "--tokens",
        tokens.to_str().expect("utf-8"),
        "--redis-url",
        &url,
        "--redis-prefix",
        &prefix,
    ];
    let a = spawn_forward(&upstream.url, &args);
    let b = spawn_forward(&upstream.url, &args);
    assert!(
        a.printed("counters in Redis", Duration::from_secs(2)),
        "{}",
        a.output()
    );

    // Rate 4/min across both: A, B, A, B pass; then both refuse.
    for (i, server) in [&a, &b, &a, &b].into_iter().enumerate() {
        assert_eq!(post(server, &alice, "p").await.status(), 200, "request {i}");
    }
    for server in [&a, &b] {
        let resp = post(server, &alice, "p").await;
        assert!(resp.headers().contains_key("retry-after"));
        assert_eq!(expect_error(resp, 429).await["code"], "rate_limit_exceeded");
    }
    assert_eq!(upstream.count(), 4);

    // Budget $0.008 across both: one low request ($0.00593 actual) on A leaves too little for
    // the next on B, which alone (in memory) would have had the whole budget.
    assert_eq!(post(&a, &bob, "p").await.status(), 200);
    let err = expect_error(post(&b, &bob, "p").await, 429).await;
    assert_eq!(err["code"], "budget_exceeded");
    assert!(
        err["message"]
            .as_str()
            .is_some_and(|m| m.contains("$0.00593 spent or reserved today")),
        "{err}"
    );
    assert_eq!(upstream.count(), 5);

    // Concurrency 1 across both: while A holds carol's slow request, B refuses.
    let slow = {
        let (url, carol) = (a.url(GEN), carol.clone());
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .header("content-type", "application/json")
                .header(CLIENT.0, CLIENT.1)
                .header("authorization", format!("Bearer {carol}"))
                .body(json!({"model": "gpt-image-2", "prompt": "slow-me"}).to_string())
                .send()
                .await
                .expect("sent")
                .status()
        })
    };
    while upstream.count() < 6 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let err = expect_error(post(&b, &carol, "p").await, 429).await;
    assert!(
        err["message"]
            .as_str()
            .is_some_and(|m| m.contains("in flight")),
        "{err}"
    );
    assert_eq!(slow.await.expect("task"), 200);
    assert_eq!(
        post(&b, &carol, "p").await.status(),
        200,
        "the slot came back"
    );
    assert_eq!(upstream.count(), 7);

    let logs = a.stop() + &b.stop();
    for name in [
        "token=alice",
        "token=bob",
        "token=carol",
        "refused=budget_exceeded",
    ] {
        assert!(logs.contains(name), "{name} not logged:\n{logs}");
    }
    for secret in [
        &alice[3..],
        &bob[3..],
        &carol[3..],
        SERVER_KEY,
        "slow-me",
        &url,
    ] {
        assert!(!logs.contains(secret), "log leaks {secret:?}:\n{logs}");
    }
}

#[tokio::test]
async fn a_redis_outage_refuses_instead_of_forwarding_unlimited() {
    let Some(redis) = private_redis() else {
        return skip("no redis-server binary to start a private Redis");
    };
    let upstream = start_upstream().await;
    let dir = scratch_dir("redis-outage");
    let token = create(&dir, &["--name", "alice", "--rate", "100/min"]);
    let tokens = dir.join("tokens.json");
    let server = spawn_forward(
        &upstream.url,
        &[
            "--tokens",
            tokens.to_str().expect("utf-8"),
            "--redis-url",
            &redis.url,
        ],
    );
    assert!(
        server.printed(
            "warning: Redis keeps no data across a restart",
            Duration::from_secs(2)
        ),
        "{}",
        server.output()
    );
    assert_eq!(post(&server, &token, "p").await.status(), 200);
    drop(redis);
    let resp = post(&server, &token, "p").await;
    assert_eq!(resp.headers()["retry-after"], "2");
    assert_eq!(expect_error(resp, 503).await["code"], "limits_unavailable");
    assert_eq!(upstream.count(), 1, "nothing forwarded without limits");
    let log = server.stop();
    assert!(log.contains("refused=limits_unavailable"), "{log}");
}

#[tokio::test]
async fn a_redis_that_keeps_its_data_gets_no_warning() {
    let dir = scratch_dir("redis-aof");
    let Some(redis) = private_redis_with(&[
        "--save",
        "",
        "--appendonly",
        "yes",
        "--dir",
        dir.to_str().expect("utf-8"),
    ]) else {
        return skip("no redis-server binary to start a private Redis");
    };
    let upstream = start_upstream().await;
    let tokens = dir.join("tokens.json");
    let server = spawn_forward(
        &upstream.url,
        &[
            "--tokens",
            tokens.to_str().expect("utf-8"),
            "--redis-url",
            &redis.url,
        ],
    );
    let log = server.stop();
    assert!(log.contains("counters in Redis"), "{log}");
    assert!(!log.contains("warning: Redis"), "{log}");
}

#[test]
fn an_unreachable_redis_at_startup_is_an_error() {
    let out = Command::new(crate::stub::BIN)
        .args([
            "--provider",
            "openai",
            "--addr",
            "127.0.0.1:0",
            "--redis-url",
            "redis://127.0.0.1:1/",
        ])
        .args(["--tokens", "/nonexistent-continuity-dir/tokens.json"])
        .env("OPENAI_API_KEY", SERVER_KEY)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Redis"), "{err}");
    assert!(!err.contains(SERVER_KEY));
}
