//! "When the browser has nothing else to do": `requestIdleCallback`, with a timer where the
//! browser lacks it (Safari before 18).

use wasm_bindgen::{prelude::*, JsCast};

/// Runs `f` once the page is idle (or after two seconds where idle callbacks do not exist).
pub fn when_idle(f: impl FnOnce() + 'static) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let callback = Closure::once_into_js(f);
    let function: &js_sys::Function = callback.unchecked_ref();
    let has_idle = js_sys::Reflect::has(&window, &"requestIdleCallback".into()).unwrap_or(false);
    if has_idle {
        let _ = window.request_idle_callback(function);
    } else {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(function, 2_000);
    }
}
