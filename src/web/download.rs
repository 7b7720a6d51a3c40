//! Files leaving and entering the app: a finished `Blob` (assembled by the worker) saved
//! through an object URL and `<a download>`, and a chosen file's bytes.

use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, HtmlAnchorElement};

/// Offers `blob` as a download called `file_name` (an object URL on a temporary
/// `<a download>`, revoked a minute later, once the browser has started saving it).
pub fn save(blob: &Blob, file_name: &str) -> Result<(), String> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let url = web_sys::Url::create_object_url_with_blob(blob)
        .map_err(|_| "the browser could not offer the file")?;
    let a: HtmlAnchorElement = document
        .create_element("a")
        .map_err(|_| "no anchor")?
        .unchecked_into();
    a.set_href(&url);
    a.set_download(file_name);
    a.set_attribute("hidden", "").ok();
    if let Some(body) = document.body() {
        body.append_child(&a).ok();
    }
    a.click();
    a.remove();
    let _ = leptos::prelude::set_timeout_with_handle(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(60),
    );
    Ok(())
}

/// A `Blob`'s (or a chosen `File`'s) bytes, copied into wasm memory.
pub async fn bytes(blob: &Blob) -> Result<Vec<u8>, String> {
    let buffer: JsValue = JsFuture::from(blob.array_buffer())
        .await
        .map_err(|_| "the file could not be read".to_string())?;
    Ok(Uint8Array::new(&buffer).to_vec())
}
