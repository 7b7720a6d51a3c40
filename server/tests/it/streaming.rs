//! SSE streaming: event names and fields, partial images, usage, endings, timing.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Value};

use crate::common::{self, png, sse_events, Multipart};

fn parse(events: &[(Option<String>, String)]) -> Vec<Value> {
    events
        .iter()
        .map(|(name, data)| {
            let value: Value = serde_json::from_str(data).expect("event data is JSON");
            assert_eq!(
                name.as_deref(),
                value["type"].as_str(),
                "event: line matches type"
            );
            value
        })
        .collect()
}

#[tokio::test]
async fn two_partials_then_completed_with_usage() {
    let server = common::fake().await;
    let resp = server
        .generate(json!({"model": "gpt-image-2", "prompt": "streamed fox", "stream": true, "partial_images": 2, "quality": "low"}))
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let text = resp.text().await.expect("body");
    assert!(!text.contains('\r'), "LF endings by default");
    assert!(!text.contains("[DONE]"), "no [DONE] unless asked");
    let events = parse(&sse_events(&text));
    let types: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(
        types,
        [
            "image_generation.partial_image",
            "image_generation.partial_image",
            "image_generation.completed"
        ]
    );
    for (i, partial) in events[..2].iter().enumerate() {
        assert_eq!(partial["partial_image_index"], i);
        for key in [
            "created_at",
            "size",
            "quality",
            "background",
            "output_format",
        ] {
            assert!(partial.get(key).is_some(), "partial lacks {key}");
        }
        let img = image::load_from_memory(&common::b64decode(&partial["b64_json"]))
            .expect("partial decodes");
        assert_eq!(img.width(), 1024);
    }
    let completed = &events[2];
    assert_eq!(completed["size"], "1024x1024");
    assert_eq!(completed["quality"], "low");
    assert!(completed.get("partial_image_index").is_none());
    // 196 for the image + 100 per partial.
    assert_eq!(completed["usage"]["output_tokens"], 196 + 200);
    assert_eq!(completed["usage"]["input_tokens"], 3);
    let final_image = common::b64decode(&completed["b64_json"]);
    assert!(image::load_from_memory(&final_image).is_ok());
    assert_ne!(
        events[0]["b64_json"], completed["b64_json"],
        "partials are lower detail"
    );
}

#[tokio::test]
async fn one_completed_per_image_and_done_and_crlf() {
    let server = common::fake().await;
    let resp = server
        .post_json(
            "/v1/images/generations",
            &json!({"model": "gpt-image-2", "prompt": "two", "n": 2, "stream": true, "partial_images": 1, "quality": "low", "size": "1024x640"}),
            &[("x-fake-sse-done", "1"), ("x-fake-sse-crlf", "1")],
        )
        .await;
    let text = resp.text().await.expect("body");
    assert!(text.contains("\r\n\r\n"));
    assert!(
        text.ends_with("data: [DONE]\r\n\r\n"),
        "{}",
        &text[text.len().saturating_sub(40)..]
    );
    let mut events = sse_events(&text);
    assert_eq!(events.pop().map(|e| e.1), Some("[DONE]".to_string()));
    let types: Vec<String> = parse(&events)
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        types,
        [
            "image_generation.partial_image",
            "image_generation.completed",
            "image_generation.partial_image",
            "image_generation.completed"
        ]
    );
    let values = parse(&events);
    let total: u64 = values
        .iter()
        .filter_map(|e| e["usage"]["output_tokens"].as_u64())
        .sum();
    // gpt-image-2 low at 1024x640 is 107 tokens per image, plus 100 per partial image.
    assert_eq!(total, 2 * 107 + 2 * 100);
}

#[tokio::test]
async fn edits_stream_with_edit_event_names() {
    let server = common::fake().await;
    let form = Multipart::new()
        .text("model", "gpt-image-2")
        .text("prompt", "stream an edit")
        .text("stream", "true")
        .text("partial_images", "1")
        .text("size", "1024x1024")
        .file(
            "image[]",
            "a.png",
            "image/png",
            &png(&common::picture(1024, 1024, 3)),
        );
    let text = server
        .post_multipart("/v1/images/edits", form, &[])
        .await
        .text()
        .await
        .expect("body");
    let events = parse(&sse_events(&text));
    let types: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(types, ["image_edit.partial_image", "image_edit.completed"]);
}

#[tokio::test]
async fn partials_are_spread_over_the_latency() {
    // Generous latency: unoptimised test builds render slowly, and tests run in parallel.
    let server = common::start(common::fake_config(4000)).await;
    let started = Instant::now();
    let resp = server
        .generate(json!({"model": "gpt-image-2", "prompt": "slow stream", "stream": true, "partial_images": 2, "quality": "low", "size": "1024x640"}))
        .await;
    let mut body = resp.bytes_stream();
    let mut arrivals = Vec::new();
    let mut buffer = String::new();
    while let Some(chunk) = body.next().await {
        buffer.push_str(&String::from_utf8_lossy(&chunk.expect("chunk")));
        while let Some(end) = buffer.find("\n\n") {
            buffer.drain(..end + 2);
            arrivals.push(started.elapsed());
        }
    }
    assert_eq!(arrivals.len(), 3);
    // Events are due at about 1333, 2667 and 4000 ms. How far apart they arrive depends on how
    // fast this machine renders the partial images (seconds when it is loaded), so the test
    // checks only what holds on any machine: the partials come before the final event (the
    // stream is not buffered whole) and the final one is not early. The spacing itself is a
    // figure for the benchmark, not a timed test.
    assert!(arrivals[0] < arrivals[2], "{arrivals:?}");
    assert!(arrivals[2] >= Duration::from_millis(4000), "{arrivals:?}");
}
