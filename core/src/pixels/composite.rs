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
    let mut out_buf = parent.data().to_vec();
    let out = &mut out_buf[..];
    let (r, m) = (result.data(), mask.data());
    let n = m.len().min(out.len() / 4).min(r.len() / 4);
    if feather == 0 {
        for (i, &v) in m[..n].iter().enumerate() {
            if is_painted(v) {
                // Element stores: a 4-byte sub-slice or `copy_from_slice` stays a call at
                // opt-level "z".
                let b = i * 4;
                (out[b], out[b + 1], out[b + 2], out[b + 3]) = (r[b], r[b + 1], r[b + 2], r[b + 3]);
            }
        }
        return Ok(out_buf);
    }
    let cap = feather + 1;
    let Some(bounds) = painted_bounds(m, width) else {
        return Ok(out_buf); // nothing painted: the parent
    };
    // The transform runs on the painted bounding box grown by one pixel (clipped to the
    // image), so the cost follows the size of the edit, not of the image. That loses nothing:
    // the ring around the box is unpainted, and clamping any unpainted pixel outside the
    // grown box onto it gives a ring pixel no farther from every painted pixel.
    let height = n / width;
    let (cx0, cy0) = (bounds.x0.saturating_sub(1), bounds.y0.saturating_sub(1));
    let (cx1, cy1) = ((bounds.x1 + 1).min(width), (bounds.y1 + 1).min(height));
    let mut dist = CappedDistance::new(m, width, [cx0, cy0, cx1, cy1], cap);
    // Blend weights depend only on d² < cap², so a table indexed by d² replaces a square root
    // per pixel: at most (1024 + 1)² entries, typically a few hundred.
    let cap2 = cap * cap;
    let weights: Vec<u16> = (0..cap2)
        .map(|d2| ((f64::from(d2).sqrt() / f64::from(cap)) * 256.0 + 0.5) as u16)
        .collect();
    let weights = &weights[..];
    for y in bounds.y0..bounds.y1 {
        let d_row = dist.row(y - cy0);
        for x in bounds.x0..bounds.x1 {
            let i = y * width + x;
            if !is_painted(m[i]) {
                continue;
            }
            let d2 = d_row[x - cx0];
            let a = if d2 >= cap2 {
                256
            } else {
                u32::from(weights[d2 as usize])
            };
            for b in i * 4..i * 4 + 4 {
                out[b] = ((u32::from(out[b]) * (256 - a) + u32::from(r[b]) * a + 128) >> 8) as u8;
            }
        }
    }
    Ok(out_buf)
}

/// The painted pixels' bounding box, `[x0, x1) × [y0, y1)`.
struct Bounds {
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
}

fn painted_bounds(mask: &[u8], width: usize) -> Option<Bounds> {
    let mut b: Option<Bounds> = None;
    for (y, row) in mask.chunks_exact(width).enumerate() {
        let Some(first) = row.iter().position(|&v| is_painted(v)) else {
            continue;
        };
        let last = row.iter().rposition(|&v| is_painted(v)).unwrap_or(first);
        let b = b.get_or_insert(Bounds {
            x0: first,
            y0: y,
            x1: last + 1,
            y1: y + 1,
        });
        b.x0 = b.x0.min(first);
        b.x1 = b.x1.max(last + 1);
        b.y1 = y + 1;
    }
    b
}

/// Widest image [`composite`] feathers: the distance transform compares parabola
/// intersections in `i64` by cross-multiplication, which needs `width² · 2 · width < 2⁶³`.
/// Images this wide do not exist in practice; a hard cut (`feather = 0`) has no limit.
const MAX_FEATHERED_WIDTH: usize = 1 << 20;

/// Squared Euclidean distance from each pixel of a rectangle of the mask to the nearest
/// unpainted pixel of that rectangle, capped at `cap²` (0 for unpainted pixels; `cap²` means
/// "`cap` or farther, or no unpainted pixel"), produced one row at a time.
///
/// Felzenszwalb & Huttenlocher's linear-time transform ("Distance Transforms of Sampled
/// Functions", 2012): a column pass, then the lower envelope of parabolas along each row.
/// Capping the column distances at `cap` leaves every true distance below `cap` unchanged
/// (a term that was capped is already ≥ cap²) and keeps all values small integers; a column
/// value of `cap` can never bring a result below `cap²`, so it is left out of the envelope.
/// Intersections are kept as exact fractions and compared by cross-multiplication: no
/// division and no rounding in the inner loop.
pub(crate) struct CappedDistance {
    cap: u16,
    cap2: u32,
    width: usize,
    /// Capped vertical distances of the rectangle (`cap ≤ 1025` fits `u16`, half the memory
    /// traffic of `u32`).
    g: Vec<u16>,
    env: Envelope,
    out: Vec<u32>,
}

