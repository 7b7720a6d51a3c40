//! Every change to a series as data: a [`FrameEdit`] of one frame or a [`SeriesEdit`] of the
//! series, applied by the pure [`Series::apply`]. What it returns, [`Touched`], is everything
//! the app needs to know afterwards: the records to save, the narrowest [`Lens`]es whose
//! readers must be told, and the records as they were before ([`Undo`]), which
//! [`Series::restore`] puts back (returning the redo). The rules live here once, natively
//! tested: where a result lands on its frame, what an anchor is reset by, which records a
//! deleted frame takes with it.

use super::bible::{EntityKind, RefImage, Swatch};
use super::frame::FrameError;
use super::{Frame, OutputSettings, Series, Version};
use crate::export::csv::ListPreview;

/// Which of the frame's pointers a result sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pointer {
    /// The frame's active version (generations and edits).
    Active,
    /// The frame's variant for a locale.
    Locale(String),
}

/// A one-line text field of a frame's shot spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShotText {
    /// Shot size.
    ShotSize,
    /// Camera angle.
    CameraAngle,
    /// Setting.
    Setting,
    /// Lighting.
    Lighting,
    /// Mood.
    Mood,
    /// Composition notes.
    Composition,
}

/// Which part of an on-image text row changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextPart {
    /// The text itself.
    Text,
    /// Its language.
    Language,
    /// Its placement.
    Placement,
    /// Its translation into a locale (empty removes it).
    Translation(String),
}

/// A change to one frame.
#[derive(Debug, Clone, PartialEq)]
pub enum FrameEdit {
    /// Sets the title.
    Title(String),
    /// Sets what happens in the frame.
    Prompt(String),
    /// Sets one text field of the shot spec.
    Shot(ShotText, String),
    /// Sets the constraints from typed text (one per non-empty line).
    Constraints(String),
    /// Adds an empty on-image text row.
    AddText,
    /// Removes on-image text row `n`.
    RemoveText(usize),
    /// Sets a part of on-image text row `n`.
    Text(usize, TextPart, String),
    /// Shows or hides a bible entity in the frame.
    ToggleEntity(String),
    /// Sets how long the frame holds in the animatic (`None`: the export's default).
    Hold(Option<f64>),
    /// Makes one of the frame's versions the one it shows.
    ChooseVersion(String),
    /// A request's images arrived: their versions join the series, the first one becomes
    /// what `pointer` names, and the frame's error and in-flight mark are cleared.
    ResultArrived {
        /// One version per image, in order.
        versions: Vec<Version>,
        /// Which pointer the first version becomes.
        pointer: Pointer,
    },
    /// A request for the frame was sent at this time (ms since the epoch).
    InFlight(f64),
    /// A request for the frame is being sent: its record (job id, what its versions need)
    /// is stored before it leaves.
    Sending(Box<crate::model::InFlightJob>),
    /// The server does not know the frame's lost job (never seen, expired): nothing more to
    /// ask; the frame keeps its "may have been billed" message.
    JobUnknown,
    /// The request ended without a result (held back or cancelled).
    Settled,
    /// The request failed (clears the in-flight mark).
    Failed(FrameError),
    /// The frame's image was made but could not be stored yet (the message says why).
    NotSaved(String),
    /// The frame's image is stored: a "not saved yet" error goes.
    Saved,
    /// The check of one of the frame's versions ended (paid: never undone).
    Checked {
        /// The version checked.
        version: String,
        /// The report or the failed call.
        check: crate::brief::check_frame::ResultCheck,
    },
}

/// A text field of the bible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BibleText {
    /// The overall look.
    Look,
    /// Medium.
    Medium,
    /// Rendering.
    Rendering,
    /// Lens / camera.
    Lens,
    /// Lighting.
    Lighting,
    /// Setting / world.
    Setting,
    /// Typography rules.
    Typography,
    /// "Always" rules, one per line.
    Always,
    /// "Never" rules, one per line.
    Never,
}

/// A text field of a bible entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityText {
    /// Its name.
    Name,
    /// Its canonical description.
    Description,
    /// What must not change, one per line.
    MustNotChange,
}

