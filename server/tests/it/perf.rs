//! Render timings. Ignored by default; run in release to measure:
//! `cargo test --release -p continuity-server --test it -- --ignored --nocapture render_timings`

use std::time::Instant;

use bytes::Bytes;
use continuity_server::fake::params::{self, Endpoint};
use continuity_server::fake::{render, validate};

fn time_render(size: &str, format: &str) -> (u128, usize) {
    let body = format!(
        r#"{{"model":"gpt-image-2","prompt":"Timing the fake renderer","size":"{size}","output_format":"{format}"}}"#
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let raw = rt
        .block_on(params::parse(
            Endpoint::Generations,
            Some("application/json"),
            Bytes::from(body),
        ))
        .expect("parses");
    let job = validate::validate(&raw).expect("valid");
    let started = Instant::now();
    let rendered = render::render(&job, 0).expect("renders");
    (started.elapsed().as_millis(), rendered.images[0].len())
}

#[test]
#[ignore = "timing measurement; run in release"]
fn render_timings() {
    for (size, format) in [
        ("1024x1024", "png"),
        ("1536x864", "png"),
        ("3840x2160", "png"),
        ("1024x1024", "jpeg"),
        ("1024x1024", "webp"),
    ] {
        // The first run warms caches; report the second.
        time_render(size, format);
        let (ms, bytes) = time_render(size, format);
        println!("render+encode {size} {format}: {ms} ms, {bytes} bytes");
    }
}
