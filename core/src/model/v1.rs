//! Format 1, as the first release stored it: one JSON record per series ("project") with its
//! frames and their takes inside, images keyed by take id. Kept only to read old databases and
//! upgrade them to format 2 without losing a frame, a take, an image or a reference.
//!
//! DO NOT CHANGE THESE TYPES: they describe data already on users' disks.

use super::bible::Bible;
use super::frame::{Frame, FrameError};
use super::series::{Anchor, OutputSettings, Series};
use super::shot::ShotSpec;
use super::template::Template;
use super::version::{ImageRef, SentRequest, Version, VersionKind};
use crate::openai::types::Usage;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One image made for a frame (format 1). Its id is also the key of its `Blob`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Take {
    /// Unique id; also the key of the image `Blob` in format 1.
    pub id: String,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
    /// MIME type.
    pub mime: String,
    /// When it was made (ms since the epoch).
    pub created_ms: f64,
    /// The exact prompt that was sent.
    #[serde(default)]
    pub prompt: String,
    /// Token usage (on the first image of a request only).
    #[serde(default)]
    pub usage: Option<Usage>,
    /// This image's share of the request's cost.
    #[serde(default)]
    pub cost_usd: Option<f64>,
    /// `x-request-id`.
    #[serde(default)]
    pub request_id: Option<String>,
    /// Key of the anchor image it was made from.
    #[serde(default)]
    pub anchor_image: Option<String>,
    /// Keys of the reference images sent, in order.
    #[serde(default)]
    pub references: Vec<String>,
    /// Failed attempts before this one that may have been billed.
    #[serde(default)]
    pub maybe_billed_attempts: u32,
}

/// A frame (format 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct V1Frame {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Prompt.
    #[serde(default)]
    pub prompt: String,
    /// Shot spec.
    #[serde(default)]
    pub shot: ShotSpec,
    /// Takes, oldest first.
    #[serde(default)]
    pub takes: Vec<Take>,
    /// The selected take's id.
    #[serde(default)]
    pub selected_take: Option<String>,
    /// Last failure.
    #[serde(default)]
    pub error: Option<FrameError>,
    /// In-flight mark.
    #[serde(default)]
    pub in_flight_since: Option<f64>,
}

/// The anchor (format 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum V1Anchor {
    /// A frame; `approved_take` is a take id (= its image key).
    Frame {
        /// Frame id.
        frame_id: String,
        /// Approved take id.
        approved_take: Option<String>,
    },
    /// A reference image.
    Reference {
        /// Entity id.
        entity_id: String,
        /// Reference image key.
        image_id: String,
    },
}

fn one() -> u32 {
    1
}

/// A series (format 1, called a project then).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    /// Format version (1).
    #[serde(default = "one")]
    pub schema: u32,
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Template.
    pub template: Template,
    /// Created.
    pub created_ms: f64,
    /// Last changed.
    pub updated_ms: f64,
    /// Style text.
    #[serde(default)]
    pub style: String,
    /// Bible (reference image ids are image keys).
    #[serde(default)]
    pub bible: Bible,
    /// Anchor.
    #[serde(default)]
    pub anchor: Option<V1Anchor>,
    /// Budget.
    #[serde(default)]
    pub budget_usd: Option<f64>,
    /// Output settings.
    pub output: OutputSettings,
    /// Frames in order.
    pub frames: Vec<V1Frame>,
}

impl Project {
    /// Reads a format-1 record.
    pub fn from_json(json: &str) -> Result<Self, String> {
        serde_json::from_str(json).map_err(|e| format!("A format-1 series record is damaged: {e}"))
    }

    /// Every image key the record refers to (takes and reference images).
    pub fn image_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .frames
            .iter()
            .flat_map(|f| f.takes.iter().map(|t| t.id.clone()))
            .collect();
        keys.extend(self.bible.image_keys().map(str::to_string));
        keys
    }
}

/// A format-1 series upgraded to format 2.
#[derive(Debug, Clone, PartialEq)]
pub struct Upgraded {
    /// The series with its frames and versions.
    pub series: Series,
    /// Image keys that had no stored image to hash (already missing in format 1); their
    /// versions and references are kept, pointing at the old key.
    pub missing_images: Vec<String>,
}

