//! Import: an exported archive comes back as a new series, and each refusal of the security
//! notes (§1.7) says what is wrong. Also the test fixture the manifest, property and fuzz
//! tests share: a small series whose images have real SHA-256s.

use super::*;
use crate::export::import::samples::png;
use crate::export::manifest::{build, ExportOptions, ImageCrc};
use crate::export::zip::{plan, DosDateTime};
use crate::export::{assemble, crc32::crc32};
use crate::model::bible::{Entity, EntityKind, RefImage};
use crate::model::template::Template;
use crate::model::{Series, Version, VersionKind};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// SHA-256 as lowercase hex.
pub(crate) fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A series and the bytes of each of its images, by hash.
pub(crate) struct Fixture {
    pub series: Series,
    pub images: HashMap<String, Vec<u8>>,
}

impl Fixture {
    /// An image (a PNG header with `seed` in its tail) stored under its real hash.
    fn image(&mut self, seed: &str, w: u32, h: u32) -> String {
        let bytes = png(w, h, seed.as_bytes());
        let hash = sha(&bytes);
        self.images.insert(hash.clone(), bytes);
        hash
    }

    fn version(&mut self, id: &str, frame: &str, kind: VersionKind) -> Version {
        let mut v = Version::sample(id, frame, None);
        v.series_id = self.series.id.clone();
        v.kind = kind;
        v.image.hash = self.image(id, 1024, 1280);
        v.image.bytes = self.images[&v.image.hash].len() as u64;
        v.request.prompt = format!("prompt of {id}");
        v.request_id = Some(format!("req_{id}"));
        v
    }
}

/// A 4-frame comic: each frame generated, frame 2 edited with a mask (the edit active), a
/// zh-Hans variant of frame 1, an entity with one reference image, and titles that need
/// slugging.
pub(crate) fn fixture(titles: &[&str]) -> Fixture {
    let mut n = 0;
    let series = Series::from_template(
        "Import me",
        Template::Comic,
        "gpt-image-2",
        1.0,
        move || {
            n += 1;
            n
        },
    );
    let mut fx = Fixture {
        series,
        images: HashMap::new(),
    };
    let ids: Vec<String> = fx.series.frames.iter().map(|f| f.id.clone()).collect();
    for (i, id) in ids.iter().enumerate() {
        if let Some(t) = titles.get(i) {
            fx.series.frame_mut(id).unwrap().title = t.to_string();
        }
        let v = fx.version(&format!("v{i}"), id, VersionKind::Generated);
        fx.series
            .apply(crate::model::action::Edit::result(id, vec![v]))
            .unwrap();
    }
    let mut edit = fx.version("v1e", &ids[1], VersionKind::Edited);
    edit.parent = Some("v1".into());
    edit.request.endpoint = "images/edits".into();
    edit.request.mask = Some(fx.image("mask", 1024, 1280));
    edit.instruction = Some("make the sky red".into());
    fx.series
        .apply(crate::model::action::Edit::result(&ids[1], vec![edit]))
        .unwrap();
    let mut zh = fx.version("v0zh", &ids[0], VersionKind::Localized);
    zh.parent = Some("v0".into());
    zh.locale = Some("zh-Hans".into());
    fx.series
        .apply(crate::model::action::Edit::result(&ids[0], vec![zh]))
        .unwrap();
    fx.series.frame_mut(&ids[0]).unwrap().active_version = Some("v0".into());
    fx.series
        .frame_mut(&ids[0])
        .unwrap()
        .locale_versions
        .insert("zh-Hans".into(), "v0zh".into());
    fx.series.locales = vec!["en".into(), "zh-Hans".into()];
    let reference = fx.image("mira", 512, 512);
    fx.series.bible.entities.push(Entity {
        id: "e-mira".into(),
        kind: EntityKind::Character,
        name: "Mira".into(),
        description: "a tall courier with a red scarf".into(),
        must_not_change: vec!["red scarf".into()],
        references: vec![RefImage {
            id: reference,
            name: "mira.png".into(),
            mime: "image/png".into(),
            width: 512,
            height: 512,
        }],
    });
    fx
}

