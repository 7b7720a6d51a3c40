//! Borrowed, validated views of the two buffer kinds: straight RGBA8 images and coverage masks.

use super::PixelError;

/// Checks `width × height × bytes_per_pixel == len` without overflow and returns the pixel
/// count.
fn checked_len(
    what: &'static str,
    width: u32,
    height: u32,
    bytes_per_pixel: usize,
    len: usize,
) -> Result<usize, PixelError> {
    if width == 0 || height == 0 {
        return Err(PixelError::Empty { width, height });
    }
    let too_large = PixelError::TooLarge { width, height };
    // Counts are reported as u32 (they travel to JavaScript as plain numbers), so the pixel
    // count must fit; on wasm32 the byte length must also fit a 32-bit usize.
    let pixels =
        u32::try_from(u64::from(width) * u64::from(height)).map_err(|_| too_large.clone())?;
    let pixels = usize::try_from(pixels).map_err(|_| too_large.clone())?;
    let expected = pixels.checked_mul(bytes_per_pixel).ok_or(too_large)?;
    if expected != len {
        return Err(PixelError::BufferLength {
            what,
            expected,
            actual: len,
        });
    }
    Ok(pixels)
}

/// A straight (not premultiplied) RGBA8 image: `width × height` pixels, row-major, 4 bytes
/// per pixel (R, G, B, A) — the layout of a canvas `ImageData`.
///
/// Built only through [`Rgba::new`], so every function taking an `Rgba` knows the buffer
/// length matches the size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgba<'a> {
    width: u32,
    height: u32,
    data: &'a [u8],
}

impl<'a> Rgba<'a> {
    /// Views `data` as a `width × height` RGBA8 image. Fails when a dimension is zero, when
    /// the size overflows, or when `data.len() != width × height × 4`.
    pub fn new(width: u32, height: u32, data: &'a [u8]) -> Result<Self, PixelError> {
        checked_len("RGBA image", width, height, 4, data.len())?;
        Ok(Rgba {
            width,
            height,
            data,
        })
    }

    /// Width in pixels (≥ 1).
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels (≥ 1).
    pub fn height(&self) -> u32 {
        self.height
    }

    /// `(width, height)`.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// The bytes, `width × height × 4` of them.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// `width × height`.
    pub fn pixel_count(&self) -> usize {
        self.data.len() / 4
    }
}

/// A painted mask as the mask painter holds it: one byte per pixel, row-major, `0` = not
/// painted, `255` = painted (a canvas's alpha channel, see
/// [`coverage_from_alpha`](super::coverage_from_alpha)).
///
/// Intermediate values (anti-aliased brush edges) count as painted from
/// [`PAINTED_MIN`](super::PAINTED_MIN) up; see [`is_painted`](super::is_painted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coverage<'a> {
    width: u32,
    height: u32,
    data: &'a [u8],
}

impl<'a> Coverage<'a> {
    /// Views `data` as a `width × height` coverage mask. Fails when a dimension is zero, when
    /// the size overflows, or when `data.len() != width × height`.
    pub fn new(width: u32, height: u32, data: &'a [u8]) -> Result<Self, PixelError> {
        checked_len("coverage", width, height, 1, data.len())?;
        Ok(Coverage {
            width,
            height,
            data,
        })
    }

    /// Width in pixels (≥ 1).
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels (≥ 1).
    pub fn height(&self) -> u32 {
        self.height
    }

    /// `(width, height)`.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// The bytes, one per pixel.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }
}

/// `Ok` when `actual` has the `expected` size, else [`PixelError::SizeMismatch`] naming `what`.
pub(crate) fn same_size(
    what: &'static str,
    expected: (u32, u32),
    actual: (u32, u32),
) -> Result<(), PixelError> {
    if expected == actual {
        Ok(())
    } else {
        Err(PixelError::SizeMismatch {
            what,
            expected,
            actual,
        })
    }
}
