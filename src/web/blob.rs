//! Image `Blob`s: turning the API's base64 into a `Blob` without copying it through wasm
//! memory, checking that it really is a decodable image, hashing it, making its thumbnail,
//! and object URLs for `<img>` ([`ObjectUrl`] revokes itself when dropped).

use continuity_core::image_type::CheckedImage;
use js_sys::{JsString, Uint8Array};
use std::fmt;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, ImageBitmap, Response};

/// Why a `Blob` could not be read, checked, hashed or scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobError {
    /// There is no window (not in a page).
    NoWindow,
    /// The data is not valid base64.
    NotBase64,
    /// The bytes could not be read.
    Unreadable,
    /// The bytes are not a PNG, JPEG, WebP or GIF image.
    NotAnImage,
    /// The image could not be decoded.
    Damaged,
    /// WebCrypto is missing or refused to hash.
    NoCrypto,
    /// The thumbnail could not be drawn or encoded (the step named).
    Thumbnail(&'static str),
}

impl fmt::Display for BlobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlobError::NoWindow => f.write_str("no window"),
            BlobError::NotBase64 => f.write_str("the image data is not valid base64"),
            BlobError::Unreadable => f.write_str("the image could not be read"),
            BlobError::NotAnImage => f.write_str(continuity_core::image_type::NOT_AN_IMAGE),
            BlobError::Damaged => f.write_str("the image is damaged (it could not be decoded)"),
            BlobError::NoCrypto => f.write_str("WebCrypto could not hash the image"),
            BlobError::Thumbnail(step) => write!(f, "the thumbnail could not be made ({step})"),
        }
    }
}

impl From<BlobError> for String {
    fn from(e: BlobError) -> String {
        e.to_string()
    }
}

/// Decodes base64 (a JS string) into a `Blob` of the given type. The browser does the decoding
/// (a `data:` URL fetch), so the bytes never enter wasm memory.
pub async fn base64_to_blob(b64: &JsString, mime: &str) -> Result<Blob, BlobError> {
    let url = JsString::from(format!("data:{mime};base64,").as_str()).concat(b64);
    let window = web_sys::window().ok_or(BlobError::NoWindow)?;
    let response: Response = JsFuture::from(window.fetch_with_str(&String::from(url)))
        .await
        .map_err(|_| BlobError::NotBase64)?
        .unchecked_into();
    let blob = JsFuture::from(response.blob().map_err(|_| BlobError::Unreadable)?)
        .await
        .map_err(|_| BlobError::Unreadable)?;
    Ok(blob.unchecked_into())
}

/// Checks that a `Blob` is an image the browser can decode (magic bytes, then a real decode
/// off the main thread with `createImageBitmap`). A truncated or corrupt image fails here and is
/// never stored as done.
pub async fn check_image(blob: &Blob) -> Result<CheckedImage, BlobError> {
    let head = blob
        .slice_with_i32_and_i32(0, 16)
        .map_err(|_| BlobError::Unreadable)?;
    let buffer = JsFuture::from(head.array_buffer())
        .await
        .map_err(|_| BlobError::Unreadable)?;
    let head = Uint8Array::new(&buffer).to_vec();
    let mime = continuity_core::image_type::sniff(&head).ok_or(BlobError::NotAnImage)?;
    let window = web_sys::window().ok_or(BlobError::NoWindow)?;
    let bitmap: ImageBitmap = JsFuture::from(
        window
            .create_image_bitmap_with_blob(blob)
            .map_err(|_| BlobError::Damaged)?,
    )
    .await
    .map_err(|_| BlobError::Damaged)?
    .unchecked_into();
    let checked = CheckedImage {
        mime,
        width: bitmap.width(),
        height: bitmap.height(),
    };
    bitmap.close();
    Ok(checked)
}

/// An object URL for showing a `Blob` in `<img>`; revoke it with [`revoke_url`] when the view
/// goes away, or the `Blob` stays in memory. Prefer [`ObjectUrl`], which does that itself.
pub fn object_url(blob: &Blob) -> Option<String> {
    web_sys::Url::create_object_url_with_blob(blob).ok()
}

/// Releases an object URL.
pub fn revoke_url(url: &str) {
    let _ = web_sys::Url::revoke_object_url(url);
}

