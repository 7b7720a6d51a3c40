//! Browser tests of what a failing or limiting service and a small budget do to the client and
//! the batch, against the real fake server (`continuity-server --provider fake`, started by
//! scripts/test.sh on another origin): security-reliability.md §4.5 RTY-07, 08, 09, 12 and 14,
//! and "one budget for every path" (issue 9).
//!
//! As in tests/api.rs, what was really sent is proven with the fake's journal, and every test
//! puts a random token in its prompts so it only ever sees its own requests.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use continuity::app::client::{send, ImageResult, Options, Permit, Progress, RequestFailure};
use continuity::web::idb::delete_database;
use continuity::App;
use continuity_core::cost::format_budget;
use continuity_core::failure::FailureClass;
use continuity_core::model::size::Size;
use continuity_core::openai::request::ImageRequest;
use continuity_core::settings::{ConnectionKind, Endpoint, Settings};
use leptos::prelude::*;
use serde_json::Value;
use std::cell::Cell;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::Element;

wasm_bindgen_test_configure!(run_in_browser);

// ---------------------------------------------------------------------------------------------
// The client alone: one request against the fake (or against nothing).
// ---------------------------------------------------------------------------------------------

/// What one `send` did, as its caller heard it.
struct Heard {
    result: Result<ImageResult, RequestFailure>,
    /// When each attempt started (`Date.now()`).
    attempts: Vec<f64>,
    /// The class of each failed attempt, in order.
    failures: Vec<FailureClass>,
    /// The announced waits before retries, in ms, with the reason shown meanwhile.
    waits: Vec<(u64, String)>,
    /// When `send` returned.
    returned: f64,
}

impl Heard {
    fn err(self) -> RequestFailure {
        match self.result {
            Ok(r) => panic!("expected a failure, got {} image(s)", r.images.len()),
            Err(f) => f,
        }
    }
}

/// Sends a 1024×1024 low generation of `prompt` to `base_url` with extra headers, a
/// per-attempt timeout, and optionally a gate, recording what the caller hears.
async fn send_to(
    base_url: &str,
    prompt: &str,
    headers: &[(&str, &str)],
    timeout_ms: u64,
    gate: Option<&dyn Fn() -> Permit>,
) -> Heard {
    let endpoint = Endpoint {
        base_url: base_url.to_string(),
        bearer: None,
        continuity_server: false,
    };
    let request = ImageRequest::new("gpt-image-2", prompt, Some(Size::new(1024, 1024)), "low");
    let options = Options {
        signal: None,
        timeout_ms,
        extra_headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        gate,
        job: None,
    };
    let (mut attempts, mut failures, mut waits) = (Vec::new(), Vec::new(), Vec::new());
    let mut on_progress = |p: Progress| match p {
        Progress::Attempt(_) => attempts.push(js_sys::Date::now()),
        Progress::Failed(c) => failures.push(c.class),
        Progress::Waiting { ms, reason } => waits.push((ms, reason)),
        Progress::Partial(_) | Progress::RateLimited => {}
    };
    let result = send(&endpoint, &request, None, &options, &mut on_progress).await;
    Heard {
        result,
        attempts,
        failures,
        waits,
        returned: js_sys::Date::now(),
    }
}

fn fake_v1() -> String {
    format!("{}/v1", fake_url())
}

