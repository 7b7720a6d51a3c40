//! Image sizes (`WIDTHxHEIGHT`) and the rules a model places on them.
//!
//! gpt-image-2 accepts any size whose edges are multiples of 16, whose long edge is at most
//! 3840, whose aspect ratio is at most 3:1 and whose area lies in 655,360..=8,294,400 pixels
//! (reference §3.2). The 1.x models accept only three fixed sizes. Both shapes are described by
//! [`SizeRule`], which the model catalogue carries as data.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A concrete output size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Size {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl Size {
    /// A size of `width` × `height` pixels.
    pub const fn new(width: u32, height: u32) -> Self {
        Self { width, height }
    }

    /// Parses `"1024x1536"`; `None` for anything else (including `"auto"`).
    pub fn parse(text: &str) -> Option<Self> {
        let (w, h) = text.trim().split_once(['x', 'X', '×'])?;
        let width = w.trim().parse().ok()?;
        let height = h.trim().parse().ok()?;
        (width > 0 && height > 0).then_some(Self { width, height })
    }

    /// Number of pixels.
    pub fn pixels(self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }

    /// Width divided by height, for CSS `aspect-ratio` and layout.
    pub fn aspect(self) -> f64 {
        f64::from(self.width) / f64::from(self.height)
    }

    /// The long edge.
    pub fn long_edge(self) -> u32 {
        self.width.max(self.height)
    }

    /// The short edge.
    pub fn short_edge(self) -> u32 {
        self.width.min(self.height)
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

/// The sizes a model accepts, as data (see `public/models.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum SizeRule {
    /// Any size within these bounds (gpt-image-2 and later).
    Flexible {
        /// Both edges must be multiples of this.
        multiple: u32,
        /// Longest allowed edge.
        max_edge: u32,
        /// Largest allowed long-edge / short-edge ratio.
        max_ratio: f64,
        /// Smallest allowed area.
        min_pixels: u64,
        /// Largest allowed area.
        max_pixels: u64,
        /// Areas above this are labelled "experimental" by OpenAI.
        #[serde(default)]
        experimental_above_pixels: Option<u64>,
    },
    /// Only these sizes (the 1.x models).
    Fixed {
        /// The accepted sizes, e.g. `1024x1024`.
        allowed: Vec<String>,
    },
}

/// Why a size was refused, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeError(pub String);

impl fmt::Display for SizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl SizeRule {
    /// The gpt-image-2 rule of the reference (§3.2).
    pub fn gpt_image_2() -> Self {
        SizeRule::Flexible {
            multiple: 16,
            max_edge: 3840,
            max_ratio: 3.0,
            min_pixels: 655_360,
            max_pixels: 8_294_400,
            experimental_above_pixels: Some(3_686_400),
        }
    }

    /// Checks `size` against the rule; the error says which bound was broken and by how much.
    pub fn check(&self, size: Size) -> Result<(), SizeError> {
        match self {
            SizeRule::Fixed { allowed } => {
                if allowed.iter().any(|a| Size::parse(a) == Some(size)) {
                    Ok(())
                } else {
                    Err(SizeError(format!(
                        "{size} is not available for this model; choose one of {}.",
                        allowed.join(", ")
                    )))
                }
            }
            SizeRule::Flexible {
                multiple,
                max_edge,
                max_ratio,
                min_pixels,
                max_pixels,
                ..
            } => {
                let m = *multiple;
                if !size.width.is_multiple_of(m) || !size.height.is_multiple_of(m) {
                    return Err(SizeError(format!(
                        "{size}: both edges must be multiples of {m} (nearest: {}).",
                        Size::new(round_to(size.width, m), round_to(size.height, m))
                    )));
                }
                if size.long_edge() > *max_edge {
                    return Err(SizeError(format!(
                        "{size}: the long edge may be at most {max_edge} px."
                    )));
                }
                let ratio = f64::from(size.long_edge()) / f64::from(size.short_edge());
                if ratio > *max_ratio + 1e-9 {
                    return Err(SizeError(format!(
                        "{size}: the aspect ratio {ratio:.2}:1 exceeds {max_ratio}:1."
                    )));
                }
                if size.pixels() < *min_pixels {
                    return Err(SizeError(format!(
                        "{size}: {} pixels is below the minimum of {min_pixels}.",
                        size.pixels()
                    )));
                }
                if size.pixels() > *max_pixels {
                    return Err(SizeError(format!(
                        "{size}: {} pixels is above the maximum of {max_pixels}.",
                        size.pixels()
                    )));
                }
                Ok(())
            }
        }
    }

    /// Whether OpenAI calls this size experimental (valid, but less reliable).
    pub fn is_experimental(&self, size: Size) -> bool {
        match self {
            SizeRule::Flexible {
                experimental_above_pixels: Some(limit),
                ..
            } => size.pixels() > *limit,
            _ => false,
        }
    }
}

fn round_to(value: u32, multiple: u32) -> u32 {
    ((value + multiple / 2) / multiple).max(1) * multiple
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_sizes() {
        assert_eq!(Size::parse("1024x1536"), Some(Size::new(1024, 1536)));
        assert_eq!(Size::parse(" 1536 x 864 "), Some(Size::new(1536, 864)));
        assert_eq!(Size::parse("auto"), None);
        assert_eq!(Size::parse("0x10"), None);
        assert_eq!(Size::new(1088, 1360).to_string(), "1088x1360");
    }

    #[test]
    fn gpt_image_2_rule_accepts_the_reference_examples() {
        let rule = SizeRule::gpt_image_2();
        for s in [
            "1024x1024",
            "1536x1024",
            "1024x1536",
            "2048x2048",
            "2048x1152",
            "3840x2160",
            "2160x3840",
            "1024x1280",
            "1088x1360",
            "1536x864",
            "864x1536",
            "1024x640",
        ] {
            assert_eq!(rule.check(Size::parse(s).unwrap()), Ok(()), "{s}");
        }
    }

    #[test]
    fn gpt_image_2_rule_refuses_each_bound() {
        let rule = SizeRule::gpt_image_2();
        let refuse = |s: &str, word: &str| {
            let err = rule.check(Size::parse(s).unwrap()).unwrap_err();
            assert!(err.0.contains(word), "{s}: {err}");
        };
        refuse("1080x1350", "multiples of 16");
        refuse("3856x2160", "long edge");
        refuse("3072x1008", "aspect ratio");
        refuse("800x800", "minimum");
        refuse("3840x3840", "maximum");
        refuse("2896x2896", "maximum");
        assert_eq!(
            rule.check(Size::new(2880, 2880)),
            Ok(()),
            "the maximum area itself is allowed"
        );
    }

    #[test]
    fn experimental_sizes_are_flagged() {
        let rule = SizeRule::gpt_image_2();
        assert!(!rule.is_experimental(Size::new(2560, 1440)));
        assert!(rule.is_experimental(Size::new(3840, 2160)));
    }

    #[test]
    fn fixed_rule_lists_the_choices() {
        let rule = SizeRule::Fixed {
            allowed: vec!["1024x1024".into(), "1536x1024".into(), "1024x1536".into()],
        };
        assert!(rule.check(Size::new(1536, 1024)).is_ok());
        let err = rule.check(Size::new(1024, 1280)).unwrap_err();
        assert!(err.0.contains("1024x1536"));
    }
}
