//! ZIP round trips, foreign archives, and each refusal with its message.

use super::*;
use crate::export::crc32::crc32;
use crate::export::{assemble, parts_len, Part};

const PY_ZIP: &[u8] = include_bytes!("../fixtures/py_zipfile.zip");
const INFO_ZIP: &[u8] = include_bytes!("../fixtures/info_zip_9.zip");

fn fixture_manifest() -> Vec<u8> {
    br#"{"schema_version": 1, "frames": ["hook", "reveal", "cta"]}
"#
    .repeat(40)
}

fn fixture_png() -> Vec<u8> {
    (0..=255u8).collect::<Vec<u8>>().repeat(4)
}

fn t() -> DosDateTime {
    DosDateTime::from_unix_seconds(1_714_564_800)
}

/// A test-only writer that writes whatever it is told: bad names, lying sizes, odd flags.
#[derive(Clone, Debug)]
pub(super) struct Raw {
    pub name: Vec<u8>,
    pub method: u16,
    pub flags: u16,
    pub crc: u32,
    pub csize: u32,
    pub usize: u32,
    pub data: Vec<u8>,
    /// Central record points at another entry's local header.
    pub offset_of: Option<usize>,
}

impl Raw {
    pub fn stored(name: &str, data: &[u8]) -> Raw {
        Raw {
            name: name.as_bytes().to_vec(),
            method: 0,
            flags: 0x0800,
            crc: crc32(data),
            csize: data.len() as u32,
            usize: data.len() as u32,
            data: data.to_vec(),
            offset_of: None,
        }
    }

    pub fn deflated(name: &str, data: &[u8]) -> Raw {
        let packed = miniz_oxide::deflate::compress_to_vec(data, 6);
        Raw {
            method: 8,
            csize: packed.len() as u32,
            data: packed,
            ..Raw::stored(name, data)
        }
    }
}

pub(super) fn raw_zip(entries: &[Raw]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut offsets = Vec::new();
    for e in entries {
        offsets.push(out.len() as u32);
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        for v in [20u16, e.flags, e.method, 0, 0x21] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in [e.crc, e.csize, e.usize] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&e.name);
        out.extend_from_slice(&e.data);
    }
    let cd_start = out.len() as u32;
    for (i, e) in entries.iter().enumerate() {
        out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        for v in [20u16, 20, e.flags, e.method, 0, 0x21] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in [e.crc, e.csize, e.usize] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in [e.name.len() as u16, 0, 0, 0, 0] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&offsets[e.offset_of.unwrap_or(i)].to_le_bytes());
        out.extend_from_slice(&e.name);
    }
    let cd_len = out.len() as u32 - cd_start;
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    for v in [0u16, 0, entries.len() as u16, entries.len() as u16] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&cd_len.to_le_bytes());
    out.extend_from_slice(&cd_start.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// Opens and reads every entry; the first refusal.
pub(super) fn read_all(
    bytes: &[u8],
    limits: &ReadLimits,
) -> Result<Vec<(String, Vec<u8>)>, ZipReadError> {
    let mut z = ZipArchive::open(bytes, limits)?;
    let names: Vec<String> = z.entries().iter().map(|e| e.name.clone()).collect();
    names
        .into_iter()
        .enumerate()
        .map(|(i, n)| Ok((n, z.read(i)?)))
        .collect()
}

fn refusal(bytes: &[u8], limits: &ReadLimits) -> String {
    read_all(bytes, limits)
        .expect_err("must be refused")
        .to_string()
}

#[test]
fn export_zip_round_trip_from_parts() {
    let png = fixture_png();
    let jpeg: Vec<u8> = (0..5000u32).map(|i| (i * 31 % 251) as u8).collect();
    let (manifest_meta, manifest_data) = deflated_entry("manifest.json", &fixture_manifest(), t());
    assert_eq!(manifest_meta.method, Method::Deflated);
    let metas = vec![
        manifest_meta,
        EntryMeta::stored("01-hook.png", png.len() as u64, crc32(&png), t()),
        EntryMeta::stored("zh-Hans/02-开场.jpg", jpeg.len() as u64, crc32(&jpeg), t()),
        EntryMeta::stored("ar/03-عرض.jpg", 0, crc32(&[]), t()),
    ];
    let parts = plan(&metas).unwrap();
    // Header, data, header, data, …, trailer: the images are never inside the parts.
    assert_eq!(parts.len(), 9);
    assert_eq!(parts[1], Part::Data(0));
    assert_eq!(parts[3], Part::Data(1));
    let data: Vec<&[u8]> = vec![&manifest_data, &png, &jpeg, &[]];
    let lens: Vec<u64> = data.iter().map(|d| d.len() as u64).collect();
    let zip = assemble(&parts, &data);
    assert_eq!(parts_len(&parts, &lens), Some(zip.len() as u64));

    let mut a = ZipArchive::open(&zip, &ReadLimits::default()).unwrap();
    let names: Vec<&str> = a.entries().iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "manifest.json",
            "01-hook.png",
            "zh-Hans/02-开场.jpg",
            "ar/03-عرض.jpg"
        ]
    );
    for (e, m) in a.entries().iter().zip(&metas) {
        assert_eq!(e.crc32, m.crc32);
        assert_eq!(e.uncompressed_size, m.uncompressed_size);
        assert_eq!(e.modified, t());
    }
    assert_eq!(a.read(0).unwrap(), fixture_manifest());
    assert_eq!(a.read(1).unwrap(), png);
    assert_eq!(a.read_name("zh-Hans/02-开场.jpg").unwrap().unwrap(), jpeg);
    assert_eq!(a.read(3).unwrap(), Vec::<u8>::new());
}