/// A `Blob` from bytes already in wasm memory (small things only: tests, generated masks).
pub fn blob_from_bytes(bytes: &[u8], mime: &str) -> Result<Blob, JsValue> {
    let parts = js_sys::Array::of1(&Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    Blob::new_with_u8_array_sequence_and_options(&parts, &options)
}

/// An object URL that is revoked when dropped, so a `Blob` shown in an `<img>` is released
/// as soon as nothing shows it.
#[derive(Debug, PartialEq, Eq)]
pub struct ObjectUrl(String);

impl ObjectUrl {
    /// A URL for `blob`.
    pub fn new(blob: &Blob) -> Option<ObjectUrl> {
        object_url(blob).map(ObjectUrl)
    }

    /// The `blob:` URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Drop for ObjectUrl {
    fn drop(&mut self) {
        revoke_url(&self.0);
    }
}

/// SHA-256 of a `Blob`'s bytes as lower-case hex. The bytes go from the `Blob` to WebCrypto
/// as a JS `ArrayBuffer`; they never enter wasm memory.
pub async fn sha256(blob: &Blob) -> Result<String, BlobError> {
    let buffer = JsFuture::from(blob.array_buffer())
        .await
        .map_err(|_| BlobError::Unreadable)?;
    let subtle = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .ok_or(BlobError::NoCrypto)?
        .subtle();
    let digest = JsFuture::from(
        subtle
            .digest_with_str_and_buffer_source("SHA-256", buffer.unchecked_ref())
            .map_err(|_| BlobError::NoCrypto)?,
    )
    .await
    .map_err(|_| BlobError::NoCrypto)?;
    let bytes = Uint8Array::new(&digest).to_vec();
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The longest edge of a thumbnail, in pixels.
pub const THUMB_EDGE: u32 = 384;

/// A thumbnail of an image (long edge at most [`THUMB_EDGE`], never upscaled) as WebP (PNG
/// where the browser cannot encode WebP), made in the pixel worker; where the worker cannot
/// run, the browser decodes and scales it (`createImageBitmap` with a resize) and encodes it
/// asynchronously here.
pub async fn thumbnail(blob: &Blob, width: u32, height: u32) -> Result<Blob, BlobError> {
    match crate::web::worker::thumbnail(blob, THUMB_EDGE).await {
        Ok(picture) => Ok(picture.blob),
        Err(_) => thumbnail_here(blob, width, height).await,
    }
}

async fn thumbnail_here(blob: &Blob, width: u32, height: u32) -> Result<Blob, BlobError> {
    let long = width.max(height).max(1);
    let scale = (THUMB_EDGE as f64 / long as f64).min(1.0);
    let tw = ((width as f64 * scale).round() as u32).max(1);
    let th = ((height as f64 * scale).round() as u32).max(1);
    let window = web_sys::window().ok_or(BlobError::NoWindow)?;
    let options = web_sys::ImageBitmapOptions::new();
    options.set_resize_width(tw);
    options.set_resize_height(th);
    options.set_resize_quality(web_sys::ResizeQuality::Medium);
    let bitmap: ImageBitmap = JsFuture::from(
        window
            .create_image_bitmap_with_blob_and_image_bitmap_options(blob, &options)
            .map_err(|_| BlobError::Damaged)?,
    )
    .await
    .map_err(|_| BlobError::Damaged)?
    .unchecked_into();
    let canvas = web_sys::OffscreenCanvas::new(tw, th)
        .map_err(|_| BlobError::Thumbnail("no OffscreenCanvas"))?;
    let context: web_sys::ImageBitmapRenderingContext = canvas
        .get_context("bitmaprenderer")
        .ok()
        .flatten()
        .ok_or(BlobError::Thumbnail("no bitmaprenderer context"))?
        .unchecked_into();
    context.transfer_from_image_bitmap(&bitmap);
    let encode = web_sys::ImageEncodeOptions::new();
    encode.set_type("image/webp");
    encode.set_quality(0.82);
    let thumb = JsFuture::from(
        canvas
            .convert_to_blob_with_options(&encode)
            .map_err(|_| BlobError::Thumbnail("cannot encode"))?,
    )
    .await
    .map_err(|_| BlobError::Thumbnail("cannot encode"))?;
    Ok(thumb.unchecked_into())
}

/// The image `blob` as a `data:` URL of type `mime` (for a text call's `input_image`), or `None`
/// if it cannot be read.
pub async fn data_url(blob: &Blob, mime: &str) -> Option<String> {
    let buffer = JsFuture::from(blob.array_buffer()).await.ok()?;
    let bytes = Uint8Array::new(&buffer).to_vec();
    // `btoa` takes a "binary string": one char per byte.
    let binary: String = bytes.iter().map(|&b| char::from(b)).collect();
    let b64 = web_sys::window()?.btoa(&binary).ok()?;
    Some(format!("data:{mime};base64,{b64}"))
}