/// The series exported as a ZIP, as the browser assembles it.
pub(crate) fn zip_of(fx: &Fixture, options: &ExportOptions) -> Vec<u8> {
    let export = build(&fx.series, options);
    let crcs: BTreeMap<String, ImageCrc> = fx
        .images
        .iter()
        .map(|(h, b)| {
            (
                h.clone(),
                ImageCrc {
                    bytes: b.len() as u64,
                    crc32: crc32(b),
                },
            )
        })
        .collect();
    let layout = export
        .zip_layout(&crcs, None, DosDateTime::from_unix_seconds(1_714_564_800))
        .unwrap();
    let parts = plan(&layout.entries).unwrap();
    let data: Vec<Vec<u8>> = layout
        .data
        .iter()
        .map(|d| match d {
            crate::export::manifest::ZipData::Bytes(b) => b.clone(),
            crate::export::manifest::ZipData::Image(h) => fx.images[h].clone(),
        })
        .collect();
    let slices: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
    assemble(&parts, &slices)
}

/// What the browser does with a file: unpack, hash, import with counting ids.
pub(crate) fn import_bytes(bytes: &[u8]) -> Result<Imported, ImportError> {
    let u = unpack(bytes)?;
    let read: Vec<ReadFile> = u.files.iter().map(|f| f.read_file(sha(&f.bytes))).collect();
    let mut n = 5000;
    import(&u.manifest_bytes, &read, 2.0, move || {
        n += 1;
        n
    })
}

fn manifest_value(fx: &Fixture) -> serde_json::Value {
    serde_json::to_value(&build(&fx.series, &ExportOptions::new(1.0)).manifest).unwrap()
}

fn refused(v: &serde_json::Value) -> String {
    parse_manifest(&serde_json::to_vec(v).unwrap())
        .unwrap_err()
        .to_string()
}

#[test]
fn export_import_zip_comes_back_as_a_new_series() {
    let fx = fixture(&["Hook!", "The offer", "", "Call to action"]);
    let zip = zip_of(&fx, &ExportOptions::new(1.0));
    let got = import_bytes(&zip).unwrap();
    let s = &got.series;
    assert_ne!(s.id, fx.series.id, "a fresh series id");
    assert_eq!(s.frames.len(), 4);
    for (a, b) in fx.series.frames.iter().zip(&s.frames) {
        assert_ne!(a.id, b.id, "fresh frame ids");
        assert_eq!(a.title, b.title);
        assert_eq!(a.prompt, b.prompt);
        let hash = |s: &Series, f: &crate::model::Frame| s.active(f).map(|v| v.image.hash.clone());
        assert_eq!(hash(&fx.series, a), hash(s, b), "same active image");
        assert_eq!(b.in_flight_since, None, "nothing queued");
    }
    assert_eq!(
        s.frame_order,
        s.frames.iter().map(|f| f.id.clone()).collect::<Vec<_>>()
    );
    // Active images, the locale variant, the reference and the mask; the edit's parent too
    // only with every version.
    assert!(got.store.len() >= 6, "{:?}", got.store);
    let zh = s.frames[0]
        .locale_versions
        .get("zh-Hans")
        .expect("variant kept");
    assert_eq!(s.version(zh).unwrap().locale.as_deref(), Some("zh-Hans"));
    let entity = &s.bible.entities[0];
    assert_ne!(entity.id, "e-mira");
    assert_eq!(entity.references.len(), 1);
    assert_eq!(s.locales, fx.series.locales);
    for f in &s.frames {
        for e in &f.shot.entities {
            assert!(
                s.bible.entities.iter().any(|x| &x.id == e),
                "entity {e} remapped"
            );
        }
    }
}

#[test]
fn export_import_every_version_keeps_the_tree() {
    let fx = fixture(&[]);
    let mut o = ExportOptions::new(1.0);
    o.all_versions = true;
    let got = import_bytes(&zip_of(&fx, &o)).unwrap();
    assert_eq!(got.series.versions.len(), fx.series.versions.len());
    let edit = got
        .series
        .versions
        .iter()
        .find(|v| v.kind == VersionKind::Edited)
        .unwrap();
    let parent = got.series.version(edit.parent.as_deref().unwrap()).unwrap();
    assert_eq!(parent.request.prompt, "prompt of v1");
    assert_eq!(edit.instruction.as_deref(), Some("make the sky red"));
    assert!(got.warnings.is_empty(), "{:?}", got.warnings);
}

