//! The keep-everything-else guard and the consistency signal, as model decisions: which images
//! a version's leak is measured between, what a composite version records, and which frames
//! are scored against which reference image. The pixel work itself is `crate::pixels` (run in
//! the worker); this module only reads the series.

use crate::model::{ImageRef, SentRequest, Series, Version, VersionKind};
use crate::requests::base_label;

/// Feather radius of "Keep outside mask", in pixels: the result blends into the parent over
/// this many pixels *inside* the painted area (outside it every pixel is the parent's).
pub const COMPOSITE_FEATHER: u32 = 8;

/// What the leak of a version is measured between.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardInputs {
    /// The version the change is measured against (the edit's parent; for a composite, the
    /// version its edit started from).
    pub parent_id: String,
    /// Content hash of that version's image.
    pub parent_hash: String,
    /// Content hash of the measured version's image.
    pub result_hash: String,
    /// Content hash of the mask PNG sent (painted = alpha 0), when the edit had one.
    pub mask_hash: Option<String>,
    /// Content hash of the markup layer sent (marks over image 1), when the edit had one: the
    /// leak is then measured outside the marks widened by
    /// [`MARKUP_MARGIN`](crate::pixels::MARKUP_MARGIN).
    pub markup_hash: Option<String>,
    /// Whether "Keep outside mask" applies (a masked edit; a composite is already kept).
    pub can_composite: bool,
}

/// The inputs of the guard for `version_id`: an edit (masked or not) against its parent, or a
/// composite against the parent of the edit it keeps — whose leak outside the mask is then 0,
/// the proof. `None` for generations, locale variants, imports, or when a parent is gone.
pub fn guard_inputs(series: &Series, version_id: &str) -> Option<GuardInputs> {
    let v = series.version(version_id)?;
    let parent = match v.kind {
        VersionKind::Edited => series.version(v.parent.as_deref()?)?,
        VersionKind::Composite => {
            let edit = series.version(v.parent.as_deref()?)?;
            series.version(edit.parent.as_deref()?)?
        }
        _ => return None,
    };
    Some(GuardInputs {
        parent_id: parent.id.clone(),
        parent_hash: parent.image.hash.clone(),
        result_hash: v.image.hash.clone(),
        mask_hash: v.request.mask.clone(),
        markup_hash: v
            .request
            .markup
            .clone()
            .filter(|_| v.request.mask.is_none()),
        can_composite: v.kind == VersionKind::Edited && v.request.mask.is_some(),
    })
}

/// The leak figure in words: "3.2% of pixels outside the mask changed (ΔE > 10)", or without a
/// mask "…% of pixels changed against the parent (ΔE > 10; no mask)". `share` is 0 ‥ 1. A real
/// leak is never rounded down to "0.0%" (that would claim nothing changed): it reads "< 0.1%".
pub fn leak_figure(changed: u32, share: f64, threshold: f32, masked: bool) -> String {
    let percent = share * 100.0;
    let shown = if changed > 0 && percent < 0.05 {
        "< 0.1".to_string()
    } else {
        format!("{percent:.1}")
    };
    if masked {
        format!("{shown}% of pixels outside the mask changed (ΔE > {threshold})")
    } else {
        format!("{shown}% of pixels changed against the parent (ΔE > {threshold}; no mask)")
    }
}

/// The leak figure of a markup edit: "2.1% of pixels away from the marks changed (ΔE > 10;
/// marks widened by 48 px)". Never "0.0%" for a real leak, as [`leak_figure`].
pub fn marks_leak_figure(changed: u32, share: f64, threshold: f32) -> String {
    let figure = leak_figure(changed, share, threshold, true);
    let shown = figure.split('%').next().unwrap_or_default();
    format!(
        "{shown}% of pixels away from the marks changed (ΔE > {threshold}; marks widened by {} px)",
        crate::pixels::MARKUP_MARGIN
    )
}

/// "composite of Cover, version 2 over Cover, version 1": what a composite version's request
/// field says.
pub fn composite_note(series: &Series, edited: &Version, parent: &Version) -> String {
    format!(
        "composite of {} over {}",
        base_label(series, edited),
        base_label(series, parent)
    )
}

/// The version "Keep outside mask" adds: a child of `edited`, made without a request (it costs
/// nothing), whose request field names what was composited over what and keeps the mask.
pub fn composite_version(
    series: &Series,
    edited: &Version,
    id: String,
    image: ImageRef,
    created_ms: f64,
) -> Option<Version> {
    let parent = series.version(edited.parent.as_deref()?)?;
    Some(Version {
        id,
        series_id: edited.series_id.clone(),
        frame_id: edited.frame_id.clone(),
        rev: 1,
        parent: Some(edited.id.clone()),
        group: None,
        kind: VersionKind::Composite,
        image,
        created_ms,
        request: SentRequest {
            endpoint: String::new(),
            model: String::new(),
            prompt: String::new(),
            size: edited.request.size.clone(),
            quality: String::new(),
            output_format: "png".into(),
            n: 1,
            images: vec![edited.image.hash.clone(), parent.image.hash.clone()],
            mask: edited.request.mask.clone(),
            markup: None,
            note: composite_note(series, edited, parent),
        },
        instruction: None,
        locale: edited.locale.clone(),
        usage: None,
        request_cost_usd: Some(0.0),
        cost_usd: Some(0.0),
        request_id: None,
        anchor_image: edited.anchor_image.clone(),
        maybe_billed_attempts: 0,
    })
}

