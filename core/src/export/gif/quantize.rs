//! Colour quantisation: a histogram of the frames, median cut into at most 256 colours, and a
//! fast pixel → palette index mapping with optional ordered (Bayer 8×8) dithering.
//!
//! Median cut is written here rather than taken from `color_quant` (NeuQuant): it is ~150
//! lines, deterministic, needs no training passes over the pixels, and its histogram lets the
//! worker build one global palette frame by frame without holding every frame.

/// Histogram resolution: 5 bits per channel (32,768 bins). Each bin keeps the sum of the
/// colours that fell in it, so palette entries are exact means, not bin centres.
const HBITS: u32 = 5;
/// Mapping cache resolution: 6 bits per channel (262,144 entries, 512 KiB).
const MBITS: u32 = 6;
const EMPTY: u16 = u16::MAX;

#[derive(Clone, Copy, Default)]
struct Bin {
    sum: [u64; 3],
    count: u64,
}

/// Counts colours from any number of frames; then [`PaletteBuilder::build`].
#[derive(Clone)]
pub struct PaletteBuilder {
    bins: Vec<Bin>,
}

impl Default for PaletteBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl PaletteBuilder {
    /// An empty histogram.
    pub fn new() -> Self {
        PaletteBuilder {
            bins: vec![Bin::default(); 1 << (3 * HBITS)],
        }
    }

    /// Adds the pixels of an RGBA buffer (alpha is ignored: frames are opaque renders).
    pub fn add_rgba(&mut self, rgba: &[u8]) {
        for p in rgba.chunks_exact(4) {
            let key =
                ((p[0] as usize >> 3) << 10) | ((p[1] as usize >> 3) << 5) | (p[2] as usize >> 3);
            let b = &mut self.bins[key];
            b.sum[0] += p[0] as u64;
            b.sum[1] += p[1] as u64;
            b.sum[2] += p[2] as u64;
            b.count += 1;
        }
    }

    /// Median cut into at most `max_colors` (2–256) colours.
    pub fn build(&self, max_colors: usize) -> Palette {
        let max_colors = max_colors.clamp(2, 256);
        let mut pts: Vec<([u8; 3], u64)> = self
            .bins
            .iter()
            .filter(|b| b.count > 0)
            .map(|b| {
                let m = |i: usize| ((b.sum[i] + b.count / 2) / b.count) as u8;
                ([m(0), m(1), m(2)], b.count)
            })
            .collect();
        if pts.is_empty() {
            pts.push(([0, 0, 0], 1));
        }
        // Boxes are ranges of `pts`; split the one with the largest spread × weight.
        let mut boxes = vec![(0usize, pts.len())];
        while boxes.len() < max_colors {
            let Some((bi, ch, _)) = boxes
                .iter()
                .enumerate()
                .filter(|(_, &(s, e))| e - s > 1)
                .map(|(i, &(s, e))| {
                    let (ch, range) = widest(&pts[s..e]);
                    let w: u64 = pts[s..e].iter().map(|p| p.1).sum();
                    (
                        i,
                        ch,
                        range as u64 * (w as f64).sqrt() as u64 + range as u64,
                    )
                })
                .max_by_key(|x| x.2)
            else {
                break;
            };
            let (s, e) = boxes[bi];
            let slice = &mut pts[s..e];
            slice.sort_unstable_by_key(|p| p.0[ch]);
            let total: u64 = slice.iter().map(|p| p.1).sum();
            let mut acc = 0;
            let mut cut = 1;
            for (i, p) in slice.iter().enumerate() {
                acc += p.1;
                if acc * 2 >= total {
                    cut = (i + 1).clamp(1, slice.len() - 1);
                    break;
                }
            }
            boxes[bi] = (s, s + cut);
            boxes.push((s + cut, e));
        }
        let colors = boxes
            .iter()
            .map(|&(s, e)| {
                let w: u64 = pts[s..e].iter().map(|p| p.1).sum();
                let m = |c: usize| {
                    let sum: u64 = pts[s..e].iter().map(|p| p.0[c] as u64 * p.1).sum();
                    ((sum + w / 2) / w) as u8
                };
                [m(0), m(1), m(2)]
            })
            .collect();
        Palette::new(colors)
    }
}

