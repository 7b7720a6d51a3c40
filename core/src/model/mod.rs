//! The model: a series, its frames, and the versions (images) made for them.
//!
//! Plain data with plain methods, tested natively. It is stored as separate records — the
//! series record ([`Series`] without its frames and versions), one [`Frame`] record per frame
//! and one [`Version`] record per image — so an edit writes only what it touched. Image bytes
//! are never here: a [`version::ImageRef`] names a `Blob` stored by content hash.

pub mod action;
pub mod bible;
pub mod derived;
pub mod frame;
pub mod ledger;
pub mod records;
pub mod series;
pub mod shot;
pub mod size;
pub mod summary;
pub mod template;
pub mod tree;
pub mod v1;
pub mod version;

pub use frame::{Frame, FrameError, InFlightJob};
pub use ledger::LedgerEntry;
pub use series::{Anchor, OutputSettings, Series};
pub use summary::SeriesSummary;
pub use version::{ImageRef, SentRequest, Version, VersionKind};

/// Version of the stored format. 1: one JSON record per series with its takes inside
/// ([`v1`]); 2: separate series, frame and version records, images by content hash.
pub const SCHEMA_VERSION: u32 = 2;

/// Makes an id like `s_1f3a…` from a prefix and 64 random bits (the caller supplies the
/// randomness so this stays pure).
pub fn make_id(prefix: &str, random: u64) -> String {
    format!("{prefix}_{random:016x}")
}

/// The longest series name we keep (names show in lists and file names).
pub const MAX_NAME_CHARS: usize = 120;

/// Trims, drops control and bidi-override characters, caps the length; `None` if nothing is left.
pub fn clean_name(name: &str) -> Option<String> {
    let cleaned: String = name
        .chars()
        .filter(|c| {
            !c.is_control()
                && !('\u{202A}'..='\u{202E}').contains(c)
                && !('\u{2066}'..='\u{2069}').contains(c)
        })
        .take(MAX_NAME_CHARS)
        .collect();
    let cleaned = cleaned.trim();
    (!cleaned.is_empty()).then(|| cleaned.to_string())
}
