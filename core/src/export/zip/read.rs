//! The ZIP reader for import. Every size in an archive is attacker-controlled, so each limit is
//! checked twice: up front on the declared sizes, and again on the bytes actually produced
//! while inflating (output is capped at the declared size; one byte more is a refusal).
//!
//! Sans-I/O so the worker never loads a whole archive into wasm memory: it reads the file's
//! tail ([`TAIL_LEN`] bytes) for [`find_central_directory`], then the central directory for
//! [`read_central_directory`], then per entry its local header and data (slices of the `File`),
//! extracting one entry at a time. [`ZipArchive`] does the same over a buffer in memory.

use super::names::{check_name, shown, DosDateTime, NameProblem};
pub use super::read_error::ZipReadError;
use super::{
    Method, CENTRAL_LEN, CENTRAL_SIG, END_LEN, END_SIG, LOCAL_HEADER_LEN, LOCAL_SIG,
    ZIP64_LOCATOR_SIG,
};
use crate::export::crc32::crc32;
use std::collections::HashSet;

/// How many bytes from the end of the file [`find_central_directory`] wants: the end record,
/// the longest comment, and room to see a ZIP64 locator before it.
pub const TAIL_LEN: u64 = (END_LEN + 0xFFFF + 20) as u64;

/// Compression ratios are only judged for entries larger than this: a small file that
/// compresses 1000:1 (a run of zeros) is harmless.
pub(crate) const RATIO_FLOOR: u64 = 1 << 20;
/// Deflate cannot do better than about 1032:1, reached only by runs of one byte (the classic
/// bomb). A real manifest stays far below, but a long series of near-identical frames can
/// exceed 200:1 (measured: 289:1), so the limit sits just under deflate's ceiling; the size
/// caps are what really bound an import.
pub(crate) const DEFAULT_MAX_RATIO: u64 = 1000;

/// What an import accepts (defaults from the security notes, §1.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadLimits {
    /// Entries in the archive (folders included).
    pub max_entries: usize,
    /// Uncompressed bytes of one entry.
    pub max_entry_bytes: u64,
    /// Uncompressed bytes of all entries together (the caller lowers it to the free storage).
    pub max_total_bytes: u64,
    /// Uncompressed ÷ compressed, judged for entries over 1 MiB (default 1000; see
    /// `DEFAULT_MAX_RATIO`).
    pub max_ratio: u64,
    /// Bytes in one entry name.
    pub max_name_bytes: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_entries: 5_000,
            max_entry_bytes: 64 << 20,
            max_total_bytes: 2 << 30,
            max_ratio: DEFAULT_MAX_RATIO,
            max_name_bytes: super::write::MAX_NAME_BYTES,
        }
    }
}

/// Where the central directory is, from the end record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CentralDirectory {
    /// Byte offset of the first central record.
    pub offset: u64,
    /// Its length in bytes.
    pub size: u64,
    /// Number of entries the end record declares.
    pub entries: usize,
}

/// One entry as the central directory describes it, checked against the limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryInfo {
    /// Path in the archive (checked: relative, no `..`).
    pub name: String,
    /// Stored or deflated.
    pub method: Method,
    /// CRC-32 of the uncompressed bytes, as declared.
    pub crc32: u32,
    /// Bytes of data in the archive.
    pub compressed_size: u64,
    /// Declared uncompressed size (within the limits; extraction holds the entry to it).
    pub uncompressed_size: u64,
    /// Modification time.
    pub modified: DosDateTime,
    /// A folder entry (name ends in "/"); it has no data.
    pub is_dir: bool,
    /// Offset of its local header.
    pub header_offset: u64,
    /// Where the next entry (or the central directory) starts: the data must end before.
    bound: u64,
}

impl EntryInfo {
    /// The byte range `(offset, len)` of this entry's local header (fixed part and name) to
    /// pass to [`EntryInfo::data_range`].
    pub fn local_header_range(&self) -> (u64, u64) {
        (
            self.header_offset,
            LOCAL_HEADER_LEN + self.name.len() as u64,
        )
    }

