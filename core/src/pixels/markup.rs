//! A markup layer (the marks drawn over image 1 of a markup edit: circles, arrows, notes) as
//! the area the edit may change, for the keep-everything-else guard.
//!
//! **Rule.** A pixel of the layer is *marked* when its alpha is above 0 (the layer is
//! transparent everywhere else). The marks only point at what to change, so the area that may
//! change is every marked pixel **widened by a margin** ([`MARKUP_MARGIN`] pixels, a square
//! neighbourhood: Chebyshev distance ≤ margin); the leak is then measured outside it, as
//! outside a mask.

use super::{Coverage, PixelError, Rgba};

/// How far around a mark the edit may change, in image pixels: a circle drawn around a
/// jacket marks its outline, and the jacket inside it is what should change. 48 px is about
/// 5 % of a 1024-pixel edge.
pub const MARKUP_MARGIN: u32 = 48;

/// The coverage (255 = may change) of a markup layer: its marked pixels (alpha > 0) widened
/// by `margin` pixels in every direction. Linear in the pixel count whatever the margin (two
/// passes of a sliding window count).
pub fn coverage_from_markup(markup: Rgba<'_>, margin: u32) -> Vec<u8> {
    let (w, h) = (markup.width() as usize, markup.height() as usize);
    let marked: Vec<bool> = markup.data().chunks_exact(4).map(|p| p[3] > 0).collect();
    let r = margin as usize;
    // Rows: a pixel is near a mark when a mark lies within r columns of it.
    let mut near_row = vec![false; w * h];
    for y in 0..h {
        let row = &marked[y * w..(y + 1) * w];
        widen(row, r, &mut near_row[y * w..(y + 1) * w]);
    }
    // Columns of that: within r rows of a row-near pixel.
    let mut out = vec![0u8; w * h];
    let mut column = vec![false; h];
    let mut widened = vec![false; h];
    for x in 0..w {
        for y in 0..h {
            column[y] = near_row[y * w + x];
        }
        widen(&column, r, &mut widened);
        for y in 0..h {
            if widened[y] {
                out[y * w + x] = 255;
            }
        }
    }
    out
}

/// `out[i]` = whether any of `line[i - r ..= i + r]` is set (a sliding count of set values).
fn widen(line: &[bool], r: usize, out: &mut [bool]) {
    let n = line.len();
    let mut count = 0usize;
    // The window of i is [i - r, i + r]; prime it with [0, r).
    for &v in line.iter().take(r.min(n)) {
        count += usize::from(v);
    }
    for i in 0..n {
        if i + r < n {
            count += usize::from(line[i + r]);
        }
        if i > r {
            count -= usize::from(line[i - r - 1]);
        }
        out[i] = count > 0;
    }
}

/// The markup's coverage as a [`Coverage`] check: the layer must have the image's size.
pub fn check_markup_size(markup: (u32, u32), image: (u32, u32)) -> Result<(), PixelError> {
    super::image::same_size("markup", image, markup)
}

/// Whether a coverage buffer read from a markup marks anything (a layer with no mark would
/// guide nothing).
pub fn marks_anything(coverage: Coverage<'_>) -> bool {
    coverage.data().iter().any(|&c| c > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(w: u32, h: u32, marks: &[(u32, u32)]) -> Vec<u8> {
        let mut data = vec![0u8; (w * h * 4) as usize];
        for &(x, y) in marks {
            let i = ((y * w + x) * 4) as usize;
            data[i..i + 4].copy_from_slice(&[255, 0, 0, 255]);
        }
        data
    }

    /// One mark widens to a (2m+1)² square clipped at the edges; nothing else is covered.
    #[test]
    fn a_mark_widens_by_the_margin() {
        let data = layer(20, 10, &[(5, 5)]);
        let rgba = Rgba::new(20, 10, &data).unwrap();
        let c = coverage_from_markup(rgba, 2);
        for y in 0..10u32 {
            for x in 0..20u32 {
                let want = x.abs_diff(5) <= 2 && y.abs_diff(5) <= 2;
                assert_eq!(c[(y * 20 + x) as usize] == 255, want, "({x}, {y})");
            }
        }
        let edge = layer(4, 4, &[(0, 0)]);
        let c = coverage_from_markup(Rgba::new(4, 4, &edge).unwrap(), 1);
        assert_eq!(c.iter().filter(|&&v| v == 255).count(), 4);
        assert!(marks_anything(Coverage::new(4, 4, &c).unwrap()));
    }

    /// An empty layer marks nothing; a half-transparent pixel counts as a mark.
    #[test]
    fn only_pixels_with_alpha_are_marks() {
        let mut data = layer(8, 8, &[]);
        let c = coverage_from_markup(Rgba::new(8, 8, &data).unwrap(), 3);
        assert!(!marks_anything(Coverage::new(8, 8, &c).unwrap()));
        data[3] = 1;
        let c = coverage_from_markup(Rgba::new(8, 8, &data).unwrap(), 0);
        assert_eq!(c.iter().filter(|&&v| v == 255).count(), 1);
    }

    /// The sliding window agrees with a direct search for every margin on a random layer.
    #[test]
    fn widening_matches_a_direct_search() {
        let (w, h) = (23u32, 17u32);
        let marks: Vec<(u32, u32)> = (0..9u32).map(|i| ((i * 7) % w, (i * 5 + 3) % h)).collect();
        let data = layer(w, h, &marks);
        for m in [0u32, 1, 2, 5, 40] {
            let c = coverage_from_markup(Rgba::new(w, h, &data).unwrap(), m);
            for y in 0..h {
                for x in 0..w {
                    let want = marks
                        .iter()
                        .any(|&(mx, my)| mx.abs_diff(x) <= m && my.abs_diff(y) <= m);
                    assert_eq!(c[(y * w + x) as usize] == 255, want, "m={m} ({x},{y})");
                }
            }
        }
        assert!(check_markup_size((3, 3), (3, 4)).is_err());
    }
}