#[test]
fn export_import_bare_manifest_keeps_text_and_drops_images_with_a_warning() {
    let fx = fixture(&[]);
    let bytes = build(&fx.series, &ExportOptions::new(1.0)).manifest_json();
    let got = import_bytes(&bytes).unwrap();
    assert_eq!(got.series.frames.len(), 4);
    assert!(got.series.versions.is_empty());
    assert!(got.store.is_empty());
    assert!(
        got.warnings.iter().any(|w| w.contains("not imported")),
        "{:?}",
        got.warnings
    );
}

#[test]
fn export_import_refuses_credential_fields_by_name() {
    let fx = fixture(&[]);
    for (field, at) in [
        ("api_key", "series.output"),
        ("Authorization", "frames[0]"),
        ("base_url", "series"),
        ("access_token", "versions[0].request"),
    ] {
        let mut v = manifest_value(&fx);
        let target = at
            .split('.')
            .fold(&mut v, |v, part| match part.split_once('[') {
                Some((k, i)) => &mut v[k][i.trim_end_matches(']').parse::<usize>().unwrap()],
                None => &mut v[part],
            });
        target[field] = "sk-proj-abcdefghijklmnopqrstuvwxyz".into();
        let msg = refused(&v);
        assert!(
            msg.contains(field) && msg.contains("never imports API keys"),
            "{msg}"
        );
        assert!(!msg.contains("sk-proj"), "the value is never echoed: {msg}");
    }
}

#[test]
fn export_import_refuses_unknown_missing_and_bad_fields() {
    let fx = fixture(&[]);
    let mut v = manifest_value(&fx);
    v["frames"][1]["colour"] = "red".into();
    let msg = refused(&v);
    assert!(
        msg.contains("“colour”") && msg.contains("frames[1]"),
        "{msg}"
    );

    let mut v = manifest_value(&fx);
    v["series"].as_object_mut().unwrap().remove("name");
    let msg = refused(&v);
    assert!(msg.contains("missing the field “name”"), "{msg}");

    let mut v = manifest_value(&fx);
    v["images"][0]["sha256"] = "abc".into();
    let msg = refused(&v);
    assert!(msg.contains("images[0].sha256"), "{msg}");

    let mut v = manifest_value(&fx);
    v["format"] = "something-else".into();
    assert!(refused(&v).contains("not a Continuity series manifest"));
}

#[test]
fn export_import_refuses_path_traversal_and_absolute_names() {
    let fx = fixture(&[]);
    for bad in [
        "../evil.png",
        "/etc/passwd.png",
        "C:\\x.png",
        "a/../../b.png",
    ] {
        let mut v = manifest_value(&fx);
        v["images"][0]["path"] = bad.into();
        let msg = refused(&v);
        assert!(msg.contains("images[0].path"), "{bad}: {msg}");
    }
}

#[test]
fn export_import_refuses_newer_schema_and_unknown_old_ones() {
    let fx = fixture(&[]);
    let mut v = manifest_value(&fx);
    v["schema_version"] = 99.into();
    let msg = refused(&v);
    assert!(
        msg.contains("newer version of Continuity (schema 99"),
        "{msg}"
    );
    v["schema_version"] = 0.into();
    let msg = refused(&v);
    assert!(msg.contains("schema 0"), "{msg}");
    v["schema_version"] = "1".into();
    assert!(refused(&v).contains("not a whole number"));
}

