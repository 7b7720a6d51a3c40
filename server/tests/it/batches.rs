//! The fake's Files and Batches (reference §18), in-process: a valid batch runs through its
//! states to `completed` with output lines matched by `custom_id` and `usage`; a bad line fails
//! validation naming it; a batch expires with some lines done; a cancel; one failed line;
//! edits whose first image is an uploaded file; `/v1/models` with shutdown dates.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{self, expect_error, json, Multipart, Server};

/// A fake whose batches take `ms` from creation to completion.
pub async fn fake_with_batches(ms: u64) -> Server {
    let mut config = common::fake_config(0);
    config.fake_batch = Duration::from_millis(ms);
    common::start(config).await
}

/// Uploads `bytes` as `filename` with `purpose`; returns the file object.
pub async fn upload(server: &Server, filename: &str, purpose: &str, bytes: &[u8]) -> Value {
    let form = Multipart::new().text("purpose", purpose).file(
        "file",
        filename,
        "application/octet-stream",
        bytes,
    );
    let resp = server.post_multipart("/v1/files", form, &[]).await;
    assert_eq!(resp.status(), 200);
    json(resp).await
}

/// One generation line.
pub fn gen_line(custom_id: &str, prompt: &str) -> String {
    json!({"custom_id": custom_id, "method": "POST", "url": "/v1/images/generations",
           "body": {"model": "gpt-image-2", "prompt": prompt, "quality": "low", "size": "1024x1024"}})
    .to_string()
}

async fn create(
    server: &Server,
    file_id: &str,
    endpoint: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    server
        .post_json(
            "/v1/batches",
            &json!({"input_file_id": file_id, "endpoint": endpoint, "completion_window": "24h",
                    "metadata": {"series": "s1"}}),
            headers,
        )
        .await
}

async fn get(server: &Server, path: &str) -> reqwest::Response {
    server
        .client
        .get(server.url(path))
        .send()
        .await
        .expect("get")
}

