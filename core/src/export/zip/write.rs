//! The ZIP writer: entry descriptions in, header and trailer bytes out; the caller places each
//! entry's data (a `Blob` in the browser) right after its local header.

use super::names::{check_name, shown, DosDateTime, NameProblem};
use super::read::{DEFAULT_MAX_RATIO, RATIO_FLOOR};
use super::{human, Method, CENTRAL_SIG, END_SIG, FLAG_UTF8, LOCAL_SIG, MAX_U32_FIELD};
use crate::export::crc32::crc32;
use crate::export::Part;
use std::collections::HashSet;
use std::fmt;

/// Longest entry name the writer accepts; the reader's default limit is the same.
pub(crate) const MAX_NAME_BYTES: usize = 512;
/// Most entries without ZIP64 (0xFFFF means "see ZIP64").
const MAX_ENTRIES: usize = 0xFFFE;
/// Unix "made by" (high byte 3) and APPNOTE 6.3, so unzip applies the mode bits below.
const VERSION_MADE_BY: u16 = (3 << 8) | 63;
/// 2.0: needed for deflate; also fine for stored.
const VERSION_NEEDED: u16 = 20;
/// Regular file, rw-r--r--, in the high half of the external attributes.
const EXTERNAL_ATTRS: u32 = 0o100_644 << 16;

/// One entry as the writer needs it: everything but the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryMeta {
    /// Path inside the archive, "/"-separated, e.g. `zh-Hans/01-hook.png`.
    pub name: String,
    /// How the data is stored.
    pub method: Method,
    /// CRC-32 of the uncompressed bytes ([`crate::export::crc32::Crc32`]).
    pub crc32: u32,
    /// Length of the data as placed in the archive.
    pub compressed_size: u64,
    /// Length of the uncompressed bytes.
    pub uncompressed_size: u64,
    /// Modification time.
    pub modified: DosDateTime,
}

impl EntryMeta {
    /// A stored entry (an image): the data is placed as it is, `size` bytes.
    pub fn stored(name: impl Into<String>, size: u64, crc32: u32, modified: DosDateTime) -> Self {
        EntryMeta {
            name: name.into(),
            method: Method::Stored,
            crc32,
            compressed_size: size,
            uncompressed_size: size,
            modified,
        }
    }
}

/// Deflates a small text entry (the manifest) and describes it; returns the bytes to place.
/// Falls back to stored when deflate would not make it smaller, or would compress it so well
/// that import's zip-bomb check would refuse it.
pub fn deflated_entry(
    name: impl Into<String>,
    bytes: &[u8],
    modified: DosDateTime,
) -> (EntryMeta, Vec<u8>) {
    let name = name.into();
    let crc = crc32(bytes);
    // Level 6: miniz's default; 9 is slower for a few percent on JSON.
    let packed = miniz_oxide::deflate::compress_to_vec(bytes, 6);
    let n = bytes.len() as u64;
    // Never write what import would refuse as a bomb: store such an entry instead.
    let ratio_ok = n <= RATIO_FLOOR || n / (packed.len() as u64).max(1) <= DEFAULT_MAX_RATIO;
    if packed.len() < bytes.len() && ratio_ok {
        let meta = EntryMeta {
            name,
            method: Method::Deflated,
            crc32: crc,
            compressed_size: packed.len() as u64,
            uncompressed_size: bytes.len() as u64,
            modified,
        };
        (meta, packed)
    } else {
        (
            EntryMeta::stored(name, bytes.len() as u64, crc, modified),
            bytes.to_vec(),
        )
    }
}

/// Why an archive cannot be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZipWriteError {
    /// The name would be refused on import.
    BadName(String, NameProblem),
    /// Two entries with the same name.
    DuplicateName(String),
    /// A stored entry whose two sizes differ.
    StoredSizeMismatch(String),
    /// An entry, the archive or the entry count would need ZIP64.
    NeedsZip64(String),
    /// Data handed to [`write_to_vec`] whose length is not the entry's `compressed_size`.
    DataLengthMismatch(String),
}

impl fmt::Display for ZipWriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZipWriteError::BadName(n, p) => write!(f, "cannot write {}: {p}", shown(n)),
            ZipWriteError::DuplicateName(n) => write!(f, "{} is in the archive twice", shown(n)),
            ZipWriteError::StoredSizeMismatch(n) => {
                write!(f, "{}: a stored entry's two sizes must be equal", shown(n))
            }
            ZipWriteError::NeedsZip64(what) => write!(
                f,
                "{what} is over 4 GiB, which needs ZIP64 (not supported): export fewer or smaller images"
            ),
            ZipWriteError::DataLengthMismatch(n) => {
                write!(f, "{}: the data is not as long as its entry says", shown(n))
            }
        }
    }
}

impl std::error::Error for ZipWriteError {}

/// Builds an archive entry by entry. For each entry call [`ZipWriter::add`], emit the returned
/// header, then exactly `compressed_size` bytes of data; at the end emit [`ZipWriter::finish`].
#[derive(Debug, Default)]
pub struct ZipWriter {
    central: Vec<u8>,
    names: HashSet<String>,
    offset: u64,
    count: usize,
}

