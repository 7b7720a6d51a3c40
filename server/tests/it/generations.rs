//! Generations: real images of the requested size, usage, strict validation, CORS.

use std::time::Instant;

use serde_json::json;

use crate::common::{self, expect_error, image_at, json};

#[tokio::test]
async fn returns_a_png_of_the_requested_size_with_usage() {
    let server = common::fake().await;
    let resp = server
        .generate(json!({"model": "gpt-image-2", "prompt": "A fox courier waves", "size": "1536x864", "quality": "medium"}))
        .await;
    assert_eq!(resp.status(), 200);
    let request_id = resp.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(
        request_id.starts_with("req_") && request_id.len() == 36,
        "{request_id}"
    );
    assert!(request_id[4..].bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(resp.headers().contains_key("openai-processing-ms"));
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    let body = json(resp).await;
    assert!(body["created"].as_u64().is_some());
    assert_eq!(body["size"], "1536x864");
    assert_eq!(body["quality"], "medium");
    assert_eq!(body["background"], "opaque");
    assert_eq!(body["output_format"], "png");
    assert_eq!(body["data"].as_array().map(Vec::len), Some(1));
    let img = image_at(&body, 0);
    assert_eq!((img.width(), img.height()), (1536, 864));
    let usage = &body["usage"];
    assert_eq!(usage["output_tokens"], 1078);
    assert_eq!(usage["output_tokens_details"]["image_tokens"], 1078);
    assert_eq!(usage["output_tokens_details"]["text_tokens"], 0);
    // "A fox courier waves" = 19 chars → ceil(19/4) = 5.
    assert_eq!(usage["input_tokens"], 5);
    assert_eq!(usage["input_tokens_details"]["text_tokens"], 5);
    assert_eq!(usage["input_tokens_details"]["image_tokens"], 0);
    assert_eq!(usage["total_tokens"], 1083);
    assert!(body.get("safety_identifier").is_none());
}

#[tokio::test]
async fn auto_resolves_variants_differ_and_asking_again_gives_another_image() {
    let server = common::fake().await;
    let request = json!({"model": "gpt-image-2", "prompt": "Same prompt", "n": 2, "safety_identifier": "user-hash-1"});
    let a = json(server.generate(request.clone()).await).await;
    let b = json(server.generate(request.clone()).await).await;
    assert_eq!(a["size"], "1024x1024");
    assert_eq!(a["quality"], "high");
    assert_eq!(a["usage"]["output_tokens"], 7024 * 2);
    assert_eq!(a["safety_identifier"], "user-hash-1");
    // Like the model (no seed, no determinism), the same request again is another image...
    assert_ne!(
        a["data"][0], b["data"][0],
        "same request again → another image"
    );
    assert_ne!(a["data"][1], b["data"][1]);
    assert_ne!(a["data"][0], a["data"][1], "variants must differ");
    // ...and a run is reproducible: after the journal is cleared the same order repeats.
    let cleared = server
        .client
        .delete(server.url("/_fake/requests"))
        .send()
        .await
        .expect("clear");
    assert_eq!(cleared.status(), 204);
    let a2 = json(server.generate(request.clone()).await).await;
    let b2 = json(server.generate(request).await).await;
    assert_eq!(
        a["data"][0], a2["data"][0],
        "first of a run → the same bytes"
    );
    assert_eq!(
        b["data"][1], b2["data"][1],
        "second of a run → the same bytes"
    );
    let (v0, v1) = (image_at(&a, 0).to_rgb8(), image_at(&a, 1).to_rgb8());
    let differing = v0.pixels().zip(v1.pixels()).filter(|(p, q)| p != q).count();
    assert!(
        differing > 10_000,
        "variants differ visibly ({differing} pixels)"
    );
}

#[tokio::test]
async fn other_formats_decode() {
    let server = common::fake().await;
    for (format, expected) in [
        ("jpeg", image::ImageFormat::Jpeg),
        ("webp", image::ImageFormat::WebP),
    ] {
        let body = json(
            server
                .generate(json!({"model": "gpt-image-2", "prompt": "formats", "size": "1024x640", "output_format": format, "quality": "low"}))
                .await,
        )
        .await;
        let bytes = common::b64decode(&body["data"][0]["b64_json"]);
        assert_eq!(image::guess_format(&bytes).expect("known format"), expected);
        let img = image::load_from_memory(&bytes).expect("decodes");
        assert_eq!((img.width(), img.height()), (1024, 640));
        assert_eq!(body["output_format"], format);
    }
    // Transparent PNG keeps an alpha channel with transparent pixels.
    let body = json(
        server
            .generate(json!({"model": "gpt-image-2", "prompt": "sticker", "background": "transparent", "quality": "low"}))
            .await,
    )
    .await;
    assert_eq!(body["background"], "transparent");
    let img = image_at(&body, 0);
    assert!(img.color().has_alpha());
    assert!(img.to_rgba8().pixels().any(|p| p[3] == 0));
}

#[tokio::test]
async fn animated_gif_and_svg() {
    let server = common::fake().await;
    let body = json(
        server
            .generate(json!({"model": "gpt-image-2", "prompt": "spinning", "output_format": "gif", "frame_count": 3, "frame_duration_ms": 104}))
            .await,
    )
    .await;
    assert_eq!(body["output_format"], "gif");
    let bytes = common::b64decode(&body["data"][0]["b64_json"]);
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::Indexed);
    let mut decoder = options.read_info(bytes.as_slice()).expect("gif header");
    assert_eq!((decoder.width(), decoder.height()), (1024, 1024));
    let mut frames = 0;
    while let Some(frame) = decoder.read_next_frame().expect("frame") {
        assert_eq!(frame.delay, 10, "104 ms rounds to 100 ms = 10 centiseconds");
        frames += 1;
    }
    assert_eq!(frames, 3);

    let body = json(server.generate(json!({"model": "gpt-image-2", "prompt": "a <logo> & more", "output_format": "svg"})).await).await;
    let svg = String::from_utf8(common::b64decode(&body["data"][0]["b64_json"])).expect("utf-8");
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.contains("a &lt;logo&gt; &amp; more") && svg.ends_with("</svg>"));
    assert!(body["svg_usage"]["total_tokens"].as_u64().is_some());

    for (extra, param) in [
        (json!({"output_format": "gif", "stream": true}), "stream"),
        (
            json!({"output_format": "gif", "output_compression": 50}),
            "output_compression",
        ),
        (
            json!({"output_format": "gif", "frame_count": 17}),
            "frame_count",
        ),
        (json!({"frame_count": 3}), "frame_count"),
        (json!({"output_format": "svg", "n": 2}), "n"),
    ] {
        let mut request = json!({"model": "gpt-image-2", "prompt": "x"});
        for (k, v) in extra.as_object().expect("object") {
            request[k] = v.clone();
        }
        let err = expect_error(server.generate(request).await, 400).await;
        assert_eq!(err["param"], param, "{extra}");
    }
}

