//! A batch's life, in a task of its own: validation, its lines run one after another over the
//! batch's time, then the output and error files in OpenAI's line format (reference §18):
//! `{"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}`, the body
//! an `ImagesResponse` with `usage` (or the endpoint's error envelope), and for a request that
//! never ran `response: null` with `error: {"code": "batch_expired" | "batch_cancelled",
//! "message"}`.
//!
//! Lines finish in a different order than the file's (pairs swapped), as they may on the real
//! API: a client must match them by `custom_id`.

use std::sync::Arc;

use bytes::Bytes;
use serde_json::{json, Value};
use tokio::time::Instant;

use super::lines::{self, Line};
use super::{fault_in_lines, Batches, Entry};
use crate::fake::fault_responses;
use crate::fake::faults::{self, FaultKind, FaultSpec};
use crate::fake::journal::RequestRecord;
use crate::fake::params::Endpoint;
use crate::fake::{files, new_request_id, render, stream, validate};

/// Waits `until`, or less if the batch is cancelled; returns whether it was.
async fn wait(entry: &Entry, until: Instant) -> bool {
    if entry.snapshot().status == "cancelling" {
        return true;
    }
    tokio::select! {
        () = tokio::time::sleep_until(until) => entry.snapshot().status == "cancelling",
        () = entry.cancel.notified() => true,
    }
}

/// Runs the batch `entry` to its end.
pub async fn run(batches: Arc<Batches>, entry: Arc<Entry>, header_fault: Option<FaultSpec>) {
    let started = Instant::now();
    let total = batches.duration;
    let tenth = total / 10;
    let record = entry.snapshot();
    let endpoint = record.endpoint;
    if wait(&entry, started + tenth).await {
        finish(&batches, &entry, &[], Vec::new(), Vec::new(), "cancelled");
        return;
    }
    let file = batches.files.get(&record.input_file_id);
    let store = Arc::clone(&batches.files);
    let validated = tokio::task::spawn_blocking(move || match file {
        Some(file) => lines::validate_file(&file.bytes, endpoint, &store),
        None => Err(vec![lines::LineError {
            code: "file_not_found".into(),
            message: "The input file was deleted before the batch ran.".into(),
            param: Some("input_file_id".into()),
            line: None,
        }]),
    })
    .await
    .unwrap_or_else(|_| {
        Err(vec![lines::LineError {
            code: "server_error".into(),
            message: "The fake failed while validating the file.".into(),
            param: None,
            line: None,
        }])
    });
    let lines = match validated {
        Ok(lines) => lines,
        Err(errors) => {
            fail(
                &entry,
                errors.iter().map(lines::LineError::to_json).collect(),
            );
            return;
        }
    };
    let fault = header_fault
        .filter(|s| s.kind.is_batch_level())
        .or_else(|| fault_in_lines(&lines));
    if fault
        .as_ref()
        .is_some_and(|f| f.kind == FaultKind::BatchFailed)
    {
        fail(
            &entry,
            vec![
                json!({"code": "batch_failed", "message": "Line 1: the batch_failed fault \
                failed this batch's validation.", "param": null, "line": 1}),
            ],
        );
        return;
    }
    let n = lines.len();
    entry.update(|r| {
        r.set("in_progress");
        r.counts = (n as u64, 0, 0);
    });
    let run_time = total * 8 / 10;
    let stop_after = fault
        .as_ref()
        .filter(|f| f.kind == FaultKind::BatchExpired)
        .map(|f| f.done.map_or(n / 2, |d| d as usize).min(n));
    let running = Instant::now();
    let mut outputs = Vec::new();
    let mut errors = Vec::new();
    let mut ran = vec![false; n];
    let mut cancelled = false;
    for (k, index) in finish_order(n).into_iter().enumerate() {
        if stop_after.is_some_and(|limit| k >= limit) {
            break;
        }
        let due = running + run_time.mul_f64((k + 1) as f64 / n as f64);
        if wait(&entry, due).await {
            cancelled = true;
            break;
        }
        let (ok, line) = execute(&batches, &record.id, endpoint, &lines[index]).await;
        ran[index] = true;
        entry.update(|r| {
            if ok {
                r.counts.1 += 1;
            } else {
                r.counts.2 += 1;
            }
        });
        if ok {
            outputs.push(line);
        } else {
            errors.push(line);
        }
    }
    let unrun: Vec<&Line> = lines
        .iter()
        .zip(&ran)
        .filter(|(_, ran)| !**ran)
        .map(|(l, _)| l)
        .collect();
    if cancelled {
        finish(&batches, &entry, &unrun, outputs, errors, "cancelled");
    } else if stop_after.is_some() {
        // The window closes after the run time, with the rest not done.
        if !wait(&entry, running + run_time).await {
            finish(&batches, &entry, &unrun, outputs, errors, "expired");
        } else {
            finish(&batches, &entry, &unrun, outputs, errors, "cancelled");
        }
    } else {
        entry.update(|r| r.set("finalizing"));
        let _ = wait(&entry, running + run_time + tenth).await;
        finish(&batches, &entry, &[], outputs, errors, "completed");
    }
}

