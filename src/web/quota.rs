//! The Storage API (`navigator.storage`): the only module that touches it. How much the
//! origin uses and may use, and asking the browser not to evict our data.

use js_sys::Reflect;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

/// What `navigator.storage.estimate()` said, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Estimate {
    /// Used by this origin.
    pub usage: f64,
    /// The most this origin may use.
    pub quota: f64,
}

fn storage() -> Option<web_sys::StorageManager> {
    let navigator = web_sys::window()?.navigator();
    // Absent in some embedded browsers and insecure contexts.
    let has = Reflect::get(&navigator, &"storage".into()).ok()?;
    (!has.is_undefined()).then(|| navigator.storage())
}

/// Usage and quota, if the browser tells.
pub async fn estimate() -> Option<Estimate> {
    let value = JsFuture::from(storage()?.estimate().ok()?).await.ok()?;
    let get = |k: &str| Reflect::get(&value, &JsValue::from_str(k)).ok()?.as_f64();
    Some(Estimate {
        usage: get("usage").unwrap_or(0.0),
        quota: get("quota")?,
    })
}

/// Asks the browser to keep this origin's data under storage pressure. Chromium answers by
/// heuristics without a prompt, Firefox asks the user. `None`: not supported.
pub async fn persist() -> Option<bool> {
    JsFuture::from(storage()?.persist().ok()?)
        .await
        .ok()?
        .as_bool()
}

/// Whether the data is already persistent.
pub async fn persisted() -> Option<bool> {
    JsFuture::from(storage()?.persisted().ok()?)
        .await
        .ok()?
        .as_bool()
}
