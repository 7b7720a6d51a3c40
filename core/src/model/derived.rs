//! What a series' state implies, computed once: each frame's image, staleness and failure,
//! the anchor image and whether it is approved, what is missing, what the one generate
//! button does and which step of the guided flow the series is at. The UI computes it in one
//! memo from the fields it tracks ([`FrameFacts`] per frame, the versions, the anchor, the
//! bible's entities, whether the bible is written) and never re-states a rule.
//!
//! **The guided flow** (the rules live here, nowhere else):
//! 1. *Write the bible* — current while the bible is empty and the anchor has no image.
//! 2. *Generate the anchor* — the anchor frame (frame 1 in a new series, until the user picks
//!    another) has no image: the button reads "Generate the anchor" and plans that frame
//!    alone. Choosing the anchor is an edit and sends nothing.
//! 3. *Approve the anchor* — it has an image nobody approved: the button reads "Approve the
//!    anchor". Nothing is fanned out from an unapproved anchor. Replacing or regenerating the
//!    anchor's image un-approves it (the approval names the image) and makes every frame made
//!    from the old image stale.
//! 4. *Generate the series* — "Generate 11 frames from the anchor", then "Generate 3
//!    missing" / "Regenerate 4 stale".
//! 5. *Review, edit, export* — everything made and current.
//!
//! A series whose frames were made without an anchor (the user unset it, or chose "Generate
//! without an anchor") has no anchor steps: its button offers the missing frames, then
//! "Regenerate all".

use super::bible::Entity;
use super::series::Anchor;
use super::Version;
use crate::plan::Scope;
use crate::status::{frames as n_frames, GenerateAction};
use std::collections::HashMap;

/// What the derived state needs of one frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameFacts<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its active version pointer.
    pub pointer: Option<&'a str>,
    /// Whether a request for it failed (an image that is only waiting to be stored is not a
    /// failed request: see [`crate::model::FrameError::unsaved`]).
    pub failed: bool,
    /// Whether it has an error of any kind (the badge says "Failed").
    pub has_error: bool,
    /// Whether a batch of the Batch API is making it (then it is not missing).
    pub in_batch: bool,
}

/// What one frame shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FrameState {
    /// The version it shows (its active one, else its newest).
    pub active: Option<String>,
    /// Made from an anchor image that is no longer the anchor.
    pub stale: bool,
    /// A request for it failed.
    pub failed: bool,
    /// It has an error of any kind.
    pub has_error: bool,
}

/// The derived state of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct Derived {
    /// Content hash of the image the other frames are made from now.
    pub anchor_image: Option<String>,
    /// Whether that image is approved (a reference anchor always is).
    pub anchor_approved: bool,
    /// Each frame's state, by id.
    pub frames: HashMap<String, FrameState>,
    /// Stale frame ids, in order.
    pub stale: Vec<String>,
    /// Frames without an image.
    pub missing: usize,
    /// Frames whose request failed, in order ("Retry N failed").
    pub failed: Vec<String>,
    /// What the one generate button does.
    pub action: GenerateAction,
    /// The anchor frame: the chosen one, or frame 1 while a new series has no anchor and no
    /// image (see [`Derived::anchor_proposed`]).
    pub anchor_frame: Option<String>,
    /// Whether [`Derived::anchor_frame`] is only proposed (frame 1 of a new series, not
    /// chosen yet).
    pub anchor_proposed: bool,
    /// The guide's current step, 1 ‥ 5 (see the module documentation).
    pub step: u8,
}

/// The guide's steps, by number − 1: a short title each.
pub const STEPS: [&str; 5] = [
    "Write the bible",
    "Generate the anchor",
    "Approve the anchor",
    "Generate the series",
    "Review, edit, export",
];

impl Derived {
    /// The plan scope of the one generate button's action (`None` for "Approve the anchor",
    /// which sends nothing).
    pub fn scope(&self) -> Option<Scope> {
        match &self.action {
            GenerateAction::Anchor { frame_id, .. } => Some(Scope::Frames(vec![frame_id.clone()])),
            GenerateAction::Approve => None,
            GenerateAction::All(_) => Some(Scope::All),
            GenerateAction::Missing(_) => Some(Scope::Missing),
            GenerateAction::Stale(_) => Some(Scope::Stale),
        }
    }

    /// One frame's state (empty for an unknown frame).
    pub fn frame(&self, id: &str) -> FrameState {
        self.frames.get(id).cloned().unwrap_or_default()
    }
}

/// The version a frame shows: the one its pointer names (if it is the frame's), else its
/// newest.
pub fn active_version<'a>(
    versions: &'a [Version],
    frame_id: &str,
    pointer: Option<&str>,
) -> Option<&'a Version> {
    pointer
        .and_then(|id| {
            versions
                .iter()
                .find(|v| v.id == id && v.frame_id == frame_id)
        })
        .or_else(|| versions.iter().rev().find(|v| v.frame_id == frame_id))
}

