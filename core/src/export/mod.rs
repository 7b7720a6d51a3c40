//! Pure writers and readers for what a series leaves as (and comes back from): ZIP archives,
//! the storyboard PDF, the animatic GIF, the contact sheet layout, and a list (CSV or pasted
//! lines) imported as frames.
//!
//! Nothing here touches a browser. The worker calls these functions and keeps the heavy bytes
//! (images) on its side as `Blob`s: the ZIP and PDF writers never see an image's bytes, they
//! return a list of [`Part`]s — bytes they made, interleaved with placeholders for the caller's
//! data — so an archive of many images is assembled as `new Blob(parts)` without every image
//! sitting in wasm memory at once.
//!
//! - [`crc32`]: CRC-32 for ZIP entries, fed piecewise.
//! - [`zip`]: ZIP writer (stored, optional deflate for small text) and a reader with hard limits.
//! - [`pdf`]: a small storyboard PDF writer with JPEG panels and standard-font text.
//! - [`gif`]: an animated GIF encoder (median-cut palette, ordered dithering, LZW).
//! - [`contact_sheet`]: the grid layout of a contact sheet (the canvas draws it).
//! - [`csv`]: a list as frames: RFC 4180 CSV or pasted lines, with `{variables}`.
//!
//! Dependencies: `miniz_oxide` only (inflate for ZIP import, deflate for the manifest entry);
//! CRC-32, LZW, quantisation, the CSV parser and the PDF writer are written here because each
//! is small and the crates that do them carry far more than we use.

pub mod contact_sheet;
pub mod crc32;
pub mod csv;
pub mod gif;
pub mod import;
pub mod list_frames;
pub mod manifest;
pub mod pdf;
pub mod rerun;
pub mod share;
pub mod zip;

/// One piece of an assembled file: bytes the writer made, or the caller's `i`-th data item
/// (an image the browser holds as a `Blob`) placed verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Bytes made by the writer (headers, directories, page streams…).
    Bytes(Vec<u8>),
    /// The caller's data item with this index, copied as it is.
    Data(usize),
}

/// Total length of `parts`, given each data item's length. `None` if an index has no length.
pub fn parts_len(parts: &[Part], data_lens: &[u64]) -> Option<u64> {
    parts.iter().try_fold(0u64, |acc, p| match p {
        Part::Bytes(b) => Some(acc + b.len() as u64),
        Part::Data(i) => data_lens.get(*i).map(|n| acc + n),
    })
}

/// Joins `parts` into one buffer with the caller's `data` (natively and in tests; the browser
/// builds a `Blob` from the same list instead). Panics if a data index is out of range, which
/// is a caller bug: the parts were planned from the same list.
pub fn assemble(parts: &[Part], data: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        match p {
            Part::Bytes(b) => out.extend_from_slice(b),
            Part::Data(i) => out.extend_from_slice(data[*i]),
        }
    }
    out
}
