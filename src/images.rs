//! Image `Blob`s: turning the API's base64 into a `Blob` without copying it through wasm
//! memory, checking that it really is a decodable image, and object URLs for `<img>`.

use continuity_core::image_type::CheckedImage;
use js_sys::{JsString, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, ImageBitmap, Response};

/// Decodes base64 (a JS string) into a `Blob` of the given type. The browser does the decoding
/// (a `data:` URL fetch), so the bytes never enter wasm memory.
pub async fn base64_to_blob(b64: &JsString, mime: &str) -> Result<Blob, String> {
    let url = JsString::from(format!("data:{mime};base64,").as_str()).concat(b64);
    let window = web_sys::window().ok_or("no window")?;
    let response: Response = JsFuture::from(window.fetch_with_str(&String::from(url)))
        .await
        .map_err(|_| "the image data is not valid base64".to_string())?
        .unchecked_into();
    let blob = JsFuture::from(
        response
            .blob()
            .map_err(|_| "could not read the image data")?,
    )
    .await
    .map_err(|_| "could not read the image data".to_string())?;
    Ok(blob.unchecked_into())
}

/// Checks that a `Blob` is an image the browser can decode (magic bytes, then a real decode
/// off the main thread with `createImageBitmap`). A truncated or corrupt image fails here and is
/// never stored as done.
pub async fn check_image(blob: &Blob) -> Result<CheckedImage, String> {
    let head = blob
        .slice_with_i32_and_i32(0, 16)
        .map_err(|_| "unreadable image")?;
    let buffer = JsFuture::from(head.array_buffer())
        .await
        .map_err(|_| "unreadable image".to_string())?;
    let head = Uint8Array::new(&buffer).to_vec();
    let mime = continuity_core::image_type::sniff(&head)
        .ok_or_else(|| continuity_core::image_type::NOT_AN_IMAGE.to_string())?;
    let window = web_sys::window().ok_or("no window")?;
    let bitmap: ImageBitmap = JsFuture::from(
        window
            .create_image_bitmap_with_blob(blob)
            .map_err(|_| "cannot decode")?,
    )
    .await
    .map_err(|_| "the image is damaged (it could not be decoded)".to_string())?
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
/// goes away, or the `Blob` stays in memory.
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