#[tokio::test]
async fn one_x_models_use_fixed_sizes_and_their_table() {
    let server = common::fake().await;
    let body = json(
        server
            .generate(json!({"model": "gpt-image-1.5", "prompt": "p", "size": "1024x1536"}))
            .await,
    )
    .await;
    assert_eq!(body["usage"]["output_tokens"], 6240);
    assert_eq!(
        (image_at(&body, 0).width(), image_at(&body, 0).height()),
        (1024, 1536)
    );
    let err = expect_error(
        server
            .generate(json!({"model": "gpt-image-1.5", "prompt": "p", "size": "1536x864"}))
            .await,
        400,
    )
    .await;
    assert_eq!(err["param"], "size");
    let body = json(
        server
            .generate(json!({"model": "gpt-image-1-mini", "prompt": "p", "quality": "low"}))
            .await,
    )
    .await;
    assert_eq!(body["usage"]["output_tokens"], 272);
}

#[tokio::test]
async fn invalid_requests_get_openai_errors() {
    let server = common::fake().await;
    let base = || json!({"model": "gpt-image-2", "prompt": "p"});
    let with = |key: &str, value: serde_json::Value| {
        let mut b = base();
        b[key] = value;
        b
    };
    let cases = [
        (with("size", json!("1000x1000")), "size", "invalid_value"),
        (with("size", json!("4096x1024")), "size", "invalid_value"),
        (with("foo", json!(1)), "foo", "unknown_parameter"),
        (
            with("input_fidelity", json!("high")),
            "input_fidelity",
            "unknown_parameter",
        ),
        (
            with("response_format", json!("b64_json")),
            "response_format",
            "unsupported_parameter",
        ),
        (with("n", json!(11)), "n", "integer_above_max_value"),
        (with("n", json!(0)), "n", "integer_below_min_value"),
        (with("n", json!("2")), "n", "invalid_type"),
        (with("stream", json!("true")), "stream", "invalid_type"),
        (with("quality", json!("xhigh")), "quality", "invalid_value"),
        (with("quality", json!("ultra")), "quality", "invalid_value"),
        (
            with("output_compression", json!(80)),
            "output_compression",
            "invalid_value",
        ),
        (
            with("output_format", json!("bmp")),
            "output_format",
            "invalid_value",
        ),
        (
            with("partial_images", json!(2)),
            "partial_images",
            "invalid_value",
        ),
        (
            with("partial_images", json!(4)),
            "partial_images",
            "integer_above_max_value",
        ),
        (
            with("moderation", json!("off")),
            "moderation",
            "invalid_value",
        ),
        (
            with("complexity", json!("extreme")),
            "complexity",
            "invalid_value",
        ),
        (
            with("complexity", json!("high")),
            "complexity",
            "unsupported_parameter",
        ),
        (with("prompt", json!("")), "prompt", "empty_string"),
        (
            with("prompt", json!("x".repeat(32_001))),
            "prompt",
            "string_above_max_length",
        ),
        (with("prompt", json!(5)), "prompt", "invalid_type"),
        (
            json!({"model": "gpt-image-2"}),
            "prompt",
            "missing_required_parameter",
        ),
    ];
    for (body, param, code) in cases {
        let err = expect_error(server.generate(body.clone()).await, 400).await;
        assert_eq!(err["type"], "invalid_request_error", "{body}");
        assert_eq!(err["param"], param, "{err}");
        assert_eq!(err["code"], code, "{err}");
    }
    let transparent_jpeg = json!({"model": "gpt-image-2", "prompt": "p", "background": "transparent", "output_format": "jpeg"});
    assert_eq!(
        expect_error(server.generate(transparent_jpeg).await, 400).await["param"],
        "background"
    );
    // The 2.5 models know the extra quality levels, a prompt of exactly 32,000 chars is fine.
    let ok = json!({"model": "gpt-image-2.5-sunburst", "prompt": "x".repeat(32_000), "quality": "xhigh", "size": "1024x640", "moderation": "low", "user": "u"});
    assert_eq!(server.generate(ok).await.status(), 200);

    let resp = server
        .client
        .post(server.url("/v1/images/generations"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("sent");
    let err = expect_error(resp, 400).await;
    assert!(err["message"]
        .as_str()
        .is_some_and(|m| m.contains("could not parse the JSON")));
}

#[tokio::test]
async fn retired_unknown_and_missing_models_are_404() {
    let server = common::fake().await;
    for (model, needle) in [
        ("gpt-image-1", "2026-10-23"),
        ("dall-e-3", "2026-05-12"),
        ("gpt-9", "does not exist"),
    ] {
        let err = expect_error(
            server
                .generate(json!({"model": model, "prompt": "p"}))
                .await,
            404,
        )
        .await;
        assert_eq!(err["code"], "model_not_found");
        assert!(
            err["message"].as_str().is_some_and(|m| m.contains(needle)),
            "{err}"
        );
    }
    let err = expect_error(server.generate(json!({"prompt": "p"})).await, 404).await;
    assert!(err["message"]
        .as_str()
        .is_some_and(|m| m.contains("dall-e-2")));
}

#[tokio::test]
async fn latency_is_the_total_time() {
    let server = common::start(common::fake_config(400)).await;
    let started = Instant::now();
    let resp = server
        .generate(json!({"model": "gpt-image-2", "prompt": "slow", "quality": "low"}))
        .await;
    assert_eq!(resp.status(), 200);
    let _ = resp.bytes().await;
    let elapsed = started.elapsed().as_millis();
    // The upper bound only guards against a doubled wait (tests share two cores).
    assert!((400..5000).contains(&elapsed), "took {elapsed} ms");
}

#[tokio::test]
async fn routes_cors_and_unknown_paths() {
    let server = common::fake().await;
    let resp = server
        .client
        .request(reqwest::Method::OPTIONS, server.url("/v1/images/edits"))
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type, x-fake-fault",
        )
        .send()
        .await
        .expect("preflight");
    assert!(resp.status().is_success());
    let h = resp.headers();
    assert_eq!(h["access-control-allow-origin"], "*");
    assert!(h["access-control-allow-methods"]
        .to_str()
        .is_ok_and(|m| m.contains("POST")));
    let allowed = h["access-control-allow-headers"].to_str().expect("ascii");
    for name in [
        "authorization",
        "content-type",
        "x-continuity-client",
        "x-fake-fault",
        "x-fake-sse-done",
        "x-fake-sse-crlf",
    ] {
        assert!(allowed.contains(name), "{name}");
    }
    let exposed = h["access-control-expose-headers"].to_str().expect("ascii");
    for name in [
        "x-request-id",
        "retry-after",
        "retry-after-ms",
        "x-ratelimit-remaining-requests",
        "openai-processing-ms",
    ] {
        assert!(exposed.contains(name), "{name}");
    }

    let resp = server
        .client
        .get(server.url("/v1/images/generations"))
        .send()
        .await
        .expect("sent");
    let err = expect_error(resp, 404).await;
    assert_eq!(err["message"], "Invalid URL (GET /v1/images/generations)");
    let resp = server
        .client
        .post(server.url("/v1/chat/completions"))
        .send()
        .await
        .expect("sent");
    expect_error(resp, 404).await;

    let config = json(
        server
            .client
            .get(server.url("/api/config"))
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(
        config,
        json!({
            "provider": "fake",
            "images_base": "/v1",
            "token_required": false,
            "version": env!("CARGO_PKG_VERSION"),
            "recoverable_jobs": {
                "header": "x-continuity-job",
                "path": "/v1/continuity/jobs/",
                "ttl_seconds": 86400
            },
            "batches": true
        })
    );
    let health = server
        .client
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("sent");
    assert_eq!(health.text().await.expect("text"), "ok");
}

#[tokio::test]
async fn body_limit_is_413_in_the_envelope() {
    let mut config = common::fake_config(0);
    config.max_body_bytes = 1024;
    let server = common::start(config).await;
    let big = json!({"model": "gpt-image-2", "prompt": "x".repeat(5000)});
    let err = expect_error(server.generate(big).await, 413).await;
    assert_eq!(err["type"], "invalid_request_error");
}

/// The reference documents free sizes only for gpt-image-2 and the 2.5 models (§17); for 2.6
/// `xhigh`/`max` per relays and `complexity` per OpenAI's model page (§18), and no transparent
/// background.
#[tokio::test]
async fn gpt_image_2_6_takes_what_the_reference_lists_for_it() {
    let server = common::fake().await;
    for model in ["gpt-image-2.6-sunburst", "gpt-image-2.6-flare"] {
        for (key, value) in [("size", "1536x864"), ("size", "2048x2048")] {
            let mut body = json!({"model": model, "prompt": "p", "quality": "low"});
            body[key] = json!(value);
            let err = expect_error(server.generate(body).await, 400).await;
            assert_eq!(err["type"], "invalid_request_error");
            assert_eq!(err["param"], key, "{model} {value}: {err}");
            assert_eq!(err["code"], "invalid_value", "{model} {value}: {err}");
        }
        for size in ["1024x1024", "1536x1024", "1024x1536", "auto"] {
            let body = json!({"model": model, "prompt": "p", "quality": "low", "size": size});
            assert_eq!(server.generate(body).await.status(), 200, "{model} {size}");
        }
        for (key, value) in [
            ("quality", "xhigh"),
            ("quality", "max"),
            ("complexity", "high"),
        ] {
            let mut body =
                json!({"model": model, "prompt": "p", "quality": "low", "size": "1024x1024"});
            body[key] = json!(value);
            assert_eq!(
                server.generate(body).await.status(),
                200,
                "{model} {key}={value}"
            );
        }
        let body =
            json!({"model": model, "prompt": "p", "quality": "low", "background": "transparent"});
        let err = expect_error(server.generate(body).await, 400).await;
        assert_eq!(err["param"], "background", "{err}");
        assert!(
            err["message"].as_str().is_some_and(
                |m| m.contains("Transparent background is not supported for this model")
            ),
            "{err}"
        );
    }
    // The same values stay valid where the reference documents them.
    for model in ["gpt-image-2.5-flare", "gpt-image-2"] {
        let body = json!({"model": model, "prompt": "p", "quality": "low", "size": "1536x864"});
        assert_eq!(server.generate(body).await.status(), 200, "{model}");
    }
    let body = json!({"model": "gpt-image-2.5-sunburst", "prompt": "p", "quality": "max", "size": "1024x1024"});
    assert_eq!(server.generate(body).await.status(), 200);
    // Transparent PNG and WebP on the models that have it; JPEG never.
    for (model, format) in [("gpt-image-2.5-flare", "webp"), ("gpt-image-1.5", "png")] {
        let body = json!({"model": model, "prompt": "p", "quality": "low", "background": "transparent", "output_format": format});
        assert_eq!(
            server.generate(body).await.status(),
            200,
            "{model} {format}"
        );
    }
    let body = json!({"model": "gpt-image-2.5-flare", "prompt": "p", "quality": "low", "background": "transparent", "output_format": "jpeg"});
    assert_eq!(
        expect_error(server.generate(body).await, 400).await["param"],
        "background"
    );
}
