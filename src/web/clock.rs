//! Small browser services: clock, randomness and abortable sleeps. Kept in one place so the
//! pure modules never touch `web_sys`.

use js_sys::Promise;
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// 64 random bits from the browser's CSPRNG (ids must not collide across tabs).
pub fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .and_then(|c| c.get_random_values_with_u8_array(&mut bytes).ok())
        .is_some();
    if !filled {
        // No WebCrypto (very old browser): Math.random is good enough for ids.
        for b in &mut bytes {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    u64::from_le_bytes(bytes)
}

/// A number in [0, 1) for retry jitter.
pub fn jitter() -> f64 {
    js_sys::Math::random()
}

/// The sleep was cut short by its abort signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Aborted;

/// Sleeps for `ms`, returning early with [`Aborted`] as soon as `signal` aborts (so cancelling a
/// batch also cancels its backoff waits).
pub async fn sleep(ms: u64, signal: Option<&AbortSignal>) -> Result<(), Aborted> {
    if signal.is_some_and(|s| s.aborted()) {
        return Err(Aborted);
    }
    let mut timer = None;
    let mut listener = None;
    let promise = Promise::new(&mut |resolve, reject| {
        timer = leptos::prelude::set_timeout_with_handle(
            move || {
                let _ = resolve.call0(&JsValue::NULL);
            },
            std::time::Duration::from_millis(ms),
        )
        .ok();
        if let Some(signal) = signal {
            let on_abort = Closure::once_into_js(move || {
                let _ = reject.call0(&JsValue::NULL);
            });
            let _ = signal.add_event_listener_with_callback("abort", on_abort.unchecked_ref());
            listener = Some(on_abort);
        }
    });
    let result = JsFuture::from(promise).await;
    if let (Some(signal), Some(listener)) = (signal, listener) {
        let _ = signal.remove_event_listener_with_callback("abort", listener.unchecked_ref());
    }
    match result {
        Ok(_) => Ok(()),
        Err(_) => {
            if let Some(timer) = timer {
                timer.clear();
            }
            Err(Aborted)
        }
    }
}

/// SHA-256 of `bytes` as lower-case hex, computed by the browser's WebCrypto.
pub async fn sha256_hex(bytes: &[u8]) -> Option<String> {
    let subtle = web_sys::window()?.crypto().ok()?.subtle();
    let promise = subtle.digest_with_str_and_u8_array("SHA-256", bytes).ok()?;
    let buffer = JsFuture::from(promise).await.ok()?;
    let digest = js_sys::Uint8Array::new(&buffer).to_vec();
    Some(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// The time of day of `ms` (since the epoch) in this browser's time zone, `14:02`.
pub fn hours_minutes(ms: f64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(ms));
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}
