//! Building the manifest and the file plan from a series.

use super::names::{extension, frame_file, locale_folder, slug, Names};
use super::types::*;
use super::{FORMAT, MANIFEST_SCHEMA_VERSION};
use crate::compiler::compile;
use crate::model::series::OutputSettings;
use crate::model::{clean_name, Anchor, Frame, Series, Version};
use std::collections::{BTreeMap, HashMap};

/// What to export.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportOptions {
    /// Every version's image (`true`), or only each frame's active image and its locale
    /// variants. Reference images are always included; the manifest always lists every version.
    pub all_versions: bool,
    /// The app writing the export.
    pub app: AppInfo,
    /// Export time, ms since the epoch.
    pub exported_ms: f64,
    /// Byte size of every image the browser has stored, by hash (`Blob.size`, known without
    /// reading the bytes). An image missing here is not in storage: it gets no file and the
    /// export says so. `None`: every image is assumed stored, sizes from the model.
    pub stored: Option<BTreeMap<String, u64>>,
}

impl ExportOptions {
    /// Active images only, every image assumed stored, app "Continuity" at this crate's version.
    pub fn new(exported_ms: f64) -> Self {
        ExportOptions {
            all_versions: false,
            app: AppInfo {
                name: "Continuity".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            exported_ms,
            stored: None,
        }
    }

    fn is_stored(&self, hash: &str) -> bool {
        self.stored.as_ref().is_none_or(|m| m.contains_key(hash))
    }

    fn bytes_of(&self, hash: &str, known: u64) -> u64 {
        self.stored
            .as_ref()
            .and_then(|m| m.get(hash).copied())
            .unwrap_or(known)
    }
}

/// One image file of the archive: which stored image (by hash) goes at which path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFile {
    /// Path in the archive.
    pub path: String,
    /// SHA-256 (the `Blob`'s key).
    pub hash: String,
    /// MIME type.
    pub mime: String,
    /// Why it is there.
    pub role: FileRole,
    /// The frame it shows (active images and locale variants).
    pub frame_id: Option<String>,
    /// The locale of a locale variant.
    pub locale: Option<String>,
}

/// A planned export: the manifest, the image files in archive order, and what the user
/// should know (images missing from storage, text that looks like a key).
#[derive(Debug, Clone, PartialEq)]
pub struct Export {
    /// The manifest.
    pub manifest: Manifest,
    /// Image files in archive order (after `manifest.json`).
    pub files: Vec<PlannedFile>,
    /// Messages for the user.
    pub warnings: Vec<String>,
}

/// Plans the export of `series`: the manifest and the image files. Pure; the browser streams
/// each planned file's `Blob` into the archive (see [`Export::zip_layout`]).
pub fn build(series: &Series, options: &ExportOptions) -> Export {
    let mut plan = Planner {
        names: Names::new(),
        files: Vec::new(),
        path_of_version: HashMap::new(),
        missing: 0,
        options,
    };
    plan.active_and_locales(series);
    let references = plan.references(series);
    if options.all_versions {
        for v in &series.versions {
            plan.other_version(v);
        }
    }
    plan.masks(series);

    let mut warnings = Vec::new();
    if plan.missing > 0 {
        warnings.push(format!(
            "{} image{} of this series {} not in this browser's storage, so the archive cannot include {}.",
            plan.missing,
            if plan.missing == 1 { "" } else { "s" },
            if plan.missing == 1 { "is" } else { "are" },
            if plan.missing == 1 { "it" } else { "them" },
        ));
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        schema_version: MANIFEST_SCHEMA_VERSION,
        app: options.app.clone(),
        exported_ms: options.exported_ms,
        exported_at: rfc3339(options.exported_ms),
        series: series_entry(series, references),
        frames: (0..series.frames.len())
            .map(|i| frame_entry(series, i))
            .collect(),
        versions: series
            .versions
            .iter()
            .map(|v| version_entry(v, plan.path_of_version.get(&v.id).cloned(), options))
            .collect(),
        images: plan
            .files
            .iter()
            .map(|f| image_file(series, f, options))
            .collect(),
    };
    if let Some(place) = super::key_like_text(&manifest) {
        warnings.push(format!(
            "{place} contains text that looks like an OpenAI API key (sk-…). Remove it before sharing this file."
        ));
    }
    Export {
        manifest,
        files: plan.files,
        warnings,
    }
}

