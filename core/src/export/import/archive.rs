//! Step 1 and the reading half of step 2 for a whole file in memory: a ZIP (its
//! `manifest.json` and the image files the manifest lists) or a bare `manifest.json`. The
//! caller hashes each file (`crypto.subtle.digest`) and passes them on as [`ReadFile`]s.

use super::{check_image, parse_manifest, ImportError, ReadFile};
use crate::export::manifest::{Manifest, MANIFEST_PATH};
use crate::export::zip::{ReadLimits, ZipArchive};
use crate::image_type::CheckedImage;

/// A checked manifest and the image files the archive holds for it.
#[derive(Debug)]
pub struct Unpacked {
    /// The manifest's bytes (for [`super::import`]).
    pub manifest_bytes: Vec<u8>,
    /// The manifest, checked.
    pub manifest: Manifest,
    /// Each listed image the archive has, in the manifest's order, with its sniffed type.
    pub files: Vec<UnpackedFile>,
}

/// One image file read from the archive.
#[derive(Debug)]
pub struct UnpackedFile {
    /// Its path in the archive.
    pub path: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Type and size from its header.
    pub image: CheckedImage,
}

impl UnpackedFile {
    /// The file as [`super::verify_files`] takes it, with the SHA-256 the caller computed.
    pub fn read_file(&self, sha256: String) -> ReadFile {
        ReadFile {
            path: self.path.clone(),
            sha256,
            bytes: self.bytes.len() as u64,
            image: self.image.clone(),
        }
    }
}

/// Whether `bytes` start like a ZIP archive (a local header, or the end record of an empty one).
pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

/// Reads a ZIP or a bare manifest under the import limits: the archive's directory, its
/// `manifest.json` ([`parse_manifest`]), then each image the manifest lists, checked by its
/// header ([`check_image`]). Files the archive has but the manifest does not list (a share
/// page, a stray `.DS_Store`) are not read.
pub fn unpack(bytes: &[u8]) -> Result<Unpacked, ImportError> {
    if !is_zip(bytes) {
        let manifest = parse_manifest(bytes)?;
        return Ok(Unpacked {
            manifest_bytes: bytes.to_vec(),
            manifest,
            files: Vec::new(),
        });
    }
    let archive_error = |e: crate::export::zip::ZipReadError| ImportError::Archive(e.to_string());
    let mut zip = ZipArchive::open(bytes, &ReadLimits::default()).map_err(archive_error)?;
    let manifest_bytes = zip
        .read_name(MANIFEST_PATH)
        .ok_or(ImportError::NoManifest)?
        .map_err(archive_error)?;
    let manifest = parse_manifest(&manifest_bytes)?;
    let mut files = Vec::new();
    for f in &manifest.images {
        let Some(read) = zip.read_name(&f.path) else {
            continue;
        };
        let data = read.map_err(archive_error)?;
        let image = check_image(&data, f.role).map_err(|problem| ImportError::BadImage {
            path: f.path.clone(),
            problem,
        })?;
        files.push(UnpackedFile {
            path: f.path.clone(),
            bytes: data,
            image,
        });
    }
    Ok(Unpacked {
        manifest_bytes,
        manifest,
        files,
    })
}
