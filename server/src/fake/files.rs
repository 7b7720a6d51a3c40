//! The fake Files API (reference §18): `POST /v1/files` (multipart `file` + `purpose`) and
//! `GET /v1/files/{id}/content`. Files live in memory, bounded; batch output and error files
//! are written here too (`purpose: "batch_output"`).
//!
//! The fake has no API keys, so it has no owners: any caller reads any file id it knows (the
//! proxy in front of the real API keeps each token to its own files).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use serde_json::{json, Value};

use crate::errors::ApiError;

/// Purposes an upload may name (reference §18: `batch` for batch input, `vision` or
/// `user_data` for images referred to by `file_id`).
pub const UPLOAD_PURPOSES: &[&str] = &["batch", "vision", "user_data"];

/// One stored file.
#[derive(Debug, Clone)]
pub struct StoredFile {
    /// `file-…`.
    pub id: String,
    /// The uploaded name.
    pub filename: String,
    /// Its purpose.
    pub purpose: String,
    /// Unix seconds.
    pub created_at: u64,
    /// The bytes.
    pub bytes: Bytes,
    /// Declared content type of the part, if any.
    pub content_type: Option<String>,
}

impl StoredFile {
    /// The file object of the API.
    pub fn object(&self) -> Value {
        json!({
            "id": self.id,
            "object": "file",
            "bytes": self.bytes.len(),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
            "expires_at": null,
            "status_details": null,
        })
    }
}

/// The fake's files.
#[derive(Debug)]
pub struct FileStore {
    files: Mutex<HashMap<String, Arc<StoredFile>>>,
    /// Largest upload.
    pub max_upload: usize,
    /// Most bytes held over every file.
    capacity: usize,
    body_timeout: Duration,
}

/// A new `prefix` id: 24 random hex digits.
pub fn new_id(prefix: &str) -> String {
    let mut bytes = [0u8; 12];
    let _ = getrandom::fill(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{hex}")
}

/// 404 for an unknown file, worded like the API.
pub fn no_such_file(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        None,
        Some("id"),
        format!("No such File object: {id}"),
    )
}

impl FileStore {
    /// Uploads up to `max_upload` bytes, arriving within `body_timeout`; at most four of the
    /// largest uploads held at once.
    pub fn new(max_upload: usize, body_timeout: Duration) -> Self {
        Self {
            files: Mutex::default(),
            max_upload,
            capacity: max_upload.saturating_mul(4),
            body_timeout,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<StoredFile>>> {
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A file by id.
    pub fn get(&self, id: &str) -> Option<Arc<StoredFile>> {
        self.lock().get(id).cloned()
    }

    /// Stores a file, dropping the oldest files when the store is full.
    pub fn put(
        &self,
        filename: &str,
        purpose: &str,
        bytes: Bytes,
        content_type: Option<String>,
    ) -> Arc<StoredFile> {
        let file = Arc::new(StoredFile {
            id: new_id("file-"),
            filename: filename.to_string(),
            purpose: purpose.to_string(),
            created_at: crate::clock::unix_seconds(),
            bytes,
            content_type,
        });
        let mut files = self.lock();
        let mut total: usize = files.values().map(|f| f.bytes.len()).sum();
        while total + file.bytes.len() > self.capacity {
            let Some(oldest) = files
                .values()
                .min_by_key(|f| (f.created_at, f.id.clone()))
                .map(|f| f.id.clone())
            else {
                break;
            };
            if let Some(gone) = files.remove(&oldest) {
                total -= gone.bytes.len();
            }
        }
        files.insert(file.id.clone(), Arc::clone(&file));
        file
    }
}

/// `POST /v1/files`: multipart with a `file` part and a `purpose` field.
pub async fn upload(State(store): State<Arc<FileStore>>, req: Request) -> Response {
    match read_upload(&store, req).await {
        Ok(file) => Json(file.object()).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn read_upload(store: &FileStore, req: Request) -> Result<Arc<StoredFile>, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bad = |m: String| ApiError::invalid("invalid_request_error", None, m);
    let boundary =
        multer::parse_boundary(&content_type).map_err(|_| {
            bad("POST /v1/files takes multipart/form-data with a 'file' part and a 'purpose' field."
            .into())
        })?;
    let body = tokio::time::timeout(
        store.body_timeout,
        read_limited(req.into_body(), store.max_upload),
    )
    .await
    .map_err(|_| {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "invalid_request_error",
            Some("request_timeout"),
            None,
            "The upload did not arrive in time: the client sent it too slowly.",
        )
    })??;
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    let (mut purpose, mut file) = (None, None);
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| bad(format!("Invalid multipart/form-data body: {e}.")))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let filename = field.file_name().map(str::to_string);
        let part_type = field.content_type().map(ToString::to_string);
        let data = field
            .bytes()
            .await
            .map_err(|e| bad(format!("Invalid multipart/form-data body: {e}.")))?;
        match name.as_str() {
            "purpose" => purpose = Some(String::from_utf8_lossy(&data).trim().to_string()),
            "file" => file = Some((filename.unwrap_or_else(|| "upload".into()), part_type, data)),
            other => return Err(ApiError::unknown_parameter(other)),
        }
    }
    let purpose = purpose.ok_or_else(|| ApiError::missing("purpose"))?;
    if !UPLOAD_PURPOSES.contains(&purpose.as_str()) {
        return Err(ApiError::invalid_value(
            "purpose",
            format!(
                "Invalid value: '{purpose}'. Supported values are: 'batch', 'vision', and \
                 'user_data'."
            ),
        ));
    }
    let (filename, part_type, data) = file.ok_or_else(|| ApiError::missing("file"))?;
    if data.is_empty() {
        return Err(ApiError::invalid_value("file", "The file is empty."));
    }
    Ok(store.put(&filename, &purpose, data, part_type))
}

async fn read_limited(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let mut buf = BytesMut::new();
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::invalid(
                "invalid_body",
                None,
                "The upload could not be read completely.",
            )
        })?;
        if buf.len() + chunk.len() > limit {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request_error",
                Some("file_too_large"),
                Some("file"),
                format!(
                    "The file is larger than {} MB, the most one upload may be.",
                    limit / (1024 * 1024)
                ),
            ));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// `GET /v1/files/{id}/content`
pub async fn content(State(store): State<Arc<FileStore>>, Path(id): Path<String>) -> Response {
    match store.get(&id) {
        Some(file) => {
            let mut response = Response::new(Body::from(file.bytes.clone()));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            response
        }
        None => no_such_file(&id).into_response(),
    }
}