    /// Checks the local header against the directory and returns the data's `(offset, len)`.
    pub fn data_range(&self, local_header: &[u8]) -> Result<(u64, u64), ZipReadError> {
        let mismatch = || ZipReadError::Damaged(format!("{}: local header", shown(&self.name)));
        let n = self.name.len();
        if local_header.len() < LOCAL_HEADER_LEN as usize + n
            || u32_at(local_header, 0) != LOCAL_SIG
        {
            return Err(mismatch());
        }
        let flags = u16_at(local_header, 6);
        if flags & 0x41 != 0 {
            return Err(ZipReadError::Encrypted(self.name.clone()));
        }
        if u16_at(local_header, 8) != self.method.code()
            || u16_at(local_header, 26) as usize != n
            || &local_header[30..30 + n] != self.name.as_bytes()
        {
            return Err(mismatch());
        }
        let extra = u16_at(local_header, 28) as u64;
        let start = self.header_offset + LOCAL_HEADER_LEN + n as u64 + extra;
        if start + self.compressed_size > self.bound {
            return Err(ZipReadError::Overlap(self.name.clone()));
        }
        Ok((start, self.compressed_size))
    }

    /// Decompresses this entry's `data` (exactly `compressed_size` bytes), charging `budget`.
    /// Never produces more than the declared size; checks the CRC.
    pub fn extract(
        &self,
        data: &[u8],
        budget: &mut ExtractBudget,
    ) -> Result<Vec<u8>, ZipReadError> {
        if data.len() as u64 != self.compressed_size {
            return Err(ZipReadError::Damaged(format!(
                "{}: data cut short",
                shown(&self.name)
            )));
        }
        let declared = self.uncompressed_size;
        if declared > budget.remaining {
            return Err(ZipReadError::TotalTooLarge {
                total: budget.max - budget.remaining + declared,
                max: budget.max,
            });
        }
        let out = match self.method {
            Method::Stored => data.to_vec(),
            Method::Deflated => inflate_capped(data, declared as usize).map_err(|e| match e {
                Inflate::TooMuch => ZipReadError::MoreThanDeclared(self.name.clone(), declared),
                Inflate::Bad => {
                    ZipReadError::Damaged(format!("{}: invalid deflate data", shown(&self.name)))
                }
            })?,
        };
        if (out.len() as u64) < declared {
            return Err(ZipReadError::FewerThanDeclared(
                self.name.clone(),
                declared,
                out.len() as u64,
            ));
        }
        if crc32(&out) != self.crc32 {
            return Err(ZipReadError::CrcMismatch(self.name.clone()));
        }
        budget.remaining -= out.len() as u64;
        Ok(out)
    }
}

enum Inflate {
    TooMuch,
    Bad,
}

/// Raw inflate producing at most `cap` bytes; a stream that wants to write more is refused.
fn inflate_capped(data: &[u8], cap: usize) -> Result<Vec<u8>, Inflate> {
    use miniz_oxide::inflate::{decompress_to_vec_with_limit, TINFLStatus};
    // miniz's vec helper cannot tell "done with an empty output" from "needs room" when
    // `cap` is 0, so probe with one byte of room.
    match decompress_to_vec_with_limit(data, cap.max(1)) {
        Ok(v) if v.len() <= cap => Ok(v),
        Ok(_) => Err(Inflate::TooMuch),
        Err(e) if e.status == TINFLStatus::HasMoreOutput => Err(Inflate::TooMuch),
        Err(_) => Err(Inflate::Bad),
    }
}

/// Uncompressed bytes still allowed for this import; shared by every extraction.
#[derive(Debug, Clone)]
pub struct ExtractBudget {
    remaining: u64,
    max: u64,
}

impl ExtractBudget {
    /// A budget of `limits.max_total_bytes`.
    pub fn new(limits: &ReadLimits) -> Self {
        ExtractBudget {
            remaining: limits.max_total_bytes,
            max: limits.max_total_bytes,
        }
    }

    /// Bytes still allowed.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }
}

/// Finds the end record in the file's last bytes (`tail`, up to [`TAIL_LEN`] of them) of a file
/// `archive_len` long, and returns where the central directory is.
pub fn find_central_directory(
    tail: &[u8],
    archive_len: u64,
) -> Result<CentralDirectory, ZipReadError> {
    let tail_start = archive_len
        .checked_sub(tail.len() as u64)
        .ok_or_else(|| ZipReadError::Damaged("tail longer than the file".into()))?;
    if tail.len() < END_LEN {
        return Err(ZipReadError::NotZip);
    }
    // The end record's comment must run exactly to the end of the file: that rules out
    // signature bytes that happen to sit inside a comment or image.
    let pos = (0..=tail.len() - END_LEN)
        .rev()
        .find(|&i| {
            u32_at(tail, i) == END_SIG && i + END_LEN + u16_at(tail, i + 20) as usize == tail.len()
        })
        .ok_or(ZipReadError::NotZip)?;
    let e = &tail[pos..];
    let (disk, cd_disk) = (u16_at(e, 4), u16_at(e, 6));
    let (here, total) = (u16_at(e, 8), u16_at(e, 10));
    let (size, offset) = (u32_at(e, 12) as u64, u32_at(e, 16) as u64);
    if pos >= 20 && u32_at(tail, pos - 20) == ZIP64_LOCATOR_SIG
        || total == 0xFFFF
        || size == 0xFFFF_FFFF
        || offset == 0xFFFF_FFFF
    {
        return Err(ZipReadError::Zip64);
    }
    if disk != 0 || cd_disk != 0 || here != total {
        return Err(ZipReadError::MultiDisk);
    }
    let end_at = tail_start + pos as u64;
    if offset + size > end_at {
        return Err(ZipReadError::Damaged(
            "the file directory points past the end".into(),
        ));
    }
    Ok(CentralDirectory {
        offset,
        size,
        entries: total as usize,
    })
}

