//! Browser tests of the OpenAI Images client (`api::client::send`) and of the batch runner
//! behind "Generate all", against the real fake server: `continuity-server --provider fake`,
//! started by scripts/test.sh with `--fake-latency-ms 30` on another origin than the test page
//! (cross-origin with CORS, exactly like api.openai.com for the deployed app).
//!
//! Every test proves what the client *really sent* with the fake's journal
//! (`GET /_fake/requests`), not with the client's own account of it. Each test puts a random
//! token in its prompts, because the fake counts fault attempts per (endpoint, spec, prompt)
//! and keeps its journal for its whole life: with unique prompts, tests (and repeated runs
//! against the same fake) never see each other's requests, and nothing needs to clear the
//! shared journal.
//!
//! The retry cases follow security-reliability.md §4.5 (RTY-xx), with short server waits so
//! the whole file runs in well under a minute.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use continuity::app::client::{send, Files, ImageResult, Options, Progress, RequestFailure};
use continuity::web::blob::{blob_from_bytes, check_image};
use continuity::web::idb::delete_database;
use continuity::App;
use continuity_core::failure::FailureClass;
use continuity_core::model::size::Size;
use continuity_core::openai::request::ImageRequest;
use continuity_core::settings::Endpoint;
use leptos::prelude::*;
use serde_json::Value;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen_test::*;
use web_sys::{AbortController, Blob};

wasm_bindgen_test_configure!(run_in_browser);

const MODEL: &str = "gpt-image-2";
/// gpt-image-2 output tokens of one 1024×1024 `medium` image (the published formula, which the
/// fake implements; README: "1024×1024 medium = 1756 tokens").
const TOKENS_1024_MEDIUM: u64 = 1756;
/// What the API adds to `output_tokens` per streamed partial image.
const TOKENS_PER_PARTIAL: u64 = 100;
/// A key-shaped dummy credential: it makes every request carry `Authorization` (and so a CORS
/// preflight), like a real key in "OpenAI directly" mode. The fake ignores its value.
const DUMMY_KEY: &str = "sk-test-browser-dummy";
/// Per-attempt timeout for these tests: far above the fake's 30 ms latency, far below the
/// runner's 90 s limit, so a broken cancel fails a test instead of hanging the suite.
const TIMEOUT_MS: u64 = 15_000;

/// The fake as a custom OpenAI-compatible endpoint.
fn endpoint() -> Endpoint {
    Endpoint {
        base_url: format!("{}/v1", fake_url()),
        bearer: Some(DUMMY_KEY.into()),
        continuity_server: false,
    }
}

/// A prompt no other test and no earlier run used (see the module comment).
fn unique_prompt(what: &str) -> String {
    format!("{what} ({})", unique_name("api"))
}

/// A plain gpt-image-2 request for one 1024×1024 image.
fn request(prompt: &str, quality: &str) -> ImageRequest {
    ImageRequest::new(MODEL, prompt, Some(Size::new(1024, 1024)), quality)
}

/// What the client told its caller through `on_progress`.
enum Heard {
    Attempt(u32),
    Partial(Blob),
    RateLimited,
    Waiting(u64),
    Failed,
}

/// One `send`, with everything the caller heard (timestamped with `Date.now()`).
struct Sent {
    result: Result<ImageResult, RequestFailure>,
    heard: Vec<(f64, Heard)>,
    /// When `send` returned.
    returned_ms: f64,
    /// When the test aborted the request, if it did.
    aborted_ms: Option<f64>,
}

impl Sent {
    /// When each attempt started, in order (attempts are announced as 1, 2, 3, …).
    fn attempt_times(&self) -> Vec<f64> {
        let attempts: Vec<(f64, u32)> = self
            .heard
            .iter()
            .filter_map(|(t, h)| match h {
                Heard::Attempt(n) => Some((*t, *n)),
                _ => None,
            })
            .collect();
        let numbers: Vec<u32> = attempts.iter().map(|a| a.1).collect();
        let expected: Vec<u32> = (1..=attempts.len() as u32).collect();
        assert_eq!(numbers, expected, "attempts are numbered from 1");
        attempts.into_iter().map(|a| a.0).collect()
    }

    /// The streamed previews, in order.
    fn partials(&self) -> Vec<&Blob> {
        self.heard
            .iter()
            .filter_map(|(_, h)| match h {
                Heard::Partial(b) => Some(b),
                _ => None,
            })
            .collect()
    }

    /// The backoff waits announced, in ms.
    fn waits(&self) -> Vec<u64> {
        self.heard
            .iter()
            .filter_map(|(_, h)| match h {
                Heard::Waiting(ms) => Some(*ms),
                _ => None,
            })
            .collect()
    }

