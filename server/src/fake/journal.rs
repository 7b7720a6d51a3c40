//! The journal of image requests the fake received (`GET /_fake/requests`), so browser and
//! end-to-end tests can prove what the client really sent. It never holds a header value.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::inputs::dimensions;
use super::params::{RawRequest, Upload};

/// Entries kept; older ones are dropped first.
pub const CAPACITY: usize = 1000;

/// Description of one uploaded file.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FileInfo {
    /// Field name (`image[]`, `image`, `images`, `mask`, `markup`).
    pub field: String,
    /// Part file name, if any.
    pub filename: Option<String>,
    /// Declared content type, if any.
    pub content_type: Option<String>,
    /// Size in bytes.
    pub bytes: usize,
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    /// Width from the image header (null if not a PNG/JPEG/WebP).
    pub width: Option<u32>,
    /// Height from the image header.
    pub height: Option<u32>,
}

impl FileInfo {
    /// Hashes and measures an upload (CPU work for big files: call from a blocking thread).
    pub fn describe(upload: &Upload) -> Self {
        let dims = dimensions(&upload.data);
        Self {
            field: upload.field.clone(),
            filename: upload.filename.clone(),
            content_type: upload.content_type.clone(),
            bytes: upload.data.len(),
            sha256: hex(&Sha256::digest(&upload.data)),
            width: dims.map(|d| d.0),
            height: dims.map(|d| d.1),
        }
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the journal records about the request itself (everything but the outcome).
#[derive(Debug, Clone)]
pub struct RequestRecord {
    /// `generations` or `edits`.
    pub endpoint: &'static str,
    /// The `Content-Type` header as received.
    pub content_type: Option<String>,
    /// Whether an `Authorization` header was present (its value is never kept).
    pub authorization_present: bool,
    /// Non-file fields as received.
    pub params: Map<String, Value>,
    /// Input images.
    pub images: Vec<FileInfo>,
    /// The mask.
    pub mask: Option<FileInfo>,
    /// The markup layer.
    pub markup: Option<FileInfo>,
}

impl RequestRecord {
    /// Builds the record from a parsed request (hashes every file).
    pub fn new(
        raw: &RawRequest,
        content_type: Option<String>,
        authorization_present: bool,
    ) -> Self {
        Self {
            endpoint: raw.endpoint.name(),
            content_type,
            authorization_present,
            params: raw.params.clone(),
            images: raw.images.iter().map(FileInfo::describe).collect(),
            mask: raw.mask.as_ref().map(FileInfo::describe),
            markup: raw.markup.as_ref().map(FileInfo::describe),
        }
    }
}

/// One journal entry as served by `GET /_fake/requests`.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// 1-based sequence number, increasing across clears.
    pub seq: u64,
    /// `generations` or `edits`.
    pub endpoint: &'static str,
    /// The `Content-Type` header as received.
    pub content_type: Option<String>,
    /// Whether an `Authorization` header was present.
    pub authorization_present: bool,
    /// Every non-file field as received.
    pub params: Map<String, Value>,
    /// Input images in the order received.
    pub images: Vec<FileInfo>,
    /// The mask, or null.
    pub mask: Option<FileInfo>,
    /// The markup layer (marks over the first image), or null.
    pub markup: Option<FileInfo>,
    /// HTTP status returned (null for a `stall` that never answered).
    pub status: Option<u16>,
    /// The fault applied to this attempt, or null.
    pub fault: Option<&'static str>,
}

/// A bounded, thread-safe journal.
#[derive(Debug, Default)]
pub struct Journal {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    next_seq: u64,
    entries: VecDeque<Entry>,
}

impl Journal {
    /// Appends an entry, dropping the oldest past [`CAPACITY`].
    pub fn record(&self, request: RequestRecord, status: Option<u16>, fault: Option<&'static str>) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.next_seq += 1;
        let entry = Entry {
            seq: inner.next_seq,
            endpoint: request.endpoint,
            content_type: request.content_type,
            authorization_present: request.authorization_present,
            params: request.params,
            images: request.images,
            mask: request.mask,
            markup: request.markup,
            status,
            fault,
        };
        inner.entries.push_back(entry);
        while inner.entries.len() > CAPACITY {
            inner.entries.pop_front();
        }
    }

    /// All entries, oldest first.
    pub fn entries(&self) -> Vec<Entry> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.entries.iter().cloned().collect()
    }

    /// Removes every entry (sequence numbers keep increasing).
    pub fn clear(&self) {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entries
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> RequestRecord {
        RequestRecord {
            endpoint: "generations",
            content_type: Some("application/json".into()),
            authorization_present: true,
            params: Map::new(),
            images: vec![],
            mask: None,
            markup: None,
        }
    }

    #[test]
    fn bounded_and_ordered() {
        let j = Journal::default();
        for _ in 0..CAPACITY + 5 {
            j.record(record(), Some(200), None);
        }
        let e = j.entries();
        assert_eq!(e.len(), CAPACITY);
        assert_eq!(e[0].seq, 6);
        assert_eq!(e.last().map(|x| x.seq), Some(CAPACITY as u64 + 5));
        j.clear();
        assert!(j.entries().is_empty());
        j.record(record(), None, Some("stall"));
        assert_eq!(j.entries()[0].seq, CAPACITY as u64 + 6);
    }

    #[test]
    fn describes_files() {
        let upload = Upload {
            field: "image[]".into(),
            filename: Some("a.bin".into()),
            content_type: None,
            data: bytes::Bytes::from_static(b"abc"),
        };
        let info = FileInfo::describe(&upload);
        assert_eq!(
            info.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!((info.bytes, info.width), (3, None));
    }
}
