//! [`Series::apply`] and [`Series::restore`]: the rules of every edit, in one place.

use super::{
    BibleText, Edit, EntityText, FrameEdit, FrameField, Lens, Pointer, Refused, SeriesEdit,
    SeriesField, ShotText, TextPart, Touched, Undo,
};
use crate::export::list_frames::apply_list;
use crate::model::bible::{lines, Entity};
use crate::model::records::version_uses;
use crate::model::series::spent_on;
use crate::model::shot::{OnImageText, ShotSpec};
use crate::model::{clean_name, Anchor, Frame, FrameError, LedgerEntry, Series, Version};

fn refused(why: &str) -> Refused {
    Refused(why.to_string())
}

const FRAME_GONE: &str = "This frame no longer exists.";

impl Series {
    /// Applies an edit and says what it changed (nothing, for an edit that changes nothing).
    /// An edit that cannot apply (a frame that is gone, a list over the frame limit, a
    /// frame's last version) changes nothing and says why.
    pub fn apply(&mut self, edit: Edit) -> Result<Touched, Refused> {
        match edit {
            Edit::Frame { id, edit } => self.apply_to_frame(&id, edit),
            Edit::Series(edit) if is_structural(&edit) => self.apply_structure(edit),
            Edit::Series(edit) => self.apply_to_record(edit),
        }
    }

    /// Puts records back as `undo` has them (undo, and redo with what undo returned) and
    /// says what changed; its [`Touched::undo`] goes the other way. Frames stay in the
    /// record's order, versions oldest first.
    pub fn restore(&mut self, undo: Undo) -> Touched {
        let mut back = Undo::default();
        let mut touched = Touched {
            lenses: vec![Lens::Whole],
            ..Touched::default()
        };
        if let Some(record) = undo.record {
            back.record = Some(self.record());
            let frames = std::mem::take(&mut self.frames);
            let versions = std::mem::take(&mut self.versions);
            // The ledger is never rolled back: undo does not un-pay.
            let ledger = std::mem::take(&mut self.ledger);
            *self = Series {
                frames,
                versions,
                ledger,
                ..record
            };
            touched.record = true;
        }
        for (id, frame) in undo.frames {
            let now = take_where(&mut self.frames, |f| f.id == id);
            match frame {
                Some(f) => {
                    self.frames.push(f);
                    touched.frames.push(id.clone());
                }
                None => touched.deleted_frames.push(id.clone()),
            }
            back.frames.push((id, now));
        }
        for (id, version) in undo.versions {
            let now = take_where(&mut self.versions, |v| v.id == id);
            match version {
                Some(v) => {
                    self.versions.push(v);
                    touched.versions.push(id.clone());
                }
                None => touched.deleted_versions.push((
                    id.clone(),
                    now.as_ref().map(version_uses).unwrap_or_default(),
                )),
            }
            back.versions.push((id, now));
        }
        let order = self.frame_order.clone();
        self.frames
            .sort_by_key(|f| order.iter().position(|o| *o == f.id).unwrap_or(usize::MAX));
        self.frame_order = self.frames.iter().map(|f| f.id.clone()).collect();
        self.versions
            .sort_by(|a, b| a.created_ms.total_cmp(&b.created_ms).then(a.id.cmp(&b.id)));
        touched.undo = back;
        touched
    }

