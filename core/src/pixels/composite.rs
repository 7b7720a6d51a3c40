//! "Keep outside mask": put the parent back everywhere the user did not paint.
//!
//! **Rule.** Let *painted* be the pixels whose coverage is at least
//! [`PAINTED_MIN`](super::PAINTED_MIN) (the region sent to OpenAI as alpha 0), `R` the feather
//! radius in pixels, and for a painted pixel `d` the Euclidean distance between its centre and
//! the centre of the nearest unpainted pixel (exact, from a distance transform; `∞` when the
//! whole image is painted). Then, per channel of straight RGBA:
//!
//! - unpainted pixel: `out = parent` — **byte for byte, always**;
//! - painted pixel: `w = min(1, d / (R + 1))`, `a = round(256 · w)`,
//!   `out = (parent · (256 − a) + result · a + 128) >> 8`.
//!
//! So the feather lives only inside the painted area: the painted pixels touching the edge
//! (`d = 1`) take `1 / (R + 1)` of the result, the blend reaches the pure result at `R + 1`
//! pixels from the edge, and with `R = 0` the composite is a hard cut. The image border is
//! not a mask edge (only unpainted pixels pull towards the parent).

use super::image::same_size;
use super::{is_painted, Coverage, PixelError, Rgba};

/// The largest feather radius accepted, in pixels (a feather wider than this is a blur of the
/// whole edit, not an edge).
pub const MAX_FEATHER: u32 = 1024;

/// Composites `result` onto `parent` outside the feathered `mask`; see the module
/// documentation for the exact rule. Returns a new RGBA8 buffer of the parent's size.
///
/// Fails when the result or the mask has another size than the parent, or when `feather`
/// exceeds [`MAX_FEATHER`].
pub fn composite(
    parent: Rgba<'_>,
    result: Rgba<'_>,
    mask: Coverage<'_>,
    feather: u32,
) -> Result<Vec<u8>, PixelError> {
    same_size("result", parent.size(), result.size())?;
    same_size("mask", parent.size(), mask.size())?;
    if feather > MAX_FEATHER {
        return Err(PixelError::InvalidParameter {
            name: "feather",
            reason: "at most 1024 pixels",
        });
    }
    let width = parent.width() as usize;
    if feather > 0 && width > MAX_FEATHERED_WIDTH {
        return Err(PixelError::InvalidParameter {
            name: "feather",
            reason: "0 for images wider than 1,048,576 pixels",
        });
    }
    let mut out = parent.data().to_vec();
    let (r, m) = (result.data(), mask.data());
    let n = m.len().min(out.len() / 4).min(r.len() / 4);
    if feather == 0 {
        for i in 0..n {
            if is_painted(m[i]) {
                out[i * 4..i * 4 + 4].copy_from_slice(&r[i * 4..i * 4 + 4]);
            }
        }
        return Ok(out);
    }
    let cap = feather + 1;
    let dist2 = capped_distance_squared(m, width, cap);
    // Blend weights depend only on d² < cap², so a table indexed by d² replaces a square root
    // per pixel: at most (1024 + 1)² entries, typically a few hundred.
    let cap2 = cap * cap;
    let weights: Vec<u16> = (0..cap2)
        .map(|d2| ((f64::from(d2).sqrt() / f64::from(cap)) * 256.0 + 0.5) as u16)
        .collect();
    let (dist2, weights) = (&dist2[..n], &weights[..]);
    for i in 0..n {
        if !is_painted(m[i]) {
            continue;
        }
        let (o, rp) = (&mut out[i * 4..i * 4 + 4], &r[i * 4..i * 4 + 4]);
        let d2 = dist2[i];
        if d2 >= cap2 {
            o.copy_from_slice(rp);
            continue;
        }
        let a = u32::from(weights[d2 as usize]);
        for c in 0..4 {
            o[c] = ((u32::from(o[c]) * (256 - a) + u32::from(rp[c]) * a + 128) >> 8) as u8;
        }
    }
    Ok(out)
}

/// Widest image [`composite`] feathers: the distance transform compares parabola
/// intersections in `i64` by cross-multiplication, which needs `width² · 2 · width < 2⁶³`.
/// Images this wide do not exist in practice; a hard cut (`feather = 0`) has no limit.
const MAX_FEATHERED_WIDTH: usize = 1 << 20;

