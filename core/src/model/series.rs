//! A series: a named, ordered set of frames with a shared bible and output settings, and the
//! versions made for its frames. In memory it is one value; in storage it is a series record
//! (this struct without `frames` and `versions`), frame records and version records.

use super::bible::Bible;
use super::derived;
use super::frame::{Frame, FrameError};
use super::size::Size;
use super::summary::SeriesSummary;
use super::template::Template;
use super::version::Version;
use super::{clean_name, make_id, SCHEMA_VERSION};
use serde::{Deserialize, Serialize};

/// Output settings shared by every frame of a series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(reactive_stores::Store))]
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
    /// Whether images are asked for with `background: "transparent"` (PNG or WebP only; on
    /// models whose catalogue entry supports it).
    #[serde(default)]
    pub transparent_background: bool,
    /// `complexity` sent (`low` / `medium` / `high`: planning effort), on models that take it;
    /// `None` leaves it to the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complexity: Option<String>,
}

fn one() -> u8 {
    1
}

fn default_format() -> String {
    "png".into()
}

/// What the other frames of a series are generated *from*.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    /// A frame of the series (e.g. the hero frame); its active image is the anchor image.
    Frame {
        /// The anchor frame.
        frame_id: String,
        /// Content hash of the image the user approved; the anchor counts as approved only
        /// while it is still the frame's active image.
        approved_image: Option<String>,
    },
    /// A reference image of a bible entity (e.g. an uploaded character sheet); always approved.
    Reference {
        /// The entity.
        entity_id: String,
        /// The reference image's content hash.
        image_id: String,
    },
}

fn schema_now() -> u32 {
    SCHEMA_VERSION
}

/// A series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(reactive_stores::Store))]
pub struct Series {
    /// Format version this record was written with.
    #[serde(default = "schema_now")]
    pub schema: u32,
    /// Unique id.
    pub id: String,
    /// Revision of the stored record: every write adds one, and a write based on an older
    /// revision than the stored one is refused (two tabs never overwrite newer with older).
    #[serde(default)]
    pub rev: u64,
    /// Display name.
    pub name: String,
    /// The template it was created from.
    pub template: Template,
    /// Created (ms since the epoch).
    pub created_ms: f64,
    /// Last changed (ms since the epoch).
    pub updated_ms: f64,
    /// Style text of series stored before the bible held it; folded into `bible.style.look`
    /// when the series loads ([`Series::from_parts`]) and empty from then on.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub style: String,
    /// The series bible.
    #[serde(default)]
    pub bible: Bible,
    /// The anchor, if the series has one.
    #[serde(default)]
    pub anchor: Option<Anchor>,
    /// Spending cap of this series, in US dollars.
    #[serde(default)]
    pub budget_usd: Option<f64>,
    /// What was paid for versions that were deleted since (with their frames or alone), in
    /// US dollars: money spent is never given back, so deleting never lowers "spent" nor
    /// frees budget. Undoing the delete puts the versions back and takes this back down.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub spent_on_deleted_usd: f64,
    /// Every request paid for (or that may have been), never shrunk: what "spent" reads
    /// ([`crate::model::ledger`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ledger: Vec<crate::model::LedgerEntry>,
    /// Output settings.
    pub output: OutputSettings,
    /// Locales of its on-image text (e.g. `en`, `zh-Hans`, `ar`); empty: one language.
    #[serde(default)]
    pub locales: Vec<String>,
    /// "Check every result": each image that arrives is checked by one text-model call
    /// against what its frame asked (off by default; priced in the plan).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub check_results: bool,
    /// Frame ids in order. `frames` is always kept in this order.
    #[serde(default)]
    pub frame_order: Vec<String>,
    /// Batches of the Batch API this series waits for (kept until their results have
    /// landed, so a closed browser picks them up again).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub batches: Vec<crate::batch_run::BatchRun>,
    /// The frames, in `frame_order` order (stored as their own records).
    #[serde(skip)]
    #[cfg_attr(feature = "store", store(key: String = |f| f.id.clone()))]
    pub frames: Vec<Frame>,
    /// Every version of every frame, oldest first (stored as their own records).
    #[serde(skip)]
    #[cfg_attr(feature = "store", store(key: String = |v| v.id.clone()))]
    pub versions: Vec<Version>,
}