/// Upgrades a format-1 series. `hashes` maps each old image key to the content hash of its
/// stored bytes. Every frame, take and reference is kept: a take becomes a version with the
/// same id; takes of one request (same request id, or same time) become siblings.
pub fn upgrade(project: Project, hashes: &HashMap<String, String>) -> Upgraded {
    let mut missing = Vec::new();
    let mut hash_of = |key: &str| -> String {
        match hashes.get(key) {
            Some(h) => h.clone(),
            None => {
                if !missing.iter().any(|m| m == key) {
                    missing.push(key.to_string());
                }
                key.to_string()
            }
        }
    };
    let mut bible = project.bible;
    for entity in &mut bible.entities {
        for r in &mut entity.references {
            r.id = hash_of(&r.id);
        }
    }
    let anchor = project.anchor.map(|a| match a {
        V1Anchor::Frame {
            frame_id,
            approved_take,
        } => Anchor::Frame {
            frame_id,
            approved_image: approved_take.map(|t| hash_of(&t)),
        },
        V1Anchor::Reference {
            entity_id,
            image_id,
        } => Anchor::Reference {
            entity_id,
            image_id: hash_of(&image_id),
        },
    });
    let mut frames = Vec::new();
    let mut versions = Vec::new();
    for f in project.frames {
        let groups = sibling_groups(&f.takes);
        // The request's usage was kept on its first image only; share it with the siblings.
        for (i, t) in f.takes.iter().enumerate() {
            let group = &groups[i];
            let siblings: Vec<&Take> = f
                .takes
                .iter()
                .zip(&groups)
                .filter(|(_, g)| *g == group)
                .map(|(t, _)| t)
                .collect();
            let usage = siblings.iter().find_map(|s| s.usage.clone());
            let request_cost = siblings.iter().map(|s| s.cost_usd).sum::<Option<f64>>();
            versions.push(Version {
                id: t.id.clone(),
                series_id: project.id.clone(),
                frame_id: f.id.clone(),
                rev: 0,
                parent: None,
                group: Some(group.clone()),
                kind: VersionKind::Generated,
                image: ImageRef {
                    hash: hash_of(&t.id),
                    width: t.width,
                    height: t.height,
                    mime: t.mime.clone(),
                    bytes: 0,
                },
                created_ms: t.created_ms,
                request: SentRequest {
                    endpoint: if t.references.is_empty() {
                        "images/generations".into()
                    } else {
                        "images/edits".into()
                    },
                    model: project.output.model.clone(),
                    prompt: t.prompt.clone(),
                    size: format!("{}x{}", t.width, t.height),
                    quality: project.output.quality.clone(),
                    output_format: project.output.output_format.clone(),
                    n: siblings.len().min(255) as u8,
                    images: t.references.iter().map(|k| hash_of(k)).collect(),
                    mask: None,
                    markup: None,
                    note: String::new(),
                },
                instruction: None,
                locale: None,
                usage,
                request_cost_usd: request_cost,
                cost_usd: t.cost_usd,
                request_id: t.request_id.clone(),
                anchor_image: t.anchor_image.as_deref().map(&mut hash_of),
                maybe_billed_attempts: t.maybe_billed_attempts,
            });
        }
        let active = f
            .selected_take
            .filter(|s| f.takes.iter().any(|t| &t.id == s))
            .or_else(|| f.takes.last().map(|t| t.id.clone()));
        frames.push(Frame {
            id: f.id,
            series_id: project.id.clone(),
            rev: 0,
            title: f.title,
            prompt: f.prompt,
            shot: f.shot,
            active_version: active,
            locale_versions: Default::default(),
            error: f.error,
            in_flight_since: f.in_flight_since,
            hold_seconds: None,
        });
    }
    let record = Series {
        schema: super::SCHEMA_VERSION,
        id: project.id,
        rev: 0,
        name: project.name,
        template: project.template,
        created_ms: project.created_ms,
        updated_ms: project.updated_ms,
        style: project.style,
        bible,
        anchor,
        budget_usd: project.budget_usd,
        spent_on_deleted_usd: 0.0,
        output: project.output,
        locales: Vec::new(),
        frame_order: frames.iter().map(|f| f.id.clone()).collect(),
        batches: Vec::new(),
        frames: Vec::new(),
        versions: Vec::new(),
    };
    Upgraded {
        series: Series::from_parts(record, frames, versions),
        missing_images: missing,
    }
}

/// The sibling group of each take. Format 1 put the request's id on every image of a request;
/// without one (the fake or an old proxy may omit it), consecutive takes with the same prompt
/// made within two seconds are one request.
fn sibling_groups(takes: &[Take]) -> Vec<String> {
    let mut groups: Vec<String> = Vec::with_capacity(takes.len());
    for (i, t) in takes.iter().enumerate() {
        let group = match &t.request_id {
            Some(r) => format!("req:{r}"),
            None => match i.checked_sub(1).map(|p| (&takes[p], &groups[p])) {
                Some((prev, g))
                    if prev.request_id.is_none()
                        && prev.prompt == t.prompt
                        && (t.created_ms - prev.created_ms).abs() < 2000.0 =>
                {
                    g.clone()
                }
                _ => format!("take:{}", t.id),
            },
        };
        groups.push(group);
    }
    groups
}
