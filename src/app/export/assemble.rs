//! The one seam where export files are put together from a series and its stored images, so
//! it can move into the worker as it is: it takes the series and a way to read image `Blob`s,
//! and returns the finished `Blob`. The pure writers (`continuity_core::export`) plan each
//! file; image bytes enter wasm memory one image at a time, only where a writer needs them
//! (the ZIP's CRC-32, the share page's base64), and images are placed into the finished
//! file as the `Blob`s storage holds — never copied twice.

use crate::web::download::{blob_of_parts, bytes, to_js, FilePart};
use crate::web::idb::{self, Db};
use continuity_core::export::crc32::crc32;
use continuity_core::export::manifest::{build, ExportOptions, ImageCrc, ZipData};
use continuity_core::export::share::{data_url, share_page, SharePanel};
use continuity_core::export::zip::{plan, DosDateTime};
use continuity_core::export::Part;
use continuity_core::model::Series;
use std::collections::{BTreeMap, HashMap};
use web_sys::Blob;

/// Reports progress (`done` of `total` steps) and says whether to go on (`false`: cancelled).
pub trait Progress {
    /// Called before each step and at the end; `false` stops the export.
    fn step(&self, done: usize, total: usize) -> bool;
}

/// Why an export stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportError {
    /// The user cancelled it.
    Cancelled,
    /// Something failed; the message says what.
    Failed(String),
}

impl From<String> for ExportError {
    fn from(s: String) -> Self {
        ExportError::Failed(s)
    }
}

/// A finished export: the file, its name, and what the user should know.
pub struct Finished {
    /// The file.
    pub blob: Blob,
    /// Its download name.
    pub file_name: String,
    /// Warnings (images missing from storage, text that looks like a key).
    pub warnings: Vec<String>,
}

/// The stored image `Blob`s of `hashes` (those storage has).
pub async fn stored_images(db: &Db, hashes: &[String]) -> Result<HashMap<String, Blob>, String> {
    let mut out = HashMap::new();
    for h in hashes {
        if let Some(b) = db.blob(idb::IMAGES, h).await.map_err(|e| e.to_string())? {
            out.insert(h.clone(), b);
        }
    }
    Ok(out)
}

/// The series' name as a file stem (`my-series`), `series` if nothing is left.
pub fn file_stem(series: &Series) -> String {
    match continuity_core::export::manifest::names::slug(&series.name) {
        s if s.is_empty() => "series".into(),
        s => s,
    }
}

/// The ZIP: `manifest.json`, the active images named by order and title, one folder per
/// locale, reference images and masks (every version when `all_versions`).
pub async fn zip(
    series: &Series,
    images: &HashMap<String, Blob>,
    all_versions: bool,
    now_ms: f64,
    progress: &dyn Progress,
) -> Result<Finished, ExportError> {
    let mut options = ExportOptions::new(now_ms);
    options.all_versions = all_versions;
    options.stored = Some(
        images
            .iter()
            .map(|(h, b)| (h.clone(), b.size() as u64))
            .collect(),
    );
    let export = build(series, &options);
    let total = export.files.len() + 1;
    // Each image once into wasm memory for its CRC-32, then dropped; the archive is made of
    // the stored `Blob`s themselves.
    let mut crcs = BTreeMap::new();
    for (i, f) in export.files.iter().enumerate() {
        if !progress.step(i, total) {
            return Err(ExportError::Cancelled);
        }
        if crcs.contains_key(&f.hash) {
            continue;
        }
        let blob = &images[&f.hash];
        let data = bytes(blob).await?;
        crcs.insert(
            f.hash.clone(),
            ImageCrc {
                bytes: data.len() as u64,
                crc32: crc32(&data),
            },
        );
    }
    let modified = DosDateTime::from_unix_seconds((now_ms / 1000.0) as i64);
    let layout = export
        .zip_layout(&crcs, None, modified)
        .map_err(|e| e.to_string())?;
    let parts = plan(&layout.entries).map_err(|e| e.to_string())?;
    let file_parts: Vec<FilePart<'_>> = parts
        .iter()
        .map(|p| match p {
            Part::Bytes(b) => FilePart::Bytes(b),
            Part::Data(i) => match &layout.data[*i] {
                ZipData::Bytes(b) => FilePart::Bytes(b),
                ZipData::Image(h) => FilePart::Blob(&images[h]),
            },
        })
        .collect();
    let blob = blob_of_parts(&file_parts, "application/zip")?;
    progress.step(total, total);
    Ok(Finished {
        blob,
        file_name: format!("{}.zip", file_stem(series)),
        warnings: export.warnings,
    })
}

/// What a frame's caption says: what happens, then its on-image text.
pub fn caption(frame: &continuity_core::model::Frame) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if !frame.prompt.trim().is_empty() {
        parts.push(frame.prompt.trim());
    }
    for t in &frame.shot.texts {
        if !t.text.trim().is_empty() {
            parts.push(t.text.trim());
        }
    }
    parts.join(" — ")
}

/// The share page: one self-contained HTML file with every active image inlined. Each image's
/// base64 is made in wasm and handed to JS at once, so only one is in wasm memory at a time.
pub async fn share(
    series: &Series,
    images: &HashMap<String, Blob>,
    progress: &dyn Progress,
) -> Result<Finished, ExportError> {
    let total = series.frames.len() + 1;
    let mut panels = Vec::with_capacity(series.frames.len());
    let mut urls: Vec<js_sys::Uint8Array> = Vec::new();
    for (i, frame) in series.frames.iter().enumerate() {
        if !progress.step(i, total) {
            return Err(ExportError::Cancelled);
        }
        let active = series.active(frame);
        let image = match active.and_then(|v| images.get(&v.image.hash).map(|b| (v, b))) {
            Some((v, blob)) => {
                let url = data_url(&v.image.mime, &bytes(blob).await?);
                urls.push(to_js(url.as_bytes()));
                Some(urls.len() - 1)
            }
            None => None,
        };
        panels.push(SharePanel {
            title: frame.title.clone(),
            caption: caption(frame),
            alt: format!("Frame {}: {}", i + 1, frame.title),
            image,
        });
    }
    let parts = share_page(&series.name, &panels);
    let file_parts: Vec<FilePart<'_>> = parts
        .iter()
        .map(|p| match p {
            Part::Bytes(b) => FilePart::Bytes(b),
            Part::Data(i) => FilePart::Js(&urls[*i]),
        })
        .collect();
    let blob = blob_of_parts(&file_parts, "text/html")?;
    progress.step(total, total);
    Ok(Finished {
        blob,
        file_name: format!("{}.html", file_stem(series)),
        warnings: Vec::new(),
    })
}