/// Content hash of the anchor image: the anchor frame's active image (`pointer_of` gives a
/// frame's pointer, `None` for a frame that does not exist), or the reference image while its
/// entity still has it.
pub fn anchor_image<'a>(
    anchor: Option<&Anchor>,
    pointer_of: impl Fn(&str) -> Option<Option<&'a str>>,
    versions: &[Version],
    entities: &[Entity],
) -> Option<String> {
    match anchor? {
        Anchor::Frame { frame_id, .. } => {
            let pointer = pointer_of(frame_id)?;
            active_version(versions, frame_id, pointer).map(|v| v.image.hash.clone())
        }
        Anchor::Reference {
            entity_id,
            image_id,
        } => entities
            .iter()
            .find(|e| &e.id == entity_id)
            .filter(|e| e.references.iter().any(|r| &r.id == image_id))
            .map(|_| image_id.clone()),
    }
}

/// Whether the anchor image is approved: a frame anchor while the approved image is still its
/// image, a reference anchor while its image exists.
pub fn anchor_approved(anchor: Option<&Anchor>, image: Option<&str>) -> bool {
    match anchor {
        Some(Anchor::Frame {
            approved_image: Some(approved),
            ..
        }) => image == Some(approved.as_str()),
        Some(Anchor::Reference { .. }) => image.is_some(),
        _ => false,
    }
}

/// Whether a frame whose active version is `active` is stale: made from an anchor image
/// other than the current one (the anchor frame itself never is).
pub fn is_stale(
    frame_id: &str,
    active: Option<&Version>,
    anchor: Option<&Anchor>,
    image: Option<&str>,
) -> bool {
    if matches!(anchor, Some(Anchor::Frame { frame_id: a, .. }) if a == frame_id) {
        return false;
    }
    match active.and_then(|v| v.anchor_image.as_deref()) {
        Some(used) => image != Some(used),
        None => false,
    }
}

/// What a series needs next, as counted by [`derive`].
struct Needs<'a> {
    frames: &'a [FrameFacts<'a>],
    anchor: Option<&'a Anchor>,
    anchor_image: bool,
    approved: bool,
    missing: usize,
    stale: usize,
    any_image: bool,
}

/// The anchor frame the flow works with: the chosen one, or frame 1 while a series has no
/// anchor and no image yet (`true`: only proposed).
fn flow_anchor(n: &Needs) -> Option<(String, bool)> {
    match n.anchor {
        Some(Anchor::Frame { frame_id, .. }) => Some((frame_id.clone(), false)),
        Some(Anchor::Reference { .. }) if n.anchor_image => None,
        _ if n.any_image => None,
        _ => n.frames.first().map(|f| (f.id.to_string(), true)),
    }
}

/// The one generate button's action (the flow of the module documentation).
fn next_action(n: &Needs, anchor: Option<&(String, bool)>) -> GenerateAction {
    if let Some((frame_id, proposed)) = anchor {
        if !n.anchor_image {
            return GenerateAction::Anchor {
                frame_id: frame_id.clone(),
                choose: *proposed,
            };
        }
        if !n.approved {
            return GenerateAction::Approve;
        }
    }
    let from_anchor = n.anchor_image && n.approved;
    // Frames that can be made from the anchor: all but the anchor frame itself.
    let others = n.frames.len().saturating_sub(usize::from(anchor.is_some()));
    if n.stale > 0 {
        GenerateAction::Stale(format!("Regenerate {} stale", n.stale))
    } else if n.missing > 0 && from_anchor && n.missing == others {
        GenerateAction::Missing(format!("Generate {} from the anchor", n_frames(n.missing)))
    } else if n.missing > 0 {
        GenerateAction::Missing(format!("Generate {} missing", n.missing))
    } else {
        GenerateAction::All(format!("Regenerate all {}", n_frames(n.frames.len())))
    }
}

/// The guide's current step (1 ‥ 5) for what the series needs.
fn guide_step(n: &Needs, anchor: Option<&(String, bool)>, bible_written: bool) -> u8 {
    let anchored = anchor.is_some() || n.anchor_image;
    if anchored && !n.anchor_image {
        if bible_written {
            2
        } else {
            1
        }
    } else if anchored && !n.approved {
        3
    } else if n.missing > 0 || n.stale > 0 {
        4
    } else {
        5
    }
}

