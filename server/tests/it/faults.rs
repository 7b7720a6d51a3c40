//! Fault injection: each fault's status, headers and body; counted faults; markers.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{self, expect_error, json, sse_events};

const GEN: &str = "/v1/images/generations";

fn request(prompt: &str) -> Value {
    json!({"model": "gpt-image-2", "prompt": prompt, "quality": "low"})
}

async fn with_fault(server: &common::Server, spec: &str, prompt: &str) -> reqwest::Response {
    server
        .post_json(GEN, &request(prompt), &[("x-fake-fault", spec)])
        .await
}

#[tokio::test]
async fn error_faults_mimic_the_real_api() {
    let server = common::fake().await;
    // (spec, status, type, code)
    let cases: [(&str, u16, &str, Option<&str>); 8] = [
        ("rate_limit", 429, "requests", Some("rate_limit_exceeded")),
        (
            "insufficient_quota",
            429,
            "insufficient_quota",
            Some("insufficient_quota"),
        ),
        (
            "moderation",
            400,
            "image_generation_user_error",
            Some("moderation_blocked"),
        ),
        ("org_verification", 403, "invalid_request_error", None),
        (
            "invalid_key",
            401,
            "invalid_request_error",
            Some("invalid_api_key"),
        ),
        (
            "model_not_found",
            404,
            "invalid_request_error",
            Some("model_not_found"),
        ),
        ("server_error", 500, "server_error", None),
        (
            "overloaded",
            503,
            "server_error",
            Some("server_is_overloaded"),
        ),
    ];
    for (spec, status, kind, code) in cases {
        let resp = with_fault(&server, spec, "fault test").await;
        let headers = resp.headers().clone();
        assert!(headers.contains_key("x-request-id"), "{spec}");
        assert_eq!(headers["access-control-allow-origin"], "*", "{spec}");
        assert_eq!(
            headers.contains_key("retry-after"),
            spec == "rate_limit",
            "{spec}"
        );
        let err = expect_error(resp, status).await;
        assert_eq!(err["type"], kind, "{spec}");
        assert_eq!(err["code"].as_str(), code, "{spec}");
    }
}