/// Parses and checks the central directory (`cd`, the `dir.size` bytes at `dir.offset`):
/// names, duplicates, encryption, methods, declared sizes, ratios, totals and overlaps.
pub fn read_central_directory(
    cd: &[u8],
    dir: &CentralDirectory,
    limits: &ReadLimits,
) -> Result<Vec<EntryInfo>, ZipReadError> {
    if dir.entries > limits.max_entries {
        return Err(ZipReadError::TooManyEntries {
            count: dir.entries,
            max: limits.max_entries,
        });
    }
    if cd.len() as u64 != dir.size || cd.len() < dir.entries * CENTRAL_LEN {
        return Err(ZipReadError::Damaged("file directory cut short".into()));
    }
    let mut entries = Vec::with_capacity(dir.entries);
    let mut names = HashSet::with_capacity(dir.entries);
    let mut total: u64 = 0;
    let mut pos = 0usize;
    for _ in 0..dir.entries {
        let fixed = cd
            .get(pos..pos + CENTRAL_LEN)
            .filter(|r| u32_at(r, 0) == CENTRAL_SIG)
            .ok_or_else(|| ZipReadError::Damaged("file directory record".into()))?;
        let flags = u16_at(fixed, 8);
        let method = u16_at(fixed, 10);
        let (time, date) = (u16_at(fixed, 12), u16_at(fixed, 14));
        let crc = u32_at(fixed, 16);
        let csize = u32_at(fixed, 20) as u64;
        let usize_ = u32_at(fixed, 24) as u64;
        let (n, m, k) = (
            u16_at(fixed, 28) as usize,
            u16_at(fixed, 30) as usize,
            u16_at(fixed, 32) as usize,
        );
        let disk = u16_at(fixed, 34);
        let header_offset = u32_at(fixed, 42) as u64;
        let raw_name = cd
            .get(pos + CENTRAL_LEN..pos + CENTRAL_LEN + n)
            .ok_or_else(|| ZipReadError::Damaged("file name".into()))?;
        pos += CENTRAL_LEN + n + m + k;
        if pos > cd.len() {
            return Err(ZipReadError::Damaged("file directory record".into()));
        }
        // Names are UTF-8 whether or not flag bit 11 says so (macOS writes UTF-8 without
        // it); anything else (old DOS code pages) is refused rather than guessed.
        let name = std::str::from_utf8(raw_name)
            .map_err(|_| {
                ZipReadError::BadName(
                    String::from_utf8_lossy(raw_name).into_owned(),
                    NameProblem::NotUtf8,
                )
            })?
            .to_owned();
        check_name(&name, limits.max_name_bytes)
            .map_err(|p| ZipReadError::BadName(name.clone(), p))?;
        if !names.insert(name.clone()) {
            return Err(ZipReadError::DuplicateName(name));
        }
        // Bit 0: encrypted; bit 6: strong encryption; method 99: AES.
        if flags & 0x41 != 0 || method == 99 {
            return Err(ZipReadError::Encrypted(name));
        }
        let method = match method {
            0 => Method::Stored,
            8 => Method::Deflated,
            other => return Err(ZipReadError::UnsupportedMethod(name, other)),
        };
        if csize == 0xFFFF_FFFF || usize_ == 0xFFFF_FFFF || header_offset == 0xFFFF_FFFF {
            return Err(ZipReadError::Zip64);
        }
        if disk != 0 {
            return Err(ZipReadError::MultiDisk);
        }
        let is_dir = name.ends_with('/');
        if (method == Method::Stored && csize != usize_) || (is_dir && usize_ != 0) {
            return Err(ZipReadError::Damaged(format!(
                "{}: sizes disagree",
                shown(&name)
            )));
        }
        if usize_ > limits.max_entry_bytes {
            return Err(ZipReadError::EntryTooLarge {
                name,
                size: usize_,
                max: limits.max_entry_bytes,
            });
        }
        if usize_ > RATIO_FLOOR && usize_ / csize.max(1) > limits.max_ratio {
            return Err(ZipReadError::RatioTooHigh {
                name,
                ratio: usize_ / csize.max(1),
                max: limits.max_ratio,
            });
        }
        total += usize_;
        if total > limits.max_total_bytes {
            return Err(ZipReadError::TotalTooLarge {
                total: sum_declared(cd, pos, total, dir.entries - entries.len() - 1),
                max: limits.max_total_bytes,
            });
        }
        entries.push(EntryInfo {
            name,
            method,
            crc32: crc,
            compressed_size: csize,
            uncompressed_size: usize_,
            modified: DosDateTime { date, time },
            is_dir,
            header_offset,
            bound: 0,
        });
    }
    check_overlaps(&mut entries, dir.offset)?;
    Ok(entries)
}