    fn apply_to_frame(&mut self, id: &str, edit: FrameEdit) -> Result<Touched, Refused> {
        let at = self
            .frames
            .iter()
            .position(|f| f.id == id)
            .ok_or_else(|| refused(FRAME_GONE))?;
        if let FrameEdit::ChooseVersion(v) = &edit {
            if !self.versions.iter().any(|x| x.id == *v && x.frame_id == id) {
                return Err(refused("That version is not one of this frame's."));
            }
        }
        let before = self.frames[at].clone();
        let mut touched = Touched::default();
        let fields = match edit {
            FrameEdit::ResultArrived { versions, pointer } => {
                let frame = &mut self.frames[at];
                // A job still recorded on a frame whose request is no longer in flight was
                // lost with the page and read back from the server: it is "recovered".
                let job = frame.in_flight_job.take();
                let recovered = job.is_some() && frame.in_flight_since.is_none();
                frame.land(&pointer, versions.first().map(|v| v.id.as_str()));
                // Paid is recorded once, where it lands, whatever path brought it.
                if let Some(entry) =
                    LedgerEntry::of_versions(id, &versions, job.as_ref(), recovered)
                {
                    touched.record |= self.record_spend(entry);
                }
                for mut v in versions {
                    v.series_id = self.id.clone();
                    v.frame_id = id.to_string();
                    touched.versions.push(v.id.clone());
                    touched.undo.versions.push((v.id.clone(), None));
                    self.versions.push(v);
                }
                touched.lenses.push(Lens::Versions);
                let pointer = match pointer {
                    Pointer::Active => FrameField::ActiveVersion,
                    Pointer::Locale(_) => FrameField::LocaleVersions,
                };
                vec![pointer, FrameField::Error, FrameField::InFlight]
            }
            FrameEdit::Checked { version, check } => {
                let v = self
                    .versions
                    .iter_mut()
                    .find(|v| v.id == version && v.frame_id == id)
                    .ok_or_else(|| refused("That version is not one of this frame's."))?;
                v.check = Some(check);
                // Paid: a check is never undone, so it leaves no undo record.
                let mut touched = Touched::default();
                touched.versions.push(version);
                touched.lenses.push(Lens::Versions);
                return Ok(touched);
            }
            edit => {
                let billed = match &edit {
                    FrameEdit::Failed(e) if e.may_be_billed => Some(e.request_ids.clone()),
                    _ => None,
                };
                let fields = edit_frame(&mut self.frames[at], edit);
                if let Some(request_ids) = billed {
                    let job = self.frames[at].in_flight_job.as_ref();
                    touched.record |= self.record_spend(LedgerEntry {
                        frame_id: id.to_string(),
                        versions: Vec::new(),
                        job_id: job.and_then(|j| j.job_id.clone()),
                        request_id: request_ids.last().cloned(),
                        call_id: None,
                        cost_usd: None,
                        usage: None,
                        at_ms: job.map_or(0.0, |j| j.since_ms),
                        maybe_billed: true,
                        recovered: false,
                        seeded: false,
                    });
                }
                fields
            }
        };
        if self.frames[at] == before && touched.versions.is_empty() {
            return Ok(Touched::default());
        }
        touched.frames.push(id.to_string());
        touched.undo.frames.push((id.to_string(), Some(before)));
        touched
            .lenses
            .extend(fields.into_iter().map(|f| Lens::Frame(id.to_string(), f)));
        Ok(touched)
    }

