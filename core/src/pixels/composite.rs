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
    let mut out = parent.data().to_vec();
    let (r, m) = (result.data(), mask.data());
    if feather == 0 {
        for (i, px) in out.chunks_exact_mut(4).enumerate() {
            if is_painted(m[i]) {
                px.copy_from_slice(&r[i * 4..i * 4 + 4]);
            }
        }
        return Ok(out);
    }
    let cap = feather + 1;
    let dist2 = capped_distance_squared(m, parent.width() as usize, cap);
    // Blend weights depend only on d² < cap², so a table indexed by d² replaces a square root
    // per pixel: at most (1024 + 1)² entries, typically a few hundred.
    let cap2 = cap * cap;
    let weights: Vec<u16> = (0..cap2)
        .map(|d2| ((f64::from(d2).sqrt() / f64::from(cap)) * 256.0).round() as u16)
        .collect();
    for (i, px) in out.chunks_exact_mut(4).enumerate() {
        if !is_painted(m[i]) {
            continue;
        }
        let d2 = dist2[i];
        let rp = &r[i * 4..i * 4 + 4];
        if d2 >= cap2 {
            px.copy_from_slice(rp);
            continue;
        }
        let a = u32::from(weights[d2 as usize]);
        for (o, &n) in px.iter_mut().zip(rp) {
            *o = ((u32::from(*o) * (256 - a) + u32::from(n) * a + 128) >> 8) as u8;
        }
    }
    Ok(out)
}

/// Squared Euclidean distance from each pixel to the nearest unpainted pixel, capped at
/// `cap²` (0 for unpainted pixels; `cap²` means "`cap` or farther, or no unpainted pixel").
///
/// Felzenszwalb & Huttenlocher's linear-time transform ("Distance Transforms of Sampled
/// Functions", 2012): a column pass, then the lower envelope of parabolas along each row.
/// Capping the column distances at `cap` leaves every true distance below `cap` unchanged
/// (a term that was capped is already ≥ cap²) and keeps all values small integers.
pub(crate) fn capped_distance_squared(mask: &[u8], width: usize, cap: u32) -> Vec<u32> {
    let cap2 = cap * cap;
    // Column pass: vertical distance to the nearest unpainted pixel, capped, then squared.
    // Swept a row at a time (down, then up) so memory is read in order, not by column.
    let mut g = vec![cap; mask.len()];
    let mut run = vec![cap; width];
    for (m_row, g_row) in mask.chunks_exact(width).zip(g.chunks_exact_mut(width)) {
        for ((r, &m), out) in run.iter_mut().zip(m_row).zip(g_row) {
            *r = if is_painted(m) { (*r + 1).min(cap) } else { 0 };
            *out = *r;
        }
    }
    run.fill(cap);
    for (m_row, g_row) in mask
        .chunks_exact(width)
        .zip(g.chunks_exact_mut(width))
        .rev()
    {
        for ((r, &m), out) in run.iter_mut().zip(m_row).zip(g_row) {
            *r = if is_painted(m) { (*r + 1).min(cap) } else { 0 };
            *out = (*out).min(*r);
        }
    }
    for v in &mut g {
        *v = (*v * *v).min(cap2);
    }
    // Row pass: d²(x) = min over q of (x − q)² + g(q).
    let mut f = vec![0u32; width];
    let mut v = vec![0usize; width];
    let mut z = vec![0f64; width + 1];
    for row in g.chunks_exact_mut(width) {
        // Rows entirely unpainted (all 0) or entirely out of reach (all cap²) are final.
        if row.iter().all(|&d| d == 0) || row.iter().all(|&d| d == cap2) {
            continue;
        }
        f.copy_from_slice(row);
        let parabola = |q: usize| f64::from(f[q]) + (q * q) as f64;
        let mut k = 0usize;
        v[0] = 0;
        z[0] = f64::NEG_INFINITY;
        z[1] = f64::INFINITY;
        for q in 1..width {
            // z[0] = −∞, so this stops at k = 0 at the latest.
            let mut s = (parabola(q) - parabola(v[k])) / (2.0 * (q - v[k]) as f64);
            while s <= z[k] {
                k -= 1;
                s = (parabola(q) - parabola(v[k])) / (2.0 * (q - v[k]) as f64);
            }
            k += 1;
            v[k] = q;
            z[k] = s;
            z[k + 1] = f64::INFINITY;
        }
        k = 0;
        for (x, out) in row.iter_mut().enumerate() {
            while z[k + 1] < x as f64 {
                k += 1;
            }
            let dx = x.abs_diff(v[k]) as u64;
            *out = (dx * dx + u64::from(f[v[k]])).min(u64::from(cap2)) as u32;
        }
    }
    g
}