impl Series {
    /// A new series from a template. `ids` supplies fresh random ids (series first, then one
    /// per frame).
    pub fn from_template(
        name: &str,
        template: Template,
        model: &str,
        now_ms: f64,
        mut ids: impl FnMut() -> u64,
    ) -> Self {
        let id = make_id("s", ids());
        let frames: Vec<Frame> = (0..template.frame_count())
            .map(|i| {
                let mut frame =
                    Frame::new(make_id("f", ids()), id.clone(), template.frame_title(i));
                frame.shot = template.shot_spec(i);
                frame
            })
            .collect();
        Self {
            schema: SCHEMA_VERSION,
            id,
            rev: 0,
            name: clean_name(name).unwrap_or_else(|| template.label()),
            template,
            created_ms: now_ms,
            updated_ms: now_ms,
            style: String::new(),
            bible: Bible::default(),
            anchor: None,
            budget_usd: None,
            spent_on_deleted_usd: 0.0,
            ledger: Vec::new(),
            output: OutputSettings {
                model: model.into(),
                size: template.size(),
                quality: "medium".into(),
                output_format: default_format(),
                variants: 1,
                transparent_background: false,
                complexity: None,
            },
            locales: Vec::new(),
            check_results: false,
            frame_order: frames.iter().map(|f| f.id.clone()).collect(),
            batches: Vec::new(),
            frames,
            versions: Vec::new(),
        }
    }

    /// Puts a series back together from its stored records: frames in the record's order
    /// (frames missing from the order are appended, ids without a frame dropped, so a damaged
    /// order never hides a frame), versions oldest first.
    pub fn from_parts(
        mut record: Series,
        mut frames: Vec<Frame>,
        mut versions: Vec<Version>,
    ) -> Self {
        let mut ordered = Vec::with_capacity(frames.len());
        for id in &record.frame_order {
            if let Some(at) = frames.iter().position(|f| &f.id == id) {
                ordered.push(frames.remove(at));
            }
        }
        frames.sort_by(|a, b| a.id.cmp(&b.id));
        ordered.extend(frames);
        versions.sort_by(|a, b| a.created_ms.total_cmp(&b.created_ms).then(a.id.cmp(&b.id)));
        record.frame_order = ordered.iter().map(|f| f.id.clone()).collect();
        record.fold_legacy_style();
        record.frames = ordered;
        record.versions = versions;
        record
    }

    /// Moves the old separate series style into the bible's overall look (one place for
    /// style): before any look already written there, so the words sent stay the same.
    /// Returns whether anything moved.
    pub fn fold_legacy_style(&mut self) -> bool {
        let old = std::mem::take(&mut self.style);
        let old = old.trim();
        if old.is_empty() {
            return false;
        }
        let look = &mut self.bible.style.look;
        *look = if look.trim().is_empty() {
            old.to_string()
        } else {
            format!("{old}\n{}", look.trim())
        };
        true
    }

