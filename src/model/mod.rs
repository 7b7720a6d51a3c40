//! The stored model: projects (series), their frames and the images (takes) made for them.
//!
//! Plain data with plain methods, tested natively. Image bytes are never here: a [`Take`] names
//! a `Blob` stored in IndexedDB by key.

pub mod size;
pub mod template;

use crate::api_types::Usage;
use serde::{Deserialize, Serialize};
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
}

/// A failure that is kept with the frame until it is generated again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameError {
    /// What happened and what to do, in words a person understands.
    pub message: String,
    /// Whether the failed request may still have been billed.
    #[serde(default)]
    pub may_be_billed: bool,
}

/// One slot of a series: a slide, a panel or a view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    /// Unique id within the project.
    pub id: String,
    /// Short title, e.g. "Slide 1 · Hook".
    pub title: String,
    /// What this frame shows, in the user's words.
    #[serde(default)]
    pub prompt: String,
    /// Images made for this frame, oldest first.
    #[serde(default)]
    pub takes: Vec<Take>,
    /// The take the user keeps (index into `takes` by id).
    #[serde(default)]
    pub selected_take: Option<String>,
    /// The last failure, cleared by the next success.
    #[serde(default)]
    pub error: Option<FrameError>,
}

impl Frame {
    /// An empty frame.
    pub fn new(id: String, title: String) -> Self {
        Self {
            id,
            title,
            prompt: String::new(),
            takes: Vec::new(),
            selected_take: None,
            error: None,
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
            .map(|i| Frame::new(make_id("f", ids()), template.frame_title(i)))
            .collect();
        Self {
            schema: SCHEMA_VERSION,
            id,
            name: clean_name(name).unwrap_or_else(|| template.label()),
            template,
            created_ms: now_ms,
            updated_ms: now_ms,
            style: String::new(),
            output: OutputSettings {
                model: model.into(),
                size: template.size(),
                quality: "medium".into(),
                output_format: default_format(),
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
        }
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