struct Planner<'a> {
    names: Names,
    files: Vec<PlannedFile>,
    path_of_version: HashMap<String, String>,
    missing: usize,
    options: &'a ExportOptions,
}

impl Planner<'_> {
    fn add(&mut self, wanted: &str, hash: &str, mime: &str, role: FileRole) -> Option<String> {
        if !self.options.is_stored(hash) {
            self.missing += 1;
            return None;
        }
        let path = self.names.unique(wanted);
        self.files.push(PlannedFile {
            path: path.clone(),
            hash: hash.into(),
            mime: mime.into(),
            role,
            frame_id: None,
            locale: None,
        });
        Some(path)
    }

    /// A file already planned with these bytes (versions, references and masks share files).
    fn existing(&self, hash: &str) -> Option<String> {
        self.files
            .iter()
            .find(|f| f.hash == hash)
            .map(|f| f.path.clone())
    }

    fn active_and_locales(&mut self, series: &Series) {
        let count = series.frames.len();
        for (i, frame) in series.frames.iter().enumerate() {
            if let Some(v) = series.active(frame) {
                let name = frame_file(i + 1, count, &frame.title, extension(&v.image.mime));
                self.frame_file(name, v, frame, None, FileRole::Active);
            }
        }
        // Locales in the series' order, then any others a frame has, alphabetically.
        let mut locales: Vec<&String> = Vec::new();
        for l in &series.locales {
            if !locales.contains(&l) {
                locales.push(l);
            }
        }
        let listed = locales.len();
        for l in series.frames.iter().flat_map(|f| f.locale_versions.keys()) {
            if !locales.contains(&l) {
                locales.push(l);
            }
        }
        locales[listed..].sort();
        for locale in locales {
            let folder = locale_folder(locale);
            for (i, frame) in series.frames.iter().enumerate() {
                let Some(v) = frame
                    .locale_versions
                    .get(locale)
                    .and_then(|id| series.version(id))
                    .filter(|v| v.frame_id == frame.id)
                else {
                    continue;
                };
                let name = frame_file(i + 1, count, &frame.title, extension(&v.image.mime));
                let name = format!("{folder}/{name}");
                self.frame_file(name, v, frame, Some(locale), FileRole::Locale);
            }
        }
    }

    fn frame_file(
        &mut self,
        name: String,
        v: &Version,
        frame: &Frame,
        locale: Option<&str>,
        role: FileRole,
    ) {
        if let Some(path) = self.add(&name, &v.image.hash, &v.image.mime, role) {
            let file = self.files.last_mut().expect("just added");
            file.frame_id = Some(frame.id.clone());
            file.locale = locale.map(str::to_string);
            self.path_of_version.entry(v.id.clone()).or_insert(path);
        }
    }

    /// Paths of the reference images, by hash.
    fn references(&mut self, series: &Series) -> HashMap<String, String> {
        let mut paths = HashMap::new();
        for (e, entity) in series.bible.entities.iter().enumerate() {
            let stem = match slug(&entity.name) {
                s if s.is_empty() => format!("entity-{}", e + 1),
                s => s,
            };
            for (k, r) in entity.references.iter().enumerate() {
                if paths.contains_key(&r.id) {
                    continue;
                }
                let wanted = format!("references/{stem}-{}.{}", k + 1, extension(&r.mime));
                if let Some(path) = self.add(&wanted, &r.id, &r.mime, FileRole::Reference) {
                    paths.insert(r.id.clone(), path);
                }
            }
        }
        paths
    }

    fn other_version(&mut self, v: &Version) {
        if self.path_of_version.contains_key(&v.id) {
            return;
        }
        let path = match self.existing(&v.image.hash) {
            Some(p) => Some(p),
            None => {
                let wanted = format!(
                    "versions/{}.{}",
                    file_stem(&v.image.hash),
                    extension(&v.image.mime)
                );
                self.add(&wanted, &v.image.hash, &v.image.mime, FileRole::Version)
            }
        };
        if let Some(p) = path {
            self.path_of_version.insert(v.id.clone(), p);
        }
    }

    /// The masks of exported versions' requests, so an edit is complete on import.
    fn masks(&mut self, series: &Series) {
        for v in &series.versions {
            let Some(mask) = &v.request.mask else {
                continue;
            };
            if self.path_of_version.contains_key(&v.id) && self.existing(mask).is_none() {
                let wanted = format!("masks/{}.png", file_stem(mask));
                self.add(&wanted, mask, "image/png", FileRole::Mask);
            }
        }
    }
}

