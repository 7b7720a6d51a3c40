//! Edits: multipart and JSON forms, derived output, mask compositing, input checks.

use base64::Engine as _;
use image::RgbaImage;
use serde_json::json;

use crate::common::{self, expect_error, image_at, json, png, Multipart};

const EDITS: &str = "/v1/images/edits";

/// Extra multipart text fields of a test case.
type Fields = &'static [(&'static str, &'static str)];

/// Mask with the left half kept (alpha 255) and the right half editable (alpha 0).
fn half_mask(w: u32, h: u32) -> RgbaImage {
    RgbaImage::from_fn(w, h, |x, _| {
        image::Rgba([0, 0, 0, if x < w / 2 { 255 } else { 0 }])
    })
}

#[tokio::test]
async fn mask_keeps_every_opaque_pixel_of_the_first_image() {
    let server = common::fake().await;
    let first = common::picture(1024, 1024, 1);
    let form = Multipart::new()
        .text("model", "gpt-image-2")
        .text("prompt", "Make the right side night time")
        .text("size", "auto")
        .text("quality", "low")
        .file("image[]", "first.png", "image/png", &png(&first))
        .file(
            "image[]",
            "second.png",
            "image/png",
            &png(&common::picture(640, 480, 2)),
        )
        .file(
            "image[]",
            "third.png",
            "image/png",
            &png(&common::picture(300, 200, 3)),
        )
        .file(
            "mask",
            "mask.png",
            "image/png",
            &png(&half_mask(1024, 1024)),
        );
    let resp = server.post_multipart(EDITS, form, &[]).await;
    assert_eq!(resp.status(), 200);
    let body = json(resp).await;
    assert_eq!(
        body["size"], "1024x1024",
        "auto takes the first image's size when valid"
    );
    let out = image_at(&body, 0).to_rgba8();
    assert_eq!(out.dimensions(), (1024, 1024));
    let mut changed = 0;
    for (x, y, p) in out.enumerate_pixels() {
        let original = first.get_pixel(x, y);
        if x < 512 {
            assert_eq!(p.0[..3], original.0[..3], "kept pixel ({x},{y}) changed");
        } else if p.0[..3] != original.0[..3] {
            changed += 1;
        }
    }
    assert!(
        changed > 400_000,
        "the editable half should change visibly ({changed} pixels)"
    );
    // Three input images are billed as input image tokens.
    let usage = &body["usage"];
    assert!(usage["input_tokens_details"]["image_tokens"]
        .as_u64()
        .is_some_and(|t| t > 3 * 4000));
    assert_eq!(usage["output_tokens"], 196);
}

#[tokio::test]
async fn mask_applies_to_the_resized_first_image() {
    let server = common::fake().await;
    // 512x512 is below gpt-image-2's minimum, so `auto` becomes 1024x1024: a 2x upscale.
    let first = common::picture(512, 512, 9);
    let form = Multipart::new()
        .text("model", "gpt-image-2")
        .text("prompt", "resize me")
        .text("size", "auto")
        .file("image", "first.png", "image/png", &png(&first))
        .file("mask", "mask.png", "image/png", &png(&half_mask(512, 512)));
    let body = json(server.post_multipart(EDITS, form, &[]).await).await;
    let out = image_at(&body, 0).to_rgba8();
    assert_eq!(out.dimensions(), (1024, 1024));
    for (x, y, p) in out.enumerate_pixels().filter(|(x, _, _)| *x < 512) {
        assert_eq!(p.0[..3], first.get_pixel(x / 2, y / 2).0[..3], "({x},{y})");
    }
}

#[tokio::test]
async fn output_is_derived_from_the_first_image() {
    let server = common::fake().await;
    let first = common::picture(1024, 1024, 5);
    let form = Multipart::new()
        .text("model", "gpt-image-2")
        .text("prompt", "tint it")
        .text("size", "1024x1024")
        .file("image[]", "a.png", "image/png", &png(&first));
    let body = json(server.post_multipart(EDITS, form, &[]).await).await;
    let out = image_at(&body, 0).to_rgba8();
    // Away from the drawn band and shape, each pixel is the input tinted 35%: close to it.
    let p = out.get_pixel(5, 5);
    let q = first.get_pixel(5, 5);
    for c in 0..3 {
        assert!(
            (i32::from(p[c]) - i32::from(q[c])).abs() < 100,
            "channel {c}: {p:?} vs {q:?}"
        );
    }
}

