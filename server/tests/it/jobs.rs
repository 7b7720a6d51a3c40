//! Recoverable jobs in fake mode (in-process): an image request sent with `X-Continuity-Job`
//! is kept and read back by `GET /v1/continuity/jobs/{id}` with the same `Authorization`,
//! even when the client went away before the answer; another caller learns nothing; an id is
//! used once; a stream is kept as its final images and usage, never its partial images.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{self, expect_error, json, Server};

const GEN: &str = "/v1/images/generations";

/// A fresh random job id.
pub fn new_job_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `GET /v1/continuity/jobs/{id}` with an optional bearer.
pub async fn read_job(server: &Server, id: &str, bearer: Option<&str>) -> reqwest::Response {
    let mut req = server
        .client
        .get(server.url(&format!("/v1/continuity/jobs/{id}")));
    if let Some(b) = bearer {
        req = req.header("authorization", format!("Bearer {b}"));
    }
    req.send().await.expect("job read")
}

async fn generate_job(server: &Server, id: &str, bearer: &str, body: Value) -> reqwest::Response {
    server
        .client
        .post(server.url(GEN))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {bearer}"))
        .header("x-continuity-job", id)
        .body(body.to_string())
        .send()
        .await
        .expect("sent")
}

fn low(prompt: &str) -> Value {
    json!({"model": "gpt-image-2", "prompt": prompt, "quality": "low", "size": "1024x1024"})
}

