//! The request journal: what the client really sent, never the Authorization value.

use serde_json::{json, Value};

use crate::common::{self, png, sha256_hex, Multipart};

#[tokio::test]
async fn records_params_files_status_and_fault_but_never_the_key() {
    let server = common::fake().await;
    let secret = "sk-proj-journal-secret-0123456789";
    let auth = format!("Bearer {secret}");
    server
        .post_json(
            "/v1/images/generations",
            &json!({"model": "gpt-image-2", "prompt": "journal me", "n": 1, "quality": "low", "size": "1024x640"}),
            &[("authorization", auth.as_str())],
        )
        .await;
    let anchor = png(&common::picture(1024, 1024, 1));
    let other = png(&common::picture(640, 480, 2));
    let mask = png(&image::RgbaImage::from_pixel(
        1024,
        1024,
        image::Rgba([0, 0, 0, 255]),
    ));
    let form = Multipart::new()
        .text("model", "gpt-image-2")
        .text("prompt", "edit me [[fault:rate_limit]]")
        .text("n", "1")
        .file("image[]", "anchor.png", "image/png", &anchor)
        .file("image[]", "other.png", "image/png", &other)
        .file("mask", "mask.png", "image/png", &mask);
    let resp = server.post_multipart("/v1/images/edits", form, &[]).await;
    assert_eq!(resp.status(), 429);

    let raw = server
        .client
        .get(server.url("/_fake/requests"))
        .send()
        .await
        .expect("journal");
    // Read by a script (no Origin): answered, without CORS for other pages.
    assert!(!raw.headers().contains_key("access-control-allow-origin"));
    let text = raw.text().await.expect("text");
    assert!(
        !text.contains(secret),
        "the journal must never contain the key"
    );
    assert!(!text.contains("Bearer"));
    let entries: Vec<Value> = serde_json::from_str(&text).expect("array");
    assert_eq!(entries.len(), 2);

    let generation = &entries[0];
    assert_eq!(generation["endpoint"], "generations");
    assert_eq!(generation["content_type"], "application/json");
    assert_eq!(generation["authorization_present"], true);
    assert_eq!(
        generation["params"],
        json!({"model": "gpt-image-2", "prompt": "journal me", "n": 1, "quality": "low", "size": "1024x640"})
    );
    assert_eq!(generation["images"], json!([]));
    assert_eq!(generation["mask"], Value::Null);
    assert_eq!(generation["status"], 200);
    assert_eq!(generation["fault"], Value::Null);

    let edit = &entries[1];
    assert!(edit["seq"].as_u64() > generation["seq"].as_u64());
    assert_eq!(edit["endpoint"], "edits");
    assert!(edit["content_type"]
        .as_str()
        .is_some_and(|c| c.starts_with("multipart/form-data; boundary=")));
    assert_eq!(edit["authorization_present"], false);
    assert_eq!(edit["params"]["n"], "1", "multipart fields are strings");
    assert_eq!(edit["status"], 429);
    assert_eq!(edit["fault"], "rate_limit");
    let images = edit["images"].as_array().expect("images");
    assert_eq!(images.len(), 2);
    assert_eq!(images[0]["field"], "image[]");
    assert_eq!(images[0]["filename"], "anchor.png");
    assert_eq!(images[0]["content_type"], "image/png");
    assert_eq!(images[0]["bytes"], anchor.len());
    assert_eq!(images[0]["sha256"], sha256_hex(&anchor));
    assert_eq!(
        (images[0]["width"].as_u64(), images[0]["height"].as_u64()),
        (Some(1024), Some(1024))
    );
    assert_eq!(images[1]["sha256"], sha256_hex(&other));
    assert_eq!(images[1]["width"], 640);
    assert_eq!(edit["mask"]["sha256"], sha256_hex(&mask));

    // Invalid requests are journaled too, with their status.
    server
        .post_json(
            "/v1/images/generations",
            &json!({"model": "gpt-image-2", "prompt": "p", "size": "1x1"}),
            &[],
        )
        .await;
    let last = server.journal().await.pop().expect("entry");
    assert_eq!(last["status"], 400);

    let resp = server
        .client
        .delete(server.url("/_fake/requests"))
        .send()
        .await
        .expect("delete");
    assert_eq!(resp.status(), 204);
    assert!(server.journal().await.is_empty());
}