/// Squared Euclidean distance from each pixel to the nearest unpainted pixel, capped at
/// `cap²` (0 for unpainted pixels; `cap²` means "`cap` or farther, or no unpainted pixel").
///
/// Felzenszwalb & Huttenlocher's linear-time transform ("Distance Transforms of Sampled
/// Functions", 2012): a column pass, then the lower envelope of parabolas along each row.
/// Capping the column distances at `cap` leaves every true distance below `cap` unchanged
/// (a term that was capped is already ≥ cap²) and keeps all values small integers; a column
/// value of `cap²` can never bring a result below `cap²`, so it is left out of the envelope.
/// Intersections are kept as exact fractions and compared by cross-multiplication: no
/// division and no rounding in the inner loop.
pub(crate) fn capped_distance_squared(mask: &[u8], width: usize, cap: u32) -> Vec<u32> {
    let cap2 = cap * cap;
    // Column pass: vertical distance to the nearest unpainted pixel, capped, then squared.
    // Swept a row at a time (down, then up) so memory is read in order, not by column.
    let mut g = vec![cap; mask.len()];
    let mut run = vec![cap; width];
    let rows = mask.len() / width;
    for y in 0..rows {
        let (m_row, g_row) = (&mask[y * width..][..width], &mut g[y * width..][..width]);
        for x in 0..width {
            run[x] = if is_painted(m_row[x]) {
                (run[x] + 1).min(cap)
            } else {
                0
            };
            g_row[x] = run[x];
        }
    }
    run.fill(cap);
    for y in (0..rows).rev() {
        let (m_row, g_row) = (&mask[y * width..][..width], &mut g[y * width..][..width]);
        for x in 0..width {
            run[x] = if is_painted(m_row[x]) {
                (run[x] + 1).min(cap)
            } else {
                0
            };
            let d = g_row[x].min(run[x]);
            g_row[x] = (d * d).min(cap2);
        }
    }
    // Row pass: d²(x) = min over q of (x − q)² + g(q).
    let mut env = Envelope {
        f: vec![0; width],
        v: vec![0; width],
        num: vec![0; width],
        den: vec![0; width],
    };
    for y in 0..rows {
        env.row(&mut g[y * width..][..width], cap2);
    }
    g
}

/// Scratch space of the row pass, allocated once per transform.
struct Envelope {
    /// The row's input values.
    f: Vec<u32>,
    /// Positions of the parabolas of the lower envelope.
    v: Vec<usize>,
    /// Left boundary of parabola `k` as the fraction `num[k] / den[k]` (`den > 0`; unused for
    /// `k = 0`, whose boundary is −∞).
    num: Vec<i64>,
    den: Vec<i64>,
}

impl Envelope {
    fn row(&mut self, row: &mut [u32], cap2: u32) {
        // Rows entirely unpainted (all 0) or entirely out of reach (all cap²) are final.
        let (mut zero, mut far) = (true, true);
        for &d in row.iter() {
            zero &= d == 0;
            far &= d == cap2;
        }
        if zero || far {
            return;
        }
        let w = row.len();
        let (f, v, num, den) = (
            &mut self.f[..w],
            &mut self.v[..w],
            &mut self.num[..w],
            &mut self.den[..w],
        );
        f.copy_from_slice(row);
        let mut n = 0usize;
        for q in 0..w {
            if f[q] >= cap2 {
                continue;
            }
            let hq = i64::from(f[q]) + (q * q) as i64;
            loop {
                if n == 0 {
                    v[0] = q;
                    n = 1;
                    break;
                }
                let p = v[n - 1];
                let s_num = hq - (i64::from(f[p]) + (p * p) as i64);
                let s_den = 2 * (q - p) as i64;
                // Pop parabola n − 1 when the new one undercuts it from its left boundary on:
                // s ≤ z[n − 1], i.e. s_num / s_den ≤ num / den.
                if n > 1 && s_num * den[n - 1] <= num[n - 1] * s_den {
                    n -= 1;
                    continue;
                }
                v[n] = q;
                num[n] = s_num;
                den[n] = s_den;
                n += 1;
                break;
            }
        }
        // n ≥ 1: the row is not all cap², so some q entered the envelope.
        let mut k = 0usize;
        for (x, out) in row.iter_mut().enumerate() {
            while k + 1 < n && num[k + 1] < x as i64 * den[k + 1] {
                k += 1;
            }
            let dx = x.abs_diff(v[k]) as u64;
            *out = (dx * dx + u64::from(f[v[k]])).min(u64::from(cap2)) as u32;
        }
    }
}