/// The derived state of frames (in order), versions, the anchor, the bible's entities and
/// whether the bible is written ([`crate::model::bible::Bible::is_written`]).
pub fn derive(
    frames: &[FrameFacts],
    versions: &[Version],
    anchor: Option<&Anchor>,
    entities: &[Entity],
    bible_written: bool,
) -> Derived {
    let pointer_of = |id: &str| frames.iter().find(|f| f.id == id).map(|f| f.pointer);
    let image = anchor_image(anchor, pointer_of, versions, entities);
    let approved = anchor_approved(anchor, image.as_deref());
    let mut states = HashMap::with_capacity(frames.len());
    let (mut stale, mut failed, mut missing) = (Vec::new(), Vec::new(), 0);
    for f in frames {
        let active = active_version(versions, f.id, f.pointer);
        let state = FrameState {
            active: active.map(|v| v.id.clone()),
            stale: is_stale(f.id, active, anchor, image.as_deref()),
            failed: f.failed,
            has_error: f.has_error,
        };
        missing += usize::from(active.is_none() && !f.in_batch);
        if state.stale {
            stale.push(f.id.to_string());
        }
        if state.failed {
            failed.push(f.id.to_string());
        }
        states.insert(f.id.to_string(), state);
    }
    let needs = Needs {
        frames,
        anchor,
        anchor_image: image.is_some(),
        approved,
        missing,
        stale: stale.len(),
        any_image: missing < frames.len(),
    };
    let flow = flow_anchor(&needs);
    let action = next_action(&needs, flow.as_ref());
    let step = guide_step(&needs, flow.as_ref(), bible_written);
    Derived {
        anchor_image: image,
        anchor_approved: approved,
        frames: states,
        stale,
        missing,
        failed,
        action,
        anchor_proposed: flow.as_ref().is_some_and(|(_, proposed)| *proposed),
        anchor_frame: flow.map(|(id, _)| id),
        step,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::action::{Edit, FrameEdit, SeriesEdit};
    use crate::model::template::Template;
    use crate::model::{FrameError, Series};

    fn derived(s: &Series) -> Derived {
        let facts: Vec<FrameFacts> = s
            .frames
            .iter()
            .map(|f| FrameFacts {
                id: &f.id,
                pointer: f.active_version.as_deref(),
                failed: f.error.as_ref().is_some_and(|e| !e.unsaved),
                has_error: f.error.is_some(),
                in_batch: false,
            })
            .collect();
        derive(
            &facts,
            &s.versions,
            s.anchor.as_ref(),
            &s.bible.entities,
            s.bible.is_written(),
        )
    }

    fn series(template: Template) -> Series {
        let mut n = 0;
        Series::from_template("D", template, "gpt-image-2", 1.0, || {
            n += 1;
            n
        })
    }

    /// Gives `id` a new image made from `anchor_image` (`None`: made without an anchor).
    fn made(s: &mut Series, version: &str, id: &str, anchor_image: Option<&str>) {
        let v = Version::sample(version, id, anchor_image);
        s.apply(Edit::result(id, vec![v])).unwrap();
    }

    #[test]
    fn the_button_and_the_guide_walk_the_five_steps() {
        let mut s = series(Template::Storyboard);
        let ids = s.frame_order.clone();
        // A new series: frame 1 is the proposed anchor; the bible is empty (step 1).
        let d = derived(&s);
        assert_eq!(
            d.action,
            GenerateAction::Anchor {
                frame_id: ids[0].clone(),
                choose: true
            }
        );
        assert_eq!(d.action.label(), "Generate the anchor");
        assert_eq!(d.scope(), Some(Scope::Frames(vec![ids[0].clone()])));
        assert_eq!(
            (d.anchor_frame.as_deref(), d.anchor_proposed),
            (Some(ids[0].as_str()), true)
        );
        assert_eq!(d.step, 1);
        // Writing the bible moves the guide on; choosing another anchor is only an edit.
        s.bible.style.look = "ink and wash".into();
        s.apply(Edit::Series(SeriesEdit::AnchorFrame(ids[2].clone())))
            .unwrap();
        let d = derived(&s);
        assert_eq!(d.step, 2);
        assert_eq!(
            d.action,
            GenerateAction::Anchor {
                frame_id: ids[2].clone(),
                choose: false
            }
        );
        assert!(!d.anchor_proposed);
        // The anchor has an image: approve it before anything is made from it (step 3).
        made(&mut s, "a1", &ids[2], None);
        let d = derived(&s);
        assert_eq!(
            (d.action.clone(), d.step, d.scope()),
            (GenerateAction::Approve, 3, None)
        );
        assert_eq!(d.action.label(), "Approve the anchor");
        // Approved: the fan-out (step 4).
        s.apply(Edit::Series(SeriesEdit::ApproveAnchor)).unwrap();
        let d = derived(&s);
        assert_eq!(d.action.label(), "Generate 11 frames from the anchor");
        assert_eq!((d.scope(), d.step), (Some(Scope::Missing), 4));
        // Some made (a batch cut short): the rest are "missing".
        for id in ids.iter().filter(|id| **id != ids[2]).take(8) {
            made(&mut s, &format!("v{id}"), id, Some("h-a1"));
        }
        let d = derived(&s);
        assert_eq!((d.action.label(), d.step), ("Generate 3 missing", 4));
        for id in ids.iter().filter(|id| **id != ids[2]).skip(8) {
            made(&mut s, &format!("v{id}"), id, Some("h-a1"));
        }
        // Everything made and current: step 5.
        let d = derived(&s);
        assert_eq!((d.action.label(), d.step), ("Regenerate all 12 frames", 5));
        // Regenerating the anchor: its approval is reset and the 11 frames are stale; the
        // button asks for the approval before it offers to remake them.
        made(&mut s, "a2", &ids[2], None);
        let d = derived(&s);
        assert!(!d.anchor_approved);
        assert_eq!(d.stale.len(), 11);
        assert_eq!((d.action.clone(), d.step), (GenerateAction::Approve, 3));
        s.apply(Edit::Series(SeriesEdit::ApproveAnchor)).unwrap();
        let d = derived(&s);
        assert_eq!((d.action.label(), d.step), ("Regenerate 11 stale", 4));
        assert_eq!(d.scope(), Some(Scope::Stale));
    }

    #[test]
    fn a_series_made_without_an_anchor_has_no_anchor_steps() {
        let mut s = series(Template::Carousel);
        let ids = s.frame_order.clone();
        made(&mut s, "v1", &ids[0], None);
        made(&mut s, "v2", &ids[1], None);
        let d = derived(&s);
        assert_eq!((d.anchor_frame.clone(), d.step), (None, 4));
        assert_eq!(
            d.action,
            GenerateAction::Missing("Generate 7 missing".into())
        );
        for (k, id) in ids.iter().enumerate().skip(2) {
            made(&mut s, &format!("v{k}"), id, None);
        }
        let d = derived(&s);
        assert_eq!((d.action.label(), d.step), ("Regenerate all 9 frames", 5));
    }

    #[test]
    fn derived_state_agrees_with_the_series_rules() {
        let mut s = series(Template::Storyboard);
        let ids = s.frame_order.clone();
        s.apply(Edit::Series(SeriesEdit::AnchorFrame(ids[0].clone())))
            .unwrap();
        made(&mut s, "a1", &ids[0], None);
        s.apply(Edit::Series(SeriesEdit::ApproveAnchor)).unwrap();
        for id in &ids[1..4] {
            made(&mut s, &format!("v{id}"), id, Some("h-a1"));
        }
        let d = derived(&s);
        assert!(d.anchor_approved && d.anchor_approved == s.anchor_approved());
        assert_eq!(d.anchor_image, s.anchor_image());
        assert_eq!(d.action.label(), "Generate 8 missing");
        // A new anchor image makes the three stale and un-approves the anchor.
        made(&mut s, "a2", &ids[0], None);
        let d = derived(&s);
        assert_eq!(d.stale, s.stale_frames());
        assert_eq!(d.stale.len(), 3);
        assert!(!d.anchor_approved);
        assert_eq!(d.missing, 8);
        assert!(d.frame(&ids[1]).stale && !d.frame(&ids[0]).stale);
        assert_eq!(d.frame(&ids[0]).active.as_deref(), Some("a2"));
        // A failed request counts for "Retry failed"; an image waiting to be stored does not.
        let error = FrameError {
            message: "blocked".into(),
            may_be_billed: false,
            request_ids: Vec::new(),
            unsaved: false,
        };
        s.apply(Edit::frame(&ids[5], FrameEdit::Failed(error)))
            .unwrap();
        s.apply(Edit::frame(&ids[6], FrameEdit::NotSaved("full".into())))
            .unwrap();
        let d = derived(&s);
        assert_eq!(d.failed, vec![ids[5].clone()]);
        assert!(d.frame(&ids[6]).has_error && !d.frame(&ids[6]).failed);
    }

    #[test]
    fn a_reference_anchor_counts_only_while_its_image_exists() {
        let mut s = series(Template::Comic);
        s.apply(Edit::Series(SeriesEdit::AnchorReference {
            entity_id: "gone".into(),
            image_id: "r1".into(),
        }))
        .unwrap();
        let d = derived(&s);
        assert_eq!((d.anchor_image.clone(), d.anchor_approved), (None, false));
        assert_eq!(d.anchor_approved, s.anchor_approved());
        // Without its image the flow proposes frame 1, as for a new series.
        assert!(d.anchor_proposed);
    }
}
