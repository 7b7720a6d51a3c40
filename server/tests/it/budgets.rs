//! Budgets that requests in flight cannot overspend, in memory and through Redis, and counters
//! that survive a restart (issue 20, points 4 and 5).

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{json, Value};

use crate::admission::{create, start_billing};
use crate::common::{expect_error, scratch_dir};
use crate::stub::{spawn_forward, start_upstream, Process, CLIENT};

const GEN: &str = "/v1/images/generations";

/// `n` requests at once of `{gpt-image-2, quality auto, size auto}` with `token`, spread over
/// `servers`; returns how many were answered 200.
async fn flood_auto(servers: &[&Process], token: &str, n: usize) -> u64 {
    let client = reqwest::Client::new();
    let requests = (0..n).map(|i| {
        let url = servers[i % servers.len()].url(GEN);
        let (client, token) = (client.clone(), token.to_string());
        tokio::spawn(async move {
            let resp = client
                .post(url)
                .header("content-type", "application/json")
                .header(CLIENT.0, CLIENT.1)
                .header("authorization", format!("Bearer {token}"))
                .body(json!({"model": "gpt-image-2", "prompt": "auto everything"}).to_string())
                .send()
                .await
                .expect("sent");
            let status = resp.status().as_u16();
            let text = resp.text().await.expect("body");
            assert!(
                status == 200 || text.contains("budget_exceeded"),
                "{status}: {text}"
            );
            u64::from(status == 200)
        })
    });
    let mut ok = 0;
    for r in futures_util::future::join_all(requests).await {
        ok += r.expect("task");
    }
    ok
}

/// What one answered request cost: 10 text input tokens at $5/M and the reported output.
fn billed_usd(output_tokens: u64) -> f64 {
    (10.0 * 5.0 + output_tokens as f64 * 30.0) / 1e6
}

/// The app's estimate of `auto`/`auto` on gpt-image-2 is 1024² at high (7,024 tokens); the
/// upstream reports three times that. Reserving the worst case keeps the spend within $1.
async fn fifty_in_flight_spend_at_most_a_dollar(extra: &[&str], replicas: usize) {
    let reported = 3 * 7024;
    let upstream = start_billing(reported, Duration::from_millis(800)).await;
    let dir = scratch_dir("admission-overspend");
    let token = create(&dir, &["--name", "dollar", "--budget-usd", "1/day"]);
    let tokens = dir.join("tokens.json");
    let args = [&["--tokens", tokens.to_str().expect("utf-8")], extra].concat();
    let servers: Vec<Process> = (0..replicas)
        .map(|_| spawn_forward(&upstream.url, &args))
        .collect();
    let refs: Vec<&Process> = servers.iter().collect();
    let first = flood_auto(&refs, &token, 50).await;
    let second = flood_auto(&refs, &token, 50).await;
    let forwarded = upstream.requests.load(Ordering::SeqCst);
    assert_eq!(forwarded, first + second);
    let spent = forwarded as f64 * billed_usd(reported);
    println!("50 in flight ×2 against $1: {forwarded} forwarded, ${spent:.4} billed");
    assert!(forwarded >= 1, "the first fits");
    assert!(spent <= 1.0, "spent ${spent:.4} of a $1 budget");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_requests_in_flight_cannot_overspend_in_memory() {
    fifty_in_flight_spend_at_most_a_dollar(&[], 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_requests_in_flight_cannot_overspend_through_redis() {
    let Some((url, _guard)) = crate::shared_limits::redis_url() else {
        return crate::shared_limits::skip(
            "no $CONTINUITY_TEST_REDIS_URL and no redis-server binary",
        );
    };
    let prefix = crate::shared_limits::fresh_prefix();
    fifty_in_flight_spend_at_most_a_dollar(&["--redis-url", &url, "--redis-prefix", &prefix], 2)
        .await;
}

#[tokio::test]
async fn a_restart_keeps_the_days_counters() {
    let upstream = start_upstream().await;
    let dir = scratch_dir("admission-restart");
    let token = create(
        &dir,
        &[
            "--name",
            "daily",
            "--rate",
            "26/day",
            "--budget-usd",
            "5/day",
        ],
    );
    let tokens = dir.join("tokens.json");
    let args = ["--tokens", tokens.to_str().expect("utf-8")];
    let send = |server: &Process| {
        let (url, token) = (server.url(GEN), token.clone());
        async move {
            reqwest::Client::new()
                .post(url)
                .header("content-type", "application/json")
                .header(CLIENT.0, CLIENT.1)
                .header("authorization", format!("Bearer {token}"))
                .body(json!({"model": "gpt-image-2", "prompt": "p", "quality": "low", "size": "1024x1024"}).to_string())
                .send()
                .await
                .expect("sent")
        }
    };
    let mut admitted = 0;
    // Run 1: 20 requests, then a graceful stop (SIGTERM writes the counters).
    let server = spawn_forward(&upstream.url, &args);
    for _ in 0..20 {
        admitted += u32::from(send(&server).await.status() == 200);
    }
    let log = server.terminate();
    assert!(log.contains("counters in memory, kept in"), "{log}");
    // Run 2: 10 more; only 6 are left today. Killed without warning after the periodic write.
    let server = spawn_forward(&upstream.url, &args);
    for _ in 0..10 {
        admitted += u32::from(send(&server).await.status() == 200);
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    drop(server);
    // Run 3: nothing left, and the day's spend is still known.
    let server = spawn_forward(&upstream.url, &args);
    let resp = send(&server).await;
    assert_eq!(expect_error(resp, 429).await["code"], "rate_limit_exceeded");
    assert_eq!(admitted, 26, "26 a day, across two restarts");
    assert_eq!(upstream.count(), 26);
    drop(server);
    let saved: Value = serde_json::from_slice(
        &std::fs::read(dir.join("continuity-counters.json")).expect("counters file"),
    )
    .expect("json");
    let spent = saved["entries"]
        .as_object()
        .and_then(|m| m.values().next())
        .and_then(|e| e["spent_micros"].as_u64())
        .expect("a token's spend");
    // 26 × (196 output + 10 input tokens) billed by the stub's usage.
    assert_eq!(spent, 26 * 5_930);
}