    fn rate_limited_count(&self) -> usize {
        self.heard
            .iter()
            .filter(|(_, h)| matches!(h, Heard::RateLimited))
            .count()
    }

    /// The success, or a panic that shows the failure a user would have seen.
    fn ok(self) -> ImageResult {
        match self.result {
            Ok(r) => r,
            Err(f) => panic!(
                "expected success, got {:?}: {}",
                f.classification, f.message
            ),
        }
    }

    /// The failure, or a panic if the request succeeded.
    fn err(self) -> RequestFailure {
        match self.result {
            Ok(r) => panic!(
                "expected a failure, got {} image(s) after {} attempt(s)",
                r.images.len(),
                r.attempts.len()
            ),
            Err(f) => f,
        }
    }
}

/// Aborts the request `after_ms` after its first attempt starts, the way "Cancel" does.
struct AbortPlan {
    after_ms: u64,
}

/// Sends `request` to the fake (an edit when `files` is given) with extra test headers, and
/// records what the caller hears.
async fn send_and_listen(
    request: &ImageRequest,
    files: Option<&Files>,
    headers: &[(&str, &str)],
    abort: Option<AbortPlan>,
) -> Sent {
    let controller = AbortController::new().unwrap();
    let signal = controller.signal();
    let aborted_at = Rc::new(Cell::new(None::<f64>));
    let options = Options {
        signal: Some(&signal),
        timeout_ms: TIMEOUT_MS,
        gate: None,
        extra_headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    let mut heard = Vec::new();
    let mut on_progress = |p: Progress| {
        let now = js_sys::Date::now();
        if let (Progress::Attempt(1), Some(plan)) = (&p, &abort) {
            // The abort runs on its own task, like a click on "Cancel" while `send` awaits.
            let (controller, at, after) = (controller.clone(), aborted_at.clone(), plan.after_ms);
            wasm_bindgen_futures::spawn_local(async move {
                continuity::web::clock::sleep(after, None).await.unwrap();
                at.set(Some(js_sys::Date::now()));
                controller.abort();
            });
        }
        heard.push((
            now,
            match p {
                Progress::Attempt(n) => Heard::Attempt(n),
                Progress::Partial(b) => Heard::Partial(b),
                Progress::RateLimited => Heard::RateLimited,
                Progress::Waiting { ms, .. } => Heard::Waiting(ms),
                Progress::Failed(_) => Heard::Failed,
            },
        ));
    };
    let result = send(&endpoint(), request, files, &options, &mut on_progress).await;
    let returned_ms = js_sys::Date::now();
    Sent {
        result,
        heard,
        returned_ms,
        aborted_ms: aborted_at.get(),
    }
}

/// A fault for one request, by the fake's `x-fake-fault` header.
fn fault(spec: &str) -> [(&str, &str); 1] {
    [("x-fake-fault", spec)]
}

fn class_of(f: &RequestFailure) -> FailureClass {
    f.classification.class
}

// ---------------------------------------------------------------------------------------------
// Successful requests: what comes back, and what was really sent.
// ---------------------------------------------------------------------------------------------

/// A 1024×1024 medium generation returns one PNG that really decodes at that size, reports the
/// formula's 1756 output tokens, and the fake received exactly the parameters asked for and
/// none of the ones gpt-image-2 refuses or OpenAI deprecated.
#[wasm_bindgen_test]
async fn generation_returns_one_decodable_image_and_sends_exactly_the_request() {
    let prompt = unique_prompt("A lighthouse on a basalt cliff at dusk");
    let result = send_and_listen(&request(&prompt, "medium"), None, &[], None)
        .await
        .ok();

    assert_eq!(result.images.len(), 1, "n = 1 gives one image");
    let image = &result.images[0];
    assert_eq!(image.checked.mime, "image/png");
    assert_eq!((image.checked.width, image.checked.height), (1024, 1024));
    // Decode the Blob the caller gets (not just the client's own check of it).
    let decoded = check_image(&image.blob).await.expect("the Blob decodes");
    assert_eq!((decoded.width, decoded.height), (1024, 1024));
    assert_eq!(
        result.usage.as_ref().map(|u| u.output_tokens),
        Some(TOKENS_1024_MEDIUM)
    );
    assert!(
        result
            .request_id
            .as_deref()
            .is_some_and(|id| id.starts_with("req_")),
        "the fake's x-request-id is readable cross-origin: {:?}",
        result.request_id
    );

    let journal = journal_for(&prompt).await;
    assert_eq!(journal.len(), 1, "one request, no retry: {journal:?}");
    let entry = &journal[0];
    assert_eq!(entry["endpoint"], "generations");
    assert_eq!(entry["authorization_present"], true);
    let params = &entry["params"];
    assert_eq!(params["model"], MODEL);
    assert_eq!(params["size"], "1024x1024");
    assert_eq!(params["quality"], "medium");
    assert_eq!(params["prompt"], prompt.as_str());
    for refused in ["response_format", "input_fidelity", "user"] {
        assert!(
            params.get(refused).is_none(),
            "{refused} was sent: {params}"
        );
    }
}

/// An edit sends its three reference images as repeated `image[]` parts in order, plus the
/// mask, byte for byte (same SHA-256 as the Blobs given), drops `moderation` (the multipart
/// edit form has no such field), and returns a decodable image.
#[wasm_bindgen_test]
async fn edit_sends_three_images_in_order_and_the_mask_byte_for_byte() {
    // Three distinct 64×64 checkerboards and a mask of the first one's size whose left half is
    // transparent (alpha 0 = "may change"), the right half opaque.
    let colours = [[230, 80, 40, 255], [40, 160, 90, 255], [60, 90, 220, 255]];
    let pngs: Vec<Vec<u8>> = colours
        .iter()
        .map(|&c| {
            png_rgba(64, 64, move |x, y| {
                if (x / 8 + y / 8) % 2 == 0 {
                    c
                } else {
                    [250, 250, 250, 255]
                }
            })
        })
        .collect();
    let mask = png_rgba(64, 64, |x, _| [0, 0, 0, if x < 32 { 0 } else { 255 }]);
    let mut want = Vec::new();
    for png in &pngs {
        want.push(sha256_hex(png).await);
    }
    assert_eq!(
        want.iter().collect::<std::collections::HashSet<_>>().len(),
        3,
        "the three inputs must differ, or order could not be checked"
    );
    let files = Files {
        images: pngs
            .iter()
            .map(|p| blob_from_bytes(p, "image/png").unwrap())
            .collect(),
        mask: Some(blob_from_bytes(&mask, "image/png").unwrap()),
        markup: None,
    };
    let prompt = unique_prompt("Give the fox a red scarf");
    let mut req = request(&prompt, "low");
    req.moderation = Some("low".into());

    let result = send_and_listen(&req, Some(&files), &[], None).await.ok();

    let journal = journal_for(&prompt).await;
    assert_eq!(journal.len(), 1, "{journal:?}");
    let entry = &journal[0];
    assert_eq!(entry["endpoint"], "edits");
    assert!(
        entry["content_type"]
            .as_str()
            .is_some_and(|ct| ct.starts_with("multipart/form-data")),
        "{}",
        entry["content_type"]
    );
    let images = entry["images"].as_array().expect("images");
    assert_eq!(images.len(), 3);
    for (i, (got, sha)) in images.iter().zip(&want).enumerate() {
        assert_eq!(got["field"], "image[]", "part {i}");
        assert_eq!(
            got["sha256"],
            sha.as_str(),
            "part {i} is image {i}, unchanged"
        );
    }
    assert_eq!(entry["mask"]["field"], "mask");
    assert_eq!(entry["mask"]["sha256"], sha256_hex(&mask).await.as_str());
    assert!(
        entry["params"].get("moderation").is_none(),
        "moderation must not be sent to multipart edits: {}",
        entry["params"]
    );
    assert_eq!(entry["status"], 200);

    assert_eq!(result.images.len(), 1);
    let decoded = check_image(&result.images[0].blob).await.expect("decodes");
    assert_eq!((decoded.width, decoded.height), (1024, 1024));
}

/// With `stream: true, partial_images: 2` the caller gets exactly two previews, then the final
/// image; streamed usage counts 100 extra output tokens per preview.
#[wasm_bindgen_test]
async fn streaming_delivers_two_previews_then_the_final_image() {
    let prompt = unique_prompt("A paper boat on a rain puddle");
    let mut req = request(&prompt, "medium");
    req.stream = true;
    req.partial_images = 2;

    let sent = send_and_listen(&req, None, &[], None).await;
    let partials: Vec<Blob> = sent.partials().into_iter().cloned().collect();
    let result = sent.ok();

    assert_eq!(partials.len(), 2, "exactly partial_images previews");
    let preview = check_image(&partials[0]).await;
    assert!(preview.is_ok(), "a preview is a real image: {preview:?}");
    assert_eq!(result.images.len(), 1);
    assert_eq!(
        (
            result.images[0].checked.width,
            result.images[0].checked.height
        ),
        (1024, 1024)
    );
    assert_eq!(
        result.usage.as_ref().map(|u| u.output_tokens),
        Some(TOKENS_1024_MEDIUM + 2 * TOKENS_PER_PARTIAL)
    );
    let journal = journal_for(&prompt).await;
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0]["params"]["stream"], true);
    assert_eq!(journal[0]["params"]["partial_images"], 2);
}