/// The channel with the largest range in `pts`, and that range.
fn widest(pts: &[([u8; 3], u64)]) -> (usize, u8) {
    let mut lo = [255u8; 3];
    let mut hi = [0u8; 3];
    for (c, _) in pts {
        for i in 0..3 {
            lo[i] = lo[i].min(c[i]);
            hi[i] = hi[i].max(c[i]);
        }
    }
    // Green counts most for the eye, then red: weight the ranges a little.
    let r = [
        (hi[0] - lo[0]) as u32 * 3,
        (hi[1] - lo[1]) as u32 * 4,
        (hi[2] - lo[2]) as u32 * 2,
    ];
    let ch = (0..3).max_by_key(|&i| r[i]).unwrap_or(0);
    (ch, hi[ch] - lo[ch])
}

/// At most 256 colours and a cache from colour to nearest index.
#[derive(Clone)]
pub struct Palette {
    colors: Vec<[u8; 3]>,
    cache: Vec<u16>,
}

impl std::fmt::Debug for Palette {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Palette")
            .field("colors", &self.colors)
            .finish()
    }
}

// Two palettes are equal when their colours are; the cache is only memory.
impl PartialEq for Palette {
    fn eq(&self, other: &Self) -> bool {
        self.colors == other.colors
    }
}

impl Eq for Palette {}

impl Palette {
    /// A palette of these colours (1–256; more are cut off).
    pub fn new(mut colors: Vec<[u8; 3]>) -> Self {
        colors.truncate(256);
        if colors.is_empty() {
            colors.push([0, 0, 0]);
        }
        Palette {
            colors,
            cache: vec![EMPTY; 1 << (3 * MBITS)],
        }
    }

    /// The colours.
    pub fn colors(&self) -> &[[u8; 3]] {
        &self.colors
    }

    /// Bits of a GIF colour table that holds this palette (1–8; the table is 2^bits long).
    pub fn table_bits(&self) -> u8 {
        let mut bits = 1;
        while (1usize << bits) < self.colors.len() {
            bits += 1;
        }
        bits
    }

    /// The colour table bytes, padded with black to 2^[`Palette::table_bits`] entries.
    pub fn table(&self) -> Vec<u8> {
        let mut t: Vec<u8> = self.colors.iter().flatten().copied().collect();
        t.resize(3 << self.table_bits(), 0);
        t
    }

    fn nearest(&self, c: [i32; 3]) -> u16 {
        let mut best = (u32::MAX, 0u16);
        for (i, p) in self.colors.iter().enumerate() {
            let d = |k: usize| (c[k] - p[k] as i32).unsigned_abs();
            // Perceptual-ish weights (2, 4, 3) as in many quantisers.
            let dist = 2 * d(0) * d(0) + 4 * d(1) * d(1) + 3 * d(2) * d(2);
            if dist < best.0 {
                best = (dist, i as u16);
            }
        }
        best.1
    }

    /// Maps an RGBA image (`width` pixels a row) to palette indices.
    pub fn map_rgba(&mut self, rgba: &[u8], width: usize, dither: bool) -> Vec<u8> {
        let mut out = Vec::with_capacity(rgba.len() / 4);
        let shift = 8 - MBITS;
        let half = 1 << (shift - 1);
        for (y, row) in rgba.chunks(width.max(1) * 4).enumerate() {
            let bayer = &BAYER8[(y & 7) * 8..(y & 7) * 8 + 8];
            for (x, p) in row.chunks_exact(4).enumerate() {
                // Threshold in −16 … +15: about one step of a 256-colour palette.
                let off = if dither {
                    (bayer[x & 7] as i32 - 32) / 2
                } else {
                    0
                };
                let c = [
                    (p[0] as i32 + off).clamp(0, 255) >> shift,
                    (p[1] as i32 + off).clamp(0, 255) >> shift,
                    (p[2] as i32 + off).clamp(0, 255) >> shift,
                ];
                let key = ((c[0] << (2 * MBITS)) | (c[1] << MBITS) | c[2]) as usize;
                let mut idx = self.cache[key];
                if idx == EMPTY {
                    let centre = c.map(|v| (v << shift) + half);
                    idx = self.nearest(centre);
                    self.cache[key] = idx;
                }
                out.push(idx as u8);
            }
        }
        out
    }
}

/// The 8×8 Bayer matrix, values 0–63.
const BAYER8: [u8; 64] = [
    0, 32, 8, 40, 2, 34, 10, 42, 48, 16, 56, 24, 50, 18, 58, 26, 12, 44, 4, 36, 14, 46, 6, 38, 60,
    28, 52, 20, 62, 30, 54, 22, 3, 35, 11, 43, 1, 33, 9, 41, 51, 19, 59, 27, 49, 17, 57, 25, 15,
    47, 7, 39, 13, 45, 5, 37, 63, 31, 55, 23, 61, 29, 53, 21,
];
