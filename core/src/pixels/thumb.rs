//! Thumbnail sizing and a box (area-average) downscale for where no canvas exists.

use super::{PixelError, Rgba};

/// Default long edge of a thumbnail, in pixels.
pub const THUMB_MAX_EDGE: u32 = 384;

/// The thumbnail size of a `width × height` image whose long edge may be at most `max_edge`:
/// the image's own size when it already fits (never upscales); otherwise the long edge
/// becomes `max_edge` and the short edge `round(short × max_edge / long)`, at least 1 pixel.
///
/// Fails when a dimension or `max_edge` is zero.
pub fn thumb_size(width: u32, height: u32, max_edge: u32) -> Result<(u32, u32), PixelError> {
    if width == 0 || height == 0 {
        return Err(PixelError::Empty { width, height });
    }
    if max_edge == 0 {
        return Err(PixelError::InvalidParameter {
            name: "max_edge",
            reason: "at least 1 pixel",
        });
    }
    let long = width.max(height);
    if long <= max_edge {
        return Ok((width, height));
    }
    let short = width.min(height);
    // Integer rounding in u64: short × max_edge cannot overflow, and round-half-up is exact.
    let scaled = (u64::from(short) * u64::from(max_edge) + u64::from(long) / 2) / u64::from(long);
    let scaled = (scaled as u32).max(1);
    Ok(if width >= height {
        (max_edge, scaled)
    } else {
        (scaled, max_edge)
    })
}

/// Box downscale of `image` to `width × height` (each no larger than the image's): target
/// pixel `(tx, ty)` is the average of the source rectangle
/// `[tx·W/w, (tx+1)·W/w) × [ty·H/h, (ty+1)·H/h)` (integer division), so every source pixel
/// counts once. Colours are averaged weighted by alpha (premultiplied), so transparent pixels
/// do not darken edges; alpha is the plain average. Averaging happens on the sRGB values, as a
/// canvas does.
///
/// Fails when a target dimension is zero or larger than the image's.
pub fn downscale(image: Rgba<'_>, width: u32, height: u32) -> Result<Vec<u8>, PixelError> {
    if width == 0 || height == 0 {
        return Err(PixelError::Empty { width, height });
    }
    if width > image.width() || height > image.height() {
        return Err(PixelError::InvalidParameter {
            name: "thumbnail size",
            reason: "no larger than the image (a downscale never upscales)",
        });
    }
    Ok(box_average(image, width as usize, height as usize))
}

/// The source span of target cell `t` of `n` over `len` source pixels, at least one pixel wide
/// (so the consistency grid also works on images smaller than the grid).
#[inline]
fn span(t: usize, n: usize, len: usize) -> (usize, usize) {
    let lo = t * len / n;
    let hi = ((t + 1) * len / n).max(lo + 1);
    (lo, hi)
}

/// Alpha-weighted box average of `image` into a `gw × gh` grid (see [`downscale`]); when the
/// grid is larger than the image, cells repeat the nearest source pixel.
pub(crate) fn box_average(image: Rgba<'_>, gw: usize, gh: usize) -> Vec<u8> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let data = image.data();
    let mut out = vec![0u8; gw * gh * 4];
    // One accumulator row reused for every target row: Σ r·a, Σ g·a, Σ b·a, Σ a, count.
    // u64 because a 1×1 target of an 8-megapixel image sums 8·10⁶ · 255² ≈ 5·10¹¹.
    let mut acc = vec![[0u64; 5]; gw];
    let cols: Vec<(usize, usize)> = (0..gw).map(|tx| span(tx, gw, w)).collect();
    for (ty, out_row) in out.chunks_exact_mut(gw * 4).enumerate() {
        acc.iter_mut().for_each(|a| *a = [0; 5]);
        let (y0, y1) = span(ty, gh, h);
        for y in y0..y1 {
            let row = &data[y * w * 4..(y + 1) * w * 4];
            for (a, &(x0, x1)) in acc.iter_mut().zip(&cols) {
                for p in row[x0 * 4..x1 * 4].chunks_exact(4) {
                    let alpha = u64::from(p[3]);
                    a[0] += u64::from(p[0]) * alpha;
                    a[1] += u64::from(p[1]) * alpha;
                    a[2] += u64::from(p[2]) * alpha;
                    a[3] += alpha;
                }
                a[4] += (x1 - x0) as u64;
            }
        }
        for (px, a) in out_row.chunks_exact_mut(4).zip(&acc) {
            // A fully transparent box keeps RGB 0 (there is no colour to average).
            for c in 0..3 {
                px[c] = (a[c] + a[3] / 2).checked_div(a[3]).unwrap_or(0) as u8;
            }
            px[3] = ((a[3] + a[4] / 2) / a[4]) as u8;
        }
    }
    out
}
