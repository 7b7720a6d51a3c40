//! The ZIP (manifest and stored images) and the self-contained share page.

use super::raster::{blob_of_parts, bytes, FilePart};
use super::{file_stem, Finished, Steps, Stop};
use continuity_core::export::crc32::crc32;
use continuity_core::export::manifest::{build, ExportOptions, ImageCrc, ZipData};
use continuity_core::export::share::{data_url, share_page, SharePanel};
use continuity_core::export::zip::{plan, DosDateTime};
use continuity_core::export::Part;
use continuity_core::model::Series;
use js_sys::Uint8Array;
use std::collections::{BTreeMap, HashMap};
use web_sys::Blob;

/// The ZIP: `manifest.json`, the active images named by order and title, one folder per
/// locale, reference images and masks (every version when `all_versions`).
pub async fn zip(
    series: &Series,
    images: &HashMap<String, Blob>,
    all_versions: bool,
    now_ms: f64,
    steps: &Steps,
) -> Result<Finished, Stop> {
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
        steps.step(i, total)?;
        if crcs.contains_key(&f.hash) {
            continue;
        }
        let blob = images
            .get(&f.hash)
            .ok_or("an image the manifest lists was not given")?;
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
    steps.step(total, total)?;
    Ok(Finished {
        blob,
        file_name: format!("{}.zip", file_stem(series)),
        warnings: export.warnings,
    })
}

/// The share page: one self-contained HTML file with every active image inlined. Each image's
/// base64 is made in wasm and handed to JS at once, so only one is in wasm memory at a time.
pub async fn share(
    series: &Series,
    images: &HashMap<String, Blob>,
    steps: &Steps,
) -> Result<Finished, Stop> {
    let total = series.frames.len() + 1;
    let mut panels = Vec::with_capacity(series.frames.len());
    let mut urls: Vec<Uint8Array> = Vec::new();
    for (i, frame) in series.frames.iter().enumerate() {
        steps.step(i, total)?;
        let active = series.active(frame);
        let image = match active.and_then(|v| images.get(&v.image.hash).map(|b| (v, b))) {
            Some((v, blob)) => {
                let url = data_url(&v.image.mime, &bytes(blob).await?);
                urls.push(Uint8Array::from(url.as_bytes()));
                Some(urls.len() - 1)
            }
            None => None,
        };
        panels.push(SharePanel {
            title: frame.title.clone(),
            caption: super::caption(frame),
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
    steps.step(total, total)?;
    Ok(Finished {
        blob,
        file_name: format!("{}.html", file_stem(series)),
        warnings: Vec::new(),
    })
}