    fn apply_to_record(&mut self, edit: SeriesEdit) -> Result<Touched, Refused> {
        let before = self.record();
        let mut frames_changed: Vec<(String, Frame)> = Vec::new();
        let fields = match edit {
            SeriesEdit::Rename { name, now_ms } => {
                self.name = clean_name(&name).ok_or_else(|| refused("A series needs a name."))?;
                self.updated_ms = now_ms;
                vec![SeriesField::Name]
            }
            SeriesEdit::AnchorFrame(id) => {
                if self.frame(&id).is_none() {
                    return Err(refused(FRAME_GONE));
                }
                self.set_anchor_frame(Some(&id));
                vec![SeriesField::Anchor]
            }
            SeriesEdit::AnchorReference {
                entity_id,
                image_id,
            } => {
                self.anchor = Some(Anchor::Reference {
                    entity_id,
                    image_id,
                });
                vec![SeriesField::Anchor]
            }
            SeriesEdit::ApproveAnchor => {
                self.approve_anchor();
                vec![SeriesField::Anchor]
            }
            SeriesEdit::ResetAnchor => {
                self.anchor = None;
                vec![SeriesField::Anchor]
            }
            SeriesEdit::Bible(field, text) => {
                set_bible_text(self, field, text);
                vec![SeriesField::Bible]
            }
            SeriesEdit::Palette(swatches) => {
                self.bible.palette = swatches;
                vec![SeriesField::Bible]
            }
            SeriesEdit::Entity { id, field, text } => {
                if let Some(e) = self.bible.entity_mut(&id) {
                    set_entity_text(e, field, text);
                }
                vec![SeriesField::Bible]
            }
            SeriesEdit::SwapReferences { entity_id, a, b } => {
                if let Some(e) = self.bible.entity_mut(&entity_id) {
                    if a < e.references.len() && b < e.references.len() {
                        e.references.swap(a, b);
                    }
                }
                vec![SeriesField::Bible]
            }
            SeriesEdit::AddReferences {
                entity_id,
                references,
            } => {
                let entity = self
                    .bible
                    .entity_mut(&entity_id)
                    .ok_or_else(|| refused("That entity no longer exists."))?;
                for r in references {
                    // The same picture twice is one reference (images are keyed by content).
                    if !entity.references.iter().any(|x| x.id == r.id) {
                        entity.references.push(r);
                    }
                }
                vec![SeriesField::Bible]
            }
            SeriesEdit::RemoveReference {
                entity_id,
                image_id,
            } => {
                if let Some(entity) = self.bible.entity_mut(&entity_id) {
                    entity.references.retain(|r| r.id != image_id);
                }
                if matches!(&self.anchor, Some(Anchor::Reference { image_id: a, .. }) if *a == image_id)
                {
                    self.anchor = None;
                }
                vec![SeriesField::Bible, SeriesField::Anchor]
            }
            SeriesEdit::AddEntity { id, kind } => {
                let n = self
                    .bible
                    .entities
                    .iter()
                    .filter(|e| e.kind == kind)
                    .count()
                    + 1;
                self.bible.entities.push(Entity {
                    id: id.clone(),
                    kind,
                    name: format!("{} {n}", kind.label()),
                    description: String::new(),
                    must_not_change: Vec::new(),
                    references: Vec::new(),
                });
                // New entities appear in every frame; frames can opt out in their shot spec.
                for f in &mut self.frames {
                    frames_changed.push((f.id.clone(), f.clone()));
                    f.shot.entities.push(id.clone());
                }
                vec![SeriesField::Bible]
            }
            SeriesEdit::RemoveEntity(id) => {
                self.bible.entities.retain(|e| e.id != id);
                if matches!(&self.anchor, Some(Anchor::Reference { entity_id, .. }) if *entity_id == id)
                {
                    self.anchor = None;
                }
                for f in &mut self.frames {
                    if f.shot.entities.contains(&id) {
                        frames_changed.push((f.id.clone(), f.clone()));
                        f.shot.entities.retain(|e| e != &id);
                    }
                }
                vec![SeriesField::Bible, SeriesField::Anchor]
            }
            SeriesEdit::Output(output) => {
                self.output = output;
                vec![SeriesField::Output]
            }
            SeriesEdit::Budget(budget) => {
                self.budget_usd = budget;
                vec![SeriesField::Budget]
            }
            SeriesEdit::TextSpend(spend) => {
                self.record_text_spend(spend);
                vec![SeriesField::Budget]
            }
            SeriesEdit::Locales(locales) => {
                self.locales = locales;
                vec![SeriesField::Locales]
            }
            SeriesEdit::CheckResults(on) => {
                self.check_results = on;
                vec![SeriesField::CheckResults]
            }
            SeriesEdit::Batches(runs) => {
                self.batches = runs;
                vec![SeriesField::Batches]
            }
            structural => return self.apply_structure(structural),
        };
        let record_changed = !same_record(self, &before);
        if !record_changed && frames_changed.is_empty() {
            return Ok(Touched::default());
        }
        let mut touched = Touched {
            record: record_changed,
            lenses: fields.into_iter().map(Lens::Series).collect(),
            ..Touched::default()
        };
        if record_changed {
            touched.undo.record = Some(before);
        }
        for (id, frame) in frames_changed {
            touched.frames.push(id.clone());
            touched
                .lenses
                .push(Lens::Frame(id.clone(), FrameField::Shot));
            touched.undo.frames.push((id, Some(frame)));
        }
        Ok(touched)
    }