#[tokio::test]
async fn fault_details() {
    let server = common::fake().await;
    let resp = with_fault(&server, "rate_limit,retry_after=3", "rl").await;
    let h = resp.headers().clone();
    assert_eq!(h["retry-after"], "3");
    assert!(!h.contains_key("retry-after-ms"));
    assert_eq!(h["x-ratelimit-limit-requests"], "5");
    assert_eq!(h["x-ratelimit-remaining-requests"], "0");
    assert!(h.contains_key("x-ratelimit-reset-requests"));
    let err = expect_error(resp, 429).await;
    let message = err["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("Rate limit reached for gpt-image-2")
            && message.contains("images per min (IPM): Limit 5")
    );

    let resp = with_fault(&server, "rate_limit,retry_after_ms=250", "rl2").await;
    assert_eq!(resp.headers()["retry-after-ms"], "250");
    assert_eq!(resp.headers()["retry-after"], "1");

    let resp = with_fault(&server, "insufficient_quota", "q").await;
    assert!(!resp.headers().contains_key("retry-after"));
    let err = expect_error(resp, 429).await;
    assert!(err["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("You exceeded your current quota")));

    let err = expect_error(
        with_fault(
            &server,
            "moderation,stage=output,categories=violence+sexual",
            "m",
        )
        .await,
        400,
    )
    .await;
    assert_eq!(
        err["moderation_details"],
        json!({"moderation_stage": "output", "categories": ["violence", "sexual"]})
    );
    assert!(err["message"]
        .as_str()
        .is_some_and(|m| m.contains("safety_violations=[violence, sexual]")));
    let err = expect_error(with_fault(&server, "moderation", "m").await, 400).await;
    assert_eq!(err["moderation_details"]["moderation_stage"], "input");

    let err = expect_error(with_fault(&server, "org_verification", "o").await, 403).await;
    assert!(err["message"].as_str().is_some_and(|m| m
        .contains("must be verified to use the model `gpt-image-2`")
        && m.contains("up to 15 minutes")));

    let resp = with_fault(&server, "html_error", "h").await;
    assert_eq!(resp.status(), 502);
    assert_eq!(resp.headers()["content-type"], "text/html");
    assert!(resp
        .text()
        .await
        .expect("text")
        .contains("<h1>502 Bad Gateway</h1>"));

    let err = expect_error(with_fault(&server, "explode", "x").await, 400).await;
    assert_eq!(err["code"], "invalid_fault_spec");
}

#[tokio::test]
async fn counted_fault_fails_then_succeeds() {
    let server = common::fake().await;
    let first = with_fault(&server, "rate_limit:1", "counted").await;
    assert_eq!(first.status(), 429);
    let second = with_fault(&server, "rate_limit:1", "counted").await;
    assert_eq!(second.status(), 200);
    assert!(common::image_at(&json(second).await, 0).width() > 0);
    // A different prompt is a different request with its own count.
    assert_eq!(
        with_fault(&server, "rate_limit:1", "other").await.status(),
        429
    );
    // Two failures, then success, via the prompt marker.
    let marked = request("fox [[fault:server_error:2]] waves");
    assert_eq!(server.post_json(GEN, &marked, &[]).await.status(), 500);
    assert_eq!(server.post_json(GEN, &marked, &[]).await.status(), 500);
    assert_eq!(server.post_json(GEN, &marked, &[]).await.status(), 200);
    // Clearing the journal resets the counters.
    server
        .client
        .delete(server.url("/_fake/requests"))
        .send()
        .await
        .expect("delete");
    assert_eq!(
        with_fault(&server, "rate_limit:1", "counted")
            .await
            .status(),
        429
    );
}

#[tokio::test]
async fn output_faults_break_the_response_body() {
    let server = common::fake().await;
    let resp = with_fault(&server, "truncated_json", "t").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let body = resp.bytes().await.expect("complete (short) body");
    assert!(body.starts_with(b"{"));
    assert!(serde_json::from_slice::<Value>(&body).is_err());

    let resp = with_fault(&server, "bad_image", "b").await;
    let body = json(resp).await;
    let bytes = common::b64decode(&body["data"][0]["b64_json"]);
    assert!(!bytes.is_empty() && image::load_from_memory(&bytes).is_err());
    assert!(body["usage"].is_object());

    let resp = with_fault(&server, "stream_cut", "c").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.bytes().await.is_err(), "the body must end early");

    let resp = server
        .post_json(
            GEN,
            &json!({"model": "gpt-image-2", "prompt": "cut", "stream": true, "partial_images": 2, "quality": "low"}),
            &[("x-fake-fault", "stream_cut"), ("x-fake-sse-done", "1")],
        )
        .await;
    let text = resp.text().await.expect("stream closes cleanly");
    let events = sse_events(&text);
    assert_eq!(events.len(), 2, "two partials, no completed, no [DONE]");
    assert!(events
        .iter()
        .all(|(name, _)| name.as_deref() == Some("image_generation.partial_image")));

    assert_eq!(with_fault(&server, "echo", "e").await.status(), 200);
}

#[tokio::test]
async fn stall_holds_the_request() {
    let server = common::fake().await;
    let started = Instant::now();
    let resp = with_fault(&server, "stall,ms=300", "short stall").await;
    assert_eq!(resp.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    let result = server
        .client
        .post(server.url(GEN))
        .header("content-type", "application/json")
        .header("x-fake-fault", "stall")
        .timeout(Duration::from_millis(400))
        .body(request("forever").to_string())
        .send()
        .await;
    assert!(result.is_err_and(|e| e.is_timeout()));
    let journal = server.journal().await;
    let stalled = journal
        .iter()
        .find(|e| e["params"]["prompt"] == "forever")
        .expect("journaled");
    assert_eq!(stalled["fault"], "stall");
    assert_eq!(stalled["status"], Value::Null);
}

#[tokio::test]
async fn html_error_can_come_with_any_status() {
    let server = common::fake().await;
    let resp = with_fault(&server, "html_error,status=200", "portal").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/html");
    let page = resp.text().await.expect("page");
    assert!(
        page.contains("<html>") && !page.contains("\"data\""),
        "{page}"
    );
    let resp = with_fault(&server, "html_error,status=504", "gateway").await;
    assert_eq!(resp.status(), 504);
    assert!(resp
        .text()
        .await
        .expect("page")
        .contains("<h1>504 Gateway Timeout</h1>"));
}

/// Six requests at once against `max=2`: two are served (after the latency), four are refused
/// at once with the API's rate-limit answer; once the two have been answered, places are free.
#[tokio::test]
async fn concurrency_limit_refuses_what_is_beyond_it_in_flight() {
    let server = common::fake().await;
    let spec = "concurrency_limit,max=2,ms=400,retry_after_ms=150,group=it";
    let sends = (0..6).map(|i| {
        let server = &server;
        async move {
            let started = Instant::now();
            let resp = with_fault(server, spec, &format!("busy {i}")).await;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let body = json(resp).await;
            (status, started.elapsed(), headers, body)
        }
    });
    let answers = futures_util::future::join_all(sends).await;
    let served: Vec<_> = answers.iter().filter(|a| a.0 == 200).collect();
    let refused: Vec<_> = answers.iter().filter(|a| a.0 == 429).collect();
    assert_eq!(
        (served.len(), refused.len()),
        (2, 4),
        "{:?}",
        answers.iter().map(|a| a.0).collect::<Vec<_>>()
    );
    for (_, took, headers, body) in &refused {
        assert!(
            *took < Duration::from_millis(300),
            "refused at once: {took:?}"
        );
        assert_eq!(headers["retry-after-ms"], "150");
        assert_eq!(headers["x-ratelimit-limit-requests"], "2");
        assert_eq!(body["error"]["type"], "requests");
        assert_eq!(body["error"]["code"], "rate_limit_exceeded");
    }
    for (_, took, _, body) in &served {
        assert!(*took >= Duration::from_millis(400));
        assert!(common::image_at(body, 0).width() > 0);
    }
    // The places were freed with the answers.
    assert_eq!(with_fault(&server, spec, "later").await.status(), 200);
    let journal = server.journal().await;
    let faults: Vec<_> = journal
        .iter()
        .filter(|e| {
            e["params"]["prompt"]
                .as_str()
                .is_some_and(|p| p.starts_with("busy"))
        })
        .map(|e| (e["status"].as_u64(), e["fault"].as_str()))
        .collect();
    assert_eq!(
        faults
            .iter()
            .filter(|f| *f == &(Some(429), Some("concurrency_limit")))
            .count(),
        4
    );
    assert_eq!(
        faults.iter().filter(|f| *f == &(Some(200), None)).count(),
        2
    );
}