#[tokio::test]
async fn bad_masks_and_images_are_rejected() {
    let server = common::fake().await;
    let first = png(&common::picture(1024, 1024, 1));
    let send = |mask: Option<(Vec<u8>, &'static str)>, image: Vec<u8>| {
        let mut form = Multipart::new()
            .text("model", "gpt-image-2")
            .text("prompt", "p")
            .file("image[]", "a.png", "image/png", &image);
        if let Some((mask, ct)) = mask {
            form = form.file("mask", "m.png", ct, &mask);
        }
        server.post_multipart(EDITS, form, &[])
    };
    let no_alpha = common::rgb_png(1024, 1024);
    let err = expect_error(
        send(Some((no_alpha, "image/png")), first.clone()).await,
        400,
    )
    .await;
    assert_eq!(err["param"], "mask");
    assert!(
        err["message"].as_str().is_some_and(|m| m.contains("alpha")),
        "{err}"
    );

    let wrong_size = png(&half_mask(512, 512));
    let err = expect_error(
        send(Some((wrong_size, "image/png")), first.clone()).await,
        400,
    )
    .await;
    assert_eq!(err["param"], "mask");
    assert!(
        err["message"]
            .as_str()
            .is_some_and(|m| m.contains("512x512")),
        "{err}"
    );

    let mut jpeg = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image::RgbImage::new(1024, 1024))
        .write_to(&mut jpeg, image::ImageFormat::Jpeg)
        .expect("jpeg");
    let err = expect_error(
        send(Some((jpeg.into_inner(), "image/png")), first.clone()).await,
        400,
    )
    .await;
    assert_eq!(err["param"], "mask");

    // Declared as PNG, but not an image: checked by magic bytes.
    let err = expect_error(send(None, b"GIF89a not really".to_vec()).await, 400).await;
    assert_eq!(err["code"], "invalid_image_format");
    let err = expect_error(
        send(None, b"\x89PNG\r\n\x1a\ntruncated".to_vec()).await,
        400,
    )
    .await;
    assert_eq!(err["code"], "invalid_image");

    let form = Multipart::new()
        .text("model", "gpt-image-2")
        .text("prompt", "p");
    let err = expect_error(server.post_multipart(EDITS, form, &[]).await, 400).await;
    assert_eq!(err["code"], "missing_required_parameter");

    let mut form = Multipart::new()
        .text("model", "gpt-image-2")
        .text("prompt", "p");
    for _ in 0..17 {
        form = form.file("image[]", "a.png", "image/png", &common::rgb_png(16, 16));
    }
    expect_error(server.post_multipart(EDITS, form, &[]).await, 400).await;
}

#[tokio::test]
async fn parameter_rules_specific_to_edits() {
    let server = common::fake().await;
    let image = png(&common::picture(1024, 1024, 1));
    let form = |extra: &[(&str, &str)], model: &str| {
        let mut f = Multipart::new().text("model", model).text("prompt", "p");
        for (k, v) in extra {
            f = f.text(k, v);
        }
        f.file("image[]", "a.png", "image/png", &image)
    };
    let cases: [(Fields, &str, &str, &str); 5] = [
        (
            &[("input_fidelity", "high")],
            "gpt-image-2",
            "input_fidelity",
            "unsupported_parameter",
        ),
        (
            &[("input_fidelity", "high")],
            "gpt-image-1-mini",
            "input_fidelity",
            "invalid_value",
        ),
        (
            &[("moderation", "low")],
            "gpt-image-2",
            "moderation",
            "unknown_parameter",
        ),
        (&[("n", "two")], "gpt-image-2", "n", "invalid_type"),
        (
            &[("stream", "yes")],
            "gpt-image-2",
            "stream",
            "invalid_type",
        ),
    ];
    for (extra, model, param, code) in cases {
        let err = expect_error(
            server.post_multipart(EDITS, form(extra, model), &[]).await,
            400,
        )
        .await;
        assert_eq!(
            (err["param"].as_str(), err["code"].as_str()),
            (Some(param), Some(code)),
            "{extra:?}"
        );
    }
    // gpt-image-1.5 accepts input_fidelity=high; multipart numbers and booleans are strings.
    let ok = form(
        &[
            ("input_fidelity", "high"),
            ("n", "2"),
            ("stream", "false"),
            ("size", "1536x1024"),
        ],
        "gpt-image-1.5",
    );
    let body = json(server.post_multipart(EDITS, ok, &[]).await).await;
    assert_eq!(body["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(body["size"], "1536x1024");
    // No model: the edit form defaults to gpt-image-1.5 (and the multipart size to 1024x1024).
    let default =
        Multipart::new()
            .text("prompt", "p")
            .file("image[]", "a.png", "image/png", &image);
    let body = json(server.post_multipart(EDITS, default, &[]).await).await;
    assert_eq!(
        (
            body["size"].as_str(),
            body["usage"]["output_tokens"].as_u64()
        ),
        (Some("1024x1024"), Some(4160))
    );
}

#[tokio::test]
async fn json_edit_form_with_data_urls() {
    let server = common::fake().await;
    let data_url = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png(&common::picture(1024, 1024, 4)))
    );
    let body = json!({"model": "gpt-image-2", "prompt": "json edit", "images": [{"image_url": data_url}], "moderation": "low", "size": "1024x1024"});
    let resp = server.post_json(EDITS, &body, &[]).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(image_at(&json(resp).await, 0).width(), 1024);
    let body = json!({"model": "gpt-image-2", "prompt": "p", "images": [{"file_id": "file-abc"}]});
    let err = expect_error(server.post_json(EDITS, &body, &[]).await, 400).await;
    assert_eq!(err["param"], "images[0].file_id");
    let body = json!({"model": "gpt-image-2", "prompt": "p", "images": [{"image_url": "https://example.com/a.png"}]});
    expect_error(server.post_json(EDITS, &body, &[]).await, 400).await;
}

