//! The contact sheet's geometry: a grid of the active images with each frame's number and
//! caption, as rectangles in canvas pixels. The browser draws it on a canvas (images with
//! `drawImage`, text with the system's fonts, so every script renders) and saves a PNG.
//!
//! Cells share one width; each row is as tall as its tallest image at that width (capped at
//! twice the width, so one very tall image cannot stretch a row), and every image is fitted
//! into its slot keeping its aspect ratio, centred. The canvas is kept within browser limits:
//! Safari refuses canvases over 16,777,216 pixels (4096 × 4096), every browser has a side
//! limit; if the target is over either, the cells shrink until it fits.

use std::fmt;

/// Layout settings, in canvas pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetOptions {
    /// Columns; `None`: about square (⌈√n⌉), at most 6.
    pub columns: Option<u32>,
    /// Target canvas width.
    pub width: u32,
    /// Space around the grid.
    pub margin: u32,
    /// Space between cells.
    pub gap: u32,
    /// Height of one caption line.
    pub line_height: u32,
    /// Caption lines under each image (the first holds the frame number and title).
    pub caption_lines: u32,
    /// Longest canvas side allowed.
    pub max_side: u32,
    /// Most canvas pixels allowed (width × height).
    pub max_pixels: u64,
}

impl Default for SheetOptions {
    fn default() -> Self {
        SheetOptions {
            columns: None,
            width: 2400,
            margin: 32,
            gap: 24,
            line_height: 28,
            caption_lines: 2,
            max_side: 16_384,
            max_pixels: 16_777_216,
        }
    }
}

/// A rectangle in canvas pixels; `(x, y)` is the top-left corner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

impl Rect {
    /// One past the right edge.
    pub fn right(&self) -> u32 {
        self.x + self.width
    }

    /// One past the bottom edge.
    pub fn bottom(&self) -> u32 {
        self.y + self.height
    }
}

/// One image's place on the sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SheetCell {
    /// Index of the image in the input.
    pub index: usize,
    /// The whole cell: slot and caption.
    pub cell: Rect,
    /// Where the image is drawn (fitted in the slot, centred).
    pub image: Rect,
    /// Caption box under the slot: `caption_lines` lines of `line_height`.
    pub caption: Rect,
}

/// The sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetLayout {
    /// Canvas width.
    pub width: u32,
    /// Canvas height.
    pub height: u32,
    /// Columns used.
    pub columns: u32,
    /// Cells in input order.
    pub cells: Vec<SheetCell>,
    /// Suggested caption font size in pixels (fits the line height).
    pub font_px: u32,
}

/// Why there is no sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SheetError {
    /// No images.
    Empty,
    /// Image `i` has no pixels.
    ZeroSize(usize),
    /// Even with tiny cells the canvas would exceed the limits.
    TooLarge,
}

impl fmt::Display for SheetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SheetError::Empty => write!(f, "there are no images for a contact sheet"),
            SheetError::ZeroSize(i) => write!(f, "image {} has no pixels", i + 1),
            SheetError::TooLarge => write!(
                f,
                "too many images for one contact sheet: the canvas would be larger than the browser allows"
            ),
        }
    }
}

impl std::error::Error for SheetError {}

/// Smallest cell width tried before giving up.
const MIN_CELL: u32 = 32;
/// Most images on one sheet (64 × 64 pixels each would already fill Safari's canvas).
const MAX_IMAGES: usize = 4096;