/// RTY-08: the fake takes the request and never answers. Our timeout (400 ms here; 10 minutes
/// in the app) fires on time, the failure is "maybe processed" with a message that says the
/// image may have been billed, and there is exactly one automatic retry: two requests in the
/// journal, no third.
#[wasm_bindgen_test]
async fn rty08_a_stall_past_the_timeout_fails_as_maybe_billed_after_one_retry() {
    const TIMEOUT: u64 = 400;
    let prompt = format!("A lighthouse that never answers ({})", unique_name("rty08"));
    let heard = send_to(
        &fake_v1(),
        &prompt,
        &[("x-fake-fault", "stall")],
        TIMEOUT,
        None,
    )
    .await;

    assert_eq!(heard.attempts.len(), 2, "one attempt and one retry");
    let gap = heard.attempts[1] - heard.attempts[0];
    // The timeout, then the SDK backoff of 500 ms less up to 25 % jitter.
    assert!(
        gap >= (TIMEOUT + 375) as f64 && gap < (TIMEOUT + 500 + 400) as f64,
        "attempt 2 came {gap} ms after attempt 1"
    );
    let second = heard.returned - heard.attempts[1];
    assert!(
        second >= TIMEOUT as f64 && second < (TIMEOUT + 400) as f64,
        "the second timeout fired after {second} ms"
    );
    assert_eq!(
        heard.failures,
        [FailureClass::MaybeProcessed, FailureClass::MaybeProcessed]
    );
    let failure = heard.err();
    assert!(failure.may_be_billed());
    assert!(
        failure.message.contains("took too long")
            && failure.message.contains("may have been billed")
            && failure.message.contains("not retried again automatically"),
        "{}",
        failure.message
    );
    // Give the fake a moment to journal the second stall, then count what it received.
    continuity::web::clock::sleep(100, None).await.unwrap();
    let journal = journal_for(&prompt).await;
    assert_eq!(journal.len(), 2, "no duplicate beyond the one retry");
    assert!(journal.iter().all(|e| e["fault"] == "stall"));
}

/// RTY-09: nothing listens on the port (port 2 of this machine). The failure is "could not
/// reach", certainly not processed, and retried with the SDK's growing backoff; a gate ends it
/// after the second attempt (five retries would take 15 s), which also shows a refused retry
/// keeps the last failure's words and its class.
#[wasm_bindgen_test]
async fn rty09_connection_refused_is_not_processed_and_retried_with_backoff() {
    let asked = Cell::new(0u32);
    let gate = || {
        asked.set(asked.get() + 1);
        if asked.get() <= 2 {
            Permit::Go
        } else {
            Permit::Refuse("Stopped by the test.".into())
        }
    };
    let heard = send_to(
        "http://127.0.0.1:2/v1",
        "Nobody home",
        &[],
        5_000,
        Some(&gate),
    )
    .await;

    assert_eq!(heard.attempts.len(), 2);
    assert_eq!(heard.failures, [FailureClass::NotProcessed; 2]);
    let waits: Vec<u64> = heard.waits.iter().map(|w| w.0).collect();
    assert_eq!(
        waits.len(),
        2,
        "every failure was going to be retried: {waits:?}"
    );
    for (n, wait) in waits.iter().enumerate() {
        let full = 500u64 << n;
        assert!(
            (full * 3 / 4..=full).contains(wait),
            "wait {n}: {wait} ms, expected 75–100 % of {full}"
        );
    }
    assert!(
        heard.waits[0].1.contains("Could not reach"),
        "{}",
        heard.waits[0].1
    );
    let failure = heard.err();
    assert!(!failure.may_be_billed(), "nothing was processed");
    assert_eq!(failure.classification.class, FailureClass::NotProcessed);
    assert!(!failure.held, "attempts were sent");
    assert!(
        failure.message.starts_with("Could not reach")
            && failure.message.ends_with("Stopped by the test."),
        "{}",
        failure.message
    );
}

/// RTY-12: a 200 whose body is an HTML page (a portal or proxy), not the API's JSON. It is not
/// read as an image, may have been billed (the request may have reached OpenAI), gets its one
/// retry, and the message says a web page came back.
#[wasm_bindgen_test]
async fn rty12_an_html_page_with_status_200_is_not_an_image_and_may_be_billed() {
    let prompt = format!("A portal page ({})", unique_name("rty12"));
    let heard = send_to(
        &fake_v1(),
        &prompt,
        &[("x-fake-fault", "html_error,status=200")],
        15_000,
        None,
    )
    .await;

    assert_eq!(
        heard.failures,
        [FailureClass::MaybeProcessed, FailureClass::MaybeProcessed]
    );
    let failure = heard.err();
    assert!(failure.may_be_billed());
    assert!(
        failure
            .message
            .contains("A web page came back instead of the image")
            && failure.message.contains("may have been billed"),
        "{}",
        failure.message
    );
    assert_eq!(
        failure
            .attempts
            .iter()
            .map(|a| a.status)
            .collect::<Vec<_>>(),
        [Some(200), Some(200)]
    );
    let journal = journal_for(&prompt).await;
    assert_eq!(journal.len(), 2);
    assert!(journal
        .iter()
        .all(|e| e["status"] == 200 && e["fault"] == "html_error"));
}

