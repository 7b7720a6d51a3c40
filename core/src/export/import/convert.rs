//! A validated manifest and the files read → a **new** series: fresh ids for the series, its
//! frames, versions, request groups and entities (every reference between them remapped),
//! image hashes unchanged, revision 0, nothing in flight, no errors. What the archive lacks is
//! dropped with a warning; nothing is ever queued for generation.

use super::files::CheckedFiles;
use super::ImportError;
use crate::export::manifest::{AnchorEntry, Manifest, VersionEntry};
use crate::model::bible::{Bible, Entity, RefImage, Style, Swatch};
use crate::model::frame::Frame;
use crate::model::shot::{OnImageText, ShotSpec};
use crate::model::size::Size;
use crate::model::template::Template;
use crate::model::{
    clean_name, make_id, Anchor, ImageRef, OutputSettings, SentRequest, Series, Version,
    SCHEMA_VERSION,
};
use crate::openai::types::{InputDetails, OutputDetails, Usage};
use std::collections::HashMap;

/// An imported series and what the user should know about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The new series (store it as a new series; it never replaces one).
    pub series: Series,
    /// What was dropped or adjusted, for the user.
    pub warnings: Vec<String>,
    /// The images to store as `Blob`s (each once): hash, the archive path to read it from,
    /// and its sniffed MIME type (the `Blob`'s type).
    pub store: Vec<(String, String, &'static str)>,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Builds the series. `ids` supplies fresh random numbers (as for
/// [`Series::from_template`]); `now_ms` becomes its last-changed time.
pub fn to_series(
    m: &Manifest,
    files: &CheckedFiles,
    now_ms: f64,
    mut ids: impl FnMut() -> u64,
) -> Result<Imported, ImportError> {
    let mut warnings = Vec::new();
    let mut store: Vec<(String, String, &'static str)> = Vec::new();
    let mut keep = |hash: &str| -> bool {
        match files.get(hash) {
            Some(f) => {
                if !store.iter().any(|(h, _, _)| h == hash) {
                    store.push((hash.to_string(), f.path.clone(), f.image.mime));
                }
                true
            }
            None => false,
        }
    };
    let s = &m.series;
    let series_id = make_id("s", ids());

    // Entities and their reference images (only those whose bytes came with the manifest).
    let mut entity_ids = HashMap::new();
    let mut dropped_refs = 0;
    let mut entities = Vec::new();
    for e in &s.bible.entities {
        let id = make_id("e", ids());
        entity_ids.insert(e.id.as_str(), id.clone());
        let mut references = Vec::new();
        for r in &e.references {
            if !keep(&r.sha256) {
                dropped_refs += 1;
                continue;
            }
            let f = files.get(&r.sha256).expect("kept");
            if f.image.mime == "image/gif" {
                return Err(ImportError::BadImage {
                    path: f.path.clone(),
                    problem: "a reference image must be PNG, JPEG or WebP".into(),
                });
            }
            let (width, height) = checked_size(r.width, r.height, f.image.width, f.image.height);
            references.push(RefImage {
                id: r.sha256.clone(),
                name: clean_name(&r.name).unwrap_or_default(),
                mime: f.image.mime.into(),
                width,
                height,
            });
        }
        entities.push(Entity {
            id,
            kind: e.kind,
            name: clean_name(&e.name).unwrap_or_default(),
            description: e.description.clone(),
            must_not_change: e.must_not_change.clone(),
            references,
        });
    }
    if dropped_refs > 0 {
        warnings.push(format!(
            "{} not in the archive and {} left out.",
            plural(dropped_refs, "reference image was", "reference images were"),
            if dropped_refs == 1 { "was" } else { "were" }
        ));
    }

    // Frames, in the series' order.
    let position: HashMap<&str, usize> = m
        .frames
        .iter()
        .enumerate()
        .map(|(i, f)| (f.id.as_str(), i))
        .collect();
    let frame_ids: HashMap<&str, String> = m
        .frames
        .iter()
        .map(|f| (f.id.as_str(), make_id("f", ids())))
        .collect();

    // Versions whose image came with the manifest; the others are dropped and their children
    // hang from the nearest kept ancestor, so each tree stays connected.
    let index: HashMap<&str, &VersionEntry> =
        m.versions.iter().map(|v| (v.id.as_str(), v)).collect();
    let mut version_ids = HashMap::new();
    for v in &m.versions {
        if keep(&v.image.sha256) {
            version_ids.insert(v.id.as_str(), make_id("v", ids()));
        }
    }
    let dropped_versions = m.versions.len() - version_ids.len();
    if dropped_versions > 0 {
        warnings.push(format!(
            "{} exported without {} image and {} not imported (their costs and request ids are in the manifest).",
            plural(dropped_versions, "version was", "versions were"),
            if dropped_versions == 1 { "its" } else { "their" },
            if dropped_versions == 1 { "is" } else { "are" },
        ));
    }
    let mut groups: HashMap<&str, String> = HashMap::new();
    let mut versions = Vec::with_capacity(version_ids.len());
    for v in m
        .versions
        .iter()
        .filter(|v| version_ids.contains_key(v.id.as_str()))
    {
        let mut parent = v.parent.as_deref();
        // Acyclic (validated), so this ends.
        while let Some(p) = parent {
            if version_ids.contains_key(p) {
                break;
            }
            parent = index.get(p).and_then(|x| x.parent.as_deref());
        }
        let group = v.group.as_deref().map(|g| {
            groups
                .entry(g)
                .or_insert_with(|| make_id("g", ids()))
                .clone()
        });
        let f = files.get(&v.image.sha256).expect("kept");
        let (width, height) =
            checked_size(v.image.width, v.image.height, f.image.width, f.image.height);
        if let Some(mask) = &v.request.mask {
            keep(mask);
        }
        let r = &v.request;
        versions.push(Version {
            id: version_ids[v.id.as_str()].clone(),
            series_id: series_id.clone(),
            frame_id: frame_ids[v.frame_id.as_str()].clone(),
            rev: 0,
            parent: parent.map(|p| version_ids[p].clone()),
            group,
            kind: v.kind,
            image: ImageRef {
                hash: v.image.sha256.clone(),
                width,
                height,
                mime: f.image.mime.into(),
                bytes: f.bytes,
            },
            created_ms: v.created_ms,
            request: SentRequest {
                endpoint: r.api_path.clone(),
                model: r.model.clone(),
                prompt: r.prompt.clone(),
                size: r.size.clone(),
                quality: r.quality.clone(),
                output_format: r.output_format.clone(),
                n: r.n,
                images: r.images.clone(),
                mask: r.mask.clone(),
                markup: None,
                note: r.note.clone(),
            },
            instruction: v.instruction.clone(),
            locale: v.locale.clone(),
            usage: v.usage.as_ref().map(|u| Usage {
                input_tokens: u.input_tokens,
                output_tokens: u.output_tokens,
                total_tokens: u.total_tokens,
                input_tokens_details: u.input_tokens_details.as_ref().map(|d| InputDetails {
                    text_tokens: d.text_tokens,
                    image_tokens: d.image_tokens,
                }),
                output_tokens_details: u.output_tokens_details.as_ref().map(|d| OutputDetails {
                    image_tokens: d.image_tokens,
                    text_tokens: d.text_tokens,
                }),
            }),
            request_cost_usd: v.request_cost_usd,
            cost_usd: v.cost_usd,
            request_id: v.request_id.clone(),
            anchor_image: v.anchor_image.clone(),
            maybe_billed_attempts: v.maybe_billed_attempts,
        });
    }
    // A version id of `frame`, if it was kept and belongs to that frame.
    let own_version = |frame: &str, old: &str| {
        index
            .get(old)
            .filter(|v| v.frame_id == frame)
            .and_then(|_| version_ids.get(old).cloned())
    };

    let mut unknown_entities = 0;
    let mut lost_links = 0;
    let mut frames = Vec::with_capacity(m.frames.len());
    for old in &s.frame_order {
        let f = &m.frames[position[old.as_str()]];
        let mut frame = Frame::new(
            frame_ids[old.as_str()].clone(),
            series_id.clone(),
            f.title.clone(),
        );
        frame.prompt = f.prompt.clone();
        // Validated to be within the model's range (see `validate`).
        frame.hold_seconds = f.hold_seconds;
        let sh = &f.shot;
        let entities: Vec<String> = sh
            .entities
            .iter()
            .filter_map(|e| entity_ids.get(e.as_str()).cloned())
            .collect();
        unknown_entities += sh.entities.len() - entities.len();
        frame.shot = ShotSpec {
            shot_size: sh.shot_size.clone(),
            camera_angle: sh.camera_angle.clone(),
            setting: sh.setting.clone(),
            lighting: sh.lighting.clone(),
            mood: sh.mood.clone(),
            texts: sh
                .texts
                .iter()
                .map(|t| OnImageText {
                    text: t.text.clone(),
                    language: t.language.clone(),
                    placement: t.placement.clone(),
                    translations: t.translations.clone(),
                })
                .collect(),
            composition: sh.composition.clone(),
            constraints: sh.constraints.clone(),
            entities,
        };
        if let Some(a) = &f.active_version {
            frame.active_version = own_version(old, a);
            lost_links += usize::from(frame.active_version.is_none());
        }
        for (locale, v) in &f.locale_versions {
            match own_version(old, v) {
                Some(id) => {
                    frame.locale_versions.insert(locale.clone(), id);
                }
                None => lost_links += 1,
            }
        }
        frames.push(frame);
    }
    if unknown_entities > 0 {
        warnings.push(format!(
            "{} named an entity that is not in the bible; {} left out.",
            plural(unknown_entities, "frame entry", "frame entries"),
            if unknown_entities == 1 {
                "it was"
            } else {
                "they were"
            }
        ));
    }
    if lost_links > 0 {
        warnings.push(format!(
            "{} pointed at a version that was not imported; those frames show their newest imported version.",
            plural(lost_links, "active or locale version", "active or locale versions")
        ));
    }

    let anchor = match &s.anchor {
        None => None,
        Some(AnchorEntry::Frame {
            frame_id,
            approved_image,
        }) => frame_ids.get(frame_id.as_str()).map(|id| Anchor::Frame {
            frame_id: id.clone(),
            approved_image: approved_image.clone(),
        }),
        Some(AnchorEntry::Reference {
            entity_id,
            image_id,
        }) => entity_ids
            .get(entity_id.as_str())
            .filter(|id| {
                entities
                    .iter()
                    .any(|e| &e.id == *id && e.references.iter().any(|r| &r.id == image_id))
            })
            .map(|id| Anchor::Reference {
                entity_id: id.clone(),
                image_id: image_id.clone(),
            }),
    };
    if s.anchor.is_some() && anchor.is_none() {
        warnings.push("The anchor was not in the archive; the series has no anchor.".into());
    }

    let template = match (s.template.kind.as_str(), s.template.frames) {
        ("storyboard", _) => Template::Storyboard,
        ("character_sheet", _) => Template::CharacterSheet,
        ("product_set", _) => Template::ProductSet,
        ("comic", _) => Template::Comic,
        ("custom", n) => Template::Custom {
            frames: n.unwrap_or(1),
        },
        _ => Template::Carousel,
    };
    let variants = s.output.variants.clamp(1, 4);
    if variants != s.output.variants {
        warnings.push(format!(
            "Images per frame was {}; it is now {variants} (1 to 4 are possible).",
            s.output.variants
        ));
    }
    let size = Size::parse(&s.output.size).expect("validated");
    let mut series = Series {
        schema: SCHEMA_VERSION,
        id: series_id,
        rev: 0,
        name: clean_name(&s.name).unwrap_or_else(|| template.label()),
        template,
        created_ms: s.created_ms,
        updated_ms: now_ms,
        style: s.style.clone(),
        bible: Bible {
            style: Style {
                look: s.bible.style.look.clone(),
                medium: s.bible.style.medium.clone(),
                rendering: s.bible.style.rendering.clone(),
                lens: s.bible.style.lens.clone(),
                lighting: s.bible.style.lighting.clone(),
            },
            palette: s
                .bible
                .palette
                .iter()
                .map(|p| Swatch {
                    hex: p.hex.clone(),
                    name: p.name.clone(),
                })
                .collect(),
            setting: s.bible.setting.clone(),
            typography: s.bible.typography.clone(),
            always: s.bible.always.clone(),
            never: s.bible.never.clone(),
            entities,
        },
        anchor,
        budget_usd: s.budget_usd,
        spent_on_deleted_usd: 0.0,
        output: OutputSettings {
            model: s.output.model.clone(),
            size,
            quality: s.output.quality.clone(),
            output_format: s.output.output_format.clone(),
            variants,
            transparent_background: false,
            complexity: None,
        },
        locales: s.locales.clone(),
        frame_order: frames.iter().map(|f| f.id.clone()).collect(),
        batches: Vec::new(),
        frames,
        versions,
    };
    // A manifest written before the bible held the style text: fold it in as a load does.
    series.fold_legacy_style();
    Ok(Imported {
        series,
        warnings,
        store,
    })
}

/// The declared size if the file agrees (either way round: a JPEG's EXIF orientation turns it
/// when the browser decodes it), else the file's own.
fn checked_size(w: u32, h: u32, file_w: u32, file_h: u32) -> (u32, u32) {
    if (w, h) == (file_w, file_h) || (w, h) == (file_h, file_w) {
        (w, h)
    } else {
        (file_w, file_h)
    }
}
