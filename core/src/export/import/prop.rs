//! The manifest round trip as a property: any series of the shapes users make (titles and
//! prompts in any script, animatic hold times or none, any number of frames, every version or
//! only the active ones) goes
//! out as a ZIP and comes back as an equal model — equal up to the fresh ids an import gives.

use super::tests::{fixture, import_bytes, zip_of};
use crate::export::manifest::{build, ExportOptions};
use crate::model::Series;
use proptest::prelude::*;

/// What must survive, with ids replaced by positions and image hashes kept.
fn shape(s: &Series) -> serde_json::Value {
    let frame_at = |id: &str| s.frames.iter().position(|f| f.id == id);
    let version_hash = |id: &str| s.version(id).map(|v| v.image.hash.clone());
    let mut versions: Vec<serde_json::Value> = s
        .versions
        .iter()
        .map(|v| {
            serde_json::json!({
                "frame": frame_at(&v.frame_id),
                "parent": v.parent.as_deref().and_then(version_hash),
                "kind": format!("{:?}", v.kind),
                "hash": v.image.hash,
                "request": serde_json::to_value(&v.request).unwrap(),
                "cost": v.cost_usd,
                "request_id": v.request_id,
                "instruction": v.instruction,
                "locale": v.locale,
            })
        })
        .collect();
    versions.sort_by_key(|v| v.to_string());
    serde_json::json!({
        "name": s.name,
        "locales": s.locales,
        "output": serde_json::to_value(&s.output).unwrap(),
        "frames": s.frames.iter().map(|f| serde_json::json!({
            "title": f.title,
            "prompt": f.prompt,
            "shot_size": f.shot.shot_size,
            "texts": serde_json::to_value(&f.shot.texts).unwrap(),
            "entities": f.shot.entities.len(),
            "active": s.active(f).map(|v| v.image.hash.clone()),
            "hold": f.hold_seconds,
            "locales": f.locale_versions.values().filter_map(|id| version_hash(id)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "entities": s.bible.entities.iter().map(|e| serde_json::json!({
            "name": e.name, "description": e.description,
            "references": e.references.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "versions": versions,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn export_import_round_trip_keeps_the_model(
        titles in prop::collection::vec("[a-zA-Z0-9 !é开ع\u{1F600}-]{0,24}", 4),
        prompts in prop::collection::vec("[^\u{0}-\u{1f}]{0,80}", 4),
        // Hold times as people type them (hundredths of a second), or the default.
        holds in prop::collection::vec(prop::option::of(10u32..=6000), 4),
        extra in 0usize..5,
        all_versions in any::<bool>(),
    ) {
        let refs: Vec<&str> = titles.iter().map(String::as_str).collect();
        let mut fx = fixture(&refs);
        for k in 0..extra {
            fx.series.add_frame(None, 77 + k as u64);
        }
        for ((f, p), h) in fx.series.frames.iter_mut().zip(&prompts).zip(&holds) {
            f.prompt = p.clone();
            f.hold_seconds = h.map(|cs| f64::from(cs) / 100.0);
        }
        let mut o = ExportOptions::new(1.0);
        o.all_versions = all_versions;
        let got = import_bytes(&zip_of(&fx, &o)).unwrap();
        let mut expected = fx.series.clone();
        if !all_versions {
            // Without every version, only versions whose image is in the archive come back.
            let e = build(&fx.series, &o);
            expected.versions.retain(|v| e.files.iter().any(|f| f.hash == v.image.hash));
        }
        let (mut a, b) = (shape(&expected), shape(&got.series));
        if !all_versions {
            // A dropped parent is replaced by its nearest kept ancestor, or none.
            for v in a["versions"].as_array_mut().unwrap() {
                let p = v["parent"].as_str().map(str::to_string);
                if p.is_some_and(|h| !expected.versions.iter().any(|x| x.image.hash == h)) {
                    v["parent"] = serde_json::Value::Null;
                }
            }
        }
        prop_assert_eq!(a, b);
    }
}