/// Lays out `sizes` (each image's width and height in pixels) on a sheet.
pub fn layout(sizes: &[(u32, u32)], o: &SheetOptions) -> Result<SheetLayout, SheetError> {
    if sizes.is_empty() {
        return Err(SheetError::Empty);
    }
    if let Some(i) = sizes.iter().position(|&(w, h)| w == 0 || h == 0) {
        return Err(SheetError::ZeroSize(i));
    }
    if sizes.len() > MAX_IMAGES {
        return Err(SheetError::TooLarge);
    }
    // Bounds that keep every sum below u32::MAX (no canvas is near them anyway).
    let o = &SheetOptions {
        width: o.width.min(o.max_side).min(65_535),
        margin: o.margin.min(4096),
        gap: o.gap.min(4096),
        line_height: o.line_height.min(4096),
        caption_lines: o.caption_lines.min(16),
        max_side: o.max_side.min(65_535),
        ..o.clone()
    };
    let n = sizes.len() as u32;
    let auto = ((n as f64).sqrt().ceil() as u32).min(6);
    let cols = o.columns.unwrap_or(auto).clamp(1, n);
    let chrome = 2 * o.margin + (cols - 1) * o.gap;
    let mut cell_w = (o.width.saturating_sub(chrome) / cols).max(MIN_CELL);
    loop {
        let sheet = place(sizes, cols, cell_w, o);
        let area = sheet.width as u64 * sheet.height as u64;
        if sheet.width <= o.max_side && sheet.height <= o.max_side && area <= o.max_pixels {
            return Ok(sheet);
        }
        if cell_w <= MIN_CELL {
            return Err(SheetError::TooLarge);
        }
        // Shrink by what the worse limit asks for (a little more, to converge: captions
        // and margins do not shrink).
        let by_area = (o.max_pixels as f64 / area as f64).sqrt();
        let by_side = o.max_side as f64 / sheet.width.max(sheet.height) as f64;
        let f = by_area.min(by_side).min(0.98);
        cell_w = ((cell_w as f64 * f) as u32).clamp(MIN_CELL, cell_w - 1);
    }
}

fn place(sizes: &[(u32, u32)], cols: u32, cell_w: u32, o: &SheetOptions) -> SheetLayout {
    let caption_h = o.caption_lines * o.line_height;
    let mut cells = Vec::with_capacity(sizes.len());
    let mut y = o.margin;
    for (r, row) in sizes.chunks(cols as usize).enumerate() {
        // The row's slot height: its tallest image at the cell width, at most 2× the width.
        let slot_h = row
            .iter()
            .map(|&(w, h)| scaled(h, cell_w, w))
            .max()
            .unwrap_or(cell_w)
            .clamp(1, cell_w * 2);
        for (c, &(w, h)) in row.iter().enumerate() {
            let x = o.margin + c as u32 * (cell_w + o.gap);
            // Fit in cell_w × slot_h.
            let (iw, ih) = if scaled(h, cell_w, w) <= slot_h {
                (cell_w, scaled(h, cell_w, w).max(1))
            } else {
                (scaled(w, slot_h, h).max(1), slot_h)
            };
            cells.push(SheetCell {
                index: r * cols as usize + c,
                cell: Rect {
                    x,
                    y,
                    width: cell_w,
                    height: slot_h + caption_h,
                },
                image: Rect {
                    x: x + (cell_w - iw) / 2,
                    y: y + (slot_h - ih) / 2,
                    width: iw,
                    height: ih,
                },
                caption: Rect {
                    x,
                    y: y + slot_h,
                    width: cell_w,
                    height: caption_h,
                },
            });
        }
        y += slot_h + caption_h + o.gap;
    }
    SheetLayout {
        width: 2 * o.margin + cols * cell_w + (cols - 1) * o.gap,
        height: y - o.gap + o.margin,
        columns: cols,
        cells,
        font_px: (o.line_height * 3 / 4).max(1),
    }
}