/// Streams that end with `data: [DONE]`, or use CRLF line endings, are read as well as the
/// plain ones (both are legal SSE and both occur behind proxies).
#[wasm_bindgen_test]
async fn streams_ending_in_done_or_using_crlf_succeed() {
    for header in ["x-fake-sse-done", "x-fake-sse-crlf"] {
        let prompt = unique_prompt(&format!("A kite over dunes, {header}"));
        let mut req = request(&prompt, "low");
        req.stream = true;
        req.partial_images = 1;
        let sent = send_and_listen(&req, None, &[(header, "1")], None).await;
        assert_eq!(sent.partials().len(), 1, "{header}: the preview arrived");
        let result = sent.ok();
        assert_eq!(result.images.len(), 1, "{header}");
        assert_eq!(result.attempts.len(), 1, "{header}: no retry needed");
        assert_eq!(result.images[0].checked.width, 1024, "{header}");
    }
}

// ---------------------------------------------------------------------------------------------
// Retries (security-reliability.md §4.5).
// ---------------------------------------------------------------------------------------------

/// RTY-01: a 429 rate limit with `retry-after: 3`, then success: exactly two attempts, the
/// second at least 3 s after the first, one image; the attempt log shows the rate limit as
/// "not processed" and both of the fake's request ids.
#[wasm_bindgen_test]
async fn rty01_rate_limit_with_retry_after_3_s_waits_then_succeeds_once() {
    let prompt = unique_prompt("RTY-01 a harbour at dawn");
    let sent = send_and_listen(
        &request(&prompt, "low"),
        None,
        &fault("rate_limit:1,retry_after=3"),
        None,
    )
    .await;
    let times = sent.attempt_times();
    assert_eq!(times.len(), 2, "exactly two attempts");
    let gap = times[1] - times[0];
    console_log!("RTY-01: second attempt {gap} ms after the first");
    assert!(
        gap >= 3000.0,
        "retry-after: 3 must be honoured, waited {gap} ms"
    );
    assert!(gap < 5000.0, "the wait is the server's, not more: {gap} ms");
    assert_eq!(sent.waits(), [3000], "the caller is told the wait");
    assert_eq!(
        sent.rate_limited_count(),
        1,
        "the batch hears it to slow down"
    );
    let result = sent.ok();
    assert_eq!(result.images.len(), 1, "the image is returned once");

    let [first, second] = &result.attempts[..] else {
        panic!("{:?}", result.attempts)
    };
    assert_eq!(
        (first.number, first.status, first.class),
        (1, Some(429), Some(FailureClass::NotProcessed))
    );
    assert_eq!(
        (second.number, second.status, second.class),
        (2, Some(200), None)
    );
    let ids = [&first.request_id, &second.request_id];
    assert!(
        ids.iter()
            .all(|id| id.as_deref().is_some_and(|i| i.starts_with("req_"))),
        "{ids:?}"
    );
    assert_ne!(first.request_id, second.request_id);
    assert_eq!(result.request_id, second.request_id);

    let journal = journal_for(&prompt).await;
    let seen: Vec<_> = journal
        .iter()
        .map(|e| (e["status"].clone(), e["fault"].clone()))
        .collect();
    assert_eq!(
        seen,
        [
            (Value::from(429), Value::from("rate_limit")),
            (Value::from(200), Value::Null)
        ]
    );
}

