//! The stored model: projects (series), their frames and the images (takes) made for them.
//!
//! Plain data with plain methods, tested natively. Image bytes are never here: a [`Take`] names
//! a `Blob` stored in IndexedDB by key.

pub mod bible;
pub mod shot;
pub mod size;
pub mod template;

use crate::openai::types::Usage;
use bible::Bible;
use serde::{Deserialize, Serialize};
use shot::ShotSpec;
use size::Size;
use template::Template;

/// Version of the stored project format; bumped with a migration when the shape changes.
pub const SCHEMA_VERSION: u32 = 1;

/// Makes an id like `p_1f3a…` from a prefix and 64 random bits (the caller supplies the
/// randomness so this stays pure).
pub fn make_id(prefix: &str, random: u64) -> String {
    format!("{prefix}_{random:016x}")
}

/// One image made for a frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Take {
    /// Unique id; also the IndexedDB key of the image `Blob`.
    pub id: String,
    /// Pixel width of the stored image.
    pub width: u32,
    /// Pixel height of the stored image.
    pub height: u32,
    /// MIME type of the stored image.
    pub mime: String,
    /// When it was made (ms since the epoch).
    pub created_ms: f64,
    /// The exact prompt that was sent.
    #[serde(default)]
    pub prompt: String,
    /// Token usage reported by the API.
    #[serde(default)]
    pub usage: Option<Usage>,
    /// Actual cost in US dollars, from `usage`.
    #[serde(default)]
    pub cost_usd: Option<f64>,
    /// `x-request-id` of the response, for OpenAI support.
    #[serde(default)]
    pub request_id: Option<String>,
    /// The anchor image this take was generated from (its image key), if any. When the
    /// series' anchor changes, takes made from the old one are stale.
    #[serde(default)]
    pub anchor_image: Option<String>,
    /// Keys of every reference image sent with the request, in order.
    #[serde(default)]
    pub references: Vec<String>,
    /// Failed attempts before this one that may still have been billed.
    #[serde(default)]
    pub maybe_billed_attempts: u32,
}

#[cfg(test)]
impl Take {
    /// A take for tests: an image key and, optionally, the anchor image it was made from.
    pub(crate) fn sample(id: &str, anchor_image: Option<&str>) -> Take {
        Take {
            id: id.into(),
            width: 1024,
            height: 1280,
            mime: "image/png".into(),
            created_ms: 5.0,
            prompt: "p".into(),
            usage: None,
            cost_usd: Some(0.045),
            request_id: Some("req_1".into()),
            anchor_image: anchor_image.map(str::to_string),
            references: Vec::new(),
            maybe_billed_attempts: 0,
        }
    }
}

/// A failure that is kept with the frame until it is generated again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameError {
    /// What happened and what to do, in words a person understands.
    pub message: String,
    /// Whether the failed request may still have been billed.
    #[serde(default)]
    pub may_be_billed: bool,
    /// `x-request-id`s of the attempts, oldest first (for OpenAI support).
    #[serde(default)]
    pub request_ids: Vec<String>,
}

/// One slot of a series: a slide, a panel or a view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    /// Unique id within the project.
    pub id: String,
    /// Short title, e.g. "Slide 1 · Hook".
    pub title: String,
    /// What happens in this frame (subject and action), in the user's words.
    #[serde(default)]
    pub prompt: String,
    /// How it is shot, its on-image text and which bible entities appear.
    #[serde(default)]
    pub shot: ShotSpec,
    /// Images made for this frame, oldest first.
    #[serde(default)]
    pub takes: Vec<Take>,
    /// The take the user keeps (index into `takes` by id).
    #[serde(default)]
    pub selected_take: Option<String>,
    /// The last failure, cleared by the next success.
    #[serde(default)]
    pub error: Option<FrameError>,
    /// Set while a request for this frame is in flight (ms since the epoch). Still set when the
    /// project is loaded means the page closed mid-request: see [`Project::reconcile_interrupted`].
    #[serde(default)]
    pub in_flight_since: Option<f64>,
}

