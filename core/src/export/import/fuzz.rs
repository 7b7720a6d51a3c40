//! Fuzz-style: random and mutated manifests and archives never panic, never allocate beyond
//! the limits, and either import or are refused with a message (security notes §5.1).

use super::limits;
use super::tests::{fixture, import_bytes, zip_of};
use crate::export::manifest::{build, ExportOptions};
use proptest::prelude::*;

fn manifest_bytes() -> Vec<u8> {
    build(&fixture(&[]).series, &ExportOptions::new(1.0)).manifest_json()
}

fn zip_bytes() -> Vec<u8> {
    zip_of(&fixture(&[]), &ExportOptions::new(1.0))
}

/// Applies `edits` (position, byte) and cuts to `keep` bytes.
fn mutate(mut b: Vec<u8>, edits: &[(usize, u8)], keep: usize) -> Vec<u8> {
    for (at, byte) in edits {
        if !b.is_empty() {
            let i = at % b.len();
            b[i] = *byte;
        }
    }
    b.truncate(keep.max(1));
    b
}

fn no_panic(bytes: &[u8]) {
    match import_bytes(bytes) {
        Ok(got) => assert!(got.series.frames.len() <= limits::MAX_FRAMES),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn export_import_fuzz_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        no_panic(&bytes);
        let mut zipish = b"PK\x03\x04".to_vec();
        zipish.extend_from_slice(&bytes);
        no_panic(&zipish);
    }

    #[test]
    fn export_import_fuzz_mutated_manifest(
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        keep in any::<usize>(),
    ) {
        let m = manifest_bytes();
        let len = m.len();
        no_panic(&mutate(m, &edits, if keep % 4 == 0 { keep % len } else { len }));
    }

    #[test]
    fn export_import_fuzz_mutated_archive(
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..8),
        keep in any::<usize>(),
    ) {
        let z = zip_bytes();
        let len = z.len();
        no_panic(&mutate(z, &edits, if keep % 4 == 0 { keep % len } else { len }));
    }

    #[test]
    fn export_import_fuzz_mutated_json_values(
        path in 0usize..200,
        replacement in prop_oneof![
            Just(serde_json::Value::Null),
            any::<i64>().prop_map(serde_json::Value::from),
            "[^\u{0}]{0,40}".prop_map(serde_json::Value::from),
            Just(serde_json::json!([[[[[]]]]])),
            Just(serde_json::json!({"token": "x"})),
        ],
    ) {
        // Replaces the `path`-th value of the tree (depth first) with `replacement`.
        let mut v: serde_json::Value = serde_json::from_slice(&manifest_bytes()).unwrap();
        let mut n = 0;
        fn walk(v: &mut serde_json::Value, n: &mut usize, at: usize, r: &serde_json::Value) {
            if *n == at {
                *v = r.clone();
            }
            *n += 1;
            match v {
                serde_json::Value::Array(items) => items.iter_mut().for_each(|x| walk(x, n, at, r)),
                serde_json::Value::Object(map) => map.values_mut().for_each(|x| walk(x, n, at, r)),
                _ => {}
            }
        }
        walk(&mut v, &mut n, path, &replacement);
        no_panic(&serde_json::to_vec(&v).unwrap());
    }
}