/// RTY-02: `retry-after-ms: 250` wins over the coarser `retry-after: 1` sent with it: the
/// client waits at least 250 ms and well under a second.
#[wasm_bindgen_test]
async fn rty02_retry_after_ms_250_waits_a_quarter_second() {
    let prompt = unique_prompt("RTY-02 a tram in the snow");
    let sent = send_and_listen(
        &request(&prompt, "low"),
        None,
        &fault("rate_limit:1,retry_after_ms=250"),
        None,
    )
    .await;
    let times = sent.attempt_times();
    assert_eq!(times.len(), 2);
    let gap = times[1] - times[0];
    console_log!("RTY-02: waited {gap} ms");
    // The announced wait proves which header was used (a default backoff of 375–500 ms would
    // also land inside the window below).
    assert_eq!(
        sent.waits(),
        [250],
        "retry-after-ms is used to the millisecond"
    );
    assert!(gap >= 250.0, "waited only {gap} ms");
    assert!(gap < 1000.0, "waited {gap} ms: retry-after-ms must win");
    assert_eq!(sent.ok().images.len(), 1);
}

/// RTY-03: a 429 asking for a wait far beyond the 120 s cap (`retry-after: 99999`, ~28 h) is
/// not slept through: the request gives up at once, after one attempt, and the message tells
/// the user how long OpenAI asked to wait (failure.rs: "a longer one gives up (the caller
/// shows `GiveUpWhy::message`)"), instead of only "it is safe to try again".
#[wasm_bindgen_test]
async fn rty03_a_28_hour_retry_after_is_not_slept_and_the_wait_is_shown() {
    let prompt = unique_prompt("RTY-03 a night ferry");
    let sent = send_and_listen(
        &request(&prompt, "low"),
        None,
        &fault("rate_limit,retry_after=99999"),
        None,
    )
    .await;
    let took = sent.returned_ms - sent.attempt_times()[0];
    assert!(
        sent.waits().is_empty(),
        "no wait was started: {:?}",
        sent.waits()
    );
    let failure = sent.err();
    assert!(took < 1000.0, "gave up at once, not after {took} ms");
    assert_eq!(failure.attempts.len(), 1);
    assert_eq!(class_of(&failure), FailureClass::NotProcessed);
    assert!(!failure.may_be_billed());
    assert!(
        failure.message.contains("about 28 hours"),
        "the user is not told that OpenAI asked to wait about 28 hours: {:?}",
        failure.message
    );
}

