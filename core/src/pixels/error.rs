//! The one error type of [`crate::pixels`].

use std::fmt;

/// Why a pixel function refused its input. Every function of [`crate::pixels`] validates sizes
/// and parameters up front and returns this instead of panicking, so the worker can forward
/// the message to the UI as is.
#[derive(Debug, Clone, PartialEq)]
pub enum PixelError {
    /// The width or the height is zero.
    Empty {
        /// Width that was given.
        width: u32,
        /// Height that was given.
        height: u32,
    },
    /// `width × height × bytes per pixel` does not fit in memory (`usize`) or the pixel
    /// count does not fit in `u32` (counts are reported as `u32`).
    TooLarge {
        /// Width that was given.
        width: u32,
        /// Height that was given.
        height: u32,
    },
    /// A buffer's length is not `width × height × bytes per pixel`.
    BufferLength {
        /// Which buffer (`"RGBA image"`, `"coverage"`).
        what: &'static str,
        /// Expected length in bytes.
        expected: usize,
        /// Actual length in bytes.
        actual: usize,
    },
    /// Two buffers that must have the same size do not.
    SizeMismatch {
        /// Which buffer has the wrong size (`"result"`, `"mask"`, …).
        what: &'static str,
        /// The size it must have, `(width, height)`.
        expected: (u32, u32),
        /// The size it has, `(width, height)`.
        actual: (u32, u32),
    },
    /// An encoded mask PNG is not under OpenAI's 4 MB limit.
    MaskTooLarge {
        /// Its length in bytes.
        bytes: usize,
        /// The exclusive limit, [`MASK_PNG_LIMIT`](super::MASK_PNG_LIMIT).
        limit: usize,
    },
    /// A numeric parameter is out of range (NaN, negative, zero where it must be positive…).
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// What it must be.
        reason: &'static str,
    },
    /// A consistency [`Signature`](super::Signature) is malformed (e.g. deserialised from a
    /// record written by another version): wrong lightness grid length or an empty palette.
    BadSignature,
}

impl fmt::Display for PixelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PixelError::Empty { width, height } => {
                write!(f, "the image is empty ({width}×{height} pixels)")
            }
            PixelError::TooLarge { width, height } => {
                write!(f, "the image is too large ({width}×{height} pixels)")
            }
            PixelError::BufferLength {
                what,
                expected,
                actual,
            } => write!(
                f,
                "the {what} buffer has {actual} bytes, but its size needs {expected}"
            ),
            PixelError::SizeMismatch {
                what,
                expected,
                actual,
            } => write!(
                f,
                "the {what} is {}×{} pixels, but it must be {}×{}",
                actual.0, actual.1, expected.0, expected.1
            ),
            PixelError::MaskTooLarge { bytes, limit } => write!(
                f,
                "the mask PNG has {bytes} bytes; OpenAI accepts masks under {limit} bytes"
            ),
            PixelError::InvalidParameter { name, reason } => {
                write!(f, "invalid {name}: it must be {reason}")
            }
            PixelError::BadSignature => f.write_str("the consistency signature is malformed"),
        }
    }
}

impl std::error::Error for PixelError {}