fn status_of(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("x-continuity-job-status")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn a_job_is_read_back_by_its_owner_only() {
    let server = common::fake().await;
    let id = new_job_id();
    let resp = generate_job(&server, &id, "sk-alice", low("a lighthouse")).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("content-length").is_none());
    let original = json(resp).await;

    let resp = read_job(&server, &id, Some("sk-alice")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(status_of(&resp), "done");
    assert!(resp.headers().contains_key("x-request-id"));
    let mut back = json(resp).await;
    let info = back
        .as_object_mut()
        .and_then(|o| o.remove("continuity_job"))
        .expect("continuity_job");
    assert_eq!(back, original, "the answer as the endpoint gave it");
    assert_eq!(info["id"], id.as_str());
    assert_eq!(info["status"], "done");
    assert_eq!(info["endpoint"], GEN);
    assert_eq!(info["http_status"], 200);
    assert_eq!(info["stream"], false);
    let finished = info["finished_at"].as_i64().expect("finished_at");
    assert_eq!(info["expires_at"].as_i64(), Some(finished + 86_400));

    // Another caller, or none, learns nothing: the same answer as an id never sent.
    for other in [Some("sk-mallory"), None] {
        let resp = read_job(&server, &id, other).await;
        assert_eq!(status_of(&resp), "unknown");
        let err = expect_error(resp, 404).await;
        assert_eq!(err["code"], "job_not_found");
    }
    let never = expect_error(
        read_job(&server, &new_job_id(), Some("sk-alice")).await,
        404,
    )
    .await;
    assert_eq!(never["code"], "job_not_found");
    // Upper-case digits name the same job.
    let resp = read_job(&server, &id.to_uppercase(), Some("sk-alice")).await;
    assert_eq!(resp.status(), 200);
    let bad = expect_error(read_job(&server, "not-an-id", Some("sk-alice")).await, 400).await;
    assert_eq!(bad["code"], "invalid_job_id");
}

/// An id is used once: sent again it is refused before anything reaches the fake, so a retry
/// after a reload cannot pay twice. A malformed id is refused the same way.
#[tokio::test]
async fn an_id_is_used_once() {
    let server = common::fake().await;
    let id = new_job_id();
    assert_eq!(
        generate_job(&server, &id, "k", low("one")).await.status(),
        200
    );
    let err = expect_error(generate_job(&server, &id, "k", low("one")).await, 409).await;
    assert_eq!(err["code"], "job_id_in_use");
    assert!(err["message"]
        .as_str()
        .unwrap()
        .contains(&format!("/v1/continuity/jobs/{id}")));
    let err = expect_error(generate_job(&server, "12345", "k", low("one")).await, 400).await;
    assert_eq!(err["code"], "invalid_job_id");
    assert_eq!(
        server.journal().await.len(),
        1,
        "the fake received one request"
    );
    // Another owner's use of the same id is its own job.
    assert_eq!(
        generate_job(&server, &id, "other", low("one"))
            .await
            .status(),
        200
    );
}

/// The reload case: the client goes away while the request runs; the request still finishes
/// and its answer is kept (running meanwhile, done after).
#[tokio::test]
async fn a_job_survives_its_client_going_away() {
    let server = common::start(common::fake_config(1200)).await;
    let id = new_job_id();
    let request = {
        let (url, id) = (server.url(GEN), id.clone());
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .header("content-type", "application/json")
                .header("authorization", "Bearer sk-alice")
                .header("x-continuity-job", id)
                .body(low("a harbour").to_string())
                .send()
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    request.abort();
    let resp = read_job(&server, &id, Some("sk-alice")).await;
    assert_eq!(status_of(&resp), "running");
    assert_eq!(resp.status(), 202);
    assert_eq!(resp.headers()["retry-after"], "2");
    let deadline = Instant::now() + Duration::from_secs(10);
    let body = loop {
        let resp = read_job(&server, &id, Some("sk-alice")).await;
        if resp.status() == 200 {
            break json(resp).await;
        }
        assert!(Instant::now() < deadline, "the job never finished");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(body["continuity_job"]["status"], "done");
    let image = common::image_at(&body, 0);
    assert_eq!((image.width(), image.height()), (1024, 1024));
    assert_eq!(body["usage"]["output_tokens"], 196);
    assert_eq!(server.journal().await.len(), 1);
}

/// A streamed request is kept as the `ImagesResponse` of its `completed` events: every final
/// image, the usage summed (partial images included in it), none of the partial images.
#[tokio::test]
async fn a_stream_is_kept_as_its_final_images() {
    let server = common::fake().await;
    let id = new_job_id();
    let body = json!({"model": "gpt-image-2", "prompt": "two foxes", "quality": "low",
                      "size": "1024x1024", "n": 2, "stream": true, "partial_images": 2});
    let resp = generate_job(&server, &id, "k", body).await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.expect("stream");
    let events = common::sse_events(&text);
    let completed: Vec<Value> = events
        .iter()
        .map(|(_, data)| serde_json::from_str::<Value>(data).expect("json"))
        .filter(|e| e["type"] == "image_generation.completed")
        .collect();
    let partials: Vec<String> = events
        .iter()
        .map(|(_, data)| serde_json::from_str::<Value>(data).expect("json"))
        .filter(|e| e["type"] == "image_generation.partial_image")
        .map(|e| e["b64_json"].as_str().expect("b64").to_string())
        .collect();
    assert_eq!((completed.len(), partials.len()), (2, 4));

    let resp = read_job(&server, &id, Some("k")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let raw = resp.text().await.expect("body");
    for partial in &partials {
        assert!(!raw.contains(partial.as_str()), "a partial image was kept");
    }
    let kept: Value = serde_json::from_str(&raw).expect("json");
    assert_eq!(kept["continuity_job"]["stream"], true);
    assert_eq!(kept["data"][0]["b64_json"], completed[0]["b64_json"]);
    assert_eq!(kept["data"][1]["b64_json"], completed[1]["b64_json"]);
    let summed: u64 = completed
        .iter()
        .map(|e| e["usage"]["output_tokens"].as_u64().expect("tokens"))
        .sum();
    assert_eq!(kept["usage"]["output_tokens"], summed);
    assert_eq!(summed, 2 * (196 + 200));
    assert_eq!(kept["size"], "1024x1024");
}

/// A refusal the endpoint gave is kept too (with its status), so the app knows it was not
/// billed; a request without a job id is not kept at all.
#[tokio::test]
async fn an_error_answer_is_kept_with_its_status() {
    let server = common::fake().await;
    let id = new_job_id();
    let body =
        json!({"model": "gpt-image-2", "prompt": "p [[fault:moderation]]", "quality": "low"});
    assert_eq!(generate_job(&server, &id, "k", body).await.status(), 400);
    let resp = read_job(&server, &id, Some("k")).await;
    assert_eq!(status_of(&resp), "done");
    let err = expect_error(resp, 400).await;
    assert_eq!(err["code"], "moderation_blocked");
    let resp = read_job(&server, &id, Some("k")).await;
    let body = json(resp).await;
    assert_eq!(body["continuity_job"]["http_status"], 400);
}

/// The app learns from `/api/config` that this server keeps jobs, and under which header.
#[tokio::test]
async fn the_config_names_the_job_contract() {
    let server = common::fake().await;
    let config = json(
        server
            .client
            .get(server.url("/api/config"))
            .send()
            .await
            .expect("config"),
    )
    .await;
    assert_eq!(config["recoverable_jobs"]["header"], "x-continuity-job");
    assert_eq!(config["recoverable_jobs"]["path"], "/v1/continuity/jobs/");
    assert_eq!(config["batches"], true);
    // A cross-origin page may send the header and read the status (CORS preflight).
    let resp = server
        .client
        .request(reqwest::Method::OPTIONS, server.url(GEN))
        .header("origin", "http://127.0.0.1:9")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "x-continuity-job")
        .send()
        .await
        .expect("preflight");
    let allowed = resp.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(allowed.contains("x-continuity-job"), "{allowed}");
}
