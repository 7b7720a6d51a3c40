//! Fuzz-style properties of the ZIP reader: random and mutated archives never panic, and
//! whatever is extracted stays within the limits.

use super::tests::{raw_zip, read_all, Raw};
use super::*;
use proptest::prelude::*;

fn small_limits() -> ReadLimits {
    ReadLimits {
        max_entries: 8,
        max_entry_bytes: 4096,
        max_total_bytes: 8192,
        max_ratio: 50,
        max_name_bytes: 64,
    }
}

/// A valid archive from random entries, the seed for mutations.
fn archive() -> impl Strategy<Value = Vec<u8>> {
    let entry = (
        "[a-z0-9_/.]{1,12}",
        prop::collection::vec(any::<u8>(), 0..600),
        any::<bool>(),
        0u8..4,
    )
        .prop_map(|(name, mut data, deflate, rep)| {
            // Repetitive data too, so deflate has something to do.
            for _ in 0..rep {
                data.extend_from_within(..);
            }
            if deflate {
                Raw::deflated(&name, &data)
            } else {
                Raw::stored(&name, &data)
            }
        });
    prop::collection::vec(entry, 0..6).prop_map(|e| raw_zip(&e))
}

fn check_bounded(bytes: &[u8]) {
    let limits = small_limits();
    if let Ok(files) = read_all(bytes, &limits) {
        assert!(files.len() <= limits.max_entries);
        let total: usize = files.iter().map(|(_, b)| b.len()).sum();
        assert!(total as u64 <= limits.max_total_bytes);
        assert!(files
            .iter()
            .all(|(_, b)| b.len() as u64 <= limits.max_entry_bytes));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn export_zip_fuzz_random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        check_bounded(&bytes);
        let mut with_end = bytes.clone();
        with_end.extend_from_slice(b"PK\x05\x06\0\0\0\0\x01\0\x01\0\x2e\0\0\0\0\0\0\0\0\0");
        check_bounded(&with_end);
    }

    #[test]
    fn export_zip_fuzz_mutated_archives_never_panic(
        zip in archive(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        check_bounded(&zip);
        let mut m = zip.clone();
        if !m.is_empty() {
            for (i, v) in &flips {
                let at = i.index(m.len());
                m[at] = *v;
            }
        }
        check_bounded(&m);
        if !zip.is_empty() {
            check_bounded(&zip[..cut.index(zip.len())]);
        }
    }

    #[test]
    fn export_zip_fuzz_written_archives_read_back(
        files in prop::collection::btree_map("[a-z]{1,8}(/[a-z0-9]{1,8})?", prop::collection::vec(any::<u8>(), 0..300), 0..6),
    ) {
        let t = DosDateTime::MIN;
        let entries: Vec<(EntryMeta, &[u8])> = files
            .iter()
            .map(|(n, d)| (EntryMeta::stored(n.clone(), d.len() as u64, crate::export::crc32::crc32(d), t), d.as_slice()))
            .collect();
        let zip = write_to_vec(&entries).unwrap();
        let back = read_all(&zip, &ReadLimits::default()).unwrap();
        let want: Vec<(String, Vec<u8>)> = files.into_iter().collect();
        prop_assert_eq!(back, want);
    }
}