// ---------------------------------------------------------------------------------------------
// The batch, through the app: breaker, concurrency, budget.
// ---------------------------------------------------------------------------------------------

/// The `localStorage` key of the settings (src/web_storage.rs).
const STORED_SETTINGS: &str = "continuity.settings";

/// A mounted app with a custom series whose style carries a random token.
struct Opened {
    root: Element,
    db: &'static str,
    token: String,
}

/// Mounts the app connected to the fake (custom endpoint, no key, `concurrency` at once, no
/// streamed previews) and creates a custom series of `frames` frames whose style is
/// `"Ink wash {token} {extra}"` (so every prompt carries the token, and `extra`).
async fn open(frames: usize, concurrency: u8, extra: &str) -> (Opened, impl Sized) {
    let token = unique_name("rel");
    let db = leak(&token);
    reset_hash();
    let settings = Settings {
        connection: ConnectionKind::Custom,
        custom_base_url: fake_v1(),
        remember_key: false,
        concurrency,
        stream_previews: false,
        text_model: String::new(),
    };
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    storage
        .set_item(STORED_SETTINGS, &serde_json::to_string(&settings).unwrap())
        .unwrap();
    let (root, handle) = mount(move || view! { <App db_name=db/> });
    wait_for("the empty project list", || {
        query_in(&root, "[data-testid=no-projects]").is_some()
    })
    .await;
    create_series(&root, "Reliability", Some(frames)).await;
    load_bible(&root).await;
    set_style(&root, &token, extra);
    (Opened { root, db, token }, handle)
}

fn set_style(root: &Element, token: &str, extra: &str) {
    type_into(
        &find(root, "[data-testid=series-style]"),
        &format!("Ink wash {token} {extra}"),
    );
}

/// Unmounts, forgets the settings and deletes the database.
async fn close(opened: Opened, handle: impl Sized) {
    drop(handle);
    opened.root.remove();
    reset_hash();
    if let Ok(Some(storage)) = web_sys::window().unwrap().local_storage() {
        let _ = storage.remove_item(STORED_SETTINGS);
    }
    delete_database(opened.db).await.unwrap();
}

/// "Generate without an anchor" (every frame on its own), then "Start" in the plan.
async fn generate_series(root: &Element) {
    plan_without_anchor(root).await;
    wait_for("the plan", || {
        query_in(root, "[data-testid=start-plan]").is_some()
    })
    .await;
    press(root, "[data-testid=start-plan]");
    wait_for("the batch to start", || {
        query_in(root, "[data-testid=cancel-all]").is_some()
    })
    .await;
}

/// Waits until no batch runs ("Generate series" is back).
async fn batch_ended(root: &Element) {
    wait_for("the batch to end", || {
        query_in(root, "[data-testid=generate-all]").is_some()
    })
    .await;
}

fn statuses(root: &Element) -> Vec<String> {
    query_all_in(root, "[data-testid=frame-status]")
        .iter()
        .map(text_of)
        .collect()
}

fn took(started: f64) -> String {
    format!("{:.1} s", (js_sys::Date::now() - started) / 1000.0)
}

/// The frame number a journal entry's compiled prompt names ("… 7 of 24 …").
fn frame_of(entry: &Value, frames: usize) -> usize {
    let prompt = entry["params"]["prompt"].as_str().unwrap_or_default();
    (1..=frames)
        .find(|n| prompt.contains(&format!(" {n} of {frames}")))
        .unwrap_or_else(|| panic!("no frame number in {prompt:?}"))
}

