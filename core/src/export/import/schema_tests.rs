//! Manifest schemas: a schema-1 manifest (before per-frame animatic holds) is migrated and
//! imports; a newer schema is refused; schema 2's `hold_seconds` is required, checked and
//! carried into the frames.

use super::tests::{fixture, import_bytes, sha, zip_of};
use super::*;
use crate::export::manifest::ExportOptions;
use serde_json::Value;

/// The bare fixture (the smallest hand-written manifest, schema 2).
const BARE: &[u8] = include_bytes!("../fixtures/bare_manifest.json");

/// `manifest` as schema 1 wrote it: `schema_version` 1 and no `hold_seconds` in any frame.
fn as_schema_1(manifest: &[u8]) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(manifest).unwrap();
    v["schema_version"] = 1.into();
    for f in v["frames"].as_array_mut().unwrap() {
        f.as_object_mut().unwrap().remove("hold_seconds");
    }
    serde_json::to_vec_pretty(&v).unwrap()
}

fn edited(manifest: &[u8], edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(manifest).unwrap();
    edit(&mut v);
    serde_json::to_vec(&v).unwrap()
}

fn refusal(manifest: &[u8]) -> String {
    parse_manifest(manifest).unwrap_err().to_string()
}

#[test]
fn export_import_writes_schema_2_with_each_frames_hold() {
    let mut fx = fixture(&[]);
    fx.series.frames[1].hold_seconds = Some(3.5);
    let zip = zip_of(&fx, &ExportOptions::new(1.0));
    let u = unpack(&zip).unwrap();
    let v: Value = serde_json::from_slice(&u.manifest_bytes).unwrap();
    assert_eq!(v["schema_version"], 2);
    let holds: Vec<&Value> = v["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["hold_seconds"])
        .collect();
    // Written for every frame, `null` for the default.
    assert_eq!(
        holds,
        [&Value::Null, &3.5.into(), &Value::Null, &Value::Null]
    );
    let got = import_bytes(&zip).unwrap();
    let holds: Vec<Option<f64>> = got.series.frames.iter().map(|f| f.hold_seconds).collect();
    assert_eq!(holds, [None, Some(3.5), None, None]);
}

#[test]
fn export_import_migrates_a_schema_1_archive() {
    let fx = fixture(&["Hook", "Offer"]);
    let zip = zip_of(&fx, &ExportOptions::new(1.0));
    let u = unpack(&zip).unwrap();
    let old = as_schema_1(&u.manifest_bytes);
    assert!(!String::from_utf8_lossy(&old).contains("hold_seconds"));
    let m = parse_manifest(&old).unwrap();
    assert_eq!(m.schema_version, MANIFEST_SCHEMA_VERSION);
    assert!(m.frames.iter().all(|f| f.hold_seconds.is_none()));
    let read: Vec<ReadFile> = u.files.iter().map(|f| f.read_file(sha(&f.bytes))).collect();
    let got = import(&old, &read, 2.0, || 9).unwrap();
    assert_eq!(got.series.frames.len(), 4);
    assert_eq!(got.series.frames[0].title, "Hook");
    assert!(got.series.frames.iter().all(|f| f.hold_seconds.is_none()));
    assert_eq!(got.store.len(), read.len(), "every image comes along");
}

#[test]
fn export_import_migrates_the_bare_manifest_as_schema_1() {
    let got = import(&as_schema_1(BARE), &[], 2.0, || 9).unwrap();
    assert_eq!(got.series.frames[0].prompt, "A lighthouse at dusk");
    assert_eq!(got.series.frames[0].hold_seconds, None);
}

#[test]
fn export_import_refuses_schema_3() {
    let msg = refusal(&edited(BARE, |v| v["schema_version"] = 3.into()));
    assert!(
        msg.contains(
            "written by a newer version of Continuity (schema 3; this version reads up to 2)"
        ),
        "{msg}"
    );
}

#[test]
fn export_import_schema_2_requires_hold_seconds() {
    let msg = refusal(&edited(BARE, |v| {
        v["frames"][0]
            .as_object_mut()
            .unwrap()
            .remove("hold_seconds");
    }));
    assert_eq!(
        msg,
        "The manifest is missing the field “hold_seconds” (in frames[0])."
    );
    // `null` is the default and is fine.
    let m = parse_manifest(&edited(BARE, |v| {
        v["frames"][0]["hold_seconds"] = Value::Null
    }))
    .unwrap();
    assert_eq!(m.frames[0].hold_seconds, None);
}

#[test]
fn export_import_refuses_hold_times_out_of_range() {
    for bad in [Value::from(0.05), (-1.0).into(), 60.5.into(), 1e300.into()] {
        let msg = refusal(&edited(BARE, |v| {
            v["frames"][0]["hold_seconds"] = bad.clone()
        }));
        assert_eq!(
            msg,
            "The manifest's frames[0].hold_seconds is not valid: a frame's animatic time must be a number of seconds from 0.1 to 60, or null for the default.",
            "{bad}"
        );
    }
    let msg = refusal(&edited(BARE, |v| {
        v["frames"][0]["hold_seconds"] = "2".into()
    }));
    assert!(msg.contains("frames[0].hold_seconds"), "{msg}");
    for edge in [0.1, 60.0] {
        let m = parse_manifest(&edited(BARE, |v| {
            v["frames"][0]["hold_seconds"] = edge.into()
        }));
        assert_eq!(m.unwrap().frames[0].hold_seconds, Some(edge));
    }
}

#[test]
fn export_import_refuses_a_schema_1_manifest_that_has_schema_2_fields() {
    let msg = refusal(&edited(BARE, |v| v["schema_version"] = 1.into()));
    assert!(
        msg.starts_with(
            "This manifest (schema 1) could not be brought up to date: frames[0] has hold_seconds"
        ),
        "{msg}"
    );
}