#[test]
fn export_zip_deflated_entries_always_import() {
    // A long series of near-identical frames compresses far better than 200:1.
    let manifest = br#"{"frame": {"prompt": "a cup of tea on a marble table"}}"#.repeat(30_000);
    let (meta, data) = deflated_entry("manifest.json", &manifest, t());
    let ratio = manifest.len() / data.len();
    assert!(ratio > 200, "ratio {ratio}");
    let zip = write_to_vec(&[(meta, &data)]).unwrap();
    assert_eq!(
        read_all(&zip, &ReadLimits::default()).unwrap()[0].1,
        manifest
    );
    // One byte repeated goes past deflate's ceiling of import: stored instead.
    let zeros = vec![b'0'; 4 << 20];
    let (meta, _) = deflated_entry("zeros.json", &zeros, t());
    assert_eq!(meta.method, Method::Stored);
}

#[test]
fn export_zip_writer_bytes_follow_the_appnote_layout() {
    // The writer's bytes, field by field, for one small stored entry.
    let zip = write_to_vec(&[(EntryMeta::stored("a.txt", 2, crc32(b"hi"), t()), b"hi")]).unwrap();
    assert_eq!(&zip[0..4], b"PK\x03\x04");
    assert_eq!(u16::from_le_bytes([zip[6], zip[7]]) & 0x0800, 0x0800); // UTF-8 flag
    assert_eq!(&zip[30..35], b"a.txt");
    assert_eq!(&zip[35..37], b"hi");
    assert_eq!(&zip[37..41], b"PK\x01\x02");
    assert_eq!(&zip[zip.len() - 22..zip.len() - 18], b"PK\x05\x06");
    assert_eq!(zip.len(), 30 + 5 + 2 + 46 + 5 + 22);
}

#[test]
fn export_zip_writer_refuses_what_import_would_refuse() {
    let mut w = ZipWriter::new();
    let e = |n: &str| EntryMeta::stored(n, 0, 0, t());
    assert!(w.add(&e("ok.png")).is_ok());
    assert_eq!(
        w.add(&e("ok.png")).unwrap_err().to_string(),
        "“ok.png” is in the archive twice"
    );
    assert_eq!(
        w.add(&e("../x.png")).unwrap_err().to_string(),
        "cannot write “../x.png”: path goes up a folder (..)"
    );
    let big = EntryMeta::stored("big.png", 5 << 30, 0, t());
    assert!(w.add(&big).unwrap_err().to_string().contains("needs ZIP64"));
    let mut lie = e("lie.png");
    lie.compressed_size = 3;
    assert!(matches!(
        w.add(&lie),
        Err(ZipWriteError::StoredSizeMismatch(_))
    ));
    assert!(matches!(
        write_to_vec(&[(e("x"), b"abc")]),
        Err(ZipWriteError::DataLengthMismatch(_))
    ));
}

#[test]
fn export_zip_reads_python_zipfile_fixture() {
    let files = read_all(PY_ZIP, &ReadLimits::default()).unwrap();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "manifest.json",
            "01-hook.png",
            "zh-Hans/02-开场.txt",
            "empty.txt"
        ]
    );
    assert_eq!(files[0].1, fixture_manifest());
    assert_eq!(files[1].1, fixture_png());
    assert_eq!(
        String::from_utf8(files[2].1.clone()).unwrap(),
        "开场：新品上市 ٩٠٪ خصم\n"
    );
    assert!(files[3].1.is_empty());
    let a = ZipArchive::open(PY_ZIP, &ReadLimits::default()).unwrap();
    assert_eq!(a.entries()[0].method, Method::Deflated);
    assert_eq!(a.entries()[1].method, Method::Stored);
    assert_eq!(a.entries()[1].crc32, 0xb70b_4c26);
}