    fn apply_structure(&mut self, edit: SeriesEdit) -> Result<Touched, Refused> {
        let before = self.record();
        let mut touched = Touched {
            record: true,
            lenses: vec![Lens::Whole],
            ..Touched::default()
        };
        match edit {
            SeriesEdit::AddFrame { after, random } => {
                let id = self.add_frame(after, random);
                touched.frames.push(id.clone());
                touched.undo.frames.push((id, None));
            }
            SeriesEdit::DuplicateFrame { id, random } => {
                let copy = self
                    .duplicate_frame(&id, random)
                    .ok_or_else(|| refused(FRAME_GONE))?;
                touched.frames.push(copy.clone());
                touched.undo.frames.push((copy, None));
            }
            SeriesEdit::MoveFrame { id, to } => {
                if !self.move_frame_to(&id, to) {
                    return Ok(Touched::default());
                }
            }
            SeriesEdit::DeleteFrame(id) => {
                if self.frame(&id).is_none() {
                    return Err(refused(FRAME_GONE));
                }
                // Paid is paid: the ledger covers every paid version before any goes.
                self.settle_ledger();
                let (_, frame, versions) =
                    self.delete_frame(&id).ok_or_else(|| refused(FRAME_GONE))?;
                // Paid is paid: the deleted versions' cost stays in "spent".
                self.spent_on_deleted_usd += spent_on(&versions);
                touched.deleted_frames.push(id.clone());
                touched.undo.frames.push((id, Some(frame)));
                for v in versions {
                    touched
                        .deleted_versions
                        .push((v.id.clone(), version_uses(&v)));
                    touched.undo.versions.push((v.id.clone(), Some(v)));
                }
            }
            SeriesEdit::DeleteVersion(id) => {
                let (frame_id, children) = self.version_neighbours(&id);
                let frame_before = frame_id.as_deref().and_then(|f| self.frame(f)).cloned();
                let children_before: Vec<Version> = children
                    .iter()
                    .filter_map(|c| self.version(c).cloned())
                    .collect();
                let ledger = self.ledger.clone();
                let ledgered = self.settle_ledger();
                let deleted = self.delete_version(&id).map_err(|e| {
                    // Refused: nothing changes, the ledger included.
                    self.ledger = ledger;
                    Refused(e.to_string())
                })?;
                // Paid is paid: a paid version's cost stays in "spent", kept in the series
                // record; otherwise the record does not change (frames and versions do).
                let paid = spent_on(std::slice::from_ref(&deleted.version));
                touched.record = paid > 0.0 || ledgered;
                if touched.record {
                    self.spent_on_deleted_usd += paid;
                    touched.undo.record = Some(before);
                }
                if let Some(frame) = frame_before {
                    touched.frames.push(frame.id.clone());
                    touched.undo.frames.push((frame.id.clone(), Some(frame)));
                }
                for child in children_before {
                    touched.versions.push(child.id.clone());
                    touched.undo.versions.push((child.id.clone(), Some(child)));
                }
                touched
                    .deleted_versions
                    .push((id.clone(), version_uses(&deleted.version)));
                touched.undo.versions.push((id, Some(deleted.version)));
                return Ok(touched);
            }
            SeriesEdit::ImportList { preview, random } => {
                let mut next = random.into_iter();
                let mut fallback = 0u64;
                let added = apply_list(self, &preview, move || {
                    next.next().unwrap_or_else(|| {
                        fallback += 1;
                        fallback
                    })
                })
                .map_err(Refused)?;
                for id in added {
                    touched.frames.push(id.clone());
                    touched.undo.frames.push((id, None));
                }
            }
            other => return self.apply_to_record(other),
        }
        touched.undo.record = Some(before);
        Ok(touched)
    }

    /// A version's frame and the versions whose parent it is.
    fn version_neighbours(&self, id: &str) -> (Option<String>, Vec<String>) {
        let frame = self.version(id).map(|v| v.frame_id.clone());
        let children = self
            .versions
            .iter()
            .filter(|v| v.parent.as_deref() == Some(id))
            .map(|v| v.id.clone())
            .collect();
        (frame, children)
    }
}

/// Whether an edit changes the series' shape (frames or versions added, moved or removed).
fn is_structural(edit: &SeriesEdit) -> bool {
    matches!(
        edit,
        SeriesEdit::AddFrame { .. }
            | SeriesEdit::DuplicateFrame { .. }
            | SeriesEdit::MoveFrame { .. }
            | SeriesEdit::DeleteFrame(_)
            | SeriesEdit::DeleteVersion(_)
            | SeriesEdit::ImportList { .. }
    )
}

/// Whether the series record (everything but frames and versions) equals `record`.
fn same_record(series: &mut Series, record: &Series) -> bool {
    let frames = std::mem::take(&mut series.frames);
    let versions = std::mem::take(&mut series.versions);
    let same = series == record;
    series.frames = frames;
    series.versions = versions;
    same
}

fn take_where<T>(list: &mut Vec<T>, pick: impl Fn(&T) -> bool) -> Option<T> {
    list.iter().position(pick).map(|at| list.remove(at))
}

