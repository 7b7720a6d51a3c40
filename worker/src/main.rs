//! continuity-worker: Continuity's pixel work in a dedicated Web Worker, off the main thread and
//! out of the main bundle.
//!
//! Trunk builds this crate as a second wasm (`<link data-trunk rel="rust" data-type="worker">`
//! in `index.html`) and writes a module loader, `continuity-worker_loader.js`, that the app's
//! `src/web/worker.rs` starts as a module worker. The protocol, in both directions plain
//! structured-cloned objects:
//!
//! - from the worker once it listens: `{ ready: PROTOCOL }` (messages sent before that would be
//!   lost, so the client waits for it);
//! - request: `{ id, op, …fields }` with images as `Blob`s (cloned by reference, the bytes are
//!   not copied) or transferred `ImageBitmap`s; see [`ops`] for each operation's fields;
//! - answer: `{ id, ok: true, …fields }` with images as `Blob`s, or `{ id, ok: false, error }`
//!   with the reason in words;
//! - `{ id, progress, total }` while a long request (an export) works, and `{ op:
//!   "cancel-exports" }` from the client to stop exports (see [`export`]);
//! - `{ crash }` if the worker panicked: the client then fails every pending request and
//!   starts a fresh worker on the next call (a panic aborts, the instance is not reusable).

mod canvas;
mod export;
mod import;
mod ops;
mod protocol;

use js_sys::Object;
use wasm_bindgen::{prelude::*, JsCast};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

fn main() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();

    let crash_scope = scope.clone();
    std::panic::set_hook(Box::new(move |info| {
        let message = protocol::object(&[("crash", JsValue::from_str(&info.to_string()))]);
        let _ = crash_scope.post_message(&message);
    }));

    let reply_scope = scope.clone();
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        let scope = reply_scope.clone();
        let data = event.data();
        // A cancel is no request: it has no id and no answer, and must act at once.
        if protocol::Request::new(data.clone()).op() == "cancel-exports" {
            export::cancel_all();
            return;
        }
        // Each request is its own task: decoding and encoding are asynchronous, so a small
        // request (compare) is not held up behind a large one's image decode.
        wasm_bindgen_futures::spawn_local(async move {
            let answer: Object = ops::answer(data).await;
            if let Err(e) = scope.post_message(&answer) {
                // Only an unclonable answer fails here; say so rather than leave the caller
                // waiting for its timeout.
                let id = js_sys::Reflect::get(&answer, &"id".into()).unwrap_or(JsValue::NULL);
                let reason = format!("the worker could not send its answer: {}", describe(&e));
                let _ = scope.post_message(&protocol::failure(id, &reason));
            }
        });
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();

    let ready = protocol::object(&[("ready", JsValue::from(protocol::PROTOCOL))]);
    let _ = scope.post_message(&ready);
}

/// A thrown JS value in words: an `Error`'s message, else its string form.
pub(crate) fn describe(error: &JsValue) -> String {
    if let Some(e) = error.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    error
        .as_string()
        .unwrap_or_else(|| "unknown error".to_string())
}
