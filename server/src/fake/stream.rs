//! Response bodies of successful fake requests: the JSON `ImagesResponse` and the SSE event
//! stream of §6, with events spread over the configured latency.

use std::collections::VecDeque;
use std::time::Duration;

use axum::body::Body;
use base64::Engine as _;
use bytes::Bytes;
use serde_json::{json, Value};
use tokio::time::Instant;

use super::job::{Job, OutputFormat};
use super::tokens::{self, Usage};

/// The bytes `bad_image` returns instead of an image.
pub const NOT_AN_IMAGE: &[u8] = b"this is not an image, it is the fake's bad_image fault\n";

/// How SSE is written and ended, chosen per request by test headers.
#[derive(Debug, Clone, Copy, Default)]
pub struct SseStyle {
    /// `x-fake-sse-crlf: 1`: CRLF line endings.
    pub crlf: bool,
    /// `x-fake-sse-done: 1`: send `data: [DONE]` before closing.
    pub done: bool,
}

/// Output image tokens of one image of the job (without partial surcharges).
pub fn image_tokens(job: &Job) -> u64 {
    tokens::output_tokens(job.family, job.width, job.height, job.quality)
}

fn text_tokens(job: &Job) -> u64 {
    tokens::text_tokens(&job.prompt)
}

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// The non-streaming `ImagesResponse`.
pub fn images_response(job: &Job, images: &[Vec<u8>], created: u64) -> Value {
    let usage = Usage::new(
        text_tokens(job),
        job.input_image_tokens,
        image_tokens(job) * u64::from(job.n),
    );
    let data: Vec<Value> = images
        .iter()
        .map(|img| json!({ "b64_json": b64(img) }))
        .collect();
    let mut body = json!({
        "created": created,
        "data": data,
        "background": job.background(),
        "output_format": job.format.as_str(),
        "quality": job.quality.as_str(),
        "size": job.size(),
        "usage": usage,
    });
    if let Some(id) = &job.safety_identifier {
        body["safety_identifier"] = json!(id);
    }
    if job.format == OutputFormat::Svg {
        let out = images.first().map_or(0, |svg| svg.len() as u64).div_ceil(4);
        let input = text_tokens(job);
        body["svg_usage"] = json!({
            "input_tokens": input, "output_tokens": out, "reasoning_tokens": 0,
            "total_tokens": input + out, "model": "fake-svg",
        });
    }
    body
}

/// SSE events for the job: per image, its partials then its `completed` event. The first
/// `completed` carries the request's input tokens, later ones none, so the usages add up to
/// the non-streaming total (plus 100 tokens per partial image). With `cut`, only the first
/// image's partials are produced (the `stream_cut` fault).
pub fn sse_events(
    job: &Job,
    images: &[Vec<u8>],
    partials: &[Vec<Vec<u8>>],
    created: u64,
    cut: bool,
) -> Vec<Value> {
    let prefix = job.endpoint.event_prefix();
    let common = |kind: &str, img: &[u8]| {
        json!({
            "type": format!("{prefix}.{kind}"),
            "b64_json": b64(img),
            "created_at": created,
            "size": job.size(),
            "quality": job.quality.as_str(),
            "background": job.background(),
            "output_format": job.format.as_str(),
        })
    };
    let mut events = Vec::new();
    for (k, image) in images.iter().enumerate() {
        let steps = partials.get(k).map(Vec::as_slice).unwrap_or_default();
        for (i, partial) in steps.iter().enumerate() {
            let mut event = common("partial_image", partial);
            event["partial_image_index"] = json!(i);
            events.push(event);
        }
        if cut {
            break;
        }
        let (text_in, image_in) = if k == 0 {
            (text_tokens(job), job.input_image_tokens)
        } else {
            (0, 0)
        };
        let out = image_tokens(job) + tokens::PARTIAL_IMAGE_TOKENS * steps.len() as u64;
        let mut event = common("completed", image);
        event["usage"] = json!(Usage::new(text_in, image_in, out));
        events.push(event);
    }
    events
}

/// Formats one event (`event:` line, `data:` line, blank line).
fn frame(event: &Value, style: SseStyle) -> Bytes {
    let nl = if style.crlf { "\r\n" } else { "\n" };
    let name = event["type"].as_str().unwrap_or("message");
    Bytes::from(format!("event: {name}{nl}data: {event}{nl}{nl}"))
}

/// A body that sends event `j` of `E` at `start + latency·(j+1)/E`, then `[DONE]` if asked,
/// then ends (the connection closes or is reused, like the real API).
pub fn sse_body(
    events: Vec<Value>,
    style: SseStyle,
    start: Instant,
    latency: Duration,
    cut: bool,
) -> Body {
    let total = events.len().max(1) as u32;
    let mut queue: VecDeque<(Instant, Bytes)> = events
        .iter()
        .enumerate()
        .map(|(j, e)| (start + latency * (j as u32 + 1) / total, frame(e, style)))
        .collect();
    if style.done && !cut {
        let nl = if style.crlf { "\r\n" } else { "\n" };
        queue.push_back((
            start + latency,
            Bytes::from(format!("data: [DONE]{nl}{nl}")),
        ));
    }
    let stream = futures_util::stream::unfold(queue, |mut queue| async move {
        let (at, bytes) = queue.pop_front()?;
        tokio::time::sleep_until(at).await;
        Some((Ok::<Bytes, std::io::Error>(bytes), queue))
    });
    Body::from_stream(stream)
}

/// A body that sends the first half of `full` and then fails, so the connection is cut
/// mid-body (the non-streaming `stream_cut` fault).
pub fn cut_body(full: Bytes) -> Body {
    let half = full.slice(..full.len() / 2);
    let stream = futures_util::stream::unfold(Some(half), |half| async move {
        match half {
            Some(half) => Some((Ok(half), None)),
            None => {
                // Give the headers and the first half time to leave before the abort.
                tokio::time::sleep(Duration::from_millis(50)).await;
                let cut = std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "stream_cut");
                Some((Err(cut), None))
            }
        }
    });
    Body::from_stream(stream)
}
