//! The image files the browser read from the archive, checked against the manifest's table:
//! each is listed, has the SHA-256 the manifest names, its declared size, and a type its role
//! accepts. The browser computes the hashes (`crypto.subtle.digest`); this only compares.

use super::json::clip;
use super::ImportError;
use crate::export::manifest::{FileRole, Manifest};
use crate::image_type::CheckedImage;
use std::collections::HashMap;

/// One image file as the browser read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadFile {
    /// Its path in the archive.
    pub path: String,
    /// SHA-256 of its bytes, hex (as computed by the browser).
    pub sha256: String,
    /// Its length in bytes.
    pub bytes: u64,
    /// Its type and size from [`super::check_image`] on its first bytes.
    pub image: CheckedImage,
}

/// The files that passed, by hash: what the imported series may use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckedFiles {
    by_hash: HashMap<String, ReadFile>,
}

impl CheckedFiles {
    /// No files: a bare manifest.
    pub fn none() -> Self {
        Self::default()
    }

    /// The file with these bytes, if it was read.
    pub fn get(&self, hash: &str) -> Option<&ReadFile> {
        self.by_hash.get(hash)
    }

    /// How many distinct images were read.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether none were.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }
}

/// Checks the files read against the manifest's table. A file listed but not read (a bare
/// manifest, or an archive missing it) is not an error here: the conversion drops what used it
/// and says so. A file read but not listed, or read twice, is a caller error and refused.
pub fn verify_files(m: &Manifest, read: &[ReadFile]) -> Result<CheckedFiles, ImportError> {
    let table: HashMap<&str, usize> = m
        .images
        .iter()
        .enumerate()
        .map(|(i, f)| (f.path.as_str(), i))
        .collect();
    let mut seen = HashMap::new();
    let mut by_hash = HashMap::new();
    for r in read {
        let Some(&i) = table.get(r.path.as_str()) else {
            return Err(ImportError::Inconsistent(format!(
                "the archive file “{}” is not in the manifest's file list",
                clip(&r.path)
            )));
        };
        if seen.insert(r.path.as_str(), ()).is_some() {
            return Err(ImportError::Inconsistent(format!(
                "the file “{}” was read twice",
                clip(&r.path)
            )));
        }
        let declared = &m.images[i];
        let found = r.sha256.to_ascii_lowercase();
        if found != declared.sha256 {
            return Err(ImportError::HashMismatch {
                path: r.path.clone(),
                expected: declared.sha256.clone(),
                found,
            });
        }
        if declared.bytes != 0 && declared.bytes != r.bytes {
            return Err(ImportError::Inconsistent(format!(
                "the manifest says “{}” has {} bytes, but it has {}",
                clip(&r.path),
                declared.bytes,
                r.bytes
            )));
        }
        let wrong_type = match declared.role {
            FileRole::Reference => r.image.mime == "image/gif",
            FileRole::Mask => r.image.mime != "image/png",
            _ => false,
        };
        if wrong_type {
            return Err(ImportError::BadImage {
                path: r.path.clone(),
                problem: "a reference image must be PNG, JPEG or WebP and a mask PNG".into(),
            });
        }
        by_hash.entry(found).or_insert_with(|| ReadFile {
            sha256: declared.sha256.clone(),
            ..r.clone()
        });
    }
    Ok(CheckedFiles { by_hash })
}
