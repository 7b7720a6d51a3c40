//! The operations: each reads its fields, decodes its images, calls `core::pixels` and answers
//! with numbers and encoded `Blob`s.
//!
//! | `op` | fields | answer |
//! |---|---|---|
//! | `mask` | `coverage` (image whose alpha is the painted amount), `width`, `height` (the image's size) | `image` (mask PNG: painted = alpha 0), `width`, `height` |
//! | `leak` | `parent`, `result`, optional `mask` + `maskKind`, `threshold` (ΔE, default 10) | `measured`, `changed`, `share`, `maxDeltaE`, `threshold`, `masked`, `heatMap` (PNG), `width`, `height` |
//! | `composite` | `parent`, `result`, `mask` + `maskKind`, `feather` (px, default 0) | `image` (PNG), `width`, `height` |
//! | `signature` | `image` | `signature` (JSON text of `core::pixels::Signature`) |
//! | `compare` | `image`, `reference` (signature JSON), `paletteDeltaE`, `structureDeltaL` | `paletteDistance`, `structuralDistance`, `paletteDrifted`, `structureDrifted`, `drifted` |
//! | `thumbnail` | `image`, `maxEdge` (default 384), `quality` (0 ‥ 1, default 0.8) | `image` (WebP), `width`, `height` |
//!
//! `maskKind` says how to read a mask image: `"coverage"` (default; the painter's canvas,
//! painted where alpha ≥ 128), `"openai"` (a mask PNG as sent to OpenAI, painted where
//! alpha = 0) or `"markup"` (a markup layer: its marks, alpha > 0, widened by
//! `core::pixels::MARKUP_MARGIN` pixels).

use continuity_core::pixels::{
    self, check_mask_png_len, coverage_from_alpha, coverage_from_markup, coverage_from_mask_image,
    Coverage, DriftThresholds, PixelError, Signature, LEAK_DELTA_E, MARKUP_MARGIN, THUMB_MAX_EDGE,
};
use continuity_worker::canvas::{self, Format, Pixels};
use continuity_worker::protocol::{self, object, Request};
use js_sys::Object;
use wasm_bindgen::JsValue;

/// WebP quality of thumbnails unless the request says otherwise.
const THUMB_QUALITY: f64 = 0.8;

/// Runs one request and returns its answer (`ok: true` with the results, or `ok: false` with
/// the reason in words).
pub async fn answer(request: Request) -> Object {
    let outcome = match request.op().as_str() {
        "mask" => mask(&request).await,
        "leak" => leak(&request).await,
        "composite" => composite(&request).await,
        "signature" => signature(&request).await,
        "compare" => compare(&request),
        "thumbnail" => thumbnail(&request).await,
        "" => Err("the request names no operation".to_string()),
        // Export and import are the files worker's (files-worker/).
        other => Err(format!("the pixel worker has no operation \"{other}\"")),
    };
    protocol::answered(request.id(), outcome)
}

fn words(e: PixelError) -> String {
    e.to_string()
}