/// A change to the series: its record (name, anchor, bible, output, budget, locales) or its
/// structure (frames added, moved, deleted; versions deleted).
#[derive(Debug, Clone, PartialEq)]
pub enum SeriesEdit {
    /// Renames the series (blank names are refused) at `now_ms`.
    Rename {
        /// The new name.
        name: String,
        /// When (ms since the epoch).
        now_ms: f64,
    },
    /// Makes a frame the anchor (not yet approved).
    AnchorFrame(String),
    /// Makes a bible reference image the anchor.
    AnchorReference {
        /// The entity.
        entity_id: String,
        /// The reference image's content hash.
        image_id: String,
    },
    /// Approves the anchor frame's current image.
    ApproveAnchor,
    /// The series has no anchor any more.
    ResetAnchor,
    /// Adds an empty frame after position `after` (or at the end); its id comes from `random`.
    AddFrame {
        /// Insert after this position; `None`: at the end.
        after: Option<usize>,
        /// Randomness for the new id.
        random: u64,
    },
    /// Copies a frame's text and shot right after it.
    DuplicateFrame {
        /// The frame copied.
        id: String,
        /// Randomness for the new id.
        random: u64,
    },
    /// Moves a frame to position `to`.
    MoveFrame {
        /// The frame.
        id: String,
        /// Its new position.
        to: usize,
    },
    /// Deletes a frame and its versions.
    DeleteFrame(String),
    /// Deletes a version (never a frame's last).
    DeleteVersion(String),
    /// Appends one frame per row of a list preview; ids come from `random`, one per row.
    ImportList {
        /// The accepted preview.
        preview: ListPreview,
        /// Randomness for the new ids.
        random: Vec<u64>,
    },
    /// Sets a text field of the bible.
    Bible(BibleText, String),
    /// Sets the palette.
    Palette(Vec<Swatch>),
    /// Adds an entity, shown in every frame.
    AddEntity {
        /// Its id.
        id: String,
        /// Character, product or prop.
        kind: EntityKind,
    },
    /// Sets a text field of an entity.
    Entity {
        /// The entity.
        id: String,
        /// Which field.
        field: EntityText,
        /// What was typed.
        text: String,
    },
    /// Swaps two reference images of an entity (order matters: identity first).
    SwapReferences {
        /// The entity.
        entity_id: String,
        /// One position.
        a: usize,
        /// The other.
        b: usize,
    },
    /// Adds reference images to an entity (an image it already has is not added twice).
    AddReferences {
        /// The entity.
        entity_id: String,
        /// The images, in order.
        references: Vec<RefImage>,
    },
    /// Removes a reference image (an anchor on it is reset).
    RemoveReference {
        /// The entity.
        entity_id: String,
        /// The image's content hash.
        image_id: String,
    },
    /// Removes an entity from the bible and every frame (an anchor on it is reset).
    RemoveEntity(String),
    /// Sets the output settings.
    Output(OutputSettings),
    /// Sets the budget (`None`: no budget).
    Budget(Option<f64>),
    /// Counts a text call in the series' ledger (reserved before it is sent, settled from its
    /// answer): money spent, never given back (an undo of another edit keeps it).
    TextSpend(crate::model::ledger::TextSpend),
    /// Sets the locales.
    Locales(Vec<String>),
    /// Turns "Check every result" on or off.
    CheckResults(bool),
    /// Sets the Batch API batches the series waits for (the app's own edit).
    Batches(Vec<crate::batch_run::BatchRun>),
}

/// Any change: to one frame, or to the series.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// A change to the frame `id`.
    Frame {
        /// The frame.
        id: String,
        /// The change.
        edit: FrameEdit,
    },
    /// A change to the series.
    Series(SeriesEdit),
}

impl Edit {
    /// A change to frame `id`.
    pub fn frame(id: &str, edit: FrameEdit) -> Self {
        Edit::Frame {
            id: id.to_string(),
            edit,
        }
    }

    /// A request's images arrived for frame `id`; the first becomes its active version.
    pub fn result(id: &str, versions: Vec<Version>) -> Self {
        Edit::frame(
            id,
            FrameEdit::ResultArrived {
                versions,
                pointer: Pointer::Active,
            },
        )
    }