impl Frame {
    /// An empty frame.
    pub fn new(id: String, title: String) -> Self {
        Self {
            id,
            title,
            prompt: String::new(),
            shot: ShotSpec::default(),
            takes: Vec::new(),
            selected_take: None,
            error: None,
            in_flight_since: None,
        }
    }

    /// The take shown for this frame: the selected one, else the newest.
    pub fn current_take(&self) -> Option<&Take> {
        self.selected_take
            .as_ref()
            .and_then(|id| self.takes.iter().find(|t| &t.id == id))
            .or_else(|| self.takes.last())
    }
}

/// Output settings shared by every frame of a series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputSettings {
    /// Model id, e.g. `gpt-image-2`.
    pub model: String,
    /// Output size of every frame.
    pub size: Size,
    /// `quality` value sent.
    pub quality: String,
    /// `output_format` value sent.
    #[serde(default = "default_format")]
    pub output_format: String,
    /// Images per frame (`n`, 1–4) to pick from.
    #[serde(default = "one")]
    pub variants: u8,
}

fn one() -> u8 {
    1
}

/// What the other frames of a series are generated *from*.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    /// A frame of the series (e.g. the hero frame); its current image is the anchor image.
    Frame {
        /// The anchor frame.
        frame_id: String,
        /// The take the user approved; the anchor counts as approved only while it is still
        /// the frame's current take.
        approved_take: Option<String>,
    },
    /// A reference image of a bible entity (e.g. an uploaded character sheet); always approved.
    Reference {
        /// The entity.
        entity_id: String,
        /// The reference image key.
        image_id: String,
    },
}

fn default_format() -> String {
    "png".into()
}

/// A series: a named, ordered set of frames with a shared style.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    /// Format version this record was written with.
    #[serde(default = "schema_v1")]
    pub schema: u32,
    /// Unique id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The template it was created from.
    pub template: Template,
    /// Created (ms since the epoch).
    pub created_ms: f64,
    /// Last changed (ms since the epoch).
    pub updated_ms: f64,
    /// Series-wide style text, prepended to every frame's prompt.
    #[serde(default)]
    pub style: String,
    /// The series bible.
    #[serde(default)]
    pub bible: Bible,
    /// The anchor, if the series has one.
    #[serde(default)]
    pub anchor: Option<Anchor>,
    /// Spending cap for one batch of this series, in US dollars.
    #[serde(default)]
    pub budget_usd: Option<f64>,
    /// Output settings.
    pub output: OutputSettings,
    /// The frames in order.
    pub frames: Vec<Frame>,
}

fn schema_v1() -> u32 {
    1
}

/// The longest project name we keep (names show in lists and file names).
pub const MAX_NAME_CHARS: usize = 120;

impl Project {
    /// A new series from a template. `ids` supplies fresh random ids (project first, then one
    /// per frame).
    pub fn from_template(
        name: &str,
        template: Template,
        model: &str,
        now_ms: f64,
        mut ids: impl FnMut() -> u64,
    ) -> Self {
        let id = make_id("p", ids());
        let frames = (0..template.frame_count())
            .map(|i| {
                let mut frame = Frame::new(make_id("f", ids()), template.frame_title(i));
                frame.shot = template.shot_spec(i);
                frame
            })
            .collect();
        Self {
            schema: SCHEMA_VERSION,
            id,
            name: clean_name(name).unwrap_or_else(|| template.label()),
            template,
            created_ms: now_ms,
            updated_ms: now_ms,
            style: String::new(),
            bible: Bible::default(),
            anchor: None,
            budget_usd: None,
            output: OutputSettings {
                model: model.into(),
                size: template.size(),
                quality: "medium".into(),
                output_format: default_format(),
                variants: 1,
            },
            frames,
        }
    }

    /// Renames the series; blank names are refused (the old name stays).
    pub fn rename(&mut self, name: &str) -> bool {
        match clean_name(name) {
            Some(clean) => {
                self.name = clean;
                true
            }
            None => false,
        }
    }

    /// The frame with this id.
    pub fn frame(&self, id: &str) -> Option<&Frame> {
        self.frames.iter().find(|f| f.id == id)
    }