/// RTY-07 through the runner: every request of a 24-frame batch at 4 at once gets a 500. After
/// five server errors in a row the batch pauses: at most 4 + 5 requests were sent, the line
/// says the service is failing and since when, and nothing more is sent while it waits.
/// With the fault gone (the marker removed from the style) "Resume" makes the rest.
#[wasm_bindgen_test]
async fn rty07_the_circuit_breaker_pauses_a_failing_batch_until_resumed() {
    let started = js_sys::Date::now();
    let (s, handle) = open(24, 4, "[[fault:server_error]]").await;
    let root = s.root.clone();
    generate_series(&root).await;
    wait_for("the breaker to pause the batch", || {
        query_in(&root, "[data-testid=resume-batch]").is_some()
    })
    .await;
    let line = text_of(&find(&root, "[data-testid=batch-stopped]"));
    assert!(
        line.starts_with("Paused: the image service is failing:")
            && line.contains("server errors in a row since ")
            && line.contains("Nothing more is sent until you resume"),
        "{line}"
    );
    // Let every backoff (≤ 0.5 s) run out: still nothing more is sent.
    continuity::web::clock::sleep(1_200, None).await.unwrap();
    let paused = journal_for(&s.token).await;
    assert!(
        (5..=4 + 5).contains(&paused.len()),
        "{} requests before the pause",
        paused.len()
    );
    assert!(paused.iter().all(|e| e["status"] == 500));
    continuity::web::clock::sleep(600, None).await.unwrap();
    assert_eq!(
        journal_for(&s.token).await.len(),
        paused.len(),
        "nothing is sent while paused"
    );
    let shown = statuses(&root);
    let failed = shown.iter().filter(|t| *t == "Failed").count();
    assert_eq!(
        shown.iter().filter(|t| *t == "Queued").count(),
        24 - failed,
        "the rest waits: {shown:?}"
    );
    let errors: Vec<String> = query_all_in(&root, "[data-testid=frame-error]")
        .iter()
        .map(text_of)
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("the batch is paused until you resume it")),
        "a frame whose retry was held says why: {errors:?}"
    );
    assert!(
        query_in(&root, "[data-testid=cancel-all]").is_some(),
        "the batch is still open"
    );

    // The service is back; the user resumes.
    set_style(&root, &s.token, "");
    press(&root, "[data-testid=resume-batch]");
    batch_ended(&root).await;
    let journal = journal_for(&s.token).await;
    let after: Vec<&Value> = journal[paused.len()..].iter().collect();
    assert_eq!(after.len(), 24 - failed, "each remaining frame once");
    assert!(after.iter().all(|e| e["status"] == 200));
    let shown = statuses(&root);
    assert_eq!(
        shown.iter().filter(|t| *t == "Done").count(),
        24 - failed,
        "{shown:?}"
    );
    assert!(query_in(&root, "[data-testid=resume-batch]").is_none());
    console_log!(
        "rty07: {} requests before the pause, {}",
        paused.len(),
        took(started)
    );
    close(s, handle).await;
}