impl ZipWriter {
    /// An empty archive.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes emitted so far (headers and data), i.e. where the next header goes.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Checks `meta` and returns its local header; the data (`compressed_size` bytes) follows.
    pub fn add(&mut self, meta: &EntryMeta) -> Result<Vec<u8>, ZipWriteError> {
        let name = &meta.name;
        check_name(name, MAX_NAME_BYTES).map_err(|p| ZipWriteError::BadName(name.clone(), p))?;
        if self.names.contains(name) {
            return Err(ZipWriteError::DuplicateName(name.clone()));
        }
        if meta.method == Method::Stored && meta.compressed_size != meta.uncompressed_size {
            return Err(ZipWriteError::StoredSizeMismatch(name.clone()));
        }
        if meta.compressed_size > MAX_U32_FIELD || meta.uncompressed_size > MAX_U32_FIELD {
            return Err(ZipWriteError::NeedsZip64(format!(
                "{} ({})",
                shown(name),
                human(meta.uncompressed_size.max(meta.compressed_size))
            )));
        }
        if self.offset > MAX_U32_FIELD || self.count >= MAX_ENTRIES {
            return Err(ZipWriteError::NeedsZip64("the archive".into()));
        }
        let header_offset = self.offset as u32;
        let mut local = Vec::with_capacity(30 + name.len());
        put32(&mut local, LOCAL_SIG);
        put16(&mut local, VERSION_NEEDED);
        common(&mut local, meta);
        put16(&mut local, 0); // extra length
        local.extend_from_slice(name.as_bytes());

        put32(&mut self.central, CENTRAL_SIG);
        put16(&mut self.central, VERSION_MADE_BY);
        put16(&mut self.central, VERSION_NEEDED);
        common(&mut self.central, meta);
        put16(&mut self.central, 0); // extra length
        put16(&mut self.central, 0); // comment length
        put16(&mut self.central, 0); // disk number start
        put16(&mut self.central, 0); // internal attributes
        put32(&mut self.central, EXTERNAL_ATTRS);
        put32(&mut self.central, header_offset);
        self.central.extend_from_slice(name.as_bytes());

        self.names.insert(name.clone());
        self.count += 1;
        self.offset += local.len() as u64 + meta.compressed_size;
        Ok(local)
    }

    /// The central directory and end record: the last bytes of the archive.
    pub fn finish(self) -> Result<Vec<u8>, ZipWriteError> {
        let cd_size = self.central.len() as u64;
        if self.offset > MAX_U32_FIELD || self.offset + cd_size > MAX_U32_FIELD {
            return Err(ZipWriteError::NeedsZip64("the archive".into()));
        }
        let mut out = self.central;
        put32(&mut out, END_SIG);
        put16(&mut out, 0); // this disk
        put16(&mut out, 0); // disk with the central directory
        put16(&mut out, self.count as u16);
        put16(&mut out, self.count as u16);
        put32(&mut out, cd_size as u32);
        put32(&mut out, self.offset as u32);
        put16(&mut out, 0); // comment length
        Ok(out)
    }
}

/// The whole archive as parts: for entry `i`, its header bytes then `Part::Data(i)`; then the
/// central directory. The browser turns it into `new Blob([...])` with its image `Blob`s.
pub fn plan(entries: &[EntryMeta]) -> Result<Vec<Part>, ZipWriteError> {
    let mut w = ZipWriter::new();
    let mut parts = Vec::with_capacity(entries.len() * 2 + 1);
    for (i, e) in entries.iter().enumerate() {
        parts.push(Part::Bytes(w.add(e)?));
        parts.push(Part::Data(i));
    }
    parts.push(Part::Bytes(w.finish()?));
    Ok(parts)
}

/// A whole archive in memory (tests, small exports): each entry with its data as placed.
pub fn write_to_vec(entries: &[(EntryMeta, &[u8])]) -> Result<Vec<u8>, ZipWriteError> {
    if let Some((m, _)) = entries
        .iter()
        .find(|(m, d)| d.len() as u64 != m.compressed_size)
    {
        return Err(ZipWriteError::DataLengthMismatch(m.name.clone()));
    }
    let metas: Vec<EntryMeta> = entries.iter().map(|(m, _)| m.clone()).collect();
    let data: Vec<&[u8]> = entries.iter().map(|(_, d)| *d).collect();
    Ok(crate::export::assemble(&plan(&metas)?, &data))
}

/// The fields local header and central record share, from the flags to the name length.
fn common(out: &mut Vec<u8>, meta: &EntryMeta) {
    put16(out, FLAG_UTF8);
    put16(out, meta.method.code());
    put16(out, meta.modified.time);
    put16(out, meta.modified.date);
    put32(out, meta.crc32);
    put32(out, meta.compressed_size as u32);
    put32(out, meta.uncompressed_size as u32);
    put16(out, meta.name.len() as u16);
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}
