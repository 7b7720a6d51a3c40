//! Versions: every image a frame has had. A generation makes one version per image (the
//! variants of one request are *siblings*: same `group`, same parent); an edit, a composite or
//! a locale variant makes a version whose `parent` is the version it was made from, so a
//! frame's history is a tree. Image bytes are never here: [`ImageRef::hash`] names a `Blob`
//! stored by content hash.

use crate::model::size::Size;
use crate::openai::types::Usage;
use serde::{Deserialize, Serialize};

/// The stored image of a version (or of a reference).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(reactive_stores::Store))]
pub struct ImageRef {
    /// SHA-256 of the bytes, lower-case hex: the key of the `Blob` (and of its thumbnail).
    pub hash: String,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
    /// MIME type (PNG, JPEG, WebP or GIF).
    pub mime: String,
    /// Size of the file in bytes (0 when unknown, e.g. migrated records).
    #[serde(default)]
    pub bytes: u64,
}

impl ImageRef {
    /// The pixel size.
    pub fn size(&self) -> Size {
        Size::new(self.width, self.height)
    }
}

/// How a version was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionKind {
    /// `/images/generations`, or an edit that carried the anchor and references as inputs.
    #[default]
    Generated,
    /// A directed edit of its parent (`/images/edits` with the parent as the first image).
    Edited,
    /// The result of an edit composited back onto its parent outside the mask (no request).
    Composite,
    /// Its parent with the on-image text replaced for one locale.
    Localized,
    /// Brought in by an import.
    Imported,
}

/// The request that made a version, exactly as sent (minus credentials, which never exist in
/// the model). Image inputs are named by content hash, in the order sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SentRequest {
    /// API path after `/v1/`, e.g. `images/generations`; empty for composites.
    pub endpoint: String,
    /// Model id.
    pub model: String,
    /// The exact prompt.
    pub prompt: String,
    /// Requested size, e.g. `1024x1536` (empty when not sent).
    pub size: String,
    /// `quality` sent.
    pub quality: String,
    /// `output_format` sent.
    pub output_format: String,
    /// `n`: images asked for in this request.
    pub n: u8,
    /// `image[]` inputs by content hash, in order.
    pub images: Vec<String>,
    /// The mask by content hash, if one was sent.
    pub mask: Option<String>,
    /// The markup layer (marks over image 1) by content hash, if one was sent instead of a mask.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub markup: Option<String>,
    /// For versions made without a request, what was done (e.g. "composite of X over Y").
    pub note: String,
}

/// One image of a frame and how it was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(reactive_stores::Store))]
pub struct Version {
    /// Unique id.
    pub id: String,
    /// The series it belongs to.
    pub series_id: String,
    /// The frame it belongs to.
    pub frame_id: String,
    /// Revision of the stored record (see [`crate::model::Series::rev`]).
    #[serde(default)]
    pub rev: u64,
    /// The version it was made from (edits, composites, locale variants).
    #[serde(default)]
    pub parent: Option<String>,
    /// Versions made by one request share a group (the variants are siblings).
    #[serde(default)]
    pub group: Option<String>,
    /// How it was made.
    #[serde(default)]
    pub kind: VersionKind,
    /// The stored image.
    pub image: ImageRef,
    /// When it was made (ms since the epoch).
    pub created_ms: f64,
    /// The request, as sent.
    #[serde(default)]
    pub request: SentRequest,
    /// The user's instruction for an edit ("change only the jacket to red").
    #[serde(default)]
    pub instruction: Option<String>,
    /// Locale tag of its on-image text (e.g. `zh-Hans`), when it is a locale variant.
    #[serde(default)]
    pub locale: Option<String>,
    /// Token usage of the whole request (shared by its siblings).
    #[serde(default)]
    pub usage: Option<Usage>,
    /// Cost of the whole request in US dollars (shared by its siblings).
    #[serde(default)]
    pub request_cost_usd: Option<f64>,
    /// This image's share of the request's cost (request cost / images received), so that
    /// summing versions gives what was spent.
    #[serde(default)]
    pub cost_usd: Option<f64>,
    /// `x-request-id` of the response, for OpenAI support.
    #[serde(default)]
    pub request_id: Option<String>,
    /// Content hash of the anchor image it was made from, if any. When the series' anchor
    /// changes, versions made from the old one are stale.
    #[serde(default)]
    pub anchor_image: Option<String>,
    /// Failed attempts before this one that may still have been billed.
    #[serde(default)]
    pub maybe_billed_attempts: u32,
}