/// RTY-14: the server takes 4 requests at once (200 ms each) and answers 429 (retry-after
/// 100 ms) beyond.
/// A 24-frame batch at 12 at once converges: only the first wave meets a 429 (at most
/// 12 − 4 of them), no frame is refused twice, none started later is refused at all, and
/// every frame is done.
#[wasm_bindgen_test]
async fn rty14_the_batch_converges_under_a_server_that_takes_four_at_once() {
    let started = js_sys::Date::now();
    let group = unique_name("rty14");
    // Each accepted request takes 200 ms, so that the batch's requests overlap.
    let fault =
        format!("[[fault:concurrency_limit,max=4,ms=200,retry_after_ms=100,group={group}]]");
    let (s, handle) = open(24, 12, &fault).await;
    let root = s.root.clone();
    generate_series(&root).await;
    batch_ended(&root).await;

    let shown = statuses(&root);
    assert!(shown.iter().all(|t| t == "Done"), "{shown:?}");
    let journal = journal_for(&s.token).await;
    let refused: Vec<usize> = journal
        .iter()
        .filter(|e| e["status"] == 429)
        .map(|e| frame_of(e, 24))
        .collect();
    assert!(
        !refused.is_empty() && refused.len() <= 12 - 4,
        "refused frames: {refused:?}"
    );
    let mut once = refused.clone();
    once.sort_unstable();
    once.dedup();
    assert_eq!(
        once.len(),
        refused.len(),
        "a frame refused twice: {refused:?}"
    );
    assert!(
        refused.iter().all(|f| *f <= 12),
        "a frame started after the first wave was refused: {refused:?}"
    );
    assert_eq!(journal.len(), 24 + refused.len());
    console_log!("rty14: {} refusals, {}", refused.len(), took(started));
    close(s, handle).await;
}

/// One budget for every path: single-frame "Generate" clicks under a budget that fits two
/// frames. The first two are made; the third is refused before anything is sent, with a
/// message naming the budget and the spend so far, and so is the fourth; the fake received
/// exactly two requests, and the series shows what it spent against its budget.
#[wasm_bindgen_test]
async fn single_frame_generates_are_refused_once_they_would_cross_the_budget() {
    let started = js_sys::Date::now();
    let (s, handle) = open(4, 4, "").await;
    let root = s.root.clone();
    // The plan prices the four frames; a budget of two and a half of them fits two.
    plan_without_anchor(&root).await;
    wait_for("the plan", || {
        query_in(&root, "[data-testid=plan-summary]").is_some()
    })
    .await;
    let summary = text_of(&find(&root, "[data-testid=plan-summary]"));
    let total: f64 = summary
        .split("estimated $")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no estimate in {summary:?}"));
    let budget = (total / 4.0 * 2.5 * 1000.0).floor() / 1000.0;
    commit_value(&find(&root, "[data-testid=budget]"), &format!("{budget}"));
    let shown_budget = format_budget(budget);
    click_labelled(&find(&root, "[data-testid=plan]"), "button", "Cancel");
    wait_for("the plan to close", || {
        query_in(&root, "[data-testid=plan]").is_none()
    })
    .await;
    let generate = |n: usize| {
        query_all_in(&root, "[data-testid=generate-frame]")[n]
            .clone()
            .unchecked_into::<web_sys::HtmlElement>()
            .click()
    };
    for n in 0..2 {
        generate(n);
        wait_for("the frame to be done", || statuses(&root)[n] == "Done").await;
        batch_ended(&root).await;
    }
    for n in 2..4 {
        generate(n);
        wait_for("the refusal", || {
            query_in(&root, "[data-testid=notice]")
                .is_some_and(|e| text_of(&e).contains("Not sent"))
        })
        .await;
        let notice = text_of(&find(&root, "[data-testid=notice]"));
        assert!(
            notice.contains(&format!("the series budget is {shown_budget} and $"))
                && notice.contains(" is spent so far; this request, estimated at $")
                && notice.contains("would cross it"),
            "{notice}"
        );
        click_labelled(&find(&root, "[data-testid=notice]"), "button", "Dismiss");
    }
    continuity::web::clock::sleep(300, None).await.unwrap();
    let journal = journal_for(&s.token).await;
    assert_eq!(journal.len(), 2, "nothing was sent after the refusal");
    assert_eq!(
        journal.iter().map(|e| frame_of(e, 4)).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(statuses(&root)[2..], ["Empty", "Empty"]);
    let spend = text_of(&find(&root, "[data-testid=series-spend]"));
    assert!(
        spend.starts_with("$0.") && spend.ends_with(&format!(" spent of {shown_budget} budget")),
        "{spend}"
    );
    console_log!("budget: {}", took(started));
    close(s, handle).await;
}