/// A hash as a file name (hashes are hex; anything else is slugged).
fn file_stem(hash: &str) -> String {
    match slug(hash) {
        s if s.is_empty() => "image".into(),
        s => s,
    }
}

fn image_file(series: &Series, f: &PlannedFile, options: &ExportOptions) -> ImageFile {
    let (width, height, known) = series
        .versions
        .iter()
        .find(|v| v.image.hash == f.hash)
        .map(|v| (v.image.width, v.image.height, v.image.bytes))
        .or_else(|| {
            series
                .bible
                .entities
                .iter()
                .flat_map(|e| &e.references)
                .find(|r| r.id == f.hash)
                .map(|r| (r.width, r.height, 0))
        })
        .unwrap_or((0, 0, 0));
    ImageFile {
        path: f.path.clone(),
        sha256: f.hash.clone(),
        mime: f.mime.clone(),
        bytes: options.bytes_of(&f.hash, known),
        width,
        height,
        role: f.role,
    }
}

fn series_entry(series: &Series, reference_paths: HashMap<String, String>) -> SeriesEntry {
    let b = &series.bible;
    SeriesEntry {
        id: series.id.clone(),
        name: clean_name(&series.name).unwrap_or_else(|| series.template.label()),
        template: TemplateEntry {
            kind: series.template.key().into(),
            frames: match series.template {
                crate::model::template::Template::Custom { frames } => Some(frames),
                _ => None,
            },
        },
        created_ms: series.created_ms,
        updated_ms: series.updated_ms,
        style: series.style.clone(),
        bible: BibleEntry {
            style: StyleEntry {
                look: b.style.look.clone(),
                medium: b.style.medium.clone(),
                rendering: b.style.rendering.clone(),
                lens: b.style.lens.clone(),
                lighting: b.style.lighting.clone(),
            },
            palette: b
                .palette
                .iter()
                .map(|s| SwatchEntry {
                    hex: s.hex.clone(),
                    name: s.name.clone(),
                })
                .collect(),
            setting: b.setting.clone(),
            typography: b.typography.clone(),
            always: b.always.clone(),
            never: b.never.clone(),
            entities: b
                .entities
                .iter()
                .map(|e| EntityEntry {
                    id: e.id.clone(),
                    kind: e.kind,
                    // Names are capped as the app caps a series name, so an export always
                    // passes import's name check.
                    name: clean_name(&e.name).unwrap_or_default(),
                    description: e.description.clone(),
                    must_not_change: e.must_not_change.clone(),
                    references: e
                        .references
                        .iter()
                        .map(|r| ReferenceEntry {
                            sha256: r.id.clone(),
                            name: clean_name(&r.name).unwrap_or_default(),
                            mime: r.mime.clone(),
                            width: r.width,
                            height: r.height,
                            path: reference_paths.get(&r.id).cloned(),
                        })
                        .collect(),
                })
                .collect(),
        },
        anchor: series.anchor.as_ref().map(|a| match a {
            Anchor::Frame {
                frame_id,
                approved_image,
            } => AnchorEntry::Frame {
                frame_id: frame_id.clone(),
                approved_image: approved_image.clone(),
            },
            Anchor::Reference {
                entity_id,
                image_id,
            } => AnchorEntry::Reference {
                entity_id: entity_id.clone(),
                image_id: image_id.clone(),
            },
        }),
        budget_usd: series.budget_usd,
        output: output_entry(&series.output),
        locales: series.locales.clone(),
        frame_order: series.frames.iter().map(|f| f.id.clone()).collect(),
    }
}