    /// The frame with this id, mutably.
    pub fn frame_mut(&mut self, id: &str) -> Option<&mut Frame> {
        self.frames.iter_mut().find(|f| f.id == id)
    }

    /// Records a finished image for a frame, selects it and clears the frame's error.
    /// Returns false if the frame no longer exists (it was deleted meanwhile).
    pub fn add_take(&mut self, frame_id: &str, take: Take) -> bool {
        let Some(frame) = self.frame_mut(frame_id) else {
            return false;
        };
        frame.selected_take = Some(take.id.clone());
        frame.takes.push(take);
        frame.error = None;
        true
    }

    /// Frames whose request was in flight when the page closed: they get no image (nothing
    /// half-written is ever stored) but a message saying the request may have been billed, and
    /// they can simply be generated again. Returns how many there were.
    pub fn reconcile_interrupted(&mut self) -> usize {
        let mut count = 0;
        for frame in &mut self.frames {
            if frame.in_flight_since.take().is_some() {
                count += 1;
                frame.error = Some(FrameError {
                    message: "The page was closed or reloaded while this frame's request was in flight. Its image was not received; generate it again.".into(),
                    may_be_billed: true,
                    request_ids: Vec::new(),
                });
            }
        }
        count
    }

    /// Ids of frames without an image, in order (what "Generate missing" makes).
    pub fn missing_frames(&self) -> Vec<String> {
        self.frames
            .iter()
            .filter(|f| f.current_take().is_none())
            .map(|f| f.id.clone())
            .collect()
    }

    /// Records a failure on a frame (its images stay).
    pub fn set_error(&mut self, frame_id: &str, error: Option<FrameError>) {
        if let Some(frame) = self.frame_mut(frame_id) {
            frame.error = error;
        }
    }

    /// Keys of every stored image the project refers to (for export and clean-up).
    pub fn image_keys(&self) -> Vec<String> {
        self.frames
            .iter()
            .flat_map(|f| f.takes.iter().map(|t| t.id.clone()))
            .chain(self.bible.image_keys().map(str::to_string))
            .collect()
    }

    /// The anchor frame's id, when the anchor is a frame.
    pub fn anchor_frame_id(&self) -> Option<&str> {
        match &self.anchor {
            Some(Anchor::Frame { frame_id, .. }) => Some(frame_id),
            _ => None,
        }
    }

    /// The image the other frames are generated from right now: the anchor frame's current
    /// take, or the anchor reference image.
    pub fn anchor_image(&self) -> Option<String> {
        match &self.anchor {
            Some(Anchor::Frame { frame_id, .. }) => {
                self.frame(frame_id)?.current_take().map(|t| t.id.clone())
            }
            Some(Anchor::Reference {
                entity_id,
                image_id,
            }) => self
                .bible
                .entity(entity_id)
                .filter(|e| e.references.iter().any(|r| &r.id == image_id))
                .map(|_| image_id.clone()),
            None => None,
        }
    }

    /// Whether the current anchor image is approved (reference anchors always are).
    pub fn anchor_approved(&self) -> bool {
        match &self.anchor {
            Some(Anchor::Frame {
                approved_take: Some(take),
                ..
            }) => self.anchor_image().as_ref() == Some(take),
            Some(Anchor::Reference { .. }) => self.anchor_image().is_some(),
            _ => false,
        }
    }

    /// Makes a frame the anchor (not yet approved), or clears the anchor with `None`.
    pub fn set_anchor_frame(&mut self, frame_id: Option<&str>) {
        self.anchor = frame_id
            .filter(|id| self.frame(id).is_some())
            .map(|id| Anchor::Frame {
                frame_id: id.to_string(),
                approved_take: None,
            });
    }

    /// Approves the anchor frame's current image. Returns false if there is nothing to approve.
    pub fn approve_anchor(&mut self) -> bool {
        let current = self.anchor_image();
        match (&mut self.anchor, current) {
            (Some(Anchor::Frame { approved_take, .. }), Some(take)) => {
                *approved_take = Some(take);
                true
            }
            _ => false,
        }
    }