impl Version {
    /// The cost line shown with a version: the request's cost and tokens, and how many images
    /// that request made, so cost and tokens always describe the same thing.
    pub fn cost_line(&self) -> String {
        let images = self.request.n.max(1);
        let mut line = match (
            self.request_cost_usd.or(self.cost_usd),
            self.usage.as_ref().map(|u| u.output_tokens),
        ) {
            (Some(c), Some(t)) => {
                format!("{} · {t} output tokens", crate::cost::format_usd(c))
            }
            (Some(c), None) => crate::cost::format_usd(c),
            _ => String::new(),
        };
        if images > 1 && !line.is_empty() {
            line.push_str(&format!(" · request of {images} images"));
        }
        match self.maybe_billed_attempts {
            0 => {}
            1 => line.push_str(" · 1 earlier attempt may have been billed"),
            n => line.push_str(&format!(" · {n} earlier attempts may have been billed")),
        }
        line
    }
}

/// The chain from the root of a version's tree down to `id` (oldest first): the path a chain
/// of edits took. Stops at a missing parent or a cycle (a damaged record never loops).
pub fn lineage<'a>(versions: &'a [Version], id: &str) -> Vec<&'a Version> {
    let mut chain = Vec::new();
    let mut next = versions.iter().find(|v| v.id == id);
    while let Some(v) = next {
        if chain.iter().any(|c: &&Version| c.id == v.id) {
            break;
        }
        chain.push(v);
        next = v
            .parent
            .as_deref()
            .and_then(|p| versions.iter().find(|x| x.id == p));
    }
    chain.reverse();
    chain
}

/// Why a version cannot be deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteRefusal {
    /// It is the frame's only version.
    LastVersion,
    /// No such version.
    Missing,
}

impl std::fmt::Display for DeleteRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DeleteRefusal::LastVersion => {
                "This is the frame's only version; a frame always keeps one image."
            }
            DeleteRefusal::Missing => "This version no longer exists.",
        })
    }
}

#[cfg(test)]
impl Version {
    /// A version for tests: an image hash and, optionally, the anchor image it was made from.
    pub(crate) fn sample(id: &str, frame_id: &str, anchor_image: Option<&str>) -> Version {
        Version {
            id: id.into(),
            series_id: "s".into(),
            frame_id: frame_id.into(),
            rev: 0,
            parent: None,
            group: None,
            kind: VersionKind::Generated,
            image: ImageRef {
                hash: format!("h-{id}"),
                width: 1024,
                height: 1280,
                mime: "image/png".into(),
                bytes: 0,
            },
            created_ms: 5.0,
            request: SentRequest {
                endpoint: "images/generations".into(),
                model: "gpt-image-2".into(),
                prompt: "p".into(),
                n: 1,
                ..SentRequest::default()
            },
            instruction: None,
            locale: None,
            usage: None,
            request_cost_usd: Some(0.045),
            cost_usd: Some(0.045),
            request_id: Some("req_1".into()),
            anchor_image: anchor_image.map(str::to_string),
            maybe_billed_attempts: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lineage_walks_parents_and_survives_cycles() {
        let mut a = Version::sample("a", "f", None);
        let mut b = Version::sample("b", "f", None);
        let mut c = Version::sample("c", "f", None);
        b.parent = Some("a".into());
        c.parent = Some("b".into());
        let vs = vec![a.clone(), b.clone(), c.clone()];
        let ids: Vec<_> = lineage(&vs, "c").iter().map(|v| v.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        a.parent = Some("c".into());
        let looped = vec![a, b, c];
        assert_eq!(lineage(&looped, "c").len(), 3, "a cycle stops, never loops");
    }

    #[test]
    fn cost_lines_describe_one_request() {
        let mut v = Version::sample("a", "f", None);
        v.request.n = 2;
        v.request_cost_usd = Some(0.112);
        v.cost_usd = Some(0.056);
        v.usage = Some(Usage {
            output_tokens: 7424,
            ..Usage::default()
        });
        assert_eq!(
            v.cost_line(),
            "$0.112 · 7424 output tokens · request of 2 images"
        );
        v.maybe_billed_attempts = 1;
        assert!(v
            .cost_line()
            .ends_with("1 earlier attempt may have been billed"));
    }
}
