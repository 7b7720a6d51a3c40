//! What Continuity's two Web Workers share: the message protocol, the canvas helpers and the
//! message loop. Two wasm modules are built on it, so that a first mask or thumbnail does not
//! wait for the ZIP and PDF writers:
//!
//! - the **pixel worker** (this package's binary, `continuity-worker`, `src/main.rs`, built at
//!   `opt-level = 3`: its loops run on every pixel of full-size images): mask, leak, composite,
//!   signature, compare, thumbnail;
//! - the **files worker** (`files-worker/`, `continuity-files-worker`, built at the workspace's
//!   release `opt-level = "z"`): export assembly and import reading.
//!
//! Trunk builds each from its own `<link data-trunk rel="rust" data-type="worker">` in
//! `index.html` and writes a module loader for each (`continuity-worker_loader.js`,
//! `continuity-files-worker_loader.js`) that the app's `src/web/worker.rs` starts as a module
//! worker on first use. The protocol, the same for both, in both directions plain
//! structured-cloned objects:
//!
//! - from the worker once it listens: `{ ready: PROTOCOL }` (messages sent before that would be
//!   lost, so the client waits for it);
//! - request: `{ id, op, …fields }` with images as `Blob`s (cloned by reference, the bytes are
//!   not copied) or transferred `ImageBitmap`s; each worker's `main.rs` lists its operations;
//! - answer: `{ id, ok: true, …fields }` with images as `Blob`s, or `{ id, ok: false, error }`
//!   with the reason in words;
//! - `{ id, progress, total }` while a long request (an export, an import) works, and `{ op:
//!   "cancel-exports" }` from the client to the files worker to stop exports;
//! - `{ crash }` if the worker panicked: the client then fails every pending request and
//!   starts a fresh worker on the next call (a panic aborts, the instance is not reusable).
//!
//! The library is linked into both binaries; with whole-program LTO each binary's own
//! `opt-level` decides how what it links is optimised, and what a binary does not call is not
//! in its module.

pub mod canvas;
pub mod protocol;

use std::future::Future;

use js_sys::Object;
use wasm_bindgen::{prelude::*, JsCast};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use protocol::Request;

/// Runs a worker: a panic is reported as `{ crash }`, every message first goes to `control`
/// (which returns `true` for a message it handled at once: one with no id and no answer, such
/// as `cancel-exports`), every other one is a request answered by `answer` in a task of its
/// own, and `{ ready: PROTOCOL }` is posted once the worker listens.
pub fn serve<F, A>(answer: F, control: fn(&Request) -> bool)
where
    F: Fn(Request) -> A + 'static,
    A: Future<Output = Object> + 'static,
{
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();

    let crash_scope = scope.clone();
    std::panic::set_hook(Box::new(move |info| {
        let message = protocol::object(&[("crash", JsValue::from_str(&info.to_string()))]);
        let _ = crash_scope.post_message(&message);
    }));

    let reply_scope = scope.clone();
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        let request = Request::new(event.data());
        if control(&request) {
            return;
        }
        let scope = reply_scope.clone();
        // Each request is its own task: decoding and encoding are asynchronous, so a small
        // request (compare) is not held up behind a large one's image decode.
        let answering = answer(request);
        wasm_bindgen_futures::spawn_local(async move {
            let answer: Object = answering.await;
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
pub fn describe(error: &JsValue) -> String {
    if let Some(e) = error.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    error
        .as_string()
        .unwrap_or_else(|| "unknown error".to_string())
}