    /// Whether a frame's current image was made from an anchor image that is no longer the
    /// anchor (it was regenerated or replaced). Derived, never stored, so it cannot drift.
    pub fn is_stale(&self, frame: &Frame) -> bool {
        if self.anchor_frame_id() == Some(frame.id.as_str()) {
            return false;
        }
        match frame.current_take().and_then(|t| t.anchor_image.as_ref()) {
            Some(used) => self.anchor_image().as_ref() != Some(used),
            None => false,
        }
    }

    /// Inserts a new empty frame after position `after` (or at the end), titled by its
    /// position; it shows every bible entity by default. Returns its id.
    pub fn add_frame(&mut self, after: Option<usize>, random: u64) -> String {
        let at = after.map_or(self.frames.len(), |i| (i + 1).min(self.frames.len()));
        let mut frame = Frame::new(
            make_id("f", random),
            format!("Frame {}", self.frames.len() + 1),
        );
        frame.shot.entities = self.bible.entities.iter().map(|e| e.id.clone()).collect();
        let id = frame.id.clone();
        self.frames.insert(at, frame);
        id
    }

    /// Copies a frame's text and shot (not its images) right after it. Returns the new id.
    pub fn duplicate_frame(&mut self, id: &str, random: u64) -> Option<String> {
        let at = self.frames.iter().position(|f| f.id == id)?;
        let source = &self.frames[at];
        let mut copy = Frame::new(make_id("f", random), format!("{} (copy)", source.title));
        copy.prompt = source.prompt.clone();
        copy.shot = source.shot.clone();
        let new_id = copy.id.clone();
        self.frames.insert(at + 1, copy);
        Some(new_id)
    }

    /// Removes a frame; returns the keys of its images so storage can drop them. Removing the
    /// anchor frame clears the anchor.
    pub fn delete_frame(&mut self, id: &str) -> Vec<String> {
        let Some(at) = self.frames.iter().position(|f| f.id == id) else {
            return Vec::new();
        };
        let frame = self.frames.remove(at);
        if self.anchor_frame_id() == Some(id) {
            self.anchor = None;
        }
        frame.takes.into_iter().map(|t| t.id).collect()
    }

    /// Moves a frame one place earlier (`-1`) or later (`+1`); false at the ends.
    pub fn move_frame(&mut self, id: &str, delta: isize) -> bool {
        let Some(at) = self.frames.iter().position(|f| f.id == id) else {
            return false;
        };
        let to = at as isize + delta;
        if to < 0 || to as usize >= self.frames.len() {
            return false;
        }
        self.frames.swap(at, to as usize);
        true
    }

    /// Pixel size of a stored image by key: a take or a bible reference image.
    pub fn image_size(&self, key: &str) -> Option<Size> {
        let take = self
            .frames
            .iter()
            .flat_map(|f| &f.takes)
            .find(|t| t.id == key)
            .map(|t| Size::new(t.width, t.height));
        take.or_else(|| {
            self.bible
                .entities
                .iter()
                .flat_map(|e| &e.references)
                .find(|r| r.id == key)
                .map(|r| Size::new(r.width, r.height))
        })
    }

    /// Ids of the stale frames, in order.
    pub fn stale_frames(&self) -> Vec<String> {
        self.frames
            .iter()
            .filter(|f| self.is_stale(f))
            .map(|f| f.id.clone())
            .collect()
    }

    /// How many frames have an image.
    pub fn frames_done(&self) -> usize {
        self.frames
            .iter()
            .filter(|f| f.current_take().is_some())
            .count()
    }

    /// Serialises for storage.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a project always serialises")
    }

    /// Reads a stored project; a record from a newer app version is refused rather than
    /// misread (and then overwritten).
    pub fn from_json(json: &str) -> Result<Self, String> {
        let project: Project = serde_json::from_str(json)
            .map_err(|e| format!("This project record is damaged: {e}"))?;
        if project.schema > SCHEMA_VERSION {
            return Err(format!(
                "“{}” was saved by a newer version of Continuity (format {}); reload the page to update.",
                project.name, project.schema
            ));
        }
        Ok(project)
    }
}