fn output_entry(o: &OutputSettings) -> OutputEntry {
    OutputEntry {
        model: o.model.clone(),
        size: o.size.to_string(),
        quality: o.quality.clone(),
        output_format: o.output_format.clone(),
        variants: o.variants,
    }
}

fn frame_entry(series: &Series, index: usize) -> FrameEntry {
    let f = &series.frames[index];
    let compiled = compile(series, index);
    let s = &f.shot;
    FrameEntry {
        id: f.id.clone(),
        title: f.title.clone(),
        prompt: f.prompt.clone(),
        shot: ShotEntry {
            shot_size: s.shot_size.clone(),
            camera_angle: s.camera_angle.clone(),
            setting: s.setting.clone(),
            lighting: s.lighting.clone(),
            mood: s.mood.clone(),
            texts: s
                .texts
                .iter()
                .map(|t| TextEntry {
                    text: t.text.clone(),
                    language: t.language.clone(),
                    placement: t.placement.clone(),
                    translations: t.translations.clone(),
                })
                .collect(),
            composition: s.composition.clone(),
            constraints: s.constraints.clone(),
            entities: s.entities.clone(),
        },
        active_version: f.active_version.clone(),
        locale_versions: f.locale_versions.clone(),
        compiled_prompt: compiled.prompt,
        compiled_images: compiled.references.into_iter().map(|r| r.key).collect(),
        hold_seconds: f.hold_seconds,
    }
}

fn version_entry(v: &Version, path: Option<String>, options: &ExportOptions) -> VersionEntry {
    let r = &v.request;
    VersionEntry {
        id: v.id.clone(),
        frame_id: v.frame_id.clone(),
        parent: v.parent.clone(),
        group: v.group.clone(),
        kind: v.kind,
        created_ms: v.created_ms,
        instruction: v.instruction.clone(),
        locale: v.locale.clone(),
        request: RequestEntry {
            api_path: r.endpoint.clone(),
            model: r.model.clone(),
            prompt: r.prompt.clone(),
            size: r.size.clone(),
            quality: r.quality.clone(),
            output_format: r.output_format.clone(),
            n: r.n,
            images: r.images.clone(),
            mask: r.mask.clone(),
            note: r.note.clone(),
        },
        usage: v.usage.as_ref().map(|u| UsageEntry {
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
            total_tokens: u.total_tokens,
            input_tokens_details: u.input_tokens_details.as_ref().map(|d| TokenSplit {
                text_tokens: d.text_tokens,
                image_tokens: d.image_tokens,
            }),
            output_tokens_details: u.output_tokens_details.as_ref().map(|d| TokenSplit {
                text_tokens: d.text_tokens,
                image_tokens: d.image_tokens,
            }),
        }),
        request_cost_usd: v.request_cost_usd,
        cost_usd: v.cost_usd,
        request_id: v.request_id.clone(),
        anchor_image: v.anchor_image.clone(),
        maybe_billed_attempts: v.maybe_billed_attempts,
        image: ImageEntry {
            sha256: v.image.hash.clone(),
            mime: v.image.mime.clone(),
            width: v.image.width,
            height: v.image.height,
            bytes: options.bytes_of(&v.image.hash, v.image.bytes),
        },
        path,
    }
}

/// `2024-05-01T12:00:00Z` from ms since the epoch (UTC, whole seconds).
pub(crate) fn rfc3339(ms: f64) -> String {
    let secs = if ms.is_finite() {
        (ms / 1000.0).floor() as i64
    } else {
        0
    };
    let (y, m, d) = crate::export::zip::names::civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}
