//! The animatic: an animated GIF89a that loops forever, one image per frame with its own delay.
//!
//! Streaming, so the worker holds one decoded frame at a time: build a palette from the frames
//! with [`PaletteBuilder`] (a first pass; or use per-frame palettes and skip it), then
//! [`GifEncoder::new`] for the header, [`GifEncoder::frame`] per frame, [`GifEncoder::finish`]
//! for the trailer; concatenate the chunks (or hand them to a `Blob`).
//!
//! Frames are full-size, opaque (alpha is ignored) and all the same size. Delays are in
//! centiseconds; browsers play delays of 0 or 1 as 10, so anything below 2 is written as 2.

mod lzw;
mod quantize;

#[cfg(test)]
mod tests;

pub use quantize::{Palette, PaletteBuilder};
use std::fmt;

/// Where colours come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaletteMode {
    /// One palette for every frame, built beforehand from all of them (smaller file, no
    /// colour flicker between frames).
    Global(Palette),
    /// Each frame gets its own palette (best colour per frame; one pass over the frames).
    PerFrame,
}

/// Encoder settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GifOptions {
    /// Width in pixels (1–65,535).
    pub width: u16,
    /// Height in pixels (1–65,535).
    pub height: u16,
    /// Global or per-frame palette.
    pub palette: PaletteMode,
    /// Colours per per-frame palette (2–256).
    pub colors: usize,
    /// Ordered (Bayer 8×8) dithering: smooth gradients instead of bands, a larger file.
    pub dither: bool,
}

/// Frame delays: one default and per-frame overrides, in centiseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timing {
    /// Delay of a frame without an override.
    pub default_cs: u16,
    /// `per_frame[i]`, when set, is frame `i`'s delay.
    pub per_frame: Vec<Option<u16>>,
}

impl Timing {
    /// Frame `i`'s delay as written (at least 2 cs; see the module notes).
    pub fn delay(&self, i: usize) -> u16 {
        self.per_frame
            .get(i)
            .copied()
            .flatten()
            .unwrap_or(self.default_cs)
            .max(2)
    }
}

/// A frame's GIF delay in centiseconds: its own hold time (`hold_seconds`, e.g.
/// [`crate::model::Frame::hold_seconds`]) or else `default_seconds`, rounded to the nearest
/// centisecond and clamped to 2..=6000 (0.02–60 s: browsers play 0 or 1 as 10, and the
/// animatic never holds a frame longer than a minute). A value that is not a number counts as
/// unset; a NaN default counts as the shortest delay.
pub fn delay_cs(hold_seconds: Option<f64>, default_seconds: f64) -> u16 {
    let seconds = hold_seconds
        .filter(|s| s.is_finite())
        .unwrap_or(default_seconds);
    // `as` saturates and turns NaN into 0; the clamp does the rest.
    ((seconds * 100.0).round() as i64).clamp(2, 6000) as u16
}

/// How long an animatic of frames with these hold times plays, in seconds: the sum of their
/// [`delay_cs`] (so the figure shown is what the GIF will do).
pub fn total_seconds(holds: impl IntoIterator<Item = Option<f64>>, default_seconds: f64) -> f64 {
    let cs: u64 = holds
        .into_iter()
        .map(|h| u64::from(delay_cs(h, default_seconds)))
        .sum();
    cs as f64 / 100.0
}

/// Why a GIF cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GifError {
    /// Width or height is 0.
    EmptySize,
    /// A frame buffer is not width × height × 4 bytes.
    WrongFrameSize {
        /// Bytes expected.
        expected: u64,
        /// Bytes given.
        got: u64,
    },
}

impl fmt::Display for GifError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GifError::EmptySize => write!(f, "the animation has no pixels (width or height 0)"),
            GifError::WrongFrameSize { expected, got } => write!(
                f,
                "a frame has {got} bytes of pixels; every frame must be the same size ({expected} bytes)"
            ),
        }
    }
}

