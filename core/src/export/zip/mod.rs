//! ZIP archives: a writer that plans an archive from entry descriptions (the data stays with the
//! caller) and a reader for import that refuses anything outside hard limits.
//!
//! Only what Continuity needs: no ZIP64, no encryption, methods stored (0) and deflated (8),
//! names in UTF-8 (flag bit 11). Images are stored as they are — PNG, JPEG and WebP are
//! already compressed and recompressing them costs time for nothing.
//!
//! Layout on disk, for reference (APPNOTE 6.3): per entry a local header (30 bytes + name)
//! then the data; then one central directory record per entry (46 bytes + name); then the end
//! of central directory record (22 bytes + comment).

pub(crate) mod names;
mod read;
mod read_error;
mod write;

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod tests;

pub use names::{check_name, DosDateTime, NameProblem};
pub use read::{
    find_central_directory, read_central_directory, CentralDirectory, EntryInfo, ExtractBudget,
    ReadLimits, ZipArchive, ZipReadError, TAIL_LEN,
};
pub use write::{deflated_entry, plan, write_to_vec, EntryMeta, ZipWriteError, ZipWriter};

/// How an entry's data is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Bytes as they are (method 0). Always for images.
    Stored,
    /// Raw deflate (method 8). For small text entries such as the manifest.
    Deflated,
}

impl Method {
    fn code(self) -> u16 {
        match self {
            Method::Stored => 0,
            Method::Deflated => 8,
        }
    }
}

pub(crate) const LOCAL_SIG: u32 = 0x0403_4b50;
pub(crate) const CENTRAL_SIG: u32 = 0x0201_4b50;
pub(crate) const END_SIG: u32 = 0x0605_4b50;
pub(crate) const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
/// Fixed part of a local header.
pub const LOCAL_HEADER_LEN: u64 = 30;
pub(crate) const CENTRAL_LEN: usize = 46;
pub(crate) const END_LEN: usize = 22;
/// General purpose flag bit 11: the name is UTF-8.
pub(crate) const FLAG_UTF8: u16 = 0x0800;
/// The largest size or offset a plain (non-ZIP64) archive can hold; 0xFFFF_FFFF means "see
/// ZIP64" and is never written.
pub(crate) const MAX_U32_FIELD: u64 = 0xFFFF_FFFE;

/// A human size for messages: "12 bytes", "3.4 KiB", "64.0 MiB", "2.0 GiB".
pub(crate) fn human(n: u64) -> String {
    const K: f64 = 1024.0;
    let f = n as f64;
    if n < 1024 {
        format!("{n} bytes")
    } else if f < K * K {
        format!("{:.1} KiB", f / K)
    } else if f < K * K * K {
        format!("{:.1} MiB", f / (K * K))
    } else {
        format!("{:.1} GiB", f / (K * K * K))
    }
}
