//! Images in and out of the worker: decode a `Blob` or `ImageBitmap` to straight RGBA8 with
//! `createImageBitmap` + an `OffscreenCanvas` 2D context, and encode RGBA8 back to a PNG or
//! WebP `Blob` with `convertToBlob`. The browser's codecs do the work, so the worker carries
//! no image codec of its own; the pixels enter wasm memory once (the `getImageData` copy).
//!
//! **Exactness.** A canvas keeps premultiplied colours, so only opaque pixels (what
//! gpt-image-2 returns unless asked for a transparent background) survive decode → encode →
//! decode bit for bit; a translucent pixel's colour may move by a rounding step, and a fully
//! transparent one keeps no colour at all. Colour-managed images are converted to sRGB on
//! decode (the browser's default), so a composite looks like its parent on screen.

use continuity_core::pixels::{PixelError, Rgba};
use js_sys::Promise;
use wasm_bindgen::{Clamped, JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, ImageBitmap, ImageData, ImageEncodeOptions, OffscreenCanvas,
    OffscreenCanvasRenderingContext2d, WorkerGlobalScope,
};

use crate::{describe, protocol};

/// A decoded image: straight RGBA8, row-major.
pub struct Pixels {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width × height × 4` bytes.
    pub data: Vec<u8>,
}

impl Pixels {
    /// The validated view `core::pixels` works on.
    pub fn rgba(&self) -> Result<Rgba<'_>, PixelError> {
        Rgba::new(self.width, self.height, &self.data)
    }
}

/// An image whose decoding has started: start every input of a request first, then await
/// them, so the browser decodes them in parallel.
pub struct Decoding {
    what: &'static str,
    started: Result<Started, String>,
}

enum Started {
    Decode(Promise),
    Ready(ImageBitmap),
}

/// Starts decoding `source` (a `Blob` or an `ImageBitmap`); `what` names it in errors
/// ("parent image", "mask image", "image", …).
pub fn start(source: JsValue, what: &'static str) -> Decoding {
    let started = if source.is_undefined() || source.is_null() {
        Err(format!("no {what} was given"))
    } else if source.is_instance_of::<ImageBitmap>() {
        Ok(Started::Ready(source.unchecked_into()))
    } else if let Some(blob) = source.dyn_ref::<Blob>() {
        scope()
            .create_image_bitmap_with_blob(blob)
            .map(Started::Decode)
            .map_err(|e| format!("the {what} could not be read: {}", describe(&e)))
    } else {
        Err(format!("the {what} must be a Blob or an ImageBitmap"))
    };
    Decoding { what, started }
}

impl Decoding {
    /// Waits for the decode and reads the pixels.
    pub async fn pixels(self) -> Result<Pixels, String> {
        let what = self.what;
        let bitmap: ImageBitmap = match self.started? {
            Started::Ready(bitmap) => bitmap,
            Started::Decode(promise) => JsFuture::from(promise)
                .await
                .map_err(|_| {
                    format!(
                        "the {what} could not be decoded (it is not a PNG, JPEG or WebP \
                         image, or it is damaged)"
                    )
                })?
                .unchecked_into(),
        };
        let (width, height) = (bitmap.width(), bitmap.height());
        let read = read_pixels(&bitmap, width, height);
        // Free the decoded copy now rather than at the next garbage collection.
        bitmap.close();
        let data = read.map_err(|e| {
            format!(
                "the {what} ({width}×{height} pixels) could not be read: {}",
                describe(&e)
            )
        })?;
        Ok(Pixels {
            width,
            height,
            data,
        })
    }
}

fn read_pixels(bitmap: &ImageBitmap, width: u32, height: u32) -> Result<Vec<u8>, JsValue> {
    if width == 0 || height == 0 {
        return Err(JsValue::from_str("it has no pixels"));
    }
    let (canvas, ctx) = canvas(width, height)?;
    ctx.draw_image_with_image_bitmap(bitmap, 0.0, 0.0)?;
    let data = ctx
        .get_image_data(0.0, 0.0, f64::from(width), f64::from(height))?
        .data();
    // The canvas's backing store is released with it; keep it alive until the copy is done.
    drop(canvas);
    Ok(data.0)
}

/// How to encode an image.
#[derive(Clone, Copy)]
pub enum Format {
    /// Lossless PNG (masks, heat maps, composites: their pixels are the point).
    Png,
    /// Lossy WebP at `quality` (0 ‥ 1), for thumbnails. A browser that cannot encode WebP
    /// returns a PNG instead; the `Blob`'s type says which.
    Webp(f64),
}

/// Encodes `width × height` RGBA8 pixels as a `Blob`.
pub async fn encode(width: u32, height: u32, rgba: &[u8], format: Format) -> Result<Blob, String> {
    let failed = |e: JsValue| format!("the image could not be encoded: {}", describe(&e));
    let (canvas, ctx) = canvas(width, height).map_err(failed)?;
    // `ImageData` over a view of wasm memory: used at once, before anything can grow memory.
    let image = ImageData::new_with_u8_clamped_array_and_sh(Clamped(rgba), width, height)
        .map_err(failed)?;
    ctx.put_image_data(&image, 0.0, 0.0).map_err(failed)?;
    let options = ImageEncodeOptions::new();
    match format {
        Format::Png => options.set_type("image/png"),
        Format::Webp(quality) => {
            options.set_type("image/webp");
            options.set_quality(quality);
        }
    }
    let promise = canvas
        .convert_to_blob_with_options(&options)
        .map_err(failed)?;
    let blob = JsFuture::from(promise).await.map_err(failed)?;
    Ok(blob.unchecked_into())
}

/// A `width × height` canvas and its 2D context, kept in CPU memory (`willReadFrequently`):
/// every canvas here is read back or encoded, never shown.
pub fn canvas(
    width: u32,
    height: u32,
) -> Result<(OffscreenCanvas, OffscreenCanvasRenderingContext2d), JsValue> {
    let canvas = OffscreenCanvas::new(width, height)?;
    let options = protocol::object(&[("willReadFrequently", JsValue::TRUE)]);
    let ctx = canvas
        .get_context_with_context_options("2d", &options)?
        .ok_or_else(|| JsValue::from_str("no 2D canvas context"))?
        .unchecked_into();
    Ok((canvas, ctx))
}

fn scope() -> WorkerGlobalScope {
    js_sys::global().unchecked_into()
}
