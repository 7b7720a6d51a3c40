//! Why an import is refused, in words a person can act on.

use super::limits::MAX_MANIFEST_BYTES;
use crate::export::manifest::{FORMAT, MANIFEST_SCHEMA_VERSION};
use std::fmt;

/// A refused import. Nothing is created when an import is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    /// The manifest is over [`MAX_MANIFEST_BYTES`].
    TooLarge {
        /// Its size.
        bytes: usize,
    },
    /// The manifest is not UTF-8 text.
    NotUtf8,
    /// The ZIP container was refused (damaged, a zip bomb, a path outside the archive…).
    Archive(String),
    /// A ZIP without `manifest.json`.
    NoManifest,
    /// Arrays/objects nested deeper than the limit.
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// Not JSON at all (a syntax error).
    NotJson(String),
    /// JSON, but not a Continuity manifest (`format` missing or different).
    NotAManifest,
    /// Written by a newer Continuity.
    NewerSchema {
        /// Its schema version.
        found: u32,
    },
    /// An old schema no migration knows.
    UnknownOldSchema {
        /// Its schema version.
        found: u32,
    },
    /// A migration step failed.
    Migration {
        /// The schema it was reading.
        from: u32,
        /// What could not be converted.
        problem: String,
    },
    /// A field that could hold a key, token, header, endpoint, proxy or settings (SEC-IMP-07).
    Credential {
        /// The field's name.
        field: String,
        /// Where it is, e.g. `series.output.api_key`.
        path: String,
    },
    /// A field Continuity does not know.
    UnknownField {
        /// The field's name.
        field: String,
        /// The object it is in.
        path: String,
    },
    /// A required field is missing.
    MissingField {
        /// The field's name.
        field: String,
        /// The object it is missing from.
        path: String,
    },
    /// A field of the wrong type or with an impossible value.
    BadValue {
        /// Where.
        path: String,
        /// What is wrong.
        problem: String,
    },
    /// A string over its limit.
    TooLong {
        /// Where.
        what: String,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
        /// `characters` or `bytes`.
        unit: &'static str,
    },
    /// A list over its limit.
    TooMany {
        /// What.
        what: String,
        /// How many.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// The parts of the manifest disagree (duplicate ids, a cycle, a file listed twice…).
    Inconsistent(String),
    /// An image file that is not an image we accept, or too large.
    BadImage {
        /// Its path in the archive.
        path: String,
        /// What is wrong.
        problem: String,
    },
    /// A file whose bytes do not have the SHA-256 the manifest names.
    HashMismatch {
        /// Its path in the archive.
        path: String,
        /// The hash in the manifest.
        expected: String,
        /// The hash of the bytes.
        found: String,
    },
}

fn short(hash: &str) -> String {
    hash.chars().take(12).collect()
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ImportError::*;
        match self {
            TooLarge { bytes } => write!(
                f,
                "The manifest is {}; at most {} is accepted.",
                crate::export::zip::human(*bytes as u64),
                crate::export::zip::human(MAX_MANIFEST_BYTES as u64)
            ),
            NotUtf8 => f.write_str("The manifest is not UTF-8 text."),
            Archive(problem) => write!(f, "The archive was refused: {problem}."),
            NoManifest => f.write_str(
                "The archive has no manifest.json at its top level, so it is not a Continuity series export.",
            ),
            TooDeep { max } => write!(
                f,
                "The manifest nests lists and objects more than {max} levels deep; a Continuity manifest never does."
            ),
            NotJson(e) => write!(f, "The manifest is not valid JSON: {e}."),
            NotAManifest => write!(
                f,
                "This is not a Continuity series manifest (its \"format\" is not \"{FORMAT}\")."
            ),
            NewerSchema { found } => write!(
                f,
                "This manifest was written by a newer version of Continuity (schema {found}; this version reads up to {MANIFEST_SCHEMA_VERSION}). Reload the page to update, then import again."
            ),
            UnknownOldSchema { found } => write!(
                f,
                "This manifest uses schema {found}, which no released version of Continuity wrote; it cannot be imported."
            ),
            Migration { from, problem } => write!(
                f,
                "This manifest (schema {from}) could not be brought up to date: {problem}."
            ),
            Credential { field, path } => write!(
                f,
                "The manifest has a field “{field}” (at {path}). Continuity never imports API keys, tokens, headers, endpoints, proxies or settings, so the file was refused."
            ),
            UnknownField { field, path } => write!(
                f,
                "The manifest has a field Continuity does not know: “{field}” (in {path}). It may come from another app or a damaged file."
            ),
            MissingField { field, path } => write!(
                f,
                "The manifest is missing the field “{field}” (in {path})."
            ),
            BadValue { path, problem } => write!(f, "The manifest's {path} is not valid: {problem}."),
            TooLong { what, len, max, unit } => write!(
                f,
                "The text at {what} has {len} {unit}; at most {max} are accepted."
            ),
            TooMany { what, count, max } => write!(
                f,
                "{what} has {count} items; at most {max} are accepted."
            ),
            Inconsistent(problem) => write!(f, "The manifest contradicts itself: {problem}."),
            BadImage { path, problem } => write!(f, "“{path}” was refused: {problem}."),
            HashMismatch { path, expected, found } => write!(
                f,
                "“{path}” is not the image the manifest names (SHA-256 {}… expected, {}… found): the archive is damaged or was changed.",
                short(expected),
                short(found)
            ),
        }
    }
}

impl std::error::Error for ImportError {}