/// The order lines finish in: pairs swapped (2, 1, 4, 3, …).
fn finish_order(n: usize) -> Vec<usize> {
    (0..n)
        .map(|i| {
            if i % 2 == 0 {
                (i + 1).min(n - 1)
            } else {
                i - 1
            }
        })
        .fold(Vec::new(), |mut order, i| {
            if !order.contains(&i) {
                order.push(i);
            }
            order
        })
}

fn fail(entry: &Entry, errors: Vec<Value>) {
    entry.update(|r| {
        r.errors = Some(errors);
        r.set("failed");
    });
}

/// Writes the files and moves to `status`; `unrun` lines go to the error file with the
/// reason of `status`.
fn finish(
    batches: &Batches,
    entry: &Entry,
    unrun: &[&Line],
    outputs: Vec<Value>,
    mut errors: Vec<Value>,
    status: &'static str,
) {
    let (code, message) = if status == "expired" {
        (
            "batch_expired",
            "This request could not be executed before the completion window expired.",
        )
    } else {
        (
            "batch_cancelled",
            "This request was not executed because the batch was cancelled.",
        )
    };
    for line in unrun {
        errors.push(json!({
            "id": files::new_id("batch_req_"),
            "custom_id": line.custom_id,
            "response": null,
            "error": {"code": code, "message": message},
        }));
    }
    let id = entry.snapshot().id;
    let write = |name: &str, lines: &[Value]| {
        (!lines.is_empty()).then(|| {
            let mut text = String::new();
            for line in lines {
                text.push_str(&line.to_string());
                text.push('\n');
            }
            batches
                .files
                .put(
                    &format!("{id}_{name}.jsonl"),
                    "batch_output",
                    Bytes::from(text),
                    Some("application/jsonl".into()),
                )
                .id
                .clone()
        })
    };
    let output_file_id = write("output", &outputs);
    let error_file_id = write("error", &errors);
    let unrun = unrun.len() as u64;
    entry.update(|r| {
        r.output_file_id = output_file_id;
        r.error_file_id = error_file_id;
        r.counts.2 += unrun;
        r.set(status);
    });
}

/// Runs one line as its endpoint would: `(succeeded, output line)`.
async fn execute(
    batches: &Arc<Batches>,
    batch_id: &str,
    endpoint: Endpoint,
    line: &Line,
) -> (bool, Value) {
    let request_id = new_request_id();
    let out = |status: u16, body: Value| {
        json!({
            "id": files::new_id("batch_req_"),
            "custom_id": line.custom_id,
            "response": {"status_code": status, "request_id": request_id, "body": body},
            "error": null,
        })
    };
    let model = line
        .body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("gpt-image-2")
        .to_string();
    let fault = line
        .body
        .get("prompt")
        .and_then(Value::as_str)
        .and_then(faults::marker_in_prompt)
        .and_then(|spec| FaultSpec::parse(spec).ok())
        .filter(|spec| !spec.kind.is_batch_level());
    let raw = match lines::parse_body(endpoint, &line.body) {
        Ok(raw) => Arc::new(raw),
        Err(e) => return (false, out(e.parts().status.as_u16(), e.body())),
    };
    let content_type = Some(format!("application/json; batch={batch_id}"));
    if let Some(spec) = &fault {
        if let Some(response) = fault_responses::error_response(spec, &model, &request_id) {
            let status = response.status().as_u16();
            let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap_or_default();
            let body = serde_json::from_slice(&body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
            let record = RequestRecord::new(&raw, content_type, false);
            batches
                .fake
                .journal
                .record(record, Some(status), Some(spec.kind.name()));
            return (false, out(status, body));
        }
    }
    let place = crate::fake::handler::place_among_identical(&batches.fake, endpoint, &raw);
    let job_raw = Arc::clone(&raw);
    let fake = Arc::clone(&batches.fake);
    let rendered = tokio::task::spawn_blocking(move || {
        let job = validate::validate(&job_raw)?;
        let rendered = render::render(&job, place).map_err(|why| {
            crate::errors::ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                None,
                None,
                why,
            )
        })?;
        for image in &rendered.images {
            fake.rendered.record(image, &job.prompt);
        }
        let created = crate::clock::unix_seconds();
        Ok::<Value, crate::errors::ApiError>(stream::images_response(
            &job,
            &rendered.images,
            created,
        ))
    })
    .await;
    let (status, body) = match rendered {
        Ok(Ok(body)) => (200, body),
        Ok(Err(e)) => (e.parts().status.as_u16(), e.body()),
        Err(_) => (
            500,
            json!({"error": {"message": "The fake failed while rendering the image.", "type": "server_error", "param": null, "code": null}}),
        ),
    };
    let record = RequestRecord::new(&raw, content_type, false);
    batches
        .fake
        .journal
        .record(record, Some(status), fault.map(|f| f.kind.name()));
    (status == 200, out(status, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_finish_in_another_order_but_all_of_them() {
        assert_eq!(finish_order(1), vec![0]);
        assert_eq!(finish_order(4), vec![1, 0, 3, 2]);
        assert_eq!(finish_order(5), vec![1, 0, 3, 2, 4]);
        let mut all = finish_order(11);
        all.sort_unstable();
        assert_eq!(all, (0..11).collect::<Vec<_>>());
    }
}