/// Trims, drops control and bidi-override characters, caps the length; `None` if nothing is left.
pub fn clean_name(name: &str) -> Option<String> {
    let cleaned: String = name
        .chars()
        .filter(|c| {
            !c.is_control()
                && !('\u{202A}'..='\u{202E}').contains(c)
                && !('\u{2066}'..='\u{2069}').contains(c)
        })
        .take(MAX_NAME_CHARS)
        .collect();
    let cleaned = cleaned.trim();
    (!cleaned.is_empty()).then(|| cleaned.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter() -> impl FnMut() -> u64 {
        let mut n = 0;
        move || {
            n += 1;
            n
        }
    }

    fn take(id: &str) -> Take {
        Take::sample(id, None)
    }

    #[test]
    fn frames_can_be_added_duplicated_moved_and_deleted() {
        let mut p = Project::from_template("x", Template::Comic, "gpt-image-2", 1.0, counter());
        let first = p.frames[0].id.clone();
        p.frames[0].prompt = "setup".into();
        p.add_take(&first, take("t1"));
        p.set_anchor_frame(Some(&first));
        let copy = p.duplicate_frame(&first, 99).unwrap();
        assert_eq!(p.frames[1].id, copy);
        assert_eq!(p.frames[1].prompt, "setup");
        assert!(p.frames[1].takes.is_empty(), "images are not copied");
        let added = p.add_frame(None, 100);
        assert_eq!(p.frames.last().unwrap().id, added);
        assert!(p.move_frame(&added, -1));
        assert_eq!(p.frames[p.frames.len() - 2].id, added);
        assert!(!p.move_frame(&first, -1), "already first");
        assert_eq!(p.delete_frame(&first), vec!["t1".to_string()]);
        assert_eq!(
            p.anchor, None,
            "deleting the anchor frame clears the anchor"
        );
        assert_eq!(p.frames.len(), 5);
    }

    #[test]
    fn frames_interrupted_by_a_reload_are_flagged_not_half_written() {
        let mut p = Project::from_template("x", Template::Comic, "gpt-image-2", 1.0, counter());
        p.frames[1].in_flight_since = Some(5.0);
        p.frames[3].in_flight_since = Some(6.0);
        let back = Project::from_json(&p.to_json()).unwrap();
        let mut back = back;
        assert_eq!(back.reconcile_interrupted(), 2);
        assert!(back.frames[1].error.as_ref().unwrap().may_be_billed);
        assert!(back.frames[1].takes.is_empty());
        assert!(back.frames.iter().all(|f| f.in_flight_since.is_none()));
        assert_eq!(back.missing_frames().len(), 4);
        assert_eq!(back.reconcile_interrupted(), 0, "idempotent");
    }

    #[test]
    fn regenerating_the_anchor_makes_dependents_stale() {
        let mut p =
            Project::from_template("x", Template::Storyboard, "gpt-image-2", 1.0, counter());
        let anchor = p.frames[0].id.clone();
        p.set_anchor_frame(Some(&anchor));
        assert!(!p.approve_anchor(), "nothing to approve yet");
        p.add_take(&anchor, take("a1"));
        assert!(p.approve_anchor());
        assert!(p.anchor_approved());
        for f in 1..12 {
            let id = p.frames[f].id.clone();
            let mut t = take(&format!("t{f}"));
            t.anchor_image = Some("a1".into());
            p.add_take(&id, t);
        }
        assert!(p.stale_frames().is_empty());
        p.add_take(&anchor, take("a2"));
        assert!(
            !p.anchor_approved(),
            "a new anchor image needs approval again"
        );
        assert_eq!(p.stale_frames().len(), 11);
        assert!(
            !p.is_stale(&p.frames[0]),
            "the anchor itself is never stale"
        );
        // Picking the old anchor take again makes them fresh again.
        p.frames[0].selected_take = Some("a1".into());
        assert!(p.stale_frames().is_empty());
    }

    #[test]
    fn reference_anchors_are_approved_while_the_image_exists() {
        use bible::{Entity, EntityKind, RefImage};
        let mut p =
            Project::from_template("x", Template::CharacterSheet, "gpt-image-2", 1.0, counter());
        p.bible.entities.push(Entity {
            id: "e1".into(),
            kind: EntityKind::Character,
            name: "Mira".into(),
            description: String::new(),
            must_not_change: vec![],
            references: vec![RefImage {
                id: "r1".into(),
                name: "sheet.png".into(),
                mime: "image/png".into(),
                width: 1024,
                height: 1024,
            }],
        });
        p.anchor = Some(Anchor::Reference {
            entity_id: "e1".into(),
            image_id: "r1".into(),
        });
        assert_eq!(p.anchor_image().as_deref(), Some("r1"));
        assert!(p.anchor_approved());
        assert!(p.image_keys().contains(&"r1".to_string()));
        p.bible.entities[0].references.clear();
        assert_eq!(p.anchor_image(), None);
    }

    #[test]
    fn a_carousel_gets_nine_ordered_slots_of_a_valid_size() {
        let p = Project::from_template("Launch", Template::Carousel, "gpt-image-2", 1.0, counter());
        assert_eq!(p.frames.len(), 9);
        assert_eq!(p.output.size, Size::new(1024, 1280));
        assert_eq!(p.frames[0].title, "Slide 1 · Hook");
        let ids: std::collections::HashSet<_> = p.frames.iter().map(|f| &f.id).collect();
        assert_eq!(ids.len(), 9, "frame ids are unique");
    }

    #[test]
    fn blank_names_fall_back_or_are_refused() {
        let mut p =
            Project::from_template("  ", Template::Storyboard, "gpt-image-2", 1.0, counter());
        assert_eq!(p.name, "12-panel storyboard");
        assert!(!p.rename(" \n "));
        assert!(p.rename("  Pilot\u{202E}  "));
        assert_eq!(p.name, "Pilot");
    }

    #[test]
    fn takes_select_and_clear_errors() {
        let mut p = Project::from_template("x", Template::Comic, "gpt-image-2", 1.0, counter());
        let fid = p.frames[1].id.clone();
        p.set_error(
            &fid,
            Some(FrameError {
                message: "blocked".into(),
                may_be_billed: false,
                request_ids: Vec::new(),
            }),
        );
        assert!(p.add_take(&fid, take("t1")));
        assert!(p.add_take(&fid, take("t2")));
        let f = p.frame(&fid).unwrap();
        assert_eq!(f.current_take().unwrap().id, "t2");
        assert!(f.error.is_none());
        assert_eq!(p.frames_done(), 1);
        assert!(!p.add_take("missing", take("t3")));
        assert_eq!(p.image_keys(), vec!["t1", "t2"]);
    }

    #[test]
    fn projects_round_trip_through_json() {
        let mut p = Project::from_template(
            "Round trip",
            Template::CharacterSheet,
            "gpt-image-2",
            7.0,
            counter(),
        );
        p.style = "Flat vector, teal/coral".into();
        p.frames[0].prompt = "Front view, arms relaxed".into();
        p.add_take(&p.frames[0].id.clone(), take("t1"));
        let back = Project::from_json(&p.to_json()).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn older_records_without_new_fields_still_load() {
        let json = r#"{"id":"p_1","name":"Old","template":{"kind":"custom","frames":2},"created_ms":1,"updated_ms":1,
            "output":{"model":"gpt-image-2","size":{"width":1024,"height":1024},"quality":"low"},
            "frames":[{"id":"f_1","title":"Frame 1"}],"unknown_future_field":true}"#;
        let p = Project::from_json(json).unwrap();
        assert_eq!(p.output.output_format, "png");
        assert_eq!(p.frames[0].takes.len(), 0);
    }

    #[test]
    fn newer_records_are_refused_not_misread() {
        let mut p = Project::from_template("New", Template::Comic, "gpt-image-2", 1.0, counter());
        p.schema = SCHEMA_VERSION + 1;
        let err = Project::from_json(&p.to_json()).unwrap_err();
        assert!(err.contains("newer version"));
        assert!(Project::from_json("{").unwrap_err().contains("damaged"));
    }
}
