use super::*;
use crate::catalogue::Catalogue;
use crate::cost::actual_usd;
use crate::model::size::Size;
use crate::model::template::Template;
use crate::model::Series;
use crate::openai::batch::{match_lines, write_jsonl, BatchError, BatchErrors, COMPLETION_WINDOW};
use serde_json::json;

fn line(frame: &str) -> BatchLine {
    BatchLine {
        custom_id: custom_id_for(frame),
        frame_id: frame.into(),
        request: SentRequest {
            endpoint: "images/edits".into(),
            model: "gpt-image-2".into(),
            prompt: format!("frame {frame}"),
            images: vec!["anchorhash".into()],
            ..SentRequest::default()
        },
        anchor_image: Some("anchorhash".into()),
    }
}

fn batch(status: &str, completed: u64, failed: u64) -> Batch {
    serde_json::from_value(json!({
        "id": "batch_1", "object": "batch", "endpoint": "/v1/images/edits",
        "input_file_id": "file-in", "completion_window": COMPLETION_WINDOW,
        "status": status, "created_at": 1,
        "request_counts": {"total": 3, "completed": completed, "failed": failed},
        "output_file_id": if status == "completed" || status == "expired" { json!("file-out") } else { Value::Null },
        "error_file_id": if status == "expired" { json!("file-err") } else { Value::Null },
    }))
    .unwrap()
}

fn run() -> BatchRun {
    BatchRun::new(
        &batch("validating", 0, 0),
        BatchEndpoint::Edits,
        1_000.0,
        vec![line("a"), line("b"), line("c")],
    )
}

fn gpt2() -> ModelInfo {
    Catalogue::builtin().get("gpt-image-2").unwrap().clone()
}

/// An edit line is the JSON edit form (§18): `images[0]` the anchor's `file_id`, the others
/// as given, never streamed; a generation line has no `images`. Both pass the writer.
#[test]
fn lines_are_the_json_forms_of_the_two_endpoints() {
    let mut request = ImageRequest::new(
        "gpt-image-2",
        "Panel 2",
        Some(Size::new(1536, 864)),
        "medium",
    );
    request.stream = true;
    request.partial_images = 1;
    let images = [
        ImageRef::File {
            file_id: "file-anchor".into(),
        },
        ImageRef::Url {
            image_url: "data:image/png;base64,iVBO".into(),
        },
    ];
    let edit = request_line(&custom_id_for("f2"), &request, &images);
    assert_eq!(edit.url, "/v1/images/edits");
    assert_eq!(edit.method, "POST");
    assert_eq!(edit.custom_id, "frame-f2");
    assert_eq!(edit.body["images"][0], json!({"file_id": "file-anchor"}));
    assert_eq!(
        edit.body["images"][1]["image_url"],
        "data:image/png;base64,iVBO"
    );
    assert!(edit.body.get("stream").is_none(), "{}", edit.body);
    assert!(edit.body.get("partial_images").is_none(), "{}", edit.body);
    assert_eq!(edit.body["size"], "1536x864");
    let generation = request_line("frame-f1", &request, &[]);
    assert_eq!(generation.url, "/v1/images/generations");
    assert!(generation.body.get("images").is_none());
    let text = write_jsonl(BatchEndpoint::Edits, &[edit]).unwrap();
    assert_eq!(text.lines().count(), 1);
}

/// The run follows the provider's batch: status, counts, files, the refusal of a failed one.
#[test]
fn the_run_follows_the_batch_until_it_ends() {
    let mut r = run();
    assert_eq!(r.status, BatchStatus::Validating);
    assert!(!r.is_finished());
    assert_eq!(
        r.status_words("14:02"),
        "Batch running (validating) · submitted 14:02 · 0 / 3"
    );
    assert!(r.observe(&batch("in_progress", 1, 0)));
    assert!(!r.observe(&batch("in_progress", 1, 0)), "nothing new");
    assert_eq!(
        r.status_words("14:02"),
        "Batch running · submitted 14:02 · 1 / 3"
    );
    assert!(r.observe(&batch("completed", 3, 0)));
    assert!(r.is_finished());
    assert_eq!(r.output_file_id.as_deref(), Some("file-out"));
    let mut refused = batch("failed", 0, 0);
    refused.errors = Some(BatchErrors {
        object: "list".into(),
        data: vec![BatchError {
            message: Some("Line 2: bad size".into()),
            ..BatchError::default()
        }],
    });
    assert!(r.observe(&refused));
    assert_eq!(r.refusal.as_deref(), Some("Line 2: bad size"));
    assert!(r.is_finished());
}