/// Applies a frame edit that concerns the frame alone; returns the fields it may change.
fn edit_frame(frame: &mut Frame, edit: FrameEdit) -> Vec<FrameField> {
    use FrameField as F;
    match edit {
        FrameEdit::Title(t) => {
            frame.title = t;
            vec![F::Title]
        }
        FrameEdit::Prompt(t) => {
            frame.prompt = t;
            vec![F::Prompt]
        }
        FrameEdit::Hold(h) => {
            frame.hold_seconds = h;
            vec![F::Hold]
        }
        FrameEdit::ChooseVersion(v) => {
            frame.active_version = Some(v);
            vec![F::ActiveVersion]
        }
        FrameEdit::InFlight(since) => {
            frame.in_flight_since = Some(since);
            vec![F::InFlight]
        }
        FrameEdit::Sending(job) => {
            frame.in_flight_since = Some(job.since_ms);
            frame.in_flight_job = Some(*job);
            vec![F::InFlight]
        }
        FrameEdit::JobUnknown => {
            frame.in_flight_job = None;
            vec![F::InFlight]
        }
        FrameEdit::Settled => {
            frame.in_flight_since = None;
            frame.in_flight_job = None;
            vec![F::InFlight]
        }
        FrameEdit::Failed(error) => {
            // A request that may have been billed keeps its job: the server may still have
            // its answer (a dropped connection), and recovery asks for it.
            if !error.may_be_billed {
                frame.in_flight_job = None;
            }
            frame.error = Some(error);
            frame.in_flight_since = None;
            vec![F::Error, F::InFlight]
        }
        FrameEdit::NotSaved(message) => {
            frame.error = Some(FrameError {
                message,
                may_be_billed: true,
                request_ids: Vec::new(),
                unsaved: true,
            });
            frame.in_flight_since = None;
            frame.in_flight_job = None;
            vec![F::Error, F::InFlight]
        }
        FrameEdit::Saved => {
            if frame.error.as_ref().is_some_and(|e| e.unsaved) {
                frame.error = None;
            }
            vec![F::Error]
        }
        FrameEdit::ResultArrived { .. } | FrameEdit::Checked { .. } => Vec::new(),
        shot => {
            edit_shot(&mut frame.shot, shot);
            vec![F::Shot]
        }
    }
}

fn edit_shot(shot: &mut ShotSpec, edit: FrameEdit) {
    match edit {
        FrameEdit::Shot(field, text) => {
            let slot = match field {
                ShotText::ShotSize => &mut shot.shot_size,
                ShotText::CameraAngle => &mut shot.camera_angle,
                ShotText::Setting => &mut shot.setting,
                ShotText::Lighting => &mut shot.lighting,
                ShotText::Mood => &mut shot.mood,
                ShotText::Composition => &mut shot.composition,
            };
            *slot = text;
        }
        FrameEdit::Constraints(text) => shot.constraints = lines(&text),
        FrameEdit::AddText => shot.texts.push(OnImageText::default()),
        FrameEdit::RemoveText(i) if i < shot.texts.len() => {
            shot.texts.remove(i);
        }
        FrameEdit::Text(i, part, value) => {
            if let Some(t) = shot.texts.get_mut(i) {
                match part {
                    TextPart::Text => t.text = value,
                    TextPart::Language => t.language = value,
                    TextPart::Placement => t.placement = value,
                    TextPart::Translation(locale) if value.is_empty() => {
                        t.translations.remove(&locale);
                    }
                    TextPart::Translation(locale) => {
                        t.translations.insert(locale, value);
                    }
                }
            }
        }
        FrameEdit::ToggleEntity(id) => {
            if shot.entities.contains(&id) {
                shot.entities.retain(|x| x != &id);
            } else {
                shot.entities.push(id);
            }
        }
        _ => {}
    }
}

fn set_bible_text(series: &mut Series, field: BibleText, text: String) {
    let b = &mut series.bible;
    match field {
        BibleText::Look => b.style.look = text,
        BibleText::Medium => b.style.medium = text,
        BibleText::Rendering => b.style.rendering = text,
        BibleText::Lens => b.style.lens = text,
        BibleText::Lighting => b.style.lighting = text,
        BibleText::Setting => b.setting = text,
        BibleText::Typography => b.typography = text,
        BibleText::Always => b.always = lines(&text),
        BibleText::Never => b.never = lines(&text),
    }
}

fn set_entity_text(entity: &mut Entity, field: EntityText, text: String) {
    match field {
        EntityText::Name => entity.name = text,
        EntityText::Description => entity.description = text,
        EntityText::MustNotChange => entity.must_not_change = lines(&text),
    }
}
