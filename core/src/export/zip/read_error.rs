//! Why an import archive is refused: each variant's `Display` is the message the user sees.

use super::human;
use super::names::{shown, NameProblem};
use std::fmt;

/// Why an archive (or one entry) is refused. `Display` is the message shown to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZipReadError {
    /// No end-of-central-directory record: not a ZIP.
    NotZip,
    /// Structures point outside the file or are cut short.
    Damaged(String),
    /// The archive uses ZIP64.
    Zip64,
    /// A split archive.
    MultiDisk,
    /// More entries than allowed.
    TooManyEntries {
        /// Entries in the archive.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A name that could escape the import folder or is unreadable.
    BadName(String, NameProblem),
    /// Two entries with one name.
    DuplicateName(String),
    /// Encrypted entry.
    Encrypted(String),
    /// A compression method other than stored or deflated.
    UnsupportedMethod(String, u16),
    /// One entry over the per-entry limit.
    EntryTooLarge {
        /// Entry name.
        name: String,
        /// Declared uncompressed size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// All entries together over the total limit.
    TotalTooLarge {
        /// Uncompressed total.
        total: u64,
        /// The limit.
        max: u64,
    },
    /// Compression ratio above the limit.
    RatioTooHigh {
        /// Entry name.
        name: String,
        /// Its ratio, rounded down.
        ratio: u64,
        /// The limit.
        max: u64,
    },
    /// Inflating produced more than the declared size.
    MoreThanDeclared(String, u64),
    /// Inflating produced less than the declared size.
    FewerThanDeclared(String, u64, u64),
    /// CRC-32 mismatch.
    CrcMismatch(String),
    /// Two entries share bytes (the "overlapping files" zip bomb).
    Overlap(String),
}

impl fmt::Display for ZipReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ZipReadError::*;
        match self {
            NotZip => write!(f, "this file is not a ZIP archive"),
            Damaged(what) => write!(f, "the archive is damaged or cut short: {what}"),
            Zip64 => write!(
                f,
                "ZIP64 archives (over 4 GiB or 65,535 files) are not supported"
            ),
            MultiDisk => write!(f, "split (multi-part) archives are not supported"),
            TooManyEntries { count, max } => write!(
                f,
                "the archive holds {count} files; at most {max} are accepted"
            ),
            BadName(n, p) => write!(f, "{} is refused: {p}", shown(n)),
            DuplicateName(n) => write!(f, "{} appears twice in the archive", shown(n)),
            Encrypted(n) => write!(
                f,
                "{} is encrypted; password-protected archives are not supported",
                shown(n)
            ),
            UnsupportedMethod(n, m) => write!(
                f,
                "{} uses compression method {m}; only stored and deflated files can be read",
                shown(n)
            ),
            EntryTooLarge { name, size, max } => write!(
                f,
                "{} unpacks to {}; at most {} per file",
                shown(name),
                human(*size),
                human(*max)
            ),
            TotalTooLarge { total, max } => write!(
                f,
                "the archive unpacks to {}; at most {} in total",
                human(*total),
                human(*max)
            ),
            RatioTooHigh { name, ratio, max } => write!(
                f,
                "{} expands {ratio}:1, more than {max}:1: refused as a zip bomb",
                shown(name)
            ),
            MoreThanDeclared(n, d) => write!(
                f,
                "{} holds more than the {} it declares: refused as a zip bomb",
                shown(n),
                human(*d)
            ),
            FewerThanDeclared(n, d, a) => write!(
                f,
                "{} holds {} but declares {}: the archive is damaged",
                shown(n),
                human(*a),
                human(*d)
            ),
            CrcMismatch(n) => write!(f, "{} is damaged (checksum mismatch)", shown(n)),
            Overlap(n) => write!(
                f,
                "{} overlaps another file in the archive: refused as a zip bomb",
                shown(n)
            ),
        }
    }
}

impl std::error::Error for ZipReadError {}
