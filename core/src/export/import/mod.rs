//! Import: a ZIP's `manifest.json` (or a bare manifest) and the image files beside it become a
//! **new** series, or a refusal that says why. Nothing existing is touched either way.
//!
//! The browser's steps (the ZIP container's own limits are [`crate::export::zip::ReadLimits`]):
//!
//! 1. read `manifest.json` from the archive and [`parse_manifest`] it: size, nesting depth
//!    (on the raw bytes, before any parser recurses), JSON syntax, `format`, schema version
//!    (older migrated, newer refused), credential-like fields refused by name (SEC-IMP-07),
//!    string lengths and list sizes, then the strict types (`deny_unknown_fields` at every
//!    level: unknown and missing fields are refused, naming them and where they are), then
//!    ids, hashes, paths, image types and sizes, counts and the version trees' shape;
//! 2. for each file of `manifest.images` the archive has, one at a time: [`check_image`] on its
//!    first bytes (PNG/JPEG/WebP by magic bytes, size from the header, ≤ 8192×8192), SHA-256 of
//!    its bytes (`crypto.subtle.digest`), into a [`ReadFile`]; [`verify_files`] compares them
//!    with the manifest (hash, size, type for its role);
//! 3. [`to_series`] builds the new series with fresh ids; store its images
//!    ([`Imported::store`]), then the series.
//!
//! [`import`] does 1 and 3 with the files of step 2. Import never starts a generation, never
//! marks a frame as queued, and never reads or writes settings, keys or endpoints (the manifest
//! has no field for them, and any such field is refused): SEC-IMP-07/09. Re-running an
//! imported series is the user's explicit action: see [`crate::export::rerun`].

mod archive;
mod convert;
mod error;
mod files;
mod image_head;
pub mod json;
pub mod limits;
mod validate;

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod prop;
#[cfg(test)]
mod schema_tests;
#[cfg(test)]
pub(crate) mod tests;

pub use archive::{is_zip, unpack, Unpacked, UnpackedFile};
pub use convert::{to_series, Imported};
pub use error::ImportError;
pub use files::{verify_files, CheckedFiles, ReadFile};
pub use image_head::{check_image, IMAGE_HEAD_BYTES};
pub use validate::validate;

#[cfg(test)]
pub(crate) use image_head::samples;

use crate::export::manifest::{Manifest, FORMAT, MANIFEST_SCHEMA_VERSION};
use limits::*;
use serde_json::Value;

/// Reads and checks a manifest (step 1): every refusal of the module docs, in that order.
pub fn parse_manifest(bytes: &[u8]) -> Result<Manifest, ImportError> {
    if bytes.len() > MAX_MANIFEST_BYTES {
        return Err(ImportError::TooLarge { bytes: bytes.len() });
    }
    // A byte-order mark is harmless (some editors add one); serde_json would refuse it.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if std::str::from_utf8(bytes).is_err() {
        return Err(ImportError::NotUtf8);
    }
    json::check_depth(bytes, MAX_JSON_DEPTH)?;
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| ImportError::NotJson(e.to_string()))?;
    let Some(top) = value.as_object() else {
        return Err(ImportError::NotAManifest);
    };
    if top.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(ImportError::NotAManifest);
    }
    let schema = match top.get("schema_version") {
        None => {
            return Err(ImportError::MissingField {
                field: "schema_version".into(),
                path: "the top level".into(),
            })
        }
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| ImportError::BadValue {
                path: "schema_version".into(),
                problem: "not a whole number".into(),
            })?,
    };
    if schema > MANIFEST_SCHEMA_VERSION {
        return Err(ImportError::NewerSchema { found: schema });
    }
    json::scan(&value)?;
    let manifest = if schema == MANIFEST_SCHEMA_VERSION {
        // From the bytes, not the tree: the typed parser also refuses a field given twice,
        // which the tree would have silently collapsed.
        let mut de = serde_json::Deserializer::from_slice(bytes);
        typed(serde_path_to_error::deserialize(&mut de))?
    } else {
        let migrated = json::migrate(value, schema)?;
        json::scan(&migrated)?;
        typed(serde_path_to_error::deserialize(migrated))?
    };
    validate(&manifest)?;
    Ok(manifest)
}

/// Steps 1 and 3 with the files of step 2 (none for a bare manifest).
pub fn import(
    manifest_bytes: &[u8],
    files: &[ReadFile],
    now_ms: f64,
    ids: impl FnMut() -> u64,
) -> Result<Imported, ImportError> {
    let manifest = parse_manifest(manifest_bytes)?;
    let checked = verify_files(&manifest, files)?;
    to_series(&manifest, &checked, now_ms, ids)
}

/// A typed parse's error as a refusal that names the field and where it is.
fn typed<E: std::fmt::Display>(
    result: Result<Manifest, serde_path_to_error::Error<E>>,
) -> Result<Manifest, ImportError> {
    let e = match result {
        Ok(m) => return Ok(m),
        Err(e) => e,
    };
    let path = match e.path().to_string() {
        p if p == "." || p.is_empty() => "the top level".to_string(),
        p => p,
    };
    let inner = e.inner().to_string();
    // serde's messages: "unknown field `x`, expected …", "missing field `x`", "duplicate
    // field `x`", each maybe followed by " at line L column C".
    let message = inner
        .split(" at line ")
        .next()
        .unwrap_or(&inner)
        .to_string();
    let field = message
        .split('`')
        .nth(1)
        .map(json::clip)
        .unwrap_or_default();
    Err(if message.starts_with("unknown field") {
        // The path ends with the unknown field itself: name the object it is in.
        let parent = path
            .rsplit_once('.')
            .map(|(p, _)| p.to_string())
            .unwrap_or_else(|| "the top level".into());
        ImportError::UnknownField {
            field,
            path: parent,
        }
    } else if message.starts_with("missing field") {
        ImportError::MissingField { field, path }
    } else {
        ImportError::BadValue {
            path,
            problem: message,
        }
    })
}
