//! The manifest and the archive's file plan: names for people, locale folders, every version
//! on request, images missing from storage, and no credential anywhere.

use super::*;
use crate::export::import::tests::{fixture, zip_of};
use crate::export::zip::{ReadLimits, ZipArchive};

#[test]
fn export_manifest_names_files_by_order_and_title() {
    let fx = fixture(&["Hook!", "The offer", "", "Call to action"]);
    let e = build(&fx.series, &ExportOptions::new(1.0));
    let paths: Vec<&str> = e.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths[..6],
        [
            "01-hook.png",
            "02-the-offer.png",
            "03.png",
            "04-call-to-action.png",
            "zh-Hans/01-hook.png",
            "references/mira-1.png",
        ]
    );
    assert_eq!(paths.len(), 7, "and the edit's mask: {paths:?}");
    assert!(paths[6].starts_with("masks/"), "{paths:?}");
    assert_eq!(
        e.active_path(&fx.series.frames[1].id),
        Some("02-the-offer.png")
    );
    assert!(e.warnings.is_empty(), "{:?}", e.warnings);
    // The manifest lists every version, even when only the active files are included.
    assert_eq!(e.manifest.versions.len(), fx.series.versions.len());
    assert_eq!(e.manifest.images.len(), e.files.len());
    assert_eq!(e.manifest.schema_version, MANIFEST_SCHEMA_VERSION);
}

#[test]
fn export_manifest_all_versions_adds_files_once() {
    let fx = fixture(&[]);
    let mut o = ExportOptions::new(1.0);
    o.all_versions = true;
    let e = build(&fx.series, &o);
    let versions: Vec<_> = e
        .files
        .iter()
        .filter(|f| f.path.starts_with("versions/"))
        .collect();
    assert_eq!(
        versions.len(),
        1,
        "only the edit's parent is not already a file"
    );
    let mut hashes: Vec<_> = e.files.iter().map(|f| &f.hash).collect();
    hashes.sort();
    hashes.dedup();
    assert_eq!(hashes.len(), e.files.len(), "each image once");
}

#[test]
fn export_manifest_says_which_images_are_not_stored() {
    let fx = fixture(&[]);
    let mut o = ExportOptions::new(1.0);
    let mut stored: std::collections::BTreeMap<String, u64> = fx
        .images
        .iter()
        .map(|(h, b)| (h.clone(), b.len() as u64))
        .collect();
    let active = fx
        .series
        .active(&fx.series.frames[2])
        .unwrap()
        .image
        .hash
        .clone();
    stored.remove(&active);
    o.stored = Some(stored);
    let e = build(&fx.series, &o);
    assert!(e.active_path(&fx.series.frames[2].id).is_none());
    assert_eq!(e.warnings.len(), 1);
    assert!(e.warnings[0].starts_with("1 image of this series is not in this browser's storage"));
}

#[test]
fn export_manifest_never_holds_a_credential_and_warns_of_key_like_text() {
    let mut fx = fixture(&[]);
    let e = build(&fx.series, &ExportOptions::new(1.0));
    let json = String::from_utf8(e.manifest_json()).unwrap();
    // Every field name passes the import's credential check: the manifest has no such field.
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(crate::export::import::json::scan(&value).is_ok());
    for needle in [
        "api_key",
        "Authorization",
        "Bearer",
        "sk-",
        "http://",
        "https://",
    ] {
        assert!(!json.contains(needle), "{needle} in the manifest");
    }
    let key = "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
    let id = fx.series.frames[2].id.clone();
    fx.series.frame_mut(&id).unwrap().prompt = format!("oops {key}");
    let e = build(&fx.series, &ExportOptions::new(1.0));
    assert!(
        e.warnings
            .iter()
            .any(|w| w.starts_with("frames[2].") && w.contains("looks like an OpenAI API key")),
        "{:?}",
        e.warnings
    );
    // The compiled prompt carries the frame's prompt, so it is found there first.
    assert_eq!(
        key_like_text(&e.manifest).as_deref(),
        Some("frames[2].compiled_prompt")
    );
    assert!(looks_like_key(key) && !looks_like_key("sk-short") && !looks_like_key("task-list"));
}

#[test]
fn export_manifest_archive_has_the_manifest_first_and_every_file_with_its_hash() {
    let fx = fixture(&[]);
    let zip = zip_of(&fx, &ExportOptions::new(1.0));
    let mut archive = ZipArchive::open(&zip, &ReadLimits::default()).unwrap();
    assert_eq!(archive.entries()[0].name, MANIFEST_PATH);
    let manifest: Manifest =
        serde_json::from_slice(&archive.read(0).unwrap()).expect("manifest.json parses");
    for f in &manifest.images {
        let bytes = archive.read_name(&f.path).unwrap().unwrap();
        assert_eq!(
            crate::export::import::tests::sha(&bytes),
            f.sha256,
            "{}",
            f.path
        );
        assert_eq!(
            f.bytes,
            bytes.len() as u64,
            "sizes written from what was read"
        );
    }
    assert_eq!(archive.entries().len(), manifest.images.len() + 1);
}

#[test]
fn export_manifest_layout_adds_a_share_page_and_refuses_unread_images() {
    let fx = fixture(&[]);
    let e = build(&fx.series, &ExportOptions::new(1.0));
    let none = std::collections::BTreeMap::new();
    let t = crate::export::zip::DosDateTime::from_unix_seconds(0);
    let err = e.zip_layout(&none, None, t).unwrap_err();
    assert!(
        err.to_string().ends_with("could not be read from storage"),
        "{err}"
    );
    let crcs = fx
        .images
        .iter()
        .map(|(h, b)| {
            let crc = crate::export::crc32::crc32(b);
            (
                h.clone(),
                ImageCrc {
                    bytes: b.len() as u64,
                    crc32: crc,
                },
            )
        })
        .collect();
    let layout = e.zip_layout(&crcs, Some("<!doctype html>"), t).unwrap();
    assert_eq!(layout.entries.last().unwrap().name, SHARE_PAGE_PATH);
    assert_eq!(layout.entries.len(), e.files.len() + 2);
}