/// RTY-04's limit: a rate limit that never clears is tried 6 times (5 automatic retries, here
/// with 1 ms server waits so the test is quick), then given up; the message must say the
/// retries were spent rather than only "it is safe to try again".
#[wasm_bindgen_test]
async fn rty04_a_rate_limit_that_never_clears_stops_after_5_retries_and_says_so() {
    let prompt = unique_prompt("RTY-04 a crowded market");
    let sent = send_and_listen(
        &request(&prompt, "low"),
        None,
        &fault("rate_limit,retry_after_ms=1"),
        None,
    )
    .await;
    assert_eq!(sent.attempt_times().len(), 6, "1 attempt + 5 retries");
    let failure = sent.err();
    assert_eq!(failure.attempts.len(), 6);
    assert_eq!(
        journal_for(&prompt).await.len(),
        6,
        "6 requests reached the server"
    );
    assert_eq!(class_of(&failure), FailureClass::NotProcessed);
    assert!(
        failure.message.contains("5 automatic retries"),
        "the user is not told the automatic retries were spent: {:?}",
        failure.message
    );
}

/// RTY-06: a 500, then success: exactly two attempts, and the first is recorded as "maybe
/// processed" (OpenAI may have billed it even though no image came back), so the caller can
/// still tell the user that this frame may have cost two images.
#[wasm_bindgen_test]
async fn rty06_server_error_then_success_keeps_the_maybe_billed_attempt() {
    let prompt = unique_prompt("RTY-06 a fox reading a map");
    let result = send_and_listen(
        &request(&prompt, "low"),
        None,
        &fault("server_error:1"),
        None,
    )
    .await
    .ok();
    assert_eq!(result.images.len(), 1);
    let classes: Vec<_> = result
        .attempts
        .iter()
        .map(|a| (a.status, a.class))
        .collect();
    assert_eq!(
        classes,
        [
            (Some(500), Some(FailureClass::MaybeProcessed)),
            (Some(200), None)
        ]
    );
    let journal = journal_for(&prompt).await;
    assert_eq!(journal.len(), 2, "exactly two requests reached the server");
}

/// RTY-10: a 200 whose JSON is cut off, and a 200 whose image is not an image: the request
/// fails as "maybe processed / may be billed", is retried at most once (each retry may bill
/// again), and nothing is returned as an image.
#[wasm_bindgen_test]
async fn rty10_truncated_json_and_bad_image_fail_as_maybe_billed() {
    for spec in ["truncated_json", "bad_image"] {
        let prompt = unique_prompt(&format!("RTY-10 {spec} a kettle on a stove"));
        let failure = send_and_listen(&request(&prompt, "low"), None, &fault(spec), None)
            .await
            .err();
        assert_eq!(class_of(&failure), FailureClass::MaybeProcessed, "{spec}");
        assert!(failure.may_be_billed(), "{spec}");
        assert!(
            failure.message.contains("billed"),
            "{spec}: the user is told: {}",
            failure.message
        );
        let attempts = failure.attempts.len();
        assert!((1..=2).contains(&attempts), "{spec}: {attempts} attempts");
        let journal = journal_for(&prompt).await;
        assert_eq!(
            journal.len(),
            attempts,
            "{spec}: every attempt is accounted for"
        );
        assert!(
            journal
                .iter()
                .all(|e| e["status"] == 200 && e["fault"] == spec),
            "{spec}: {journal:?}"
        );
    }
}

