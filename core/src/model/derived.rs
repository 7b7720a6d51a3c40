//! What a series' state implies, computed once: each frame's image, staleness and failure,
//! the anchor image and whether it is approved, what is missing, and what the one generate
//! button does. The UI computes it in one memo from the fields it tracks ([`FrameFacts`] per
//! frame, the versions, the anchor, the bible's entities) and never re-states a rule.

use super::bible::Entity;
use super::series::Anchor;
use super::Version;
use crate::plan::Scope;
use crate::status::{generate_action, GenerateAction, SeriesNeeds};
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
}

impl Derived {
    /// The plan scope of the one generate button's action.
    pub fn scope(&self) -> Scope {
        match self.action {
            GenerateAction::All(_) => Scope::All,
            GenerateAction::Missing(_) => Scope::Missing,
            GenerateAction::Stale(_) => Scope::Stale,
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

/// The derived state of frames (in order), versions, the anchor and the bible's entities.
pub fn derive(
    frames: &[FrameFacts],
    versions: &[Version],
    anchor: Option<&Anchor>,
    entities: &[Entity],
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
        missing += usize::from(active.is_none());
        if state.stale {
            stale.push(f.id.to_string());
        }
        if state.failed {
            failed.push(f.id.to_string());
        }
        states.insert(f.id.to_string(), state);
    }
    let action = generate_action(SeriesNeeds {
        frames: frames.len(),
        missing,
        stale: stale.len(),
        has_anchor_frame: matches!(anchor, Some(Anchor::Frame { .. })),
        anchor_approved: approved,
    });
    Derived {
        anchor_image: image,
        anchor_approved: approved,
        frames: states,
        stale,
        missing,
        failed,
        action,
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
            })
            .collect();
        derive(&facts, &s.versions, s.anchor.as_ref(), &s.bible.entities)
    }

    #[test]
    fn derived_state_agrees_with_the_series_rules() {
        let mut n = 0;
        let mut s = Series::from_template("D", Template::Storyboard, "gpt-image-2", 1.0, || {
            n += 1;
            n
        });
        let ids = s.frame_order.clone();
        s.apply(Edit::Series(SeriesEdit::AnchorFrame(ids[0].clone())))
            .unwrap();
        s.apply(Edit::result(
            &ids[0],
            vec![Version::sample("a1", &ids[0], None)],
        ))
        .unwrap();
        let d = derived(&s);
        assert_eq!(d.action.label(), "Generate 11 missing");
        s.apply(Edit::Series(SeriesEdit::ApproveAnchor)).unwrap();
        for id in &ids[1..4] {
            let v = Version::sample(&format!("v{id}"), id, Some("h-a1"));
            s.apply(Edit::result(id, vec![v])).unwrap();
        }
        let d = derived(&s);
        assert!(d.anchor_approved && d.anchor_approved == s.anchor_approved());
        assert_eq!(d.anchor_image, s.anchor_image());
        assert_eq!(d.action.label(), "Generate 8 frames from the anchor");
        assert_eq!(d.scope(), Scope::Missing);
        // A new anchor image makes the three stale and un-approves the anchor.
        s.apply(Edit::result(
            &ids[0],
            vec![Version::sample("a2", &ids[0], None)],
        ))
        .unwrap();
        let d = derived(&s);
        assert_eq!(d.stale, s.stale_frames());
        assert_eq!(d.stale.len(), 3);
        assert!(!d.anchor_approved);
        assert_eq!((d.scope(), d.missing), (Scope::Stale, 8));
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
        let mut n = 0;
        let mut s = Series::from_template("R", Template::Comic, "gpt-image-2", 1.0, || {
            n += 1;
            n
        });
        s.apply(Edit::Series(SeriesEdit::AnchorReference {
            entity_id: "gone".into(),
            image_id: "r1".into(),
        }))
        .unwrap();
        let d = derived(&s);
        assert_eq!((d.anchor_image.clone(), d.anchor_approved), (None, false));
        assert_eq!(d.anchor_approved, s.anchor_approved());
    }
}
