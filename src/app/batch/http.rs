//! The Files and Batches calls of a batch (reference §18), through [`crate::web::http`]: upload
//! a file, create, read and cancel a batch, download a file's content, and a first call that
//! tells whether this browser may reach those routes at all. Each answers `Err` with words
//! for the user (never the key: it only travels in the `Authorization` header).

use crate::web::http::{Body, Call, NetError};
use continuity_core::openai::batch::{Batch, CreateBatch, FileObject};
use continuity_core::openai::types::parse_error_envelope;
use continuity_core::settings::Endpoint;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;
use web_sys::{Blob, FormData};

/// How long one Files or Batches call may take (an upload of a large JSONL file included).
const TIMEOUT_MS: u64 = 5 * 60 * 1000;

/// What a failed call says.
fn net_words(what: &str, error: &NetError) -> String {
    match error {
        NetError::Cancelled { .. } => format!("{what}: cancelled."),
        NetError::TimedOut => format!("{what}: no answer in time."),
        NetError::Network { detail, .. } => {
            format!("{what}: the endpoint could not be reached ({detail}).")
        }
    }
}

/// Reads an answer: its JSON as `T` when 2xx, else the error envelope's words.
async fn answer<T: DeserializeOwned>(what: &str, mut call: Call) -> Result<T, String> {
    let status = call.info().status;
    let text: String = call.text().await.map_err(|e| net_words(what, &e))?.into();
    if !(200..300).contains(&status) {
        let said = parse_error_envelope(&text)
            .map(|e| e.message)
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| format!("status {status}"));
        return Err(format!("{what}: {said}"));
    }
    serde_json::from_str(&text).map_err(|e| format!("{what}: the answer could not be read ({e})."))
}

async fn get(endpoint: &Endpoint, path: &str) -> Result<Call, NetError> {
    Call::get(
        &endpoint.url(path),
        endpoint.bearer.as_deref(),
        &endpoint.extra_headers(),
        TIMEOUT_MS,
    )
    .await
}

async fn post(endpoint: &Endpoint, path: &str, body: Body) -> Result<Call, NetError> {
    Call::post(
        &endpoint.url(path),
        endpoint.bearer.as_deref(),
        body,
        &endpoint.extra_headers(),
        None,
        TIMEOUT_MS,
    )
    .await
}

/// Whether this browser may call the Batches routes of `endpoint`: any HTTP answer (a 404 for
/// a batch that does not exist included) says yes; a refused request (CORS, no network) says
/// no. Nothing is uploaded or created.
pub async fn reachable(endpoint: &Endpoint) -> bool {
    get(endpoint, "batches/batch_reachability_check")
        .await
        .is_ok()
}

/// `POST /v1/files`: uploads `blob` as `name` with `purpose`.
pub async fn upload(
    endpoint: &Endpoint,
    name: &str,
    blob: &Blob,
    purpose: &str,
) -> Result<FileObject, String> {
    let what = "The file could not be uploaded";
    let form = FormData::new().map_err(|_| format!("{what}: no FormData."))?;
    form.append_with_str("purpose", purpose)
        .and_then(|()| form.append_with_blob_and_filename("file", blob, name))
        .map_err(|_| format!("{what}: the form could not be built."))?;
    let call = post(endpoint, "files", Body::Form(form))
        .await
        .map_err(|e| net_words(what, &e))?;
    answer(what, call).await
}

/// `POST /v1/batches`.
pub async fn create(endpoint: &Endpoint, create: &CreateBatch) -> Result<Batch, String> {
    let what = "The batch could not be created";
    let body = serde_json::to_string(create).map_err(|e| format!("{what}: {e}"))?;
    let call = post(endpoint, "batches", Body::Json(body))
        .await
        .map_err(|e| net_words(what, &e))?;
    answer(what, call).await
}

/// `GET /v1/batches/{id}`.
pub async fn retrieve(endpoint: &Endpoint, id: &str) -> Result<Batch, String> {
    let what = "The batch could not be read";
    let call = get(endpoint, &format!("batches/{id}"))
        .await
        .map_err(|e| net_words(what, &e))?;
    answer(what, call).await
}

/// `POST /v1/batches/{id}/cancel`.
pub async fn cancel(endpoint: &Endpoint, id: &str) -> Result<Batch, String> {
    let what = "The batch could not be cancelled";
    let call = post(
        endpoint,
        &format!("batches/{id}/cancel"),
        Body::Json("{}".into()),
    )
    .await
    .map_err(|e| net_words(what, &e))?;
    answer(what, call).await
}

/// `GET /v1/files/{id}/content`, as text (output and error files are JSONL).
pub async fn content(endpoint: &Endpoint, file_id: &str) -> Result<String, String> {
    let what = "The batch's results could not be downloaded";
    let mut call = get(endpoint, &format!("files/{file_id}/content"))
        .await
        .map_err(|e| net_words(what, &e))?;
    let status = call.info().status;
    let text: String = call.text().await.map_err(|e| net_words(what, &e))?.into();
    if !(200..300).contains(&status) {
        return Err(format!("{what}: status {status}."));
    }
    Ok(text)
}

/// A `Blob` of JSONL text.
pub fn jsonl_blob(text: &str) -> Result<Blob, String> {
    crate::web::blob::blob_from_bytes(text.as_bytes(), "application/jsonl")
        .map_err(|e: JsValue| format!("The batch file could not be made: {e:?}"))
}