/// RTY-11: a stream that delivers two previews and then closes without the final image fails
/// ("maybe billed"), after at most one automatic retry; the previews were shown, but the
/// request is not done.
#[wasm_bindgen_test]
async fn rty11_cut_stream_shows_previews_but_is_not_done() {
    let prompt = unique_prompt("RTY-11 a bicycle against a red wall");
    let mut req = request(&prompt, "low");
    req.stream = true;
    req.partial_images = 2;
    let sent = send_and_listen(&req, None, &fault("stream_cut"), None).await;
    let previews = sent.partials().len();
    let failure = sent.err();
    let attempts = failure.attempts.len();
    assert!((1..=2).contains(&attempts), "{attempts} attempts");
    assert_eq!(
        previews,
        2 * attempts,
        "both previews of every attempt were delivered"
    );
    assert_eq!(class_of(&failure), FailureClass::MaybeProcessed);
    assert!(failure.may_be_billed());
    assert!(failure.message.contains("closed"), "{}", failure.message);
    assert_eq!(journal_for(&prompt).await.len(), attempts);
}

/// RTY-13: a moderation block is sent once, never retried (the same request gets the same
/// verdict), fails only this frame, and the message names the safety system and suggests
/// rewording.
#[wasm_bindgen_test]
async fn rty13_moderation_block_is_tried_once_and_says_reword() {
    let prompt = unique_prompt("RTY-13 a prompt the safety system refuses");
    let failure = send_and_listen(&request(&prompt, "low"), None, &fault("moderation"), None)
        .await
        .err();
    assert_eq!(failure.attempts.len(), 1);
    assert_eq!(class_of(&failure), FailureClass::FatalForFrame);
    assert!(
        failure.message.contains("safety system"),
        "{}",
        failure.message
    );
    assert!(failure.message.contains("Reword"), "{}", failure.message);
    assert!(
        !failure.may_be_billed(),
        "an input-stage block is not billed"
    );
    let journal = journal_for(&prompt).await;
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0]["status"], 400);
}

// ---------------------------------------------------------------------------------------------
// Cancellation (RTY-15).
// ---------------------------------------------------------------------------------------------

/// RTY-15, during the backoff wait: the server keeps answering 429 with `retry-after: 5`; the
/// user cancels 300 ms after the first attempt. `send` returns within 100 ms of the cancel, as
/// "cancelled, nothing billed", and no request reaches the server after the cancel.
#[wasm_bindgen_test]
async fn rty15_cancel_during_backoff_returns_at_once_and_sends_nothing_more() {
    let prompt = unique_prompt("RTY-15 backoff a windmill");
    let sent = send_and_listen(
        &request(&prompt, "low"),
        None,
        &fault("rate_limit,retry_after=5"),
        Some(AbortPlan { after_ms: 300 }),
    )
    .await;
    let aborted = sent.aborted_ms.expect("the test cancelled");
    let latency = sent.returned_ms - aborted;
    console_log!("RTY-15 (backoff): send returned {latency} ms after the cancel");
    assert_eq!(sent.waits(), [5000], "it was waiting the server's 5 s");
    let failure = sent.err();
    assert!(latency < 100.0, "returned {latency} ms after the cancel");
    assert_eq!(class_of(&failure), FailureClass::Cancelled);
    assert!(
        !failure.may_be_billed(),
        "a 429 was not processed, so nothing is billed"
    );
    assert_eq!(failure.attempts.len(), 1);
    // Give a leaked retry every chance to show up before counting.
    continuity::web::clock::sleep(300, None).await.unwrap();
    assert_eq!(
        journal_for(&prompt).await.len(),
        1,
        "no request after the cancel"
    );
}

/// RTY-15, in flight: the server holds the request (`stall`); the user cancels. `send` returns
/// promptly as cancelled, and says it may still be billed: aborting a fetch does not stop
/// OpenAI's work.
#[wasm_bindgen_test]
async fn rty15_cancel_in_flight_returns_promptly_and_may_be_billed() {
    let prompt = unique_prompt("RTY-15 in flight a clock tower");
    let sent = send_and_listen(
        &request(&prompt, "low"),
        None,
        &fault("stall"),
        Some(AbortPlan { after_ms: 300 }),
    )
    .await;
    let aborted = sent.aborted_ms.expect("the test cancelled");
    let latency = sent.returned_ms - aborted;
    console_log!("RTY-15 (in flight): send returned {latency} ms after the cancel");
    let failure = sent.err();
    assert!(latency < 100.0, "returned {latency} ms after the cancel");
    assert_eq!(class_of(&failure), FailureClass::Cancelled);
    assert!(failure.may_be_billed(), "{}", failure.message);
    assert!(
        failure.message.contains("may still be billed"),
        "{}",
        failure.message
    );
    assert_eq!(failure.attempts.len(), 1, "a cancel is never retried");
    let journal = journal_for(&prompt).await;
    assert_eq!(journal.len(), 1, "{journal:?}");
    assert_eq!(journal[0]["fault"], "stall");
}

