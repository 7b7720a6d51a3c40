//! Per-token limits in memory (issue 8): request rate and concurrency → 429 with
//! `retry-after`; a daily budget priced with the app's cost rules, refused before forwarding
//! and settled to the actual `usage` afterwards. The Redis variant is in `shared_limits.rs`.

use std::time::Duration;

use continuity_server::tokens::{Budget, Limits, Rate};
use continuity_server::AccessConfig;
use serde_json::{json, Value};

use crate::common::{self, expect_error, scratch_dir, Server};
use crate::stub::{forward_config_with, start_upstream, tokens_in, Upstream, CLIENT};

const GEN: &str = "/v1/images/generations";

/// A forward-mode server with one required token "alice" with `limits`.
async fn with_alice(limits: Limits, name: &str) -> (Server, Upstream, String) {
    let upstream = start_upstream().await;
    let (tokens, issued) = tokens_in(&scratch_dir(name), &[("alice", limits)]);
    let access = AccessConfig {
        tokens,
        ..AccessConfig::default()
    };
    let server = common::start(forward_config_with(&upstream.url, 1024 * 1024, access)).await;
    (server, upstream, format!("Bearer {}", issued[0]))
}

async fn generate(server: &Server, bearer: &str, body: Value) -> reqwest::Response {
    server
        .post_json(GEN, &body, &[CLIENT, ("authorization", bearer)])
        .await
}

/// gpt-image-2 low 1024²: 196 output tokens, estimated $0.00588 plus the prompt.
fn low(prompt: &str) -> Value {
    json!({"model": "gpt-image-2", "prompt": prompt, "quality": "low", "size": "1024x1024"})
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let limits = Limits {
        rate: Rate::parse("2/min").ok(),
        ..Limits::default()
    };
    let (server, upstream, bearer) = with_alice(limits, "limits-rate").await;
    for _ in 0..2 {
        assert_eq!(generate(&server, &bearer, low("p")).await.status(), 200);
    }
    let resp = generate(&server, &bearer, low("p")).await;
    let seconds: u64 = resp.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    let ms: u64 = resp.headers()["retry-after-ms"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("ms");
    // 2/min: one more request fits 30 s after the burst of two.
    assert!((25..=30).contains(&seconds), "retry-after {seconds}");
    assert!(ms.div_ceil(1000) == seconds, "{ms} ms vs {seconds} s");
    assert!(!resp.headers().contains_key("x-should-retry"));
    let err = expect_error(resp, 429).await;
    assert_eq!(err["type"], "requests");
    assert_eq!(err["code"], "rate_limit_exceeded");
    let message = err["message"].as_str().expect("message");
    assert!(
        message.contains("alice") && message.contains("2/min"),
        "{message}"
    );
    assert_eq!(upstream.count(), 2, "the limited request was not forwarded");
}

#[tokio::test]
async fn concurrency_limit_holds_until_the_response_is_complete() {
    let limits = Limits {
        concurrency: Some(1),
        ..Limits::default()
    };
    let (server, upstream, bearer) = with_alice(limits, "limits-concurrency").await;
    let first = {
        let (client, url, bearer) = (server.client.clone(), server.url(GEN), bearer.clone());
        tokio::spawn(async move {
            client
                .post(url)
                .header("content-type", "application/json")
                .header(CLIENT.0, CLIENT.1)
                .header("authorization", bearer)
                .body(low("slow-me").to_string())
                .send()
                .await
                .expect("sent")
                .status()
        })
    };
    while upstream.count() == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let resp = generate(&server, &bearer, low("p")).await;
    assert_eq!(resp.headers()["retry-after"], "1");
    let err = expect_error(resp, 429).await;
    assert_eq!(err["code"], "rate_limit_exceeded");
    assert!(err["message"]
        .as_str()
        .is_some_and(|m| m.contains("at most 1 in flight")));
    assert_eq!(first.await.expect("task"), 200);
    assert_eq!(generate(&server, &bearer, low("p")).await.status(), 200);
    assert_eq!(upstream.count(), 2);
}

#[tokio::test]
async fn budget_refuses_before_forwarding_and_names_the_budget() {
    let limits = Limits {
        budget: Budget::parse("0.01/day").ok(),
        ..Limits::default()
    };
    let (server, upstream, bearer) = with_alice(limits, "limits-budget").await;
    // Medium 1024² costs at most $0.053: more than the whole budget.
    let mut medium = low("p");
    medium["quality"] = json!("medium");
    let resp = generate(&server, &bearer, medium).await;
    assert_eq!(resp.headers()["x-should-retry"], "false");
    let err = expect_error(resp, 429).await;
    assert_eq!(err["type"], "insufficient_quota");
    assert_eq!(err["code"], "budget_exceeded");
    let message = err["message"].as_str().expect("message");
    for part in [
        "alice",
        "$0.01 per UTC day",
        "at most $0.05",
        "$0.00 spent or reserved today",
    ] {
        assert!(message.contains(part), "{part:?} not in {message}");
    }
    assert_eq!(upstream.count(), 0, "refused before forwarding");

    // Low fits; the upstream's usage (10 text + 196 output tokens = $0.00593) is charged.
    assert_eq!(generate(&server, &bearer, low("p")).await.status(), 200);
    let err = expect_error(generate(&server, &bearer, low("p")).await, 429).await;
    assert_eq!(err["code"], "budget_exceeded");
    assert!(
        err["message"]
            .as_str()
            .is_some_and(|m| m.contains("$0.00593 spent or reserved today")),
        "{err}"
    );
    assert_eq!(upstream.count(), 1);
    // A model the server cannot price is refused for a budgeted token.
    let err = expect_error(
        generate(&server, &bearer, json!({"model": "gpt-9", "prompt": "p"})).await,
        400,
    )
    .await;
    assert_eq!(err["code"], "model_not_priced");
    assert_eq!(upstream.count(), 1);
}

#[tokio::test]
async fn budget_settles_to_the_actual_usage() {
    let limits = Limits {
        budget: Budget::parse("0.02/day").ok(),
        ..Limits::default()
    };
    let (server, upstream, bearer) = with_alice(limits, "limits-settle").await;
    // Each reserves ~$0.0059 but costs $0.00005 (usage: 0 output tokens): were the
    // reservations kept, only three would fit into $0.02.
    for i in 0..6 {
        let resp = generate(&server, &bearer, low("usage-output=0")).await;
        assert_eq!(resp.status(), 200, "request {i}");
        let _ = resp.bytes().await;
    }
    // Upstream errors are not billed: refunded, so they do not use the budget up either.
    for _ in 0..4 {
        let resp = generate(&server, &bearer, low("fail-400")).await;
        assert_eq!(resp.status(), 400);
    }
    // A stream settles from its completed event's usage.
    let mut stream = low("usage-output=0");
    stream["stream"] = json!(true);
    let resp = generate(&server, &bearer, stream).await;
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    assert!(String::from_utf8_lossy(&resp.bytes().await.expect("body")).contains("completed"));
    // One that costs $0.03 (1000 output tokens) fits by its worst case and then uses it all up.
    assert_eq!(
        generate(&server, &bearer, low("usage-output=1000"))
            .await
            .status(),
        200
    );
    let err = expect_error(generate(&server, &bearer, low("p")).await, 429).await;
    assert_eq!(err["code"], "budget_exceeded");
    assert_eq!(upstream.count(), 12);
}