/// The consistency work of a series: the reference image (the anchor's active image, or the
/// anchor reference image) and every other frame's active image, as `(frame id, hash)`.
/// Empty without a reference. A frame showing the reference image itself is not scored.
pub fn consistency_targets(series: &Series) -> Option<(String, Vec<(String, String)>)> {
    let reference = series.anchor_image()?;
    let frames = series
        .frames
        .iter()
        .filter_map(|f| {
            let v = series.active(f)?;
            (v.image.hash != reference).then(|| (f.id.clone(), v.image.hash.clone()))
        })
        .collect();
    Some((reference, frames))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::template::Template;
    use crate::model::Anchor;

    fn series() -> Series {
        let mut n = 0;
        let mut s = Series::from_template("G", Template::Comic, "gpt-image-2", 1.0, || {
            n += 1;
            n
        });
        let f = s.frames[0].id.clone();
        let mut edited = Version::sample("v2", &f, None);
        edited.kind = VersionKind::Edited;
        edited.parent = Some("v1".into());
        edited.request.mask = Some("m1".into());
        s.apply(crate::model::action::Edit::result(
            &f,
            vec![Version::sample("v1", &f, None)],
        ))
        .unwrap();
        s.apply(crate::model::action::Edit::result(&f, vec![edited]))
            .unwrap();
        s
    }

    #[test]
    fn a_masked_edit_is_measured_against_its_parent_with_its_mask() {
        let s = series();
        let g = guard_inputs(&s, "v2").unwrap();
        assert_eq!(g.parent_id, "v1");
        assert_eq!(g.parent_hash, "h-v1");
        assert_eq!(g.result_hash, "h-v2");
        assert_eq!(g.mask_hash.as_deref(), Some("m1"));
        assert!(g.can_composite);
        assert_eq!(guard_inputs(&s, "v1"), None, "a generation has no parent");
    }

    /// A markup edit is measured outside its marks (the layer's hash is in its request), and
    /// cannot be composited (marks are no mask).
    #[test]
    fn a_markup_edit_is_measured_outside_its_marks() {
        let mut s = series();
        s.versions.iter_mut().for_each(|v| {
            v.request.mask = None;
            v.request.markup = Some("mk".into());
        });
        let g = guard_inputs(&s, "v2").unwrap();
        assert_eq!((g.mask_hash, g.markup_hash.as_deref()), (None, Some("mk")));
        assert!(!g.can_composite);
        assert_eq!(
            marks_leak_figure(3, 0.021, 10.0),
            "2.1% of pixels away from the marks changed (ΔE > 10; marks widened by 48 px)"
        );
        assert!(marks_leak_figure(1, 0.000_01, 10.0).starts_with("< 0.1%"));
    }

    #[test]
    fn an_unmasked_edit_shows_the_changed_area_and_cannot_be_composited() {
        let mut s = series();
        s.versions.iter_mut().for_each(|v| v.request.mask = None);
        let g = guard_inputs(&s, "v2").unwrap();
        assert_eq!(g.mask_hash, None);
        assert!(!g.can_composite);
    }

    #[test]
    fn a_composite_is_a_free_child_of_the_edit_and_says_what_it_is() {
        let mut s = series();
        let title = s.frames[0].title.clone();
        let edited = s.version("v2").unwrap().clone();
        let image = ImageRef {
            hash: "h-c".into(),
            ..edited.image.clone()
        };
        let c = composite_version(&s, &edited, "c".into(), image, 9.0).unwrap();
        assert_eq!(c.kind, VersionKind::Composite);
        assert_eq!(c.parent.as_deref(), Some("v2"));
        assert_eq!(c.cost_usd, Some(0.0));
        assert_eq!(c.request.mask.as_deref(), Some("m1"));
        assert_eq!(
            c.request.note,
            format!("composite of {title}, version 2 over {title}, version 1")
        );
        let f = s.frames[0].id.clone();
        s.apply(crate::model::action::Edit::result(&f, vec![c]))
            .unwrap();
        // Its guard measures it against the edit's parent, with the same mask.
        let g = guard_inputs(&s, "c").unwrap();
        assert_eq!(
            (g.parent_id.as_str(), g.result_hash.as_str()),
            ("v1", "h-c")
        );
        assert_eq!(g.mask_hash.as_deref(), Some("m1"));
        assert!(!g.can_composite);
    }

    #[test]
    fn the_leak_figure_states_the_threshold_and_never_rounds_a_leak_to_zero() {
        assert_eq!(
            leak_figure(32, 0.032, 10.0, true),
            "3.2% of pixels outside the mask changed (ΔE > 10)"
        );
        assert_eq!(
            leak_figure(0, 0.0, 10.0, true),
            "0.0% of pixels outside the mask changed (ΔE > 10)"
        );
        assert_eq!(
            leak_figure(3, 0.000_002, 10.0, true),
            "< 0.1% of pixels outside the mask changed (ΔE > 10)"
        );
        assert_eq!(
            leak_figure(500, 0.5, 12.5, false),
            "50.0% of pixels changed against the parent (ΔE > 12.5; no mask)"
        );
    }

    #[test]
    fn frames_are_scored_against_the_anchor_image_but_not_the_anchor_itself() {
        let mut s = series();
        assert_eq!(consistency_targets(&s), None, "no anchor, no reference");
        let (a, b) = (s.frames[0].id.clone(), s.frames[1].id.clone());
        s.apply(crate::model::action::Edit::result(
            &b,
            vec![Version::sample("w1", &b, None)],
        ))
        .unwrap();
        s.anchor = Some(Anchor::Frame {
            frame_id: a.clone(),
            approved_image: None,
        });
        let (reference, frames) = consistency_targets(&s).unwrap();
        assert_eq!(reference, "h-v2", "the anchor's active image");
        assert_eq!(frames, vec![(b, "h-w1".to_string())]);
    }
}