#[test]
fn export_import_refuses_oversized_deep_and_non_json_manifests() {
    let big = vec![b' '; limits::MAX_MANIFEST_BYTES + 1];
    let msg = parse_manifest(&big).unwrap_err().to_string();
    assert!(msg.contains("at most 8.0 MiB"), "{msg}");
    let deep = "[".repeat(100_000);
    let msg = parse_manifest(deep.as_bytes()).unwrap_err().to_string();
    assert!(msg.contains("more than 64 levels"), "{msg}");
    assert!(parse_manifest(b"\xff\xfe{}")
        .unwrap_err()
        .to_string()
        .contains("UTF-8"));
    let msg = parse_manifest(b"{\"format\": ").unwrap_err().to_string();
    assert!(msg.starts_with("The manifest is not valid JSON"), "{msg}");
    assert_eq!(parse_manifest(b"[1,2]"), Err(ImportError::NotAManifest));
    let long = "x".repeat(limits::MAX_STRING_BYTES + 1);
    let fx = fixture(&[]);
    let mut v = manifest_value(&fx);
    v["series"]["bible"]["setting"] = long.into();
    let msg = refused(&v);
    assert!(
        msg.contains("series.bible.setting") && msg.contains("at most"),
        "{msg}"
    );
}

#[test]
fn export_import_refuses_more_than_16_references_per_entity() {
    let fx = fixture(&[]);
    let mut v = manifest_value(&fx);
    let one = v["series"]["bible"]["entities"][0]["references"][0].clone();
    v["series"]["bible"]["entities"][0]["references"] = vec![one; 17].into();
    let msg = refused(&v);
    assert!(msg.contains("17") && msg.contains("16"), "{msg}");
}

#[test]
fn export_import_refuses_a_changed_image_and_svg_in_disguise() {
    let fx = fixture(&[]);
    let zip = zip_of(&fx, &ExportOptions::new(1.0));
    // Flip one byte of the first image's tail (after its 33-byte header, inside the archive).
    let u = unpack(&zip).unwrap();
    let first = &u.files[0];
    let at = zip
        .windows(first.bytes.len())
        .position(|w| w == first.bytes.as_slice())
        .unwrap();
    let mut changed = zip.clone();
    changed[at + first.bytes.len() - 1] ^= 0x20;
    // The stored CRC catches it first; a file changed with its CRC fixed is caught by the hash.
    let msg = import_bytes(&changed).unwrap_err().to_string();
    assert!(msg.contains("refused") || msg.contains("damaged"), "{msg}");
    let mut read: Vec<ReadFile> = u.files.iter().map(|f| f.read_file(sha(&f.bytes))).collect();
    read[0].sha256 = sha(b"other bytes");
    let msg = import(&u.manifest_bytes, &read, 0.0, || 1)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("is not the image the manifest names"), "{msg}");
    assert!(msg.contains(&first.path), "{msg}");

    let svg = check_image(b"<svg onload=\"fetch('//x')\"/>", FileRole::Active).unwrap_err();
    assert!(svg.contains("SVG or HTML"), "{svg}");
}

#[test]
fn export_import_refuses_archives_without_a_manifest_and_damaged_ones() {
    let only = crate::export::zip::write_to_vec(&[(
        crate::export::zip::EntryMeta::stored(
            "a.png",
            3,
            crc32(b"abc"),
            DosDateTime::from_unix_seconds(0),
        ),
        b"abc".as_slice(),
    )])
    .unwrap();
    assert_eq!(import_bytes(&only).unwrap_err(), ImportError::NoManifest);
    let fx = fixture(&[]);
    let zip = zip_of(&fx, &ExportOptions::new(1.0));
    let msg = import_bytes(&zip[..zip.len() / 2]).unwrap_err().to_string();
    assert!(msg.starts_with("The archive was refused"), "{msg}");
}

use crate::export::manifest::FileRole;

/// The smallest manifest a person could write by hand (the e2e import test uses it too).
const BARE: &[u8] = include_bytes!("../fixtures/bare_manifest.json");

#[test]
fn export_import_hand_written_bare_manifest() {
    let got = import_bytes(BARE).unwrap();
    assert_eq!(got.series.name, "From a manifest");
    assert_eq!(got.series.frames.len(), 1);
    assert_eq!(got.series.frames[0].prompt, "A lighthouse at dusk");
    assert_eq!(got.series.frames[0].hold_seconds, Some(2.5));
    assert!(got.series.versions.is_empty() && got.store.is_empty());
}