// ---------------------------------------------------------------------------------------------
// Batches through the real runner, driven from the UI ("Generate all").
// ---------------------------------------------------------------------------------------------

/// What a user sees after a batch, and what the fake received for it.
struct BatchSeen {
    /// The badge of each frame card, in order ("Done", "Failed", "Not sent", …).
    statuses: Vec<String>,
    /// The error line of each frame card, if any.
    errors: Vec<Option<String>>,
    /// The whole text of each frame card.
    cards: Vec<String>,
    /// The progress bar's text, including any "Stopped" line.
    progress: String,
    /// The fake's journal entries of this batch, oldest first.
    journal: Vec<Value>,
}

/// The `localStorage` / `sessionStorage` keys of src/web_storage.rs: the settings the Settings
/// dialog saves, and the key. Removed before and after each batch test so no test inherits
/// another's connection.
const STORED_SETTINGS: &str = "continuity.settings";
const STORED_KEY: &str = "continuity.key";

fn forget_stored_settings() {
    let w = web_sys::window().unwrap();
    for storage in [w.local_storage(), w.session_storage()]
        .into_iter()
        .filter_map(|s| s.ok().flatten())
    {
        let _ = storage.remove_item(STORED_SETTINGS);
        let _ = storage.remove_item(STORED_KEY);
    }
}

/// Mounts the app on a throwaway database, connects it to the fake as a custom endpoint with
/// `concurrency` requests at once (through the Settings dialog, as a user does), creates a
/// custom series of `frames` frames whose style carries a unique token, puts `fault` into the
/// prompt of frame `fault_frame` (1-based) as a `[[fault:…]]` marker, clicks "Generate all",
/// waits for the batch to end, and reads the result. Everything is torn down *before* the
/// caller asserts, so a failing assertion never leaves state behind for the next test.
async fn run_batch(frames: usize, concurrency: u8, fault_frame: usize, fault: &str) -> BatchSeen {
    let token = unique_name("batch");
    let db = leak(&token);
    reset_hash();
    forget_stored_settings();
    let (root, handle) = mount(move || view! { <App db_name=db/> });
    wait_for("the empty project list", || {
        query_in(&root, "[data-testid=no-projects]").is_some()
    })
    .await;

    // Settings → Custom endpoint = the fake's /v1, N requests at once, Done.
    click_labelled(&root, "header button", "Settings");
    wait_for("the settings dialog", || {
        query_in(&root, "[data-testid=settings]").is_some()
    })
    .await;
    press(&root, "#conn-custom");
    wait_for("the base URL field", || {
        query_in(&root, "[data-testid=custom-base-url]").is_some()
    })
    .await;
    let base = format!("{}/v1", fake_url());
    commit_value(
        &query_in(&root, "[data-testid=custom-base-url]").unwrap(),
        &base,
    );
    commit_value(
        &query_in(&root, "[data-testid=concurrency]").unwrap(),
        &concurrency.to_string(),
    );
    wait_for("the Custom endpoint badge", || {
        query_in(&root, "[data-testid=connection]")
            .is_some_and(|e| text_of(&e) == "Custom endpoint")
    })
    .await;
    press(&root, "[data-testid=close-settings]");
    wait_for("the dialog to close", || {
        query_in(&root, "[data-testid=settings]").is_none()
    })
    .await;

    // A custom series of `frames` frames.
    create_series(&root, "Batch test", Some(frames)).await;
    load_bible(&root).await;

    // The style goes into every frame's prompt: it marks this batch's requests in the journal.
    type_into(
        &query_in(&root, "[data-testid=series-style]").unwrap(),
        &format!("Ink wash storyboard {token}"),
    );
    let prompts = query_all_in(&root, "[data-testid=frame-prompt]");
    type_into(
        &prompts[fault_frame - 1],
        &format!("The shot the fake refuses [[fault:{fault}]]"),
    );

    plan_without_anchor(&root).await;
    // Builds that preview the plan first ask for a confirmation ("Start"); confirm it as a
    // user would. Builds without the preview start the batch at once.
    wait_for("the batch (or its plan) to start", || {
        query_in(&root, "[data-testid=start-plan]").is_some()
            || query_in(&root, "[data-testid=batch-progress]").is_some()
    })
    .await;
    if query_in(&root, "[data-testid=start-plan]").is_some() {
        press(&root, "[data-testid=start-plan]");
    }
    // While the batch runs "Generate all" is replaced by "Cancel all"; the progress bar stays.
    wait_for("the batch to end", || {
        query_in(&root, "[data-testid=batch-progress]").is_some()
            && query_in(&root, "[data-testid=generate-all]").is_some()
    })
    .await;

    let cards = query_all_in(&root, "[data-testid=frame-card]");
    let seen = BatchSeen {
        statuses: cards
            .iter()
            .map(|c| {
                query_in(c, "[data-testid=frame-status]")
                    .map(|s| text_of(&s))
                    .unwrap_or_default()
            })
            .collect(),
        errors: cards
            .iter()
            .map(|c| query_in(c, "[data-testid=frame-error]").map(|e| text_of(&e)))
            .collect(),
        cards: cards.iter().map(text_of).collect(),
        progress: query_in(&root, "[data-testid=batch-progress]")
            .map(|p| text_of(&p))
            .unwrap_or_default(),
        journal: journal_for(&token).await,
    };

    drop(handle);
    root.remove();
    reset_hash();
    forget_stored_settings();
    // The app's connection closes itself on `versionchange`, so deleting is not blocked.
    delete_database(db).await.unwrap();
    seen
}