/// Output and error lines arrive in any order and land by `custom_id`: images with usage and
/// half the interactive cost, a failed request with the provider's words, lines that never
/// ran (expired) with what to do.
#[test]
fn results_land_by_custom_id_at_the_batch_rate() {
    let mut r = run();
    r.observe(&batch("expired", 1, 2));
    let usage = json!({"input_tokens": 100, "output_tokens": 1000, "total_tokens": 1100,
        "input_tokens_details": {"text_tokens": 100, "image_tokens": 0}});
    let output = format!(
        "{}\n{}\n",
        json!({"id": "r2", "custom_id": "frame-b", "response": {"status_code": 400, "request_id": "req_b",
            "body": {"error": {"message": "Your request was rejected by the safety system.", "type": "image_generation_user_error"}}}}),
        json!({"id": "r1", "custom_id": "frame-a", "response": {"status_code": 200, "request_id": "req_a",
            "body": {"created": 1, "data": [{"b64_json": "iVBO"}], "usage": usage}}}),
    );
    let errors = json!({"id": "r3", "custom_id": "frame-c", "response": null,
        "error": {"code": "batch_expired", "message": "expired"}})
    .to_string();
    let matched = match_lines(&r.custom_ids(), Some(&output), Some(&errors));
    let model = gpt2();
    let landed = landings(&r, &matched, &model);
    assert_eq!(landed.len(), 3);
    match &landed[0] {
        Landing::Images {
            line,
            body,
            usage,
            cost_usd,
            request_id,
        } => {
            assert_eq!(line.frame_id, "a");
            assert_eq!(body["data"][0]["b64_json"], "iVBO");
            let usage = usage.clone().unwrap();
            let full = actual_usd(&model, &usage);
            assert!(full > 0.0);
            assert!((cost_usd.unwrap() - full / 2.0).abs() < 1e-12);
            assert_eq!(request_id.as_deref(), Some("req_a"));
        }
        other => panic!("{other:?}"),
    }
    match &landed[1] {
        Landing::Failed { line, message, ran } => {
            assert_eq!(line.frame_id, "b");
            assert!(ran);
            assert!(
                message.contains("rejected by the safety system"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    match &landed[2] {
        Landing::Failed { line, message, ran } => {
            assert_eq!(line.frame_id, "c");
            assert!(!ran);
            assert!(message.contains("24 h window closed"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        ended_words(&r, 1),
        "Batch expired: 1 of 3 frames made; 2 can be generated again."
    );
}

/// A line in neither file did not run; a cancelled batch says so.
#[test]
fn a_line_with_no_answer_and_a_cancelled_batch_say_what_happened() {
    let mut r = run();
    r.observe(&batch("cancelled", 0, 0));
    let matched = match_lines(&r.custom_ids(), None, None);
    let landed = landings(&r, &matched, &gpt2());
    assert!(landed
        .iter()
        .all(|l| matches!(l, Landing::Failed { message, ran: false, .. }
        if message.contains("cancelled"))));
    assert_eq!(
        ended_words(&r, 0),
        "Batch cancelled: 0 of 3 frames made; 3 not made."
    );
}

/// Frames waiting for a batch are not "missing" (no second request is offered for them), and
/// the batch is kept with the series record (serde default: older records have none).
#[test]
fn frames_in_a_batch_are_not_missing_and_the_run_is_stored() {
    let mut series = {
        let mut n = 0u64;
        Series::from_template("S", Template::Storyboard, "gpt-image-2", 0.0, move || {
            n += 1;
            n
        })
    };
    let ids: Vec<String> = series.frames.iter().map(|f| f.id.clone()).collect();
    assert_eq!(series.missing_frames().len(), ids.len());
    let waiting = BatchRun::new(
        &batch("in_progress", 0, 0),
        BatchEndpoint::Edits,
        1.0,
        ids[1..].iter().map(|id| line(id)).collect(),
    );
    series.batches = vec![waiting];
    assert_eq!(series.missing_frames(), vec![ids[0].clone()]);
    let stored = serde_json::to_value(series.record()).unwrap();
    let back: Series = serde_json::from_value(stored.clone()).unwrap();
    assert_eq!(back.batches, series.batches);
    let mut old = stored;
    old.as_object_mut().unwrap().remove("batches");
    let back: Series = serde_json::from_value(old).unwrap();
    assert!(back.batches.is_empty());
}

/// A frame waiting for a batch cannot be sent again now (it would be paid twice).
#[test]
fn a_frame_in_a_batch_is_blocked_in_a_plan() {
    let mut n = 0u64;
    let mut series =
        Series::from_template("S", Template::Storyboard, "gpt-image-2", 0.0, move || {
            n += 1;
            n
        });
    let id = series.frames[3].id.clone();
    series.batches = vec![BatchRun::new(
        &batch("in_progress", 0, 0),
        BatchEndpoint::Edits,
        1.0,
        vec![line(&id)],
    )];
    let plan = crate::plan::plan(
        &series,
        &Catalogue::builtin(),
        &crate::plan::Scope::Frames(vec![id.clone()]),
        0,
    );
    let request = plan.requests.iter().find(|r| r.frame_id == id).unwrap();
    assert!(request
        .blockers
        .iter()
        .any(|b| b.contains("waiting for its batch")));
    assert!(plan.refusal().is_some());
}
