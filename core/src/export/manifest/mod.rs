//! `manifest.json`: a series as it leaves in a ZIP — the series record, bible, frames with
//! their shot specs and compiled prompts, every version (the version trees, the exact
//! requests, usage, cost, `x-request-id`s) and the image files with their SHA-256 — and the
//! plan of the archive's image files.
//!
//! [`build`] turns a [`Series`](crate::model::Series) into an [`Export`]: the [`Manifest`] and
//! the [`PlannedFile`]s, named for people:
//!
//! - each frame's active image by order and title: `01-hook.png`, `02-offer.png`…;
//! - locale variants in one folder per locale: `zh-Hans/01-hook.png`…;
//! - reference images under `references/` (`references/mira-1.png`), other versions (when
//!   [`ExportOptions::all_versions`]) under `versions/<sha256>.png`, edit masks under `masks/`;
//! - every name passes the ZIP reader's checks and is unique (case-insensitively).
//!
//! The browser streams each file's `Blob` into the archive: [`Export::zip_layout`] gives the
//! entries in order (the manifest first, then the images, then an optional share page) for
//! [`crate::export::zip::plan`].
//!
//! **No credential can be exported.** The model holds no API key, token, header, base URL,
//! proxy or endpoint URL, and the manifest types ([`types`]) have no field that could hold one;
//! import refuses any such field by name (see [`crate::export::import`]).

mod build;
pub mod names;
pub mod types;

#[cfg(test)]
mod tests;

pub use build::{build, Export, ExportOptions, PlannedFile};
pub use types::*;

use crate::export::crc32::crc32;
use crate::export::zip::{deflated_entry, DosDateTime, EntryMeta};
use std::collections::BTreeMap;
use std::fmt;

/// The `format` of every Continuity manifest.
pub const FORMAT: &str = "continuity-series";
/// The manifest schema this build writes (and the newest it reads). Schema 2 added
/// `frames[].hold_seconds` (the animatic's per-frame hold); schema 1 is migrated on import.
pub const MANIFEST_SCHEMA_VERSION: u32 = 2;
/// Where the manifest is in the archive.
pub const MANIFEST_PATH: &str = "manifest.json";
/// Where a share page goes in the archive, beside the images it shows.
pub const SHARE_PAGE_PATH: &str = "index.html";

/// Size and CRC-32 of an image `Blob`, computed by the browser while reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageCrc {
    /// Bytes.
    pub bytes: u64,
    /// CRC-32 ([`crate::export::crc32::Crc32`] fed chunk by chunk).
    pub crc32: u32,
}

/// The data of one archive entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZipData {
    /// Bytes made here (the deflated manifest, the share page).
    Bytes(Vec<u8>),
    /// The stored image with this hash, placed as it is (a `Blob` in the browser).
    Image(String),
}

/// The archive's entries in order, with their data: `entries[i]`'s data is `data[i]`, which is
/// what [`crate::export::Part::Data`]`(i)` of [`crate::export::zip::plan`]`(&entries)` means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipLayout {
    /// Entry descriptions: `manifest.json`, the images, then `index.html` if asked for.
    pub entries: Vec<EntryMeta>,
    /// Each entry's data.
    pub data: Vec<ZipData>,
}

/// Why the archive cannot be laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayoutError {
    /// A planned image whose size and CRC the browser did not supply (it could not be read).
    Unread(String),
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayoutError::Unread(path) => write!(f, "{path} could not be read from storage"),
        }
    }
}

impl std::error::Error for LayoutError {}

impl Export {
    /// The manifest as it goes into the archive (pretty JSON, UTF-8).
    pub fn manifest_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(&self.manifest).expect("a manifest always serialises")
    }

    /// `(archive path, hash)` of every image file, in archive order (after the manifest).
    pub fn archive_order(&self) -> Vec<(String, String)> {
        self.files
            .iter()
            .map(|f| (f.path.clone(), f.hash.clone()))
            .collect()
    }

    /// The path of the file showing frame `frame_id`'s active image, if it is in the archive.
    pub fn active_path(&self, frame_id: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|f| f.role == FileRole::Active && f.frame_id.as_deref() == Some(frame_id))
            .map(|f| f.path.as_str())
    }

    /// The archive, entry by entry: `manifest.json` (deflated), each planned image (stored;
    /// `images` gives each hash's size and CRC-32 as the browser read them, and those sizes
    /// are written into the manifest so it always matches the archive), then `share_page` as
    /// `index.html` if given.
    pub fn zip_layout(
        &self,
        images: &BTreeMap<String, ImageCrc>,
        share_page: Option<&str>,
        modified: DosDateTime,
    ) -> Result<ZipLayout, LayoutError> {
        let mut manifest = self.manifest.clone();
        for f in &mut manifest.images {
            let read = images
                .get(&f.sha256)
                .ok_or_else(|| LayoutError::Unread(f.path.clone()))?;
            f.bytes = read.bytes;
        }
        for v in &mut manifest.versions {
            if let Some(read) = images.get(&v.image.sha256) {
                v.image.bytes = read.bytes;
            }
        }
        let json = serde_json::to_vec_pretty(&manifest).expect("a manifest always serialises");
        let (meta, packed) = deflated_entry(MANIFEST_PATH, &json, modified);
        let mut entries = vec![meta];
        let mut data = vec![ZipData::Bytes(packed)];
        for f in &self.files {
            let read = images[&f.hash];
            entries.push(EntryMeta::stored(&f.path, read.bytes, read.crc32, modified));
            data.push(ZipData::Image(f.hash.clone()));
        }
        if let Some(html) = share_page {
            let bytes = html.as_bytes();
            entries.push(EntryMeta::stored(
                SHARE_PAGE_PATH,
                bytes.len() as u64,
                crc32(bytes),
                modified,
            ));
            data.push(ZipData::Bytes(bytes.to_vec()));
        }
        Ok(ZipLayout { entries, data })
    }
}

/// Where a manifest holds text that looks like an OpenAI API key (`sk-` and 20 or more key
/// characters), e.g. `frames[2].prompt`; `None` if nowhere.
pub fn key_like_text(manifest: &Manifest) -> Option<String> {
    let value = serde_json::to_value(manifest).ok()?;
    find_key_like(&value, &mut String::new())
}

fn find_key_like(value: &serde_json::Value, path: &mut String) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) if looks_like_key(s) => Some(path.clone()),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = find_key_like(v, path);
            path.truncate(len);
            found
        }),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(k);
            // Keys are text too (a key pasted as a locale tag of a translation).
            let found = if looks_like_key(k) {
                Some(path.clone())
            } else {
                find_key_like(v, path)
            };
            path.truncate(len);
            found
        }),
        _ => None,
    }
}

/// Whether `text` contains `sk-` followed by at least 20 of `[A-Za-z0-9_-]` (the shape of an
/// OpenAI key; SEC-KEY-03 greps exports for it).
pub fn looks_like_key(text: &str) -> bool {
    let b = text.as_bytes();
    b.windows(3).enumerate().any(|(i, w)| {
        w == b"sk-"
            && b[i + 3..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_' || **c == b'-')
                .count()
                >= 20
    })
}