impl CappedDistance {
    /// Runs the column pass over `rect = [x0, y0, x1, y1)` of a `stride`-wide mask.
    pub(crate) fn new(mask: &[u8], stride: usize, rect: [usize; 4], cap: u32) -> Self {
        let [x0, y0, x1, y1] = rect;
        let (width, rows) = (x1 - x0, y1 - y0);
        let cap16 = cap.min(u32::from(u16::MAX)) as u16;
        // Swept a row at a time (down, then up) so memory is read in order, not by column.
        // Slices, not `Vec`s, in the loops: at opt-level "z" `Vec` indexing stays a call.
        let mut g_buf = vec![cap16; width * rows];
        let mut run_buf = vec![cap16; width];
        let (g, run) = (&mut g_buf[..], &mut run_buf[..]);
        for y in 0..rows {
            let m_row = &mask[(y0 + y) * stride + x0..][..width];
            let g_row = &mut g[y * width..][..width];
            for x in 0..width {
                run[x] = if is_painted(m_row[x]) {
                    (run[x] + 1).min(cap16)
                } else {
                    0
                };
                g_row[x] = run[x];
            }
        }
        run.fill(cap16);
        for y in (0..rows).rev() {
            let m_row = &mask[(y0 + y) * stride + x0..][..width];
            let g_row = &mut g[y * width..][..width];
            for x in 0..width {
                run[x] = if is_painted(m_row[x]) {
                    (run[x] + 1).min(cap16)
                } else {
                    0
                };
                g_row[x] = g_row[x].min(run[x]);
            }
        }
        CappedDistance {
            cap: cap16,
            cap2: cap * cap,
            width,
            g: g_buf,
            env: Envelope {
                f: vec![0; width],
                v: vec![0; width],
                num: vec![0; width],
                den: vec![0; width],
            },
            out: vec![0; width],
        }
    }

    /// The squared distances of row `y` of the rectangle (row pass:
    /// `d²(x) = min over q of (x − q)² + g(q)²`).
    pub(crate) fn row(&mut self, y: usize) -> &[u32] {
        let g_row = &self.g[y * self.width..][..self.width];
        self.env.row(g_row, &mut self.out, self.cap, self.cap2);
        &self.out
    }
}

/// [`CappedDistance`] of a whole mask, collected (for tests).
#[cfg(test)]
pub(crate) fn capped_distance_squared(mask: &[u8], width: usize, cap: u32) -> Vec<u32> {
    let rows = mask.len() / width;
    let mut d = CappedDistance::new(mask, width, [0, 0, width, rows], cap);
    (0..rows).flat_map(|y| d.row(y).to_vec()).collect()
}

/// Scratch space of the row pass, allocated once per transform.
struct Envelope {
    /// The row's squared column distances.
    f: Vec<u32>,
    /// Positions of the parabolas of the lower envelope.
    v: Vec<usize>,
    /// Left boundary of parabola `k` as the fraction `num[k] / den[k]` (`den > 0`; unused for
    /// `k = 0`, whose boundary is −∞).
    num: Vec<i64>,
    den: Vec<i64>,
}

impl Envelope {
    fn row(&mut self, g: &[u16], out: &mut [u32], cap: u16, cap2: u32) {
        let w = g.len();
        let (f, v, num, den, out) = (
            &mut self.f[..w],
            &mut self.v[..w],
            &mut self.num[..w],
            &mut self.den[..w],
            &mut out[..w],
        );
        // Rows entirely unpainted (all 0) or entirely out of reach (all cap) need no envelope.
        let (mut zero, mut far) = (true, true);
        for x in 0..w {
            let d = g[x];
            zero &= d == 0;
            far &= d == cap;
            f[x] = u32::from(d) * u32::from(d);
        }
        if zero || far {
            out.fill(if zero { 0 } else { cap2 });
            return;
        }
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
        // n ≥ 1: the row is not all cap, so some q entered the envelope.
        let mut k = 0usize;
        for (x, o) in out.iter_mut().enumerate() {
            while k + 1 < n && num[k + 1] < x as i64 * den[k + 1] {
                k += 1;
            }
            let dx = x.abs_diff(v[k]) as u64;
            *o = (dx * dx + u64::from(f[v[k]])).min(u64::from(cap2)) as u32;
        }
    }
}