    /// The series record alone (no frames, no versions): what the `series` store holds.
    pub fn record(&self) -> Series {
        Series {
            frames: Vec::new(),
            versions: Vec::new(),
            ..self.clone()
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

    /// The version with this id.
    pub fn version(&self, id: &str) -> Option<&Version> {
        self.versions.iter().find(|v| v.id == id)
    }

    /// A frame's versions, oldest first.
    pub fn versions_of<'a>(&'a self, frame_id: &'a str) -> impl Iterator<Item = &'a Version> {
        self.versions.iter().filter(move |v| v.frame_id == frame_id)
    }

    /// The version a frame shows: its active one, else its newest.
    pub fn active(&self, frame: &Frame) -> Option<&Version> {
        active_of(&self.versions, frame)
    }

    /// Frames whose request was in flight when the page closed: they get no image (nothing
    /// half-written is ever stored) but a message saying the request may have been billed, and
    /// they can simply be generated again. A frame still saying its image was "not saved yet"
    /// lost that image with the tab, and is flagged the same way — unless the image was stored
    /// after all (every pointer of the frame names a stored version), when the message just
    /// goes. Returns the ids of the frames changed: `(flagged, cleared)`.
    pub fn reconcile_interrupted(&mut self) -> (Vec<String>, Vec<String>) {
        let (mut flagged, mut cleared) = (Vec::new(), Vec::new());
        let mut pending = Vec::new();
        for at in 0..self.frames.len() {
            let frame = &self.frames[at];
            let unsaved = frame.error.as_ref().is_some_and(|e| e.unsaved);
            let exists = |id: &String| self.versions.iter().any(|v| &v.id == id);
            let stored = unsaved
                && frame.active_version.iter().all(exists)
                && frame.locale_versions.values().all(exists);
            let frame = &mut self.frames[at];
            if stored {
                frame.error = None;
                cleared.push(frame.id.clone());
            } else if frame.in_flight_since.take().is_some() || unsaved {
                flagged.push(frame.id.clone());
                // It may have been billed: the ledger says so (once per job). Its job stays
                // on the frame so the server can be asked for the answer.
                if let Some(job) = frame.in_flight_job.clone().filter(|_| !unsaved) {
                    pending.push((frame.id.clone(), job));
                }
                frame.error = Some(FrameError {
                    message: "The page was closed or reloaded while this frame's request was in flight. Its image was not received; generate it again.".into(),
                    may_be_billed: true,
                    request_ids: Vec::new(),
                    unsaved: false,
                });
            }
        }
        for (frame_id, job) in pending {
            self.record_spend(crate::model::LedgerEntry {
                frame_id,
                versions: Vec::new(),
                job_id: job.job_id.clone(),
                request_id: None,
                call_id: None,
                cost_usd: None,
                usage: None,
                at_ms: job.since_ms,
                maybe_billed: true,
                recovered: false,
                seeded: false,
            });
        }
        (flagged, cleared)
    }

    /// Frames whose lost request can be asked for by job id: `(frame id, job id)`.
    pub fn recoverable_jobs(&self) -> Vec<(String, String)> {
        self.frames
            .iter()
            .filter(|f| f.in_flight_since.is_none())
            .filter_map(|f| {
                let job = f.in_flight_job.as_ref()?.job_id.clone()?;
                Some((f.id.clone(), job))
            })
            .collect()
    }

    /// Ids of frames without an image, in order (what "Generate missing" makes). A frame
    /// waiting for a batch is not missing: generating it now would pay for it twice.
    pub fn missing_frames(&self) -> Vec<String> {
        let waiting = crate::batch_run::frames_in_batches(&self.batches);
        self.frames
            .iter()
            .filter(|f| self.active(f).is_none() && !waiting.contains(&f.id))
            .map(|f| f.id.clone())
            .collect()
    }

    /// Content hashes of every stored image the series refers to (versions, masks, reference
    /// images), without duplicates.
    pub fn image_hashes(&self) -> Vec<String> {
        let mut all: Vec<String> = Vec::new();
        let mut push = |h: &str| {
            if !all.iter().any(|x| x == h) {
                all.push(h.to_string());
            }
        };
        for v in &self.versions {
            push(&v.image.hash);
            if let Some(m) = &v.request.mask {
                push(m);
            }
        }
        for key in self.bible.image_keys() {
            push(key);
        }
        all
    }

    /// The anchor frame's id, when the anchor is a frame.
    pub fn anchor_frame_id(&self) -> Option<&str> {
        match &self.anchor {
            Some(Anchor::Frame { frame_id, .. }) => Some(frame_id),
            _ => None,
        }
    }

    /// Content hash of the image the other frames are generated from right now: the anchor
    /// frame's active image, or the anchor reference image.
    pub fn anchor_image(&self) -> Option<String> {
        derived::anchor_image(
            self.anchor.as_ref(),
            |id| self.frame(id).map(|f| f.active_version.as_deref()),
            &self.versions,
            &self.bible.entities,
        )
    }

    /// Whether the current anchor image is approved (reference anchors always are).
    pub fn anchor_approved(&self) -> bool {
        derived::anchor_approved(self.anchor.as_ref(), self.anchor_image().as_deref())
    }

    /// Makes a frame the anchor (not yet approved), or clears the anchor with `None`.
    pub fn set_anchor_frame(&mut self, frame_id: Option<&str>) {
        self.anchor = frame_id
            .filter(|id| self.frame(id).is_some())
            .map(|id| Anchor::Frame {
                frame_id: id.to_string(),
                approved_image: None,
            });
    }

    /// Approves the anchor frame's active image. Returns false if there is nothing to approve.
    pub fn approve_anchor(&mut self) -> bool {
        let current = self.anchor_image();
        match (&mut self.anchor, current) {
            (Some(Anchor::Frame { approved_image, .. }), Some(image)) => {
                *approved_image = Some(image);
                true
            }
            _ => false,
        }
    }

    /// Whether a frame's active image was made from an anchor image that is no longer the
    /// anchor (it was regenerated or replaced). Derived, never stored, so it cannot drift.
    pub fn is_stale(&self, frame: &Frame) -> bool {
        stale_against(
            &self.versions,
            frame,
            self.anchor.as_ref(),
            self.anchor_image().as_deref(),
        )
    }

    /// Ids of the stale frames, in order.
    pub fn stale_frames(&self) -> Vec<String> {
        let anchor_image = self.anchor_image();
        self.frames
            .iter()
            .filter(|f| {
                stale_against(
                    &self.versions,
                    f,
                    self.anchor.as_ref(),
                    anchor_image.as_deref(),
                )
            })
            .map(|f| f.id.clone())
            .collect()
    }

    /// Inserts a new empty frame after position `after` (or at the end), titled by its
    /// position; it shows every bible entity by default. Returns its id.
    pub fn add_frame(&mut self, after: Option<usize>, random: u64) -> String {
        let at = after.map_or(self.frames.len(), |i| (i + 1).min(self.frames.len()));
        let mut frame = Frame::new(
            make_id("f", random),
            self.id.clone(),
            format!("Frame {}", self.frames.len() + 1),
        );
        frame.shot.entities = self.bible.entities.iter().map(|e| e.id.clone()).collect();
        let id = frame.id.clone();
        self.frames.insert(at, frame);
        self.sync_order();
        id
    }

    /// Copies a frame's text and shot (not its images) right after it. Returns the new id.
    pub fn duplicate_frame(&mut self, id: &str, random: u64) -> Option<String> {
        let at = self.frames.iter().position(|f| f.id == id)?;
        let source = &self.frames[at];
        let mut copy = Frame::new(
            make_id("f", random),
            self.id.clone(),
            format!("{} (copy)", source.title),
        );
        copy.prompt = source.prompt.clone();
        copy.shot = source.shot.clone();
        let new_id = copy.id.clone();
        self.frames.insert(at + 1, copy);
        self.sync_order();
        Some(new_id)
    }

    /// Removes a frame and its versions, returned (with the frame's old position) so storage
    /// can drop them and an undo can put them back. Removing the anchor frame clears the anchor.
    pub fn delete_frame(&mut self, id: &str) -> Option<(usize, Frame, Vec<Version>)> {
        let at = self.frames.iter().position(|f| f.id == id)?;
        let frame = self.frames.remove(at);
        if self.anchor_frame_id() == Some(id) {
            self.anchor = None;
        }
        let (gone, kept): (Vec<Version>, Vec<Version>) = std::mem::take(&mut self.versions)
            .into_iter()
            .partition(|v| v.frame_id == id);
        self.versions = kept;
        self.sync_order();
        Some((at, frame, gone))
    }

    /// Puts a deleted frame back at its old position with its versions (undo of a delete).
    pub fn restore_frame(&mut self, at: usize, frame: Frame, versions: Vec<Version>) {
        if self.frame(&frame.id).is_some() {
            return;
        }
        let at = at.min(self.frames.len());
        self.frames.insert(at, frame);
        self.versions.extend(versions);
        self.versions
            .sort_by(|a, b| a.created_ms.total_cmp(&b.created_ms).then(a.id.cmp(&b.id)));
        self.sync_order();
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
        self.move_frame_to(id, to as usize)
    }

    /// Moves a frame to position `to` (clamped); false if nothing moved.
    pub fn move_frame_to(&mut self, id: &str, to: usize) -> bool {
        let Some(at) = self.frames.iter().position(|f| f.id == id) else {
            return false;
        };
        let to = to.min(self.frames.len() - 1);
        if at == to {
            return false;
        }
        let frame = self.frames.remove(at);
        self.frames.insert(to, frame);
        self.sync_order();
        true
    }

    /// Keeps `frame_order` equal to the order of `frames`.
    fn sync_order(&mut self) {
        self.frame_order = self.frames.iter().map(|f| f.id.clone()).collect();
    }

    /// Pixel size of a stored image by content hash: a version or a bible reference image.
    pub fn image_size(&self, hash: &str) -> Option<Size> {
        let version = self
            .versions
            .iter()
            .find(|v| v.image.hash == hash)
            .map(|v| v.image.size());
        version.or_else(|| {
            self.bible
                .entities
                .iter()
                .flat_map(|e| &e.references)
                .find(|r| r.id == hash)
                .map(|r| Size::new(r.width, r.height))
        })
    }

    /// How many frames have an image.
    pub fn frames_done(&self) -> usize {
        self.frames
            .iter()
            .filter(|f| self.active(f).is_some())
            .count()
    }

    /// What the series has spent so far: its ledger, which deleting never shrinks (a
    /// version that is not in it yet, e.g. not settled since loading, counts too).
    pub fn spent_usd(&self) -> f64 {
        let unledgered: f64 = self
            .versions
            .iter()
            .filter(|v| !self.ledger.iter().any(|e| e.versions.contains(&v.id)))
            .filter_map(|v| v.cost_usd)
            .sum();
        // A series stored before the ledger (not settled yet) kept its deleted part here.
        let pre_ledger = if self.ledger.is_empty() {
            self.spent_on_deleted_usd
        } else {
            0.0
        };
        crate::model::ledger::ledger_total(&self.ledger) + unledgered + pre_ledger
    }

    /// What of [`Series::spent_usd`] was spent on frames or versions deleted since (not the
    /// text calls made for the whole series: planning it, describing its references).
    pub fn spent_on_deleted_now_usd(&self) -> f64 {
        (self.spent_usd() - self.spent_on_versions_usd() - self.spent_on_series_text_usd()).max(0.0)
    }

    /// What the text calls made for the series as a whole cost (the planner that made it,
    /// "Describe from images"): ledger entries of no frame.
    pub fn spent_on_series_text_usd(&self) -> f64 {
        self.ledger
            .iter()
            .filter(|e| e.frame_id.is_empty() && e.versions.is_empty())
            .filter_map(|e| e.cost_usd)
            .sum()
    }

    /// What the series' versions that still exist cost.
    pub fn spent_on_versions_usd(&self) -> f64 {
        spent_on(&self.versions)
    }

    /// The light summary the series list shows, last changed at `updated_ms` (a frame edit
    /// changes the series without rewriting its record).
    pub fn summary_at(&self, updated_ms: f64) -> SeriesSummary {
        let cover = self
            .frames
            .iter()
            .filter_map(|f| self.active(f))
            .take(4)
            .map(|v| v.image.hash.clone())
            .collect();
        SeriesSummary {
            id: self.id.clone(),
            name: self.name.clone(),
            template: self.template,
            created_ms: self.created_ms,
            updated_ms: updated_ms.max(self.updated_ms),
            frame_count: self.frames.len(),
            frames_done: self.frames_done(),
            cover,
            spent_usd: self.spent_usd(),
        }
    }

    /// Serialises the series record (no frames, no versions) for storage.
    pub fn record_json(&self) -> String {
        serde_json::to_string(&self.record()).expect("a series record always serialises")
    }

    /// Reads a stored series record; a record from a newer app version is refused rather than
    /// misread (and then overwritten).
    pub fn from_record_json(json: &str) -> Result<Self, String> {
        let series: Series = serde_json::from_str(json)
            .map_err(|e| format!("This series record is damaged: {e}"))?;
        if series.schema > SCHEMA_VERSION {
            return Err(format!(
                "“{}” was saved by a newer version of Continuity (format {}); reload the page to update.",
                series.name, series.schema
            ));
        }
        Ok(series)
    }
}

/// The version a frame shows, from a list of versions: its active one, else its newest.
pub fn active_of<'a>(versions: &'a [Version], frame: &Frame) -> Option<&'a Version> {
    derived::active_version(versions, &frame.id, frame.active_version.as_deref())
}

/// Whether `frame`'s active image was made from an anchor image other than `anchor_image`.
pub fn stale_against(
    versions: &[Version],
    frame: &Frame,
    anchor: Option<&Anchor>,
    anchor_image: Option<&str>,
) -> bool {
    derived::is_stale(&frame.id, active_of(versions, frame), anchor, anchor_image)
}

#[cfg(test)]
#[path = "series_tests.rs"]
mod tests;

/// What these versions cost together (versions without a known cost count nothing).
pub fn spent_on(versions: &[Version]) -> f64 {
    // A version's check was paid for too.
    versions
        .iter()
        .map(|v| v.cost_usd.unwrap_or(0.0) + v.check.as_ref().map_or(0.0, |c| c.cost_usd))
        .sum()
}

fn is_zero(usd: &f64) -> bool {
    *usd == 0.0
}
