//! continuity-files-worker, the files worker: export assembly and import reading in a
//! dedicated Web Worker, off the main thread and out of both the main bundle and the pixel
//! worker (a first mask or thumbnail does not wait for the ZIP and PDF writers). It speaks the
//! protocol of `continuity_worker` (`worker/src/lib.rs`) with these operations:
//!
//! | `op` | fields | answer |
//! |---|---|---|
//! | `export` | `kind`, `series` (JSON), `images` (hash → `Blob`), options: see [`export`] | `blob`, `fileName`, `warnings`; `{ id, progress, total }` messages on the way |
//! | `import` | `file` (a ZIP export or a `manifest.json`), `nowMs` | `series` (JSON), `warnings`, `images` (hash → `Blob`): see [`import`] |
//!
//! and one control message, `{ op: "cancel-exports" }` (no id, no answer): every running
//! export stops before its next step and answers `{ id, ok: false, cancelled: true, error }`.

mod export;
mod import;

use continuity_worker::protocol::{self, Request};
use js_sys::Object;
use wasm_bindgen::JsValue;

fn main() {
    continuity_worker::serve(answer, control);
}

/// A cancel is no request: it has no id and no answer, and must act at once.
fn control(request: &Request) -> bool {
    let cancel = request.op() == "cancel-exports";
    if cancel {
        export::cancel_all();
    }
    cancel
}

/// Runs one request and returns its answer.
async fn answer(request: Request) -> Object {
    let id = request.id();
    let outcome = match request.op().as_str() {
        "export" => match export::export(&request).await {
            Ok(fields) => Ok(fields),
            Err(export::Stop::Failed(reason)) => Err(reason),
            Err(export::Stop::Cancelled) => {
                let answer = protocol::failure(id, "the export was cancelled");
                let _ = js_sys::Reflect::set(&answer, &"cancelled".into(), &JsValue::TRUE);
                return answer;
            }
        },
        "import" => import::import(&request).await,
        "" => Err("the request names no operation".to_string()),
        // Masks, leaks, composites, signatures and thumbnails are the pixel worker's (worker/).
        other => Err(format!("the files worker has no operation \"{other}\"")),
    };
    protocol::answered(id, outcome)
}
