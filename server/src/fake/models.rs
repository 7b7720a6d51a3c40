//! The model catalogue of the reference (§17) and each family's size rule (§3.2).

/// How a model behaves for validation, sizes and token counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `gpt-image-2` and its snapshot.
    Gpt2,
    /// `gpt-image-2.5-sunburst` / `-flare` and their snapshots.
    Gpt25,
    /// `gpt-image-2.6-sunburst` / `-flare`. The reference documents free sizes only for
    /// gpt-image-2 and the 2.5 models (§17), so the fake takes the three preset sizes (and
    /// `auto`); `xhigh`/`max` per relays (§18, third party), `complexity` and `markup` per
    /// OpenAI's model page (§18); transparent backgrounds are not documented for it (refused).
    Gpt26,
    /// `gpt-image-1.5` and its snapshot.
    Gpt15,
    /// `gpt-image-1-mini`.
    Gpt1Mini,
    /// `chatgpt-image-latest` (treated like the 1.x models).
    ChatGptLatest,
}

impl Family {
    /// True for gpt-image-2, 2.5 and 2.6: always high input fidelity, GIF/SVG output and the
    /// §11.3 output-token formula.
    pub fn is_flexible(self) -> bool {
        matches!(self, Family::Gpt2 | Family::Gpt25 | Family::Gpt26)
    }

    /// Whether any `WIDTHxHEIGHT` of the §3.2 rule is accepted (reference §17: gpt-image-2 and
    /// the 2.5 models). The others take only the three preset sizes.
    pub fn has_free_sizes(self) -> bool {
        matches!(self, Family::Gpt2 | Family::Gpt25)
    }

    /// Whether the extra quality levels `xhigh` and `max` exist (reference §17: the 2.5
    /// models; §18: 2.6, per relays).
    pub fn has_extended_quality(self) -> bool {
        matches!(self, Family::Gpt25 | Family::Gpt26)
    }

    /// Whether `complexity` (planning effort) is accepted (reference §18: the 2.6 model page).
    pub fn has_complexity(self) -> bool {
        self == Family::Gpt26
    }

    /// Whether an edit may carry `markup` (reference §17: the 2.5 models; §18: 2.6).
    pub fn has_markup(self) -> bool {
        matches!(self, Family::Gpt25 | Family::Gpt26)
    }

    /// Whether `background: "transparent"` is accepted (reference §1: the 1.x models; preview
    /// on gpt-image-2 since 2026-08-20; §17: the 2.5 models). Nothing documents it for 2.6.
    pub fn has_transparent_background(self) -> bool {
        self != Family::Gpt26
    }
}

/// Every model id the fake accepts, with its family.
pub const MODELS: &[(&str, Family)] = &[
    ("gpt-image-2", Family::Gpt2),
    ("gpt-image-2-2026-04-21", Family::Gpt2),
    ("gpt-image-2.5-sunburst", Family::Gpt25),
    ("gpt-image-2.5-sunburst-2026-09-08", Family::Gpt25),
    ("gpt-image-2.5-flare", Family::Gpt25),
    ("gpt-image-2.5-flare-2026-09-08", Family::Gpt25),
    ("gpt-image-2.6-sunburst", Family::Gpt26),
    ("gpt-image-2.6-flare", Family::Gpt26),
    ("gpt-image-1.5", Family::Gpt15),
    ("gpt-image-1.5-2025-12-16", Family::Gpt15),
    ("gpt-image-1-mini", Family::Gpt1Mini),
    ("chatgpt-image-latest", Family::ChatGptLatest),
];

/// Models that existed but were shut down, with the date and a hint for the message.
const RETIRED: &[(&str, &str, &str)] = &[
    (
        "gpt-image-1",
        "2026-10-23",
        "use gpt-image-2 or its successors gpt-image-2.5-sunburst / gpt-image-2.5-flare",
    ),
    ("dall-e-2", "2026-05-12", "use gpt-image-2"),
    ("dall-e-3", "2026-05-12", "use gpt-image-2"),
];