/// RTY-05 through the real runner: a 12-frame series at one request at a time, frame 3 gets
/// 429 `insufficient_quota`. The batch stops there: the fake received exactly frames 1–3 and
/// nothing after the fatal answer; frame 3 says the account is out of credits; frames 4–12 say
/// "Not sent".
#[wasm_bindgen_test]
async fn rty05_insufficient_quota_on_frame_3_of_12_stops_the_batch() {
    let seen = run_batch(12, 1, 3, "insufficient_quota").await;

    let frames_sent: Vec<bool> = (1..=3)
        .map(|n| {
            seen.journal.get(n - 1).is_some_and(|e| {
                e["params"]["prompt"]
                    .as_str()
                    // The compiled prompt says where the frame sits ("Frame 3 of 12 …").
                    .is_some_and(|p| p.contains(&format!(" {n} of 12")))
            })
        })
        .collect();
    assert_eq!(
        seen.journal.len(),
        3,
        "frames 1–3 and nothing after the fatal one: {:?}",
        seen.journal
            .iter()
            .map(|e| &e["params"]["prompt"])
            .collect::<Vec<_>>()
    );
    assert_eq!(frames_sent, [true, true, true], "frames 1, 2, 3 in order");
    assert_eq!(seen.journal[2]["status"], 429);
    assert_eq!(seen.statuses[..2], ["Done", "Done"]);
    assert_eq!(seen.statuses[2], "Failed");
    let billing = seen.errors[2].clone().unwrap_or_default();
    assert!(
        billing.contains("no quota left (out of credits, or over its spend limit)"),
        "frame 3 shows the billing message: {billing:?}"
    );
    assert!(
        seen.statuses[3..].iter().all(|s| s == "Not sent"),
        "frames 4–12: {:?}",
        &seen.statuses[3..]
    );
    assert!(seen.progress.contains("Stopped"), "{}", seen.progress);
}

/// A 403 "organization must be verified" stops the batch too, with the verification advice.
#[wasm_bindgen_test]
async fn org_verification_stops_the_batch_with_the_verify_message() {
    let seen = run_batch(2, 1, 1, "org_verification").await;

    assert_eq!(seen.journal.len(), 1, "nothing after the fatal answer");
    assert_eq!(seen.journal[0]["status"], 403);
    assert_eq!(seen.statuses, ["Failed", "Not sent"]);
    let message = seen.errors[0].clone().unwrap_or_default();
    assert!(message.contains("verified"), "{message:?}");
    assert!(
        message.contains("Settings → Organization → General"),
        "{message:?}"
    );
}

/// RTY-06 at the frame level: a frame whose first attempt got a 500 and whose retry succeeded
/// is done, but the user must still learn that it may have been billed twice ("frame flagged
/// maybe billed: 1"): the 500 may have been processed and charged upstream.
#[wasm_bindgen_test]
async fn rty06_frame_done_after_a_server_error_is_flagged_maybe_billed() {
    let seen = run_batch(1, 1, 1, "server_error:1").await;

    let statuses: Vec<_> = seen.journal.iter().map(|e| e["status"].clone()).collect();
    assert_eq!(
        statuses,
        [Value::from(500), Value::from(200)],
        "500, then one retry"
    );
    assert_eq!(seen.statuses, ["Done"]);
    let shown = format!("{} {}", seen.cards[0], seen.progress).to_lowercase();
    assert!(
        shown.contains("billed"),
        "nothing on the frame or the progress bar says the 500 may have been billed: {shown:?}"
    );
}