#[test]
fn export_zip_reads_info_zip_fixture() {
    let files = read_all(INFO_ZIP, &ReadLimits::default()).unwrap();
    let a = ZipArchive::open(INFO_ZIP, &ReadLimits::default()).unwrap();
    let dirs: Vec<&str> = a
        .entries()
        .iter()
        .filter(|e| e.is_dir)
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(dirs, ["series/", "series/ar/"]);
    let get = |n: &str| &files.iter().find(|(name, _)| name == n).unwrap().1;
    assert_eq!(get("series/manifest.json"), &fixture_manifest());
    assert_eq!(get("series/01-hook.png"), &fixture_png());
    // Info-ZIP writes UTF-8 names without flag bit 11; read as UTF-8.
    assert_eq!(get("series/ar/03-عرض.txt"), "عرض خاص ٥٠٪\n".as_bytes());
}

#[test]
fn export_zip_piecewise_reader_matches_in_memory_reader() {
    // The worker's path: tail, then directory, then header and data per entry.
    let len = PY_ZIP.len() as u64;
    let tail_start = len.saturating_sub(TAIL_LEN) as usize;
    let dir = find_central_directory(&PY_ZIP[tail_start..], len).unwrap();
    let cd = &PY_ZIP[dir.offset as usize..(dir.offset + dir.size) as usize];
    let entries = read_central_directory(cd, &dir, &ReadLimits::default()).unwrap();
    let mut budget = ExtractBudget::new(&ReadLimits::default());
    let e = &entries[0];
    let (h, hl) = e.local_header_range();
    let (d, dl) = e
        .data_range(&PY_ZIP[h as usize..(h + hl) as usize])
        .unwrap();
    let bytes = e
        .extract(&PY_ZIP[d as usize..(d + dl) as usize], &mut budget)
        .unwrap();
    assert_eq!(bytes, fixture_manifest());
    assert_eq!(budget.remaining(), (2 << 30) - 2360);
}

#[test]
fn export_zip_refuses_bomb_by_ratio() {
    let zeros = vec![0u8; 10 << 20];
    let zip = raw_zip(&[Raw::deflated("bomb.png", &zeros)]);
    let msg = refusal(&zip, &ReadLimits::default());
    assert!(msg.starts_with("“bomb.png” expands "), "{msg}");
    assert!(
        msg.ends_with(":1, more than 1000:1: refused as a zip bomb"),
        "{msg}"
    );
}

#[test]
fn export_zip_refuses_bomb_by_total() {
    let mb: Vec<u8> = (0..1u32 << 20).map(|i| (i % 253) as u8).collect();
    let entries: Vec<Raw> = (0..4)
        .map(|i| Raw::stored(&format!("{i}.png"), &mb))
        .collect();
    let limits = ReadLimits {
        max_total_bytes: 3 << 20,
        ..ReadLimits::default()
    };
    assert_eq!(
        refusal(&raw_zip(&entries), &limits),
        "the archive unpacks to 4.0 MiB; at most 3.0 MiB in total"
    );
}

#[test]
fn export_zip_refuses_entry_over_the_per_file_limit() {
    let limits = ReadLimits {
        max_entry_bytes: 1000,
        ..ReadLimits::default()
    };
    let zip = raw_zip(&[Raw::stored("big.png", &[7u8; 1001])]);
    assert_eq!(
        refusal(&zip, &limits),
        "“big.png” unpacks to 1001 bytes; at most 1000 bytes per file"
    );
}

#[test]
fn export_zip_refuses_declared_size_lies() {
    // Says 1,000 bytes, inflates to a megabyte: stopped at byte 1,001.
    let data: Vec<u8> = (0..1u32 << 20).map(|i| (i % 7) as u8).collect();
    let mut lie = Raw::deflated("lie.json", &data);
    lie.usize = 1000;
    assert_eq!(
        refusal(&raw_zip(&[lie]), &ReadLimits::default()),
        "“lie.json” holds more than the 1000 bytes it declares: refused as a zip bomb"
    );
    // Says more than it holds.
    let mut short = Raw::deflated("short.json", b"hello hello hello");
    short.usize = 40;
    assert_eq!(
        refusal(&raw_zip(&[short]), &ReadLimits::default()),
        "“short.json” holds 17 bytes but declares 40 bytes: the archive is damaged"
    );
}