/// Looks a model id up in the catalogue.
pub fn family_of(model: &str) -> Option<Family> {
    MODELS
        .iter()
        .find(|(name, _)| *name == model)
        .map(|(_, family)| *family)
}

/// The 404 message for a model that is not in the catalogue.
pub fn not_found_message(model: &str) -> String {
    match RETIRED.iter().find(|(name, _, _)| *name == model) {
        Some((name, date, hint)) => format!(
            "The model `{name}` does not exist or you do not have access to it. \
             It was shut down on {date}; {hint}."
        ),
        None => format!("The model `{model}` does not exist or you do not have access to it."),
    }
}

/// The three preset sizes: all the 1.x models and gpt-image-2.6 take.
pub const FIXED_SIZES: &[(u32, u32)] = &[(1024, 1024), (1536, 1024), (1024, 1536)];

/// Smallest pixel count of a flexible size.
pub const MIN_PIXELS: u64 = 655_360;
/// Largest pixel count of a flexible size (3840x2160).
pub const MAX_PIXELS: u64 = 8_294_400;
/// Longest allowed edge of a flexible size.
pub const MAX_EDGE: u32 = 3840;

/// Parses `WIDTHxHEIGHT` (decimal digits only, lowercase `x`).
pub fn parse_size(size: &str) -> Option<(u32, u32)> {
    let (w, h) = size.split_once('x')?;
    let digits = |s: &str| !s.is_empty() && s.len() <= 6 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(w) || !digits(h) {
        return None;
    }
    let (w, h) = (w.parse().ok()?, h.parse().ok()?);
    (w > 0 && h > 0).then_some((w, h))
}

/// Checks an explicit size (`auto` is resolved by the caller) against the family's rule.
/// The error is the complete message for a 400 `invalid_value` on `size`.
pub fn check_size(family: Family, size: &str) -> Result<(u32, u32), String> {
    if !family.has_free_sizes() {
        return parse_size(size)
            .filter(|wh| FIXED_SIZES.contains(wh))
            .ok_or_else(|| {
                format!(
                    "Invalid value: '{size}'. Supported values are: '1024x1024', '1024x1536', \
                     '1536x1024', and 'auto'."
                )
            });
    }
    let (w, h) = parse_size(size).ok_or_else(|| {
        format!(
            "Invalid value: '{size}'. Supported values are: 'auto' or 'WIDTHxHEIGHT' where both \
             edges are multiples of 16 (for example '1024x1024' or '1536x864')."
        )
    })?;
    check_flexible(w, h).map_err(|why| format!("Invalid size '{size}': {why}."))?;
    Ok((w, h))
}

/// The gpt-image-2 rule: multiples of 16, long edge ≤ 3840, ratio ≤ 3:1,
/// 655,360 ≤ W·H ≤ 8,294,400. Returns the first broken constraint.
pub fn check_flexible(w: u32, h: u32) -> Result<(), String> {
    let (long, short) = (w.max(h), w.min(h));
    let pixels = u64::from(w) * u64::from(h);
    if !w.is_multiple_of(16) || !h.is_multiple_of(16) {
        Err("width and height must both be multiples of 16".into())
    } else if long > MAX_EDGE {
        Err(format!(
            "the longest edge must be at most {MAX_EDGE} pixels"
        ))
    } else if u64::from(long) > 3 * u64::from(short) {
        Err("the aspect ratio must be between 1:3 and 3:1".into())
    } else if pixels < MIN_PIXELS {
        Err(format!(
            "the image must have at least {MIN_PIXELS} pixels (got {pixels})"
        ))
    } else if pixels > MAX_PIXELS {
        Err(format!(
            "the image must have at most {MAX_PIXELS} pixels (got {pixels})"
        ))
    } else {
        Ok(())
    }
}

