//! The worker client as one module export, for the end-to-end tests and the benchmark
//! (`e2e/worker.test.mjs`, `e2e/bench-worker.mjs`). Trunk's start-up script already puts the
//! main module's exports on `window.wasmBindings`; `workerCall(op, args)` calls the typed
//! client above exactly as the app does and turns its result into a plain object.
//!
//! Harmless in production: it only computes on images the caller passes in, reaches no stored
//! data, key or network (a page script could start the same worker itself), and runs nothing
//! until called. One export with one dispatch keeps its cost in the main wasm small.

use js_sys::{Object, Reflect};
use wasm_bindgen::{prelude::*, JsCast};
use web_sys::{Blob, ImageBitmap};

use super::{DriftThresholds, Mask, SignatureJson, Source};

fn get(args: &JsValue, key: &str) -> JsValue {
    Reflect::get(args, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn source(args: &JsValue, key: &str) -> Result<Source, JsError> {
    let value = get(args, key);
    if value.is_instance_of::<ImageBitmap>() {
        return Ok(Source::Bitmap(value.unchecked_into()));
    }
    value
        .dyn_into::<Blob>()
        .map(Source::Blob)
        .map_err(|_| JsError::new(&format!("{key} must be a Blob or an ImageBitmap")))
}

fn mask(args: &JsValue) -> Result<Option<Mask>, JsError> {
    let value = get(args, "mask");
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    let s = source(args, "mask")?;
    Ok(Some(match get(args, "maskKind").as_string().as_deref() {
        Some("openai") => Mask::OpenAi(s),
        Some("markup") => Mask::Markup(s),
        _ => Mask::Coverage(s),
    }))
}

fn number(args: &JsValue, key: &str, default: f64) -> f64 {
    get(args, key).as_f64().unwrap_or(default)
}

fn text(args: &JsValue, key: &str) -> String {
    get(args, key).as_string().unwrap_or_default()
}

fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in fields {
        let _ = Reflect::set(&o, &(*k).into(), v);
    }
    o.into()
}

/// `workerCall(op, args)`, a promise of the client's result as a plain object:
/// - `"mask"`, `{ coverage, width, height }` → `{ image }`;
/// - `"leak"`, `{ parent, result, mask?, maskKind?, threshold? }` → `{ measured, changed,
///   share, maxDeltaE, threshold, masked, heatMap, width, height }`;
/// - `"composite"`, `{ parent, result, mask, maskKind?, feather? }` → `{ image }`;
/// - `"signature"`, `{ image }` → `{ signature }` (JSON text);
/// - `"compare"`, `{ image, reference }` (signature texts) → `{ paletteDistance,
///   structuralDistance, paletteDrifted, structureDrifted, drifted }`;
/// - `"thumbnail"`, `{ image, maxEdge? }` → `{ image, width, height }`;
/// - `"timeout"`, `{ ms }`: the time limit of later requests (tests shorten it).
///
/// Images are `Blob`s or `ImageBitmap`s; `maskKind` is `"coverage"` (default) or `"openai"`.
/// Rejects with the client's error in words.
///
/// The dispatch itself ([`dispatch`]) is a lazily loaded part, so the worker client is not in
/// the first screen's download.
#[wasm_bindgen(js_name = workerCall)]
pub async fn worker_call(op: String, args: JsValue) -> Result<JsValue, JsError> {
    crate::parts::worker_call(op, args)
        .await
        .unwrap_or_else(|missing| Err(JsError::new(&missing.to_string())))
}

/// What [`worker_call`] does once its part is loaded.
pub async fn dispatch(op: String, args: JsValue) -> Result<JsValue, JsError> {
    let failed = |e: super::WorkerError| JsError::new(&e.to_string());
    Ok(match op.as_str() {
        "mask" => {
            let (w, h) = (number(&args, "width", 0.0), number(&args, "height", 0.0));
            let blob = super::mask(source(&args, "coverage")?, w as u32, h as u32)
                .await
                .map_err(failed)?;
            object(&[("image", blob.into())])
        }
        "leak" => {
            let threshold = number(&args, "threshold", 10.0) as f32;
            let (parent, result) = (source(&args, "parent")?, source(&args, "result")?);
            let r = super::leak(parent, result, mask(&args)?, threshold)
                .await
                .map_err(failed)?;
            object(&[
                ("measured", r.measured.into()),
                ("changed", r.changed.into()),
                ("share", r.share.into()),
                ("maxDeltaE", r.max_delta_e.into()),
                ("threshold", r.threshold.into()),
                ("masked", r.masked.into()),
                ("heatMap", r.heat_map.into()),
                ("width", r.width.into()),
                ("height", r.height.into()),
            ])
        }
        "composite" => {
            let m = mask(&args)?.ok_or_else(|| JsError::new("a mask is required"))?;
            let feather = number(&args, "feather", 0.0) as u32;
            let (parent, result) = (source(&args, "parent")?, source(&args, "result")?);
            let blob = super::composite(parent, result, m, feather)
                .await
                .map_err(failed)?;
            object(&[("image", blob.into())])
        }
        "signature" => {
            let s = super::signature(source(&args, "image")?)
                .await
                .map_err(failed)?;
            object(&[("signature", s.0.into())])
        }
        "compare" => {
            let (image, reference) = (text(&args, "image"), text(&args, "reference"));
            let c = super::compare(
                &SignatureJson(image),
                &SignatureJson(reference),
                DriftThresholds::default(),
            )
            .await
            .map_err(failed)?;
            object(&[
                ("paletteDistance", c.palette_distance.into()),
                ("structuralDistance", c.structural_distance.into()),
                ("paletteDrifted", c.palette_drifted.into()),
                ("structureDrifted", c.structure_drifted.into()),
                ("drifted", c.drifted.into()),
            ])
        }
        "thumbnail" => {
            let max_edge = number(&args, "maxEdge", 384.0) as u32;
            let t = super::thumbnail(source(&args, "image")?, max_edge)
                .await
                .map_err(failed)?;
            object(&[
                ("image", t.blob.into()),
                ("width", t.width.into()),
                ("height", t.height.into()),
            ])
        }
        "timeout" => {
            super::set_timeout_ms(number(&args, "ms", f64::from(super::DEFAULT_TIMEOUT_MS)) as u32);
            JsValue::UNDEFINED
        }
        other => return Err(JsError::new(&format!("no worker operation \"{other}\""))),
    })
}