impl std::error::Error for GifError {}

/// Writes a GIF chunk by chunk.
#[derive(Debug)]
pub struct GifEncoder {
    options: GifOptions,
}

impl GifEncoder {
    /// The encoder and the first bytes: header, screen descriptor, global colour table (if
    /// any) and the NETSCAPE2.0 block that makes it loop forever.
    pub fn new(options: GifOptions) -> Result<(Self, Vec<u8>), GifError> {
        if options.width == 0 || options.height == 0 {
            return Err(GifError::EmptySize);
        }
        let mut out = Vec::with_capacity(1024);
        out.extend_from_slice(b"GIF89a");
        out.extend_from_slice(&options.width.to_le_bytes());
        out.extend_from_slice(&options.height.to_le_bytes());
        match &options.palette {
            PaletteMode::Global(p) => {
                // Global table present, 8-bit colour resolution, table size.
                out.push(0x80 | 0x70 | (p.table_bits() - 1));
                out.extend_from_slice(&[0, 0]); // background index, aspect ratio
                out.extend_from_slice(&p.table());
            }
            PaletteMode::PerFrame => out.extend_from_slice(&[0x70, 0, 0]),
        }
        // Application extension: loop count 0 = forever.
        out.extend_from_slice(b"\x21\xFF\x0BNETSCAPE2.0\x03\x01\x00\x00\x00");
        Ok((GifEncoder { options }, out))
    }

    /// One frame (RGBA, width × height × 4 bytes) shown for `delay_cs` centiseconds.
    pub fn frame(&mut self, rgba: &[u8], delay_cs: u16) -> Result<Vec<u8>, GifError> {
        let (w, h) = (self.options.width, self.options.height);
        // In u64: 65,535² × 4 overflows a wasm32 usize.
        let expected = w as u64 * h as u64 * 4;
        if rgba.len() as u64 != expected {
            return Err(GifError::WrongFrameSize {
                expected,
                got: rgba.len() as u64,
            });
        }
        let dither = self.options.dither;
        let mut local = None;
        let (indices, bits) = match &mut self.options.palette {
            PaletteMode::Global(p) => (p.map_rgba(rgba, w as usize, dither), p.table_bits()),
            PaletteMode::PerFrame => {
                let mut b = PaletteBuilder::new();
                b.add_rgba(rgba);
                let mut p = b.build(self.options.colors);
                let idx = p.map_rgba(rgba, w as usize, dither);
                let bits = p.table_bits();
                local = Some(p);
                (idx, bits)
            }
        };
        let mut out = Vec::with_capacity(indices.len() / 2 + 1024);
        // Graphic control: disposal 1 (leave in place), no transparency, the delay.
        out.extend_from_slice(&[0x21, 0xF9, 0x04, 0x04]);
        out.extend_from_slice(&delay_cs.max(2).to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        // Image descriptor at (0, 0), full size.
        out.push(0x2C);
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(&w.to_le_bytes());
        out.extend_from_slice(&h.to_le_bytes());
        match &local {
            Some(p) => {
                out.push(0x80 | (bits - 1));
                out.extend_from_slice(&p.table());
            }
            None => out.push(0),
        }
        // LZW needs a minimum code size of at least 2.
        out.extend_from_slice(&lzw::encode(&indices, bits.max(2)));
        Ok(out)
    }

    /// The trailer byte.
    pub fn finish(self) -> Vec<u8> {
        vec![0x3B]
    }
}

/// A whole GIF in memory (tests, small animatics): frames with their [`Timing`].
pub fn encode(options: GifOptions, frames: &[&[u8]], timing: &Timing) -> Result<Vec<u8>, GifError> {
    let (mut enc, mut out) = GifEncoder::new(options)?;
    for (i, f) in frames.iter().enumerate() {
        out.extend_from_slice(&enc.frame(f, timing.delay(i))?);
    }
    out.extend_from_slice(&enc.finish());
    Ok(out)
}