/// The declared total for the message: what is counted so far plus the sizes of the records
/// not parsed yet (best effort; stops at the first malformed record).
fn sum_declared(cd: &[u8], mut pos: usize, mut total: u64, rest: usize) -> u64 {
    for _ in 0..rest {
        let Some(r) = cd.get(pos..pos + CENTRAL_LEN) else {
            break;
        };
        total = total.saturating_add(u32_at(r, 24) as u64);
        pos +=
            CENTRAL_LEN + u16_at(r, 28) as usize + u16_at(r, 30) as usize + u16_at(r, 32) as usize;
    }
    total
}

/// Each entry's header and data must end before the next entry's header (and the last before
/// the central directory); sets each entry's bound for [`EntryInfo::data_range`].
fn check_overlaps(entries: &mut [EntryInfo], cd_offset: u64) -> Result<(), ZipReadError> {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by_key(|&i| entries[i].header_offset);
    for (k, &i) in order.iter().enumerate() {
        let bound = order
            .get(k + 1)
            .map_or(cd_offset, |&j| entries[j].header_offset);
        let e = &mut entries[i];
        let min_end = e.header_offset + LOCAL_HEADER_LEN + e.name.len() as u64 + e.compressed_size;
        if min_end > bound {
            return Err(ZipReadError::Overlap(e.name.clone()));
        }
        e.bound = bound;
    }
    Ok(())
}

/// A whole archive in memory, read with the same checks as the piecewise path.
#[derive(Debug)]
pub struct ZipArchive<'a> {
    bytes: &'a [u8],
    entries: Vec<EntryInfo>,
    budget: ExtractBudget,
}

impl<'a> ZipArchive<'a> {
    /// Reads and checks the directory of `bytes`.
    pub fn open(bytes: &'a [u8], limits: &ReadLimits) -> Result<Self, ZipReadError> {
        let len = bytes.len() as u64;
        let tail = &bytes[bytes.len().saturating_sub(TAIL_LEN as usize)..];
        let dir = find_central_directory(tail, len)?;
        let cd = slice(bytes, dir.offset, dir.size)
            .ok_or_else(|| ZipReadError::Damaged("file directory".into()))?;
        let entries = read_central_directory(cd, &dir, limits)?;
        Ok(ZipArchive {
            bytes,
            entries,
            budget: ExtractBudget::new(limits),
        })
    }

    /// The checked entries, in directory order.
    pub fn entries(&self) -> &[EntryInfo] {
        &self.entries
    }

    /// Extracts entry `index` (a folder gives no bytes). Panics if `index` is out of range.
    pub fn read(&mut self, index: usize) -> Result<Vec<u8>, ZipReadError> {
        let e = &self.entries[index];
        let (at, len) = e.local_header_range();
        let header = slice(self.bytes, at, len)
            .ok_or_else(|| ZipReadError::Damaged(format!("{}: local header", shown(&e.name))))?;
        let (start, len) = e.data_range(header)?;
        let data = slice(self.bytes, start, len)
            .ok_or_else(|| ZipReadError::Damaged(format!("{}: data cut short", shown(&e.name))))?;
        e.extract(data, &mut self.budget)
    }

    /// Extracts the entry called `name`, if there is one.
    pub fn read_name(&mut self, name: &str) -> Option<Result<Vec<u8>, ZipReadError>> {
        let i = self.entries.iter().position(|e| e.name == name)?;
        Some(self.read(i))
    }
}

fn slice(bytes: &[u8], at: u64, len: u64) -> Option<&[u8]> {
    let start = usize::try_from(at).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    bytes.get(start..end)
}

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}