/// Reference §17 (2.5) and §18 (2.6): `markup` is a transparent PNG the size of the first
/// image, never with `mask`; refused on other models.
#[tokio::test]
async fn markup_only_on_the_2_5_and_2_6_models_and_never_with_a_mask() {
    let server = common::fake().await;
    let first = png(&common::picture(1024, 1024, 6));
    let markup = png(&RgbaImage::from_fn(1024, 1024, |x, y| {
        image::Rgba([255, 0, 0, if (x / 64 + y / 64) % 2 == 0 { 255 } else { 0 }])
    }));
    let form = |model: &str, with_mask: bool| {
        let mut f = Multipart::new()
            .text("model", model)
            .text("prompt", "follow the red marks")
            .file("image[]", "a.png", "image/png", &first)
            .file("markup", "markup.png", "image/png", &markup);
        if with_mask {
            f = f.file("mask", "m.png", "image/png", &png(&half_mask(1024, 1024)));
        }
        f
    };
    for model in ["gpt-image-2.5-flare", "gpt-image-2.6-sunburst"] {
        let resp = server.post_multipart(EDITS, form(model, false), &[]).await;
        assert_eq!(resp.status(), 200, "{model}");
    }
    // Not the size of the first image, or opaque all over: refused, naming `markup`.
    for bad in [
        png(&RgbaImage::from_pixel(
            512,
            512,
            image::Rgba([255, 0, 0, 0]),
        )),
        png(&RgbaImage::from_pixel(
            1024,
            1024,
            image::Rgba([255, 0, 0, 255]),
        )),
    ] {
        let f = Multipart::new()
            .text("model", "gpt-image-2.6-flare")
            .text("prompt", "follow the marks")
            .file("image[]", "a.png", "image/png", &first)
            .file("markup", "markup.png", "image/png", &bad);
        let err = expect_error(server.post_multipart(EDITS, f, &[]).await, 400).await;
        assert_eq!(err["param"], "markup", "{err}");
    }
    let err = expect_error(
        server
            .post_multipart(EDITS, form("gpt-image-2", false), &[])
            .await,
        400,
    )
    .await;
    assert_eq!(err["param"], "markup");
    let err = expect_error(
        server
            .post_multipart(EDITS, form("gpt-image-2.5-flare", true), &[])
            .await,
        400,
    )
    .await;
    assert_eq!(err["param"], "markup");
}

/// The consistency of `image` against `anchor`, with the app's default drift thresholds.
fn consistency(image: &RgbaImage, anchor: &RgbaImage) -> continuity_core::pixels::Consistency {
    use continuity_core::pixels::{compare, signature, DriftThresholds, Rgba};
    let sig =
        |i: &RgbaImage| signature(Rgba::new(i.width(), i.height(), i.as_raw()).expect("rgba"));
    compare(&sig(image), &sig(anchor), &DriftThresholds::default()).expect("compares")
}

#[tokio::test]
async fn edits_keep_the_first_image_and_drift_only_when_told() {
    let server = common::fake().await;
    let generated = json(
        server
            .generate(json!({"model": "gpt-image-2", "prompt": "Establishing shot: a lighthouse at dusk", "size": "1536x864"}))
            .await,
    )
    .await;
    let anchor = image_at(&generated, 0).to_rgba8();
    // A fan-out of 11 frames from the anchor, two of whose prompts carry [[drift]].
    let mut flagged = Vec::new();
    for k in 0..11 {
        let drift = if k == 3 || k == 8 { " [[drift]]" } else { "" };
        let prompt = format!("Panel {} of the lighthouse story, a new shot{drift}", k + 2);
        let form = Multipart::new()
            .text("model", "gpt-image-2")
            .text("prompt", &prompt)
            .text("size", "1536x864")
            .file("image[]", "anchor.png", "image/png", &png(&anchor))
            .file(
                "image[]",
                "ref.png",
                "image/png",
                &png(&common::picture(64, 64, 9)),
            );
        let out = image_at(
            &json(server.post_multipart(EDITS, form, &[]).await).await,
            0,
        )
        .to_rgba8();
        let kept = out
            .pixels()
            .zip(anchor.pixels())
            .filter(|(p, q)| p.0[..3] == q.0[..3])
            .count();
        let share = kept as f64 / f64::from(1536 * 864);
        let c = consistency(&out, &anchor);
        if drift.is_empty() {
            // One region of about a ninth is repainted; the rest is the anchor's.
            assert!(share > 0.85, "frame {k}: {share:.3} of the pixels kept");
        } else {
            assert!(
                share < 0.05,
                "a drifted frame is repainted whole ({share:.3} kept)"
            );
        }
        eprintln!(
            "frame {k}: kept {share:.3}, palette ΔE {:.1}, structure ΔL {:.1}",
            c.palette_distance, c.structural_distance
        );
        if c.drifted {
            flagged.push(k);
        }
    }
    assert_eq!(
        flagged,
        vec![3, 8],
        "exactly the [[drift]] frames are flagged"
    );
}
