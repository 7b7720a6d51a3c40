//! The browser's pixels for exports: decoding and scaling an image (`createImageBitmap` with a
//! resize), drawing on a canvas filled with a background, re-encoding it (`convertToBlob`),
//! reading its pixels for the GIF encoder, and joining parts into one `Blob`.

use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, BlobPropertyBag, ImageBitmap, ImageBitmapOptions, ImageEncodeOptions, OffscreenCanvas,
    OffscreenCanvasRenderingContext2d, ResizeQuality, WorkerGlobalScope,
};

/// One part of an assembled file.
pub enum FilePart<'a> {
    /// Bytes made in wasm (copied once into a JS buffer).
    Bytes(&'a [u8]),
    /// A `Blob` the browser holds (an image from storage), placed as it is.
    Blob(&'a Blob),
    /// Bytes already handed to JS, placed as they are.
    Js(&'a Uint8Array),
}

/// A `Blob` of type `mime` made of `parts` in order: the browser joins them without copying
/// stored images through wasm.
pub fn blob_of_parts(parts: &[FilePart<'_>], mime: &str) -> Result<Blob, String> {
    let array = Array::new();
    for p in parts {
        match p {
            FilePart::Bytes(b) => array.push(&Uint8Array::from(*b)),
            FilePart::Blob(b) => array.push(b),
            FilePart::Js(b) => array.push(b),
        };
    }
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    Blob::new_with_blob_sequence_and_options(&array, &options)
        .map_err(|_| "the browser could not assemble the file".to_string())
}

/// A `Blob`'s bytes, copied into wasm memory.
pub async fn bytes(blob: &Blob) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(blob.array_buffer())
        .await
        .map_err(|_| "a stored image could not be read".to_string())?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// The first `n` bytes of a `Blob`.
pub async fn head(blob: &Blob, n: u32) -> Result<Vec<u8>, String> {
    let part = blob
        .slice_with_f64_and_f64(0.0, f64::from(n).min(blob.size()))
        .map_err(|_| "unreadable")?;
    bytes(&part).await
}

/// `(width, height)` scaled so the long edge is at most `max_edge` (never upscaled).
pub fn fit(width: u32, height: u32, max_edge: u32) -> (u32, u32) {
    let long = width.max(height).max(1);
    let scale = (f64::from(max_edge) / f64::from(long)).min(1.0);
    (
        ((f64::from(width) * scale).round() as u32).max(1),
        ((f64::from(height) * scale).round() as u32).max(1),
    )
}

/// Decodes `blob` scaled to `width`×`height`.
pub async fn decode(blob: &Blob, width: u32, height: u32) -> Result<ImageBitmap, String> {
    let options = ImageBitmapOptions::new();
    options.set_resize_width(width);
    options.set_resize_height(height);
    options.set_resize_quality(ResizeQuality::High);
    let scope: WorkerGlobalScope = js_sys::global().unchecked_into();
    let bitmap = JsFuture::from(
        scope
            .create_image_bitmap_with_blob_and_image_bitmap_options(blob, &options)
            .map_err(|_| "an image could not be decoded")?,
    )
    .await
    .map_err(|_| "an image could not be decoded (it is damaged or not an image)".to_string())?;
    Ok(bitmap.unchecked_into())
}

/// A 2D canvas of `width`×`height` filled with `background`.
pub fn canvas(
    width: u32,
    height: u32,
    background: &str,
) -> Result<(OffscreenCanvas, OffscreenCanvasRenderingContext2d), String> {
    let (canvas, context) = continuity_worker::canvas::canvas(width, height).map_err(|e| {
        format!(
            "no canvas of {width}×{height}: {}",
            continuity_worker::describe(&e)
        )
    })?;
    context.set_fill_style_str(background);
    context.fill_rect(0.0, 0.0, f64::from(width), f64::from(height));
    Ok((canvas, context))
}

/// Encodes a canvas as `mime` (`image/png`, `image/jpeg` with `quality`).
pub async fn encode(canvas: &OffscreenCanvas, mime: &str, quality: f64) -> Result<Blob, String> {
    let options = ImageEncodeOptions::new();
    options.set_type(mime);
    options.set_quality(quality);
    let blob = JsFuture::from(
        canvas
            .convert_to_blob_with_options(&options)
            .map_err(|_| "the image could not be encoded")?,
    )
    .await
    .map_err(|_| "the image could not be encoded".to_string())?;
    Ok(blob.unchecked_into())
}

/// `blob` as a JPEG whose long edge is at most `max_edge` (white under any transparency).
pub async fn to_jpeg(blob: &Blob, width: u32, height: u32, max_edge: u32) -> Result<Blob, String> {
    let (w, h) = fit(width, height, max_edge);
    let bitmap = decode(blob, w, h).await?;
    let (canvas, context) = canvas(w, h, "#ffffff")?;
    context
        .draw_image_with_image_bitmap(&bitmap, 0.0, 0.0)
        .map_err(|_| "the image could not be drawn")?;
    bitmap.close();
    encode(&canvas, "image/jpeg", 0.86).await
}

/// The RGBA pixels of `blob` scaled to fit `width`×`height` with its aspect ratio kept,
/// centred on black (the frames of an animatic share one size).
pub async fn rgba(
    blob: &Blob,
    (src_w, src_h): (u32, u32),
    width: u32,
    height: u32,
) -> Result<Vec<u8>, String> {
    let scale = (f64::from(width) / f64::from(src_w.max(1)))
        .min(f64::from(height) / f64::from(src_h.max(1)));
    let w = ((f64::from(src_w) * scale).round() as u32).clamp(1, width);
    let h = ((f64::from(src_h) * scale).round() as u32).clamp(1, height);
    let bitmap = decode(blob, w, h).await?;
    let (_canvas, context) = canvas(width, height, "#000000")?;
    context
        .draw_image_with_image_bitmap(
            &bitmap,
            f64::from((width - w) / 2),
            f64::from((height - h) / 2),
        )
        .map_err(|_| "the image could not be drawn")?;
    bitmap.close();
    let data = context
        .get_image_data(0.0, 0.0, f64::from(width), f64::from(height))
        .map_err(|_| "the pixels could not be read")?;
    Ok(data.data().0)
}