/// `v × num / den`, rounded, in u64 so large sizes cannot overflow.
fn scaled(v: u32, num: u32, den: u32) -> u32 {
    ((v as u64 * num as u64 + den as u64 / 2) / den as u64).min(u32::MAX as u64) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_overlap(a: &Rect, b: &Rect) -> bool {
        a.right() <= b.x || b.right() <= a.x || a.bottom() <= b.y || b.bottom() <= a.y
    }

    #[test]
    fn export_contact_sheet_grid_geometry() {
        let sizes = vec![(1536, 1024); 9];
        let s = layout(&sizes, &SheetOptions::default()).unwrap();
        assert_eq!(s.columns, 3);
        // 2400 wide: (2400 − 2×32 − 2×24) / 3 = 762 per cell.
        assert_eq!(s.cells[0].cell.width, 762);
        assert_eq!(s.width, 2 * 32 + 3 * 762 + 2 * 24);
        assert_eq!(
            s.cells[0].image,
            Rect {
                x: 32,
                y: 32,
                width: 762,
                height: 508
            }
        );
        assert_eq!(
            s.cells[0].caption,
            Rect {
                x: 32,
                y: 540,
                width: 762,
                height: 56
            }
        );
        assert_eq!(s.cells[4].image.x, 32 + 762 + 24);
        assert_eq!(s.cells[4].image.y, 32 + 508 + 56 + 24);
        assert_eq!(s.height, 32 + 3 * (508 + 56) + 2 * 24 + 32);
        assert_eq!(s.font_px, 21);
        for (i, a) in s.cells.iter().enumerate() {
            assert_eq!(a.index, i);
            assert!(a.image.right() <= s.width && a.caption.bottom() <= s.height);
            for b in &s.cells[i + 1..] {
                assert!(no_overlap(&a.cell, &b.cell));
            }
        }
    }

    #[test]
    fn export_contact_sheet_mixed_aspects_fit_their_slots() {
        let sizes = [(1024, 1024), (1024, 1536), (1536, 1024), (100, 5000)];
        let o = SheetOptions {
            columns: Some(2),
            width: 1000,
            ..SheetOptions::default()
        };
        let s = layout(&sizes, &o).unwrap();
        let cell = (1000 - 64 - 24) / 2;
        // Row 0's slot is the portrait image's height; the square one is centred in it.
        let slot0 = 1536 * cell / 1024;
        assert_eq!(s.cells[1].image.height, slot0);
        assert_eq!(s.cells[0].image.height, cell);
        assert_eq!(s.cells[0].image.y, 32 + (slot0 - cell) / 2);
        // The very tall image is capped at 2× the width and keeps its aspect ratio.
        let tall = s.cells[3].image;
        assert_eq!(tall.height, 2 * cell);
        assert_eq!(tall.width, (100 * 2 * cell + 2500) / 5000);
        for c in &s.cells {
            assert!(c.image.x >= c.cell.x && c.image.right() <= c.cell.right());
            assert!(c.image.bottom() <= c.caption.y);
        }
    }

    #[test]
    fn export_contact_sheet_shrinks_to_browser_limits() {
        let sizes = vec![(1536, 1024); 60];
        let o = SheetOptions {
            width: 8000,
            columns: Some(4),
            ..SheetOptions::default()
        };
        let s = layout(&sizes, &o).unwrap();
        assert!(s.width as u64 * s.height as u64 <= 16_777_216);
        assert!(s.width < 8000);
        assert_eq!(s.cells.len(), 60);
        let tiny = SheetOptions {
            max_pixels: 10_000,
            ..SheetOptions::default()
        };
        assert_eq!(layout(&sizes, &tiny).unwrap_err(), SheetError::TooLarge);
        assert_eq!(layout(&[], &o).unwrap_err(), SheetError::Empty);
        assert_eq!(
            layout(&[(1, 1), (0, 5)], &o).unwrap_err(),
            SheetError::ZeroSize(1)
        );
    }

    proptest::proptest! {
        #[test]
        fn export_contact_sheet_any_input_fits_its_canvas(
            sizes in proptest::collection::vec((1u32..20_000, 1u32..20_000), 1..80),
            columns in proptest::option::of(0u32..12),
            width in 0u32..100_000,
        ) {
            let o = SheetOptions { columns, width, ..SheetOptions::default() };
            if let Ok(s) = layout(&sizes, &o) {
                proptest::prop_assert!(s.width as u64 * s.height as u64 <= o.max_pixels);
                proptest::prop_assert_eq!(s.cells.len(), sizes.len());
                for c in &s.cells {
                    proptest::prop_assert!(c.cell.right() <= s.width && c.cell.bottom() <= s.height);
                    proptest::prop_assert!(c.image.right() <= c.cell.right());
                    proptest::prop_assert!(c.image.bottom() <= c.caption.y);
                }
            }
        }
    }
}