fn size(width: u32, height: u32) -> [(&'static str, JsValue); 2] {
    [("width", width.into()), ("height", height.into())]
}

/// How a mask image is to be read (`maskKind`).
#[derive(Clone, Copy)]
enum MaskKind {
    Coverage,
    OpenAi,
    Markup,
}

impl MaskKind {
    fn of(request: &Request) -> Result<Self, String> {
        if !request.has("maskKind") {
            return Ok(MaskKind::Coverage);
        }
        match request.text("maskKind")?.as_str() {
            "coverage" => Ok(MaskKind::Coverage),
            "openai" => Ok(MaskKind::OpenAi),
            "markup" => Ok(MaskKind::Markup),
            other => Err(format!(
                "unknown maskKind \"{other}\" (expected \"coverage\", \"openai\" or \"markup\")"
            )),
        }
    }

    /// The coverage (255 = painted) of a decoded mask image.
    fn coverage(self, mask: &Pixels) -> Result<Vec<u8>, String> {
        let rgba = mask.rgba().map_err(words)?;
        Ok(match self {
            MaskKind::Coverage => coverage_from_alpha(rgba),
            MaskKind::OpenAi => coverage_from_mask_image(rgba),
            MaskKind::Markup => coverage_from_markup(rgba, MARKUP_MARGIN),
        })
    }
}

/// Painted coverage → OpenAI's mask PNG of the image's size.
async fn mask(request: &Request) -> Result<Object, String> {
    for key in ["width", "height"] {
        if !request.has(key) {
            return Err(format!("the mask needs the image's {key}"));
        }
    }
    let (width, height) = (request.whole("width", 0)?, request.whole("height", 0)?);
    let painted = canvas::start(request.get("coverage"), "painted mask")
        .pixels()
        .await?;
    let coverage = coverage_from_alpha(painted.rgba().map_err(words)?);
    let coverage = Coverage::new(painted.width, painted.height, &coverage).map_err(words)?;
    let rgba = pixels::encode_mask(coverage, width, height).map_err(words)?;
    let png = canvas::encode(width, height, &rgba, Format::Png).await?;
    check_mask_png_len(png.size() as usize).map_err(words)?;
    let [w, h] = size(width, height);
    Ok(object(&[("image", png.into()), w, h]))
}

/// The leak outside the mask (or the changed area without one) and its heat map.
async fn leak(request: &Request) -> Result<Object, String> {
    let threshold = request.number("threshold", f64::from(LEAK_DELTA_E))? as f32;
    let kind = MaskKind::of(request)?;
    let parent = canvas::start(request.get("parent"), "parent image");
    let result = canvas::start(request.get("result"), "result image");
    let mask = request
        .has("mask")
        .then(|| canvas::start(request.get("mask"), "mask image"));
    let parent = parent.pixels().await?;
    let result = result.pixels().await?;
    let masked = mask.is_some();
    let measured = match mask {
        Some(mask) => {
            let mask = mask.pixels().await?;
            let coverage = kind.coverage(&mask)?;
            let coverage = Coverage::new(mask.width, mask.height, &coverage).map_err(words)?;
            pixels::leak(
                parent.rgba().map_err(words)?,
                result.rgba().map_err(words)?,
                coverage,
                threshold,
            )
        }
        None => pixels::changed_area(
            parent.rgba().map_err(words)?,
            result.rgba().map_err(words)?,
            threshold,
        ),
    }
    .map_err(words)?;
    let (width, height) = (parent.width, parent.height);
    // The inputs are not needed for the encode: give their memory back to the allocator.
    drop((parent, result));
    let heat_map = canvas::encode(width, height, &measured.heat_map, Format::Png).await?;
    let [w, h] = size(width, height);
    Ok(object(&[
        ("measured", measured.measured.into()),
        ("changed", measured.changed.into()),
        ("share", measured.share.into()),
        ("maxDeltaE", measured.max_delta_e.into()),
        ("threshold", measured.threshold.into()),
        ("masked", masked.into()),
        ("heatMap", heat_map.into()),
        w,
        h,
    ]))
}

/// The result inside the (feathered) mask, the parent's pixels outside it.
async fn composite(request: &Request) -> Result<Object, String> {
    let feather = request.whole("feather", 0)?;
    let kind = MaskKind::of(request)?;
    let parent = canvas::start(request.get("parent"), "parent image");
    let result = canvas::start(request.get("result"), "result image");
    let mask = canvas::start(request.get("mask"), "mask image");
    let (parent, result, mask) = (
        parent.pixels().await?,
        result.pixels().await?,
        mask.pixels().await?,
    );
    let coverage = kind.coverage(&mask)?;
    let coverage = Coverage::new(mask.width, mask.height, &coverage).map_err(words)?;
    let out = pixels::composite(
        parent.rgba().map_err(words)?,
        result.rgba().map_err(words)?,
        coverage,
        feather,
    )
    .map_err(words)?;
    let (width, height) = (parent.width, parent.height);
    drop((parent, result, mask));
    let png = canvas::encode(width, height, &out, Format::Png).await?;
    let [w, h] = size(width, height);
    Ok(object(&[("image", png.into()), w, h]))
}

/// The consistency signature of an image, as JSON text (to be cached per image hash).
async fn signature(request: &Request) -> Result<Object, String> {
    let image = canvas::start(request.get("image"), "image")
        .pixels()
        .await?;
    let signature = pixels::signature(image.rgba().map_err(words)?);
    let json = serde_json::to_string(&signature)
        .map_err(|e| format!("the signature could not be written: {e}"))?;
    Ok(object(&[("signature", json.into())]))
}

/// Two signatures → the consistency of the image against the reference.
fn compare(request: &Request) -> Result<Object, String> {
    let parse = |key: &str| -> Result<Signature, String> {
        serde_json::from_str(&request.text(key)?)
            .map_err(|e| format!("the {key} signature is not a signature: {e}"))
    };
    let (image, reference) = (parse("image")?, parse("reference")?);
    let defaults = DriftThresholds::default();
    let thresholds = DriftThresholds {
        palette_delta_e: request.number("paletteDeltaE", f64::from(defaults.palette_delta_e))?
            as f32,
        structure_delta_l: request
            .number("structureDeltaL", f64::from(defaults.structure_delta_l))?
            as f32,
    };
    let c = pixels::compare(&image, &reference, &thresholds).map_err(words)?;
    Ok(object(&[
        ("paletteDistance", c.palette_distance.into()),
        ("structuralDistance", c.structural_distance.into()),
        ("paletteDrifted", c.palette_drifted.into()),
        ("structureDrifted", c.structure_drifted.into()),
        ("drifted", c.drifted.into()),
    ]))
}

/// A WebP thumbnail whose long edge is at most `maxEdge` (never upscaled).
async fn thumbnail(request: &Request) -> Result<Object, String> {
    let max_edge = request.whole("maxEdge", THUMB_MAX_EDGE)?;
    let quality = request.number("quality", THUMB_QUALITY)?;
    if !(0.0..=1.0).contains(&quality) {
        return Err("the thumbnail quality must be between 0 and 1".to_string());
    }
    let image = canvas::start(request.get("image"), "image")
        .pixels()
        .await?;
    let (width, height) = pixels::thumb_size(image.width, image.height, max_edge).map_err(words)?;
    let small;
    let rgba = if (width, height) == (image.width, image.height) {
        &image.data
    } else {
        small = pixels::downscale(image.rgba().map_err(words)?, width, height).map_err(words)?;
        &small
    };
    let webp = canvas::encode(width, height, rgba, Format::Webp(quality)).await?;
    let [w, h] = size(width, height);
    Ok(object(&[("image", webp.into()), w, h]))
}