    /// What undo calls it ("Undone: move frame.").
    pub fn label(&self) -> &'static str {
        use SeriesEdit as S;
        match self {
            Edit::Frame { .. } => "Edit frame",
            Edit::Series(e) => match e {
                S::AddFrame { .. } => "Add frame",
                S::DuplicateFrame { .. } => "Duplicate frame",
                S::MoveFrame { .. } => "Move frame",
                S::DeleteFrame(_) => "Delete frame",
                S::DeleteVersion(_) => "Delete version",
                S::ImportList { .. } => "Add frames from a list",
                S::AddEntity { .. } => "Add entity",
                S::RemoveEntity(_) => "Remove entity",
                _ => "Edit series",
            },
        }
    }

    /// Consecutive user edits with the same key (within a moment) are one undo step: typing
    /// in one frame, in one bible field or one entity. `None`: always a step of its own.
    pub fn undo_key(&self) -> Option<String> {
        use SeriesEdit as S;
        match self {
            Edit::Frame { id, .. } => Some(format!("frame:{id}")),
            Edit::Series(e) => match e {
                S::Rename { .. } => Some("name".into()),
                S::AnchorFrame(_)
                | S::AnchorReference { .. }
                | S::ApproveAnchor
                | S::ResetAnchor => Some("anchor".into()),
                S::Bible(field, _) => Some(format!("bible:{field:?}")),
                S::Palette(_) => Some("bible:palette".into()),
                S::Entity { id, .. } | S::SwapReferences { entity_id: id, .. } => {
                    Some(format!("entity:{id}"))
                }
                S::Output(_) => Some("output".into()),
                S::Budget(_) => Some("budget".into()),
                S::Locales(_) => Some("locales".into()),
                _ => None,
            },
        }
    }
}

/// A field of a frame that readers can follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameField {
    /// `title`.
    Title,
    /// `prompt`.
    Prompt,
    /// `shot`.
    Shot,
    /// `active_version`.
    ActiveVersion,
    /// `locale_versions`.
    LocaleVersions,
    /// `error`.
    Error,
    /// `in_flight_since`.
    InFlight,
    /// `hold_seconds`.
    Hold,
}

/// A field of the series record that readers can follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesField {
    /// `name` and `updated_ms`.
    Name,
    /// `anchor`.
    Anchor,
    /// `bible`.
    Bible,
    /// `output`.
    Output,
    /// `budget_usd`.
    Budget,
    /// `locales`.
    Locales,
    /// `check_results`.
    CheckResults,
    /// `batches`.
    Batches,
}

/// The narrowest part of the series an edit changed: only its readers need to wake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lens {
    /// One field of one frame.
    Frame(String, FrameField),
    /// One field of the series record.
    Series(SeriesField),
    /// The list of versions (versions added).
    Versions,
    /// The shape of the series (frames added, moved or removed; versions removed; anything
    /// restored by undo): every reader.
    Whole,
}

/// The records as they were before an edit (`None`: the record did not exist), which
/// [`Series::restore`] puts back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Undo {
    /// The series record (no frames, no versions), when it changed.
    pub record: Option<Series>,
    /// Frames that changed, appeared or went.
    pub frames: Vec<(String, Option<Frame>)>,
    /// Versions that changed, appeared or went.
    pub versions: Vec<(String, Option<Version>)>,
}

impl Undo {
    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.record.is_none() && self.frames.is_empty() && self.versions.is_empty()
    }
}

/// What an edit changed: the records to write or delete, who must be told, and what undo
/// puts back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Touched {
    /// The series record changed.
    pub record: bool,
    /// Frames changed or added (to write).
    pub frames: Vec<String>,
    /// Versions changed or added (to write).
    pub versions: Vec<String>,
    /// Frames removed (to delete).
    pub deleted_frames: Vec<String>,
    /// Versions removed (to delete), with the images each used.
    pub deleted_versions: Vec<(String, Vec<String>)>,
    /// Who must be told.
    pub lenses: Vec<Lens>,
    /// The records as they were.
    pub undo: Undo,
}

impl Touched {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        !self.record
            && self.frames.is_empty()
            && self.versions.is_empty()
            && self.deleted_frames.is_empty()
            && self.deleted_versions.is_empty()
    }
}

/// Why an edit was refused (nothing changed), in words for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Frame {
    /// Lands a result on the frame: `first` (the result's first version) becomes what
    /// `pointer` names, and the error and in-flight mark go. The one rule for it: applied in
    /// memory by [`FrameEdit::ResultArrived`] and to the stored record in the paid-image
    /// transaction.
    pub fn land(&mut self, pointer: &Pointer, first: Option<&str>) {
        match (pointer, first) {
            (Pointer::Active, first) => self.active_version = first.map(str::to_string),
            (Pointer::Locale(tag), Some(v)) => {
                self.locale_versions.insert(tag.clone(), v.to_string());
            }
            (Pointer::Locale(_), None) => {}
        }
        self.error = None;
        self.in_flight_since = None;
        self.in_flight_job = None;
    }
}

#[path = "action_apply.rs"]
mod apply;

#[cfg(test)]
#[path = "action_tests.rs"]
mod tests;
