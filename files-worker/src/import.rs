//! Import in the worker: a chosen ZIP export or bare `manifest.json` is read, unpacked
//! (deflated entries inflated), every image hashed (WebCrypto SHA-256) and the manifest checked
//! strictly by `continuity_core::export::import`; the answer is the new series, ready to
//! store, and its images as `Blob`s. The file's bytes, the inflater and the strict manifest
//! types stay out of the main thread and out of the main bundle.
//!
//! Request `{ id, op: "import", file, nowMs }`; answer `{ id, ok: true, series, warnings,
//! images }`: `series` is the whole series as JSON (`core::model::records::whole_json`, fresh
//! ids: never one that exists), `images` a plain object hash → `Blob` of the images to store.
//! A refusal is `{ id, ok: false, error }` with the import's own message (what is wrong, in
//! words). `{ id, progress, total }` is posted before each image is hashed.

use continuity_core::export::import::{import as check, unpack, ReadFile};
use continuity_core::model::records::whole_json;
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, WorkerGlobalScope};

use crate::export::raster::{blob_of_parts, bytes, FilePart};
use crate::export::{Steps, Stop};
use continuity_worker::protocol::{object, Request};

/// Runs an `import` request.
pub async fn import(request: &Request) -> Result<Object, String> {
    let file: Blob = request
        .get("file")
        .dyn_into()
        .map_err(|_| "the field \"file\" must be a Blob or File".to_string())?;
    let now_ms = request.number("nowMs", 0.0)?;
    let steps = Steps::new(request.id());
    let data = bytes(&file).await?;
    let unpacked = unpack(&data).map_err(|e| e.to_string())?;
    drop(data);
    let total = unpacked.files.len() + 1;
    let mut read: Vec<ReadFile> = Vec::with_capacity(unpacked.files.len());
    let blobs = Object::new();
    for (i, f) in unpacked.files.iter().enumerate() {
        if let Err(Stop::Failed(e)) = steps.step(i, total) {
            return Err(e);
        }
        let hash = sha256(&f.bytes).await?;
        let blob = blob_of_parts(&[FilePart::Bytes(&f.bytes)], f.image.mime)
            .map_err(|_| "the browser could not hold an image of the archive".to_string())?;
        let _ = Reflect::set(&blobs, &JsValue::from_str(&hash), &blob);
        read.push(f.read_file(hash));
    }
    let imported =
        check(&unpacked.manifest_bytes, &read, now_ms, random_u64).map_err(|e| e.to_string())?;
    // Only the images the series keeps go back.
    let images = Object::new();
    for (hash, _, _) in &imported.store {
        let key = JsValue::from_str(hash);
        if let Ok(blob) = Reflect::get(&blobs, &key) {
            let _ = Reflect::set(&images, &key, &blob);
        }
    }
    let warnings: Array = imported
        .warnings
        .iter()
        .map(|w| JsValue::from_str(w))
        .collect();
    Ok(object(&[
        ("series", whole_json(&imported.series).into()),
        ("warnings", warnings.into()),
        ("images", images.into()),
    ]))
}

fn scope() -> WorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// The SHA-256 of `bytes` in lowercase hex, by WebCrypto (how stored images are keyed).
async fn sha256(bytes: &[u8]) -> Result<String, String> {
    let subtle = scope()
        .crypto()
        .map_err(|_| "WebCrypto is not available")?
        .subtle();
    let digest = JsFuture::from(
        subtle
            .digest_with_str_and_u8_array("SHA-256", bytes)
            .map_err(|_| "WebCrypto refused to hash")?,
    )
    .await
    .map_err(|_| "WebCrypto could not hash an image".to_string())?;
    let digest = Uint8Array::new(&digest).to_vec();
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// A random id: WebCrypto, else `Math.random` (good enough for ids).
fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    let filled = scope()
        .crypto()
        .ok()
        .and_then(|c| c.get_random_values_with_u8_array(&mut bytes).ok())
        .is_some();
    if !filled {
        for b in &mut bytes {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    u64::from_le_bytes(bytes)
}