/// Whether `(w, h)` is a valid explicit size for the family (used for edits' `auto`).
pub fn size_is_valid(family: Family, w: u32, h: u32) -> bool {
    if family.has_free_sizes() {
        check_flexible(w, h).is_ok()
    } else {
        FIXED_SIZES.contains(&(w, h))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_knows_every_listed_model() {
        assert_eq!(family_of("gpt-image-2"), Some(Family::Gpt2));
        assert_eq!(
            family_of("gpt-image-2.5-flare-2026-09-08"),
            Some(Family::Gpt25)
        );
        assert_eq!(family_of("gpt-image-2.6-sunburst"), Some(Family::Gpt26));
        assert_eq!(family_of("gpt-image-1.5-2025-12-16"), Some(Family::Gpt15));
        assert_eq!(
            family_of("chatgpt-image-latest"),
            Some(Family::ChatGptLatest)
        );
        assert_eq!(family_of("gpt-image-1"), None);
        assert!(not_found_message("gpt-image-1").contains("2026-10-23"));
        assert!(not_found_message("dall-e-3").contains("2026-05-12"));
        assert!(!not_found_message("foo").contains("shut down"));
    }

    #[test]
    fn flexible_sizes_follow_every_constraint() {
        let f = Family::Gpt2;
        for ok in [
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
            assert!(check_size(f, ok).is_ok(), "{ok} should be valid");
        }
        let bad = [
            ("1000x1000", "multiples of 16"),
            ("4096x1024", "longest edge"),
            ("3840x1264", "aspect ratio"),
            ("2400x784", "aspect ratio"),
            ("1008x640", "at least"),
            ("3840x2176", "at most"),
            ("512x512", "at least"),
            ("1024", "Supported values"),
            ("1024X1024", "Supported values"),
            ("-16x1024", "Supported values"),
            ("0x0", "Supported values"),
            (" 1024x1024", "Supported values"),
        ];
        for (size, why) in bad {
            let err = check_size(f, size).expect_err(size);
            assert!(err.contains(why), "{size}: {err}");
        }
        // Exactly 3:1 and exactly the pixel bounds are allowed.
        assert!(check_flexible(2304, 768).is_ok());
        assert!(check_flexible(1024, 640).is_ok());
        assert_eq!(u64::from(1024u32 * 640), MIN_PIXELS);
    }

    #[test]
    fn fixed_sizes_for_one_x_models() {
        for f in [Family::Gpt15, Family::Gpt1Mini, Family::ChatGptLatest] {
            assert_eq!(check_size(f, "1536x1024"), Ok((1536, 1024)));
            assert!(check_size(f, "2048x2048").is_err());
            assert!(check_size(f, "1536x864").is_err());
        }
        assert!(size_is_valid(Family::Gpt15, 1024, 1536));
        assert!(!size_is_valid(Family::Gpt15, 1024, 1280));
        assert!(size_is_valid(Family::Gpt25, 1024, 1280));
    }

    #[test]
    fn gpt_image_2_6_takes_only_what_the_reference_documents() {
        let f = Family::Gpt26;
        assert!(f.is_flexible() && !f.has_free_sizes() && f.has_extended_quality());
        assert!(f.has_complexity() && f.has_markup() && !f.has_transparent_background());
        assert!(!Family::Gpt25.has_complexity() && Family::Gpt25.has_markup());
        assert!(!Family::Gpt2.has_markup() && Family::Gpt2.has_transparent_background());
        assert_eq!(check_size(f, "1024x1536"), Ok((1024, 1536)));
        assert!(check_size(f, "1536x864").is_err());
        assert!(!size_is_valid(f, 1024, 1280));
        assert!(Family::Gpt25.has_free_sizes() && Family::Gpt25.has_extended_quality());
        assert!(Family::Gpt2.has_free_sizes() && !Family::Gpt2.has_extended_quality());
    }
}