/// Polls the batch until it is finished; returns it and every status seen.
pub async fn wait_done(server: &Server, id: &str) -> (Value, Vec<String>) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen: Vec<String> = Vec::new();
    loop {
        let batch = json(get(server, &format!("/v1/batches/{id}")).await).await;
        let status = batch["status"].as_str().expect("status").to_string();
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        if ["completed", "failed", "expired", "cancelled"].contains(&status.as_str()) {
            return (batch, seen);
        }
        assert!(
            Instant::now() < deadline,
            "batch {id} never finished: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The lines of a file, parsed.
pub async fn lines_of(server: &Server, file_id: &Value) -> Vec<Value> {
    let Some(id) = file_id.as_str() else {
        return Vec::new();
    };
    let text = get(server, &format!("/v1/files/{id}/content"))
        .await
        .text()
        .await
        .expect("content");
    assert!(text.ends_with('\n'));
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

#[tokio::test]
async fn a_valid_batch_completes_with_its_output_matched_by_custom_id() {
    let server = fake_with_batches(1500).await;
    let input: String = (1..=5)
        .map(|i| gen_line(&format!("frame-{i}"), &format!("frame {i} of a carousel")) + "\n")
        .collect();
    let file = upload(&server, "batch.jsonl", "batch", input.as_bytes()).await;
    assert_eq!(file["purpose"], "batch");
    assert_eq!(file["bytes"], input.len());
    assert!(file["id"].as_str().unwrap().starts_with("file-"));
    // The file reads back byte for byte.
    let back = get(
        &server,
        &format!("/v1/files/{}/content", file["id"].as_str().unwrap()),
    )
    .await
    .text()
    .await
    .unwrap();
    assert_eq!(back, input);

    let resp = create(
        &server,
        file["id"].as_str().unwrap(),
        "/v1/images/generations",
        &[],
    )
    .await;
    assert_eq!(resp.status(), 200);
    let batch = json(resp).await;
    assert_eq!(batch["object"], "batch");
    assert_eq!(batch["status"], "validating");
    assert_eq!(batch["completion_window"], "24h");
    assert_eq!(batch["metadata"]["series"], "s1");
    assert_eq!(
        batch["expires_at"].as_u64().unwrap(),
        batch["created_at"].as_u64().unwrap() + 86_400
    );
    let id = batch["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("batch_"));
    let (done, seen) = wait_done(&server, &id).await;
    assert_eq!(seen.first().map(String::as_str), Some("validating"));
    assert!(seen.contains(&"in_progress".to_string()), "{seen:?}");
    assert_eq!(
        seen.last().map(String::as_str),
        Some("completed"),
        "{seen:?}"
    );
    assert_eq!(
        done["request_counts"],
        json!({"total": 5, "completed": 5, "failed": 0})
    );
    assert!(done["error_file_id"].is_null());
    for key in ["in_progress_at", "finalizing_at", "completed_at"] {
        assert!(done[key].as_u64().is_some(), "{key}: {done}");
    }

    let out = lines_of(&server, &done["output_file_id"]).await;
    assert_eq!(out.len(), 5);
    let order: Vec<&str> = out
        .iter()
        .map(|l| l["custom_id"].as_str().unwrap())
        .collect();
    assert_ne!(
        order,
        ["frame-1", "frame-2", "frame-3", "frame-4", "frame-5"],
        "any order"
    );
    for i in 1..=5 {
        let line = out
            .iter()
            .find(|l| l["custom_id"] == format!("frame-{i}").as_str())
            .expect("every request has its line");
        assert!(line["id"].as_str().unwrap().starts_with("batch_req_"));
        assert!(line["error"].is_null());
        let response = &line["response"];
        assert_eq!(response["status_code"], 200);
        assert!(response["request_id"].as_str().unwrap().starts_with("req_"));
        assert_eq!(response["body"]["usage"]["output_tokens"], 196);
        let image = common::image_at(&response["body"], 0);
        assert_eq!((image.width(), image.height()), (1024, 1024));
    }
    // The journal shows the requests the batch ran.
    let journal = server.journal().await;
    assert_eq!(journal.len(), 5);
    assert!(journal[0]["content_type"].as_str().unwrap().contains(&id));
}

#[tokio::test]
async fn a_bad_line_fails_validation_naming_the_line() {
    let server = fake_with_batches(500).await;
    let input = [
        gen_line("a", "fine"),
        gen_line("b", "fine too"),
        json!({"custom_id": "c", "method": "POST", "url": "/v1/images/generations",
               "body": {"model": "gpt-image-2", "prompt": "p", "size": "1000x1000"}})
        .to_string(),
        gen_line("a", "a repeated custom_id"),
    ]
    .join("\n");
    let file = upload(&server, "b.jsonl", "batch", input.as_bytes()).await;
    let batch = json(
        create(
            &server,
            file["id"].as_str().unwrap(),
            "/v1/images/generations",
            &[],
        )
        .await,
    )
    .await;
    let (done, _) = wait_done(&server, batch["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "failed");
    assert!(done["failed_at"].as_u64().is_some());
    assert!(done["output_file_id"].is_null());
    let errors = done["errors"]["data"].as_array().expect("errors");
    assert_eq!(done["errors"]["object"], "list");
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0]["line"], 3);
    assert_eq!(errors[0]["param"], "body.size");
    assert!(errors[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("Line 3: "));
    assert_eq!(errors[1]["line"], 4);
    assert_eq!(errors[1]["code"], "duplicate_custom_id");
    assert!(server.journal().await.is_empty(), "nothing ran");

    // Lines for the other endpoint fail the same way; the create request itself is checked.
    let file = upload(&server, "g.jsonl", "batch", gen_line("x", "p").as_bytes()).await;
    let batch = json(
        create(
            &server,
            file["id"].as_str().unwrap(),
            "/v1/images/edits",
            &[],
        )
        .await,
    )
    .await;
    let (done, _) = wait_done(&server, batch["id"].as_str().unwrap()).await;
    assert_eq!(done["errors"]["data"][0]["code"], "mismatched_url");
    let fid = file["id"].as_str().unwrap();
    for (body, param) in [
        (
            json!({"input_file_id": fid, "endpoint": "/v1/chat/completions", "completion_window": "24h"}),
            "endpoint",
        ),
        (
            json!({"input_file_id": fid, "endpoint": "/v1/images/generations", "completion_window": "1h"}),
            "completion_window",
        ),
        (
            json!({"endpoint": "/v1/images/generations", "completion_window": "24h"}),
            "input_file_id",
        ),
    ] {
        let err = expect_error(server.post_json("/v1/batches", &body, &[]).await, 400).await;
        assert_eq!(err["param"], param, "{err}");
    }
    let err = expect_error(
        create(&server, "file-nope", "/v1/images/generations", &[]).await,
        404,
    )
    .await;
    assert!(err["message"]
        .as_str()
        .unwrap()
        .contains("No such File object"));
    let image = upload(&server, "a.png", "vision", &common::rgb_png(64, 64)).await;
    let err = expect_error(
        create(
            &server,
            image["id"].as_str().unwrap(),
            "/v1/images/generations",
            &[],
        )
        .await,
        400,
    )
    .await;
    assert_eq!(err["param"], "input_file_id");
}

/// The `batch_expired` fault: the window closes with 2 of 5 lines done; they are in the output
/// file, the other 3 in the error file with `batch_expired`.
#[tokio::test]
async fn an_expired_batch_keeps_the_lines_it_did() {
    let server = fake_with_batches(1000).await;
    let input: String = (1..=5)
        .map(|i| gen_line(&format!("f{i}"), "p") + "\n")
        .collect();
    let file = upload(&server, "e.jsonl", "batch", input.as_bytes()).await;
    let batch = json(
        create(
            &server,
            file["id"].as_str().unwrap(),
            "/v1/images/generations",
            &[("x-fake-fault", "batch_expired,done=2")],
        )
        .await,
    )
    .await;
    let (done, _) = wait_done(&server, batch["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "expired");
    assert!(done["expired_at"].as_u64().is_some());
    assert_eq!(
        done["request_counts"],
        json!({"total": 5, "completed": 2, "failed": 3})
    );
    let out = lines_of(&server, &done["output_file_id"]).await;
    let errors = lines_of(&server, &done["error_file_id"]).await;
    assert_eq!((out.len(), errors.len()), (2, 3));
    for line in &errors {
        assert!(line["response"].is_null());
        assert_eq!(line["error"]["code"], "batch_expired");
    }
    let mut all: Vec<&str> = out
        .iter()
        .chain(&errors)
        .map(|l| l["custom_id"].as_str().unwrap())
        .collect();
    all.sort_unstable();
    assert_eq!(all, ["f1", "f2", "f3", "f4", "f5"]);

    // The same fault from a marker in a line's prompt (what the app can send).
    let input = gen_line("m1", "p [[fault:batch_expired,done=1]]") + "\n" + &gen_line("m2", "q");
    let file = upload(&server, "m.jsonl", "batch", input.as_bytes()).await;
    let batch = json(
        create(
            &server,
            file["id"].as_str().unwrap(),
            "/v1/images/generations",
            &[],
        )
        .await,
    )
    .await;
    let (done, _) = wait_done(&server, batch["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "expired");
    assert_eq!(done["request_counts"]["completed"], 1);
}

#[tokio::test]
async fn a_cancelled_batch_stops_and_says_what_it_did() {
    let server = fake_with_batches(4000).await;
    let input: String = (1..=8)
        .map(|i| gen_line(&format!("c{i}"), "p") + "\n")
        .collect();
    let file = upload(&server, "c.jsonl", "batch", input.as_bytes()).await;
    let batch = json(
        create(
            &server,
            file["id"].as_str().unwrap(),
            "/v1/images/generations",
            &[],
        )
        .await,
    )
    .await;
    let id = batch["id"].as_str().unwrap().to_string();
    // Wait until it runs, then cancel.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let b = json(get(&server, &format!("/v1/batches/{id}")).await).await;
        if b["request_counts"]["completed"].as_u64().unwrap_or(0) >= 1 {
            break;
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let resp = server
        .post_json(&format!("/v1/batches/{id}/cancel"), &json!({}), &[])
        .await;
    assert_eq!(resp.status(), 200);
    let cancelling = json(resp).await;
    assert_eq!(cancelling["status"], "cancelling");
    assert!(cancelling["cancelling_at"].as_u64().is_some());
    let (done, seen) = wait_done(&server, &id).await;
    assert_eq!(done["status"], "cancelled", "{seen:?}");
    let ran = done["request_counts"]["completed"].as_u64().unwrap();
    assert!((1..8).contains(&ran), "{done}");
    assert_eq!(
        lines_of(&server, &done["output_file_id"]).await.len() as u64,
        ran
    );
    let errors = lines_of(&server, &done["error_file_id"]).await;
    assert_eq!(errors.len() as u64, 8 - ran);
    assert!(errors
        .iter()
        .all(|l| l["error"]["code"] == "batch_cancelled"));
    // A finished batch cannot be cancelled.
    let err = expect_error(
        server
            .post_json(&format!("/v1/batches/{id}/cancel"), &json!({}), &[])
            .await,
        409,
    )
    .await;
    assert!(err["message"].as_str().unwrap().contains("cancelled"));
    expect_error(get(&server, "/v1/batches/batch_nope").await, 404).await;
}

/// One line's fault fails that line alone: its answer (the API's error envelope) is in the
/// error file; the other lines complete.
#[tokio::test]
async fn a_failed_line_goes_to_the_error_file() {
    let server = fake_with_batches(800).await;
    let input = [
        gen_line("ok-1", "p"),
        gen_line("blocked", "p [[fault:moderation,stage=output]]"),
        gen_line("ok-2", "q"),
    ]
    .join("\n");
    let file = upload(&server, "f.jsonl", "batch", input.as_bytes()).await;
    let batch = json(
        create(
            &server,
            file["id"].as_str().unwrap(),
            "/v1/images/generations",
            &[],
        )
        .await,
    )
    .await;
    let (done, _) = wait_done(&server, batch["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(
        done["request_counts"],
        json!({"total": 3, "completed": 2, "failed": 1})
    );
    let errors = lines_of(&server, &done["error_file_id"]).await;
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["custom_id"], "blocked");
    assert_eq!(errors[0]["response"]["status_code"], 400);
    assert_eq!(
        errors[0]["response"]["body"]["error"]["code"],
        "moderation_blocked"
    );
    assert_eq!(lines_of(&server, &done["output_file_id"]).await.len(), 2);
}

/// Fan-out edits in a batch: the anchor uploaded once (`purpose: "vision"`) and referred to by
/// `file_id` on every line; each output is derived from it, at the line's size.
#[tokio::test]
async fn edit_lines_use_an_uploaded_anchor() {
    let server = fake_with_batches(600).await;
    let anchor = common::png(&common::picture(1536, 864, 3));
    let file = upload(&server, "anchor.png", "vision", &anchor).await;
    let anchor_id = file["id"].as_str().unwrap();
    let reference = format!(
        "data:image/png;base64,{}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            common::rgb_png(512, 512)
        )
    );
    let input: String = (2..=4)
        .map(|i| {
            json!({"custom_id": format!("frame-{i}"), "method": "POST", "url": "/v1/images/edits",
                   "body": {"model": "gpt-image-2", "prompt": format!("frame {i}"), "quality": "low", "size": "1536x864",
                            "images": [{"file_id": anchor_id}, {"image_url": reference}]}})
            .to_string()
                + "\n"
        })
        .collect();
    let file = upload(&server, "edits.jsonl", "batch", input.as_bytes()).await;
    let batch = json(
        create(
            &server,
            file["id"].as_str().unwrap(),
            "/v1/images/edits",
            &[],
        )
        .await,
    )
    .await;
    let (done, _) = wait_done(&server, batch["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "completed", "{done}");
    for line in lines_of(&server, &done["output_file_id"]).await {
        let image = common::image_at(&line["response"]["body"], 0);
        assert_eq!((image.width(), image.height()), (1536, 864));
    }
    let journal = server.journal().await;
    assert_eq!(journal.len(), 3);
    assert_eq!(
        journal[0]["images"][0]["sha256"],
        common::sha256_hex(&anchor)
    );
    assert_eq!(journal[0]["images"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn uploads_are_checked() {
    let server = fake_with_batches(500).await;
    let form =
        Multipart::new()
            .text("purpose", "fine-tune")
            .file("file", "x.jsonl", "text/plain", b"{}");
    let err = expect_error(server.post_multipart("/v1/files", form, &[]).await, 400).await;
    assert_eq!(err["param"], "purpose");
    let form = Multipart::new().file("file", "x.jsonl", "text/plain", b"{}");
    assert_eq!(
        expect_error(server.post_multipart("/v1/files", form, &[]).await, 400).await["param"],
        "purpose"
    );
    let form = Multipart::new().text("purpose", "batch");
    assert_eq!(
        expect_error(server.post_multipart("/v1/files", form, &[]).await, 400).await["param"],
        "file"
    );
    expect_error(get(&server, "/v1/files/file-nope/content").await, 404).await;
}

/// Reference §18: `GET /v1/models` gives each model's `shutdown_date`; gpt-image-1.5 and
/// gpt-image-1-mini shut down on 2026-12-01.
#[tokio::test]
async fn models_carry_their_shutdown_dates() {
    let server = common::fake().await;
    let list = json(get(&server, "/v1/models").await).await;
    assert_eq!(list["object"], "list");
    let date = |id: &str| {
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("{id} listed"))["shutdown_date"]
            .clone()
    };
    assert_eq!(date("gpt-image-1.5"), "2026-12-01");
    assert_eq!(date("gpt-image-1-mini"), "2026-12-01");
    assert_eq!(date("gpt-image-2"), Value::Null);
    assert_eq!(date("gpt-image-2.6-flare"), Value::Null);
    for m in list["data"].as_array().unwrap() {
        assert_eq!(m["object"], "model");
        assert_eq!(m["owned_by"], "system");
        assert!(m["created"].is_u64());
    }
    let one = json(get(&server, "/v1/models/gpt-image-1-mini").await).await;
    assert_eq!(one["shutdown_date"], "2026-12-01");
    let err = expect_error(get(&server, "/v1/models/gpt-image-1").await, 404).await;
    assert_eq!(err["code"], "model_not_found");
    // The catalogue the app ships agrees with the dates the fake serves.
    let catalogue = continuity_core::catalogue::Catalogue::builtin();
    for m in list["data"].as_array().unwrap() {
        if let Some(model) = catalogue
            .models
            .iter()
            .find(|c| c.id == m["id"].as_str().unwrap())
        {
            assert_eq!(
                model.shutdown_date(),
                m["shutdown_date"].as_str(),
                "{}",
                model.id
            );
        }
    }
}