#[test]
fn export_zip_refuses_too_many_entries() {
    let entries: Vec<Raw> = (0..4)
        .map(|i| Raw::stored(&format!("{i}.png"), b"x"))
        .collect();
    let limits = ReadLimits {
        max_entries: 3,
        ..ReadLimits::default()
    };
    assert_eq!(
        refusal(&raw_zip(&entries), &limits),
        "the archive holds 4 files; at most 3 are accepted"
    );
}

#[test]
fn export_zip_refuses_bad_names() {
    let cases = [
        (
            "../evil.png",
            "“../evil.png” is refused: path goes up a folder (..)",
        ),
        (
            "a/../../evil.png",
            "“a/../../evil.png” is refused: path goes up a folder (..)",
        ),
        (
            "/etc/passwd",
            "“/etc/passwd” is refused: absolute path (starts with /)",
        ),
        ("a\\b.png", "“a\\b.png” is refused: backslash in file name"),
        (
            "C:/x.png",
            "“C:/x.png” is refused: drive letter in file name",
        ),
    ];
    for (name, msg) in cases {
        let zip = raw_zip(&[Raw::stored(name, b"x")]);
        assert_eq!(refusal(&zip, &ReadLimits::default()), msg);
    }
    let mut latin1 = Raw::stored("x", b"x");
    latin1.name = b"caf\xe9.png".to_vec();
    assert_eq!(
        refusal(&raw_zip(&[latin1]), &ReadLimits::default()),
        "“caf\u{fffd}.png” is refused: file name is not UTF-8"
    );
    let dup = raw_zip(&[Raw::stored("a.png", b"1"), Raw::stored("a.png", b"2")]);
    assert_eq!(
        refusal(&dup, &ReadLimits::default()),
        "“a.png” appears twice in the archive"
    );
}

#[test]
fn export_zip_refuses_encrypted_and_unsupported_methods() {
    let mut enc = Raw::stored("secret.png", b"xxxx");
    enc.flags |= 1;
    assert_eq!(
        refusal(&raw_zip(&[enc]), &ReadLimits::default()),
        "“secret.png” is encrypted; password-protected archives are not supported"
    );
    let mut aes = Raw::stored("aes.png", b"xxxx");
    aes.method = 99;
    assert!(refusal(&raw_zip(&[aes]), &ReadLimits::default()).contains("is encrypted"));
    let mut bz = Raw::stored("b.png", b"xxxx");
    bz.method = 12;
    assert_eq!(
        refusal(&raw_zip(&[bz]), &ReadLimits::default()),
        "“b.png” uses compression method 12; only stored and deflated files can be read"
    );
}

#[test]
fn export_zip_refuses_overlapping_entries_and_damage() {
    let mut b = Raw::stored("b.png", b"same bytes");
    b.offset_of = Some(0);
    let zip = raw_zip(&[Raw::stored("a.png", b"same bytes"), b]);
    assert_eq!(
        refusal(&zip, &ReadLimits::default()),
        "“a.png” overlaps another file in the archive: refused as a zip bomb"
    );
    let mut bad_crc = raw_zip(&[Raw::stored("a.png", b"abcdef")]);
    bad_crc[31 + 4] ^= 1; // a data byte ("a.png" is 5 bytes at 30..35)
    assert_eq!(
        refusal(&bad_crc, &ReadLimits::default()),
        "“a.png” is damaged (checksum mismatch)"
    );
    assert_eq!(
        refusal(b"<!DOCTYPE html><p>not a zip", &ReadLimits::default()),
        "this file is not a ZIP archive"
    );
    let mut zip64 = raw_zip(&[Raw::stored("a.png", b"x")]);
    let n = zip64.len();
    zip64[n - 12..n - 10].copy_from_slice(&[0xFF, 0xFF]);
    zip64[n - 14..n - 12].copy_from_slice(&[0xFF, 0xFF]);
    assert_eq!(
        refusal(&zip64, &ReadLimits::default()),
        "ZIP64 archives (over 4 GiB or 65,535 files) are not supported"
    );
    let cut = raw_zip(&[Raw::stored("a.png", b"abcdef")]);
    assert!(refusal(&cut[10..], &ReadLimits::default()).starts_with("the archive is damaged"));
}
