//! Checks on a typed manifest that refuse it: names, ids, hashes, paths, types and sizes of
//! images, numbers, per-frame and per-entity counts, and the version trees' shape. What can be
//! repaired (a reference to something not exported) is left to the conversion, which warns.

use super::json::clip;
use super::limits::*;
use super::ImportError;
use crate::export::manifest::{FileRole, ImageFile, Manifest, VersionEntry, MANIFEST_PATH};
use crate::export::zip::check_name;
use crate::model::frame::{HOLD_SECONDS_MAX, HOLD_SECONDS_MIN};
use crate::model::size::Size;
use std::collections::{HashMap, HashSet};

/// Every check that refuses a manifest.
pub fn validate(m: &Manifest) -> Result<(), ImportError> {
    let s = &m.series;
    template_known(&s.template.kind, s.template.frames)?;
    name("series.name", &s.name)?;
    if let Some(b) = s.budget_usd {
        amount("series.budget_usd", b)?;
    }
    let size = Size::parse(&s.output.size)
        .ok_or_else(|| bad("series.output.size", "not a size like 1024x1536"))?;
    if size.long_edge() > MAX_IMAGE_EDGE {
        return Err(bad("series.output.size", "larger than 8192 pixels"));
    }
    token("series.output.model", &s.output.model)?;
    token("series.output.quality", &s.output.quality)?;
    token("series.output.output_format", &s.output.output_format)?;
    for (i, l) in s.locales.iter().enumerate() {
        token(&format!("series.locales[{i}]"), l)?;
    }

    let files = images(&m.images)?;
    let frames = unique_ids("frame", m.frames.iter().map(|f| f.id.as_str()))?;
    let mut order: Vec<&str> = s.frame_order.iter().map(String::as_str).collect();
    order.sort_unstable();
    let mut listed: Vec<&str> = frames.keys().copied().collect();
    listed.sort_unstable();
    if order != listed {
        return Err(ImportError::Inconsistent(
            "series.frame_order does not list each frame exactly once".into(),
        ));
    }
    for (i, f) in m.frames.iter().enumerate() {
        for (l, v) in &f.locale_versions {
            token(&format!("frames[{i}].locale_versions"), l)?;
            id(&format!("frames[{i}].locale_versions.{}", clip(l)), v)?;
        }
        if let Some(v) = &f.active_version {
            id(&format!("frames[{i}].active_version"), v)?;
        }
        if let Some(s) = f.hold_seconds {
            hold_seconds(&format!("frames[{i}].hold_seconds"), s)?;
        }
    }

    unique_ids("entity", s.bible.entities.iter().map(|e| e.id.as_str()))?;
    for (i, e) in s.bible.entities.iter().enumerate() {
        name(&format!("series.bible.entities[{i}].name"), &e.name)?;
        if e.references.len() > MAX_REFERENCES_PER_ENTITY {
            return Err(ImportError::TooMany {
                what: format!("The entity “{}”'s reference image list", clip(&e.name)),
                count: e.references.len(),
                max: MAX_REFERENCES_PER_ENTITY,
            });
        }
        for (k, r) in e.references.iter().enumerate() {
            let at = format!("series.bible.entities[{i}].references[{k}]");
            name(&format!("{at}.name"), &r.name)?;
            id(&format!("{at}.sha256"), &r.sha256)?;
            image_meta(&at, &r.mime, r.width, r.height, false)?;
            if let Some(p) = &r.path {
                listed_file(&files, &at, p, &r.sha256)?;
            }
        }
    }

    let versions = unique_ids("version", m.versions.iter().map(|v| v.id.as_str()))?;
    let mut per_frame: HashMap<&str, usize> = HashMap::new();
    for (i, v) in m.versions.iter().enumerate() {
        let at = format!("versions[{i}]");
        if !frames.contains_key(v.frame_id.as_str()) {
            return Err(ImportError::Inconsistent(format!(
                "{at} belongs to a frame that is not in the manifest"
            )));
        }
        let n = per_frame.entry(&v.frame_id).or_default();
        *n += 1;
        if *n > MAX_VERSIONS_PER_FRAME {
            return Err(ImportError::TooMany {
                what: format!("Frame {}'s version list", frames[v.frame_id.as_str()] + 1),
                count: m
                    .versions
                    .iter()
                    .filter(|x| x.frame_id == v.frame_id)
                    .count(),
                max: MAX_VERSIONS_PER_FRAME,
            });
        }
        version(v, &at)?;
        if let Some(p) = &v.path {
            listed_file(&files, &at, p, &v.image.sha256)?;
        }
    }
    no_cycles(&m.versions, &versions)
}

fn bad(path: &str, problem: &str) -> ImportError {
    ImportError::BadValue {
        path: path.into(),
        problem: problem.into(),
    }
}

fn template_known(kind: &str, frames: Option<usize>) -> Result<(), ImportError> {
    match (kind, frames) {
        ("carousel" | "storyboard" | "character_sheet" | "product_set" | "comic", None) => Ok(()),
        ("custom", Some(n)) if n <= MAX_FRAMES => Ok(()),
        ("custom", _) => Err(bad(
            "series.template.frames",
            "a custom template needs a frame count of at most 2000",
        )),
        (_, Some(_)) if is_preset(kind) => Err(bad(
            "series.template.frames",
            "only a custom template has a frame count",
        )),
        _ => Err(bad(
            "series.template.kind",
            &format!("“{}” is not a template Continuity knows", clip(kind)),
        )),
    }
}

fn is_preset(kind: &str) -> bool {
    matches!(
        kind,
        "carousel" | "storyboard" | "character_sheet" | "product_set" | "comic"
    )
}

/// A name as the model cleans it (no control or bidi-override characters, trimmed) must fit in
/// [`MAX_NAME_CHARS`]. An empty name is allowed here (the conversion names it).
fn name(path: &str, text: &str) -> Result<(), ImportError> {
    let len = text
        .trim()
        .chars()
        .filter(|c| {
            !c.is_control()
                && !('\u{202A}'..='\u{202E}').contains(c)
                && !('\u{2066}'..='\u{2069}').contains(c)
        })
        .count();
    if len > MAX_NAME_CHARS {
        return Err(ImportError::TooLong {
            what: path.into(),
            len,
            max: MAX_NAME_CHARS,
            unit: "characters",
        });
    }
    Ok(())
}

/// An id, hash or key: not empty, no control characters, at most [`MAX_ID_CHARS`].
fn id(path: &str, text: &str) -> Result<(), ImportError> {
    if text.is_empty() || text.chars().any(char::is_control) {
        return Err(bad(path, "empty, or has control characters"));
    }
    if text.chars().count() > MAX_ID_CHARS {
        return Err(bad(path, "too long for an id"));
    }
    Ok(())
}

/// A model id, quality, format or locale tag: letters, digits and `-_.:` only.
fn token(path: &str, text: &str) -> Result<(), ImportError> {
    let ok = !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c));
    if ok {
        Ok(())
    } else {
        Err(bad(path, &format!("“{}” is not a valid value", clip(text))))
    }
}

fn amount(path: &str, usd: f64) -> Result<(), ImportError> {
    if usd.is_finite() && usd >= 0.0 {
        Ok(())
    } else {
        Err(bad(
            path,
            "a cost or budget must be a number of dollars, 0 or more",
        ))
    }
}

/// A frame's animatic hold: what the app itself accepts (never clamped silently on import,
/// so the imported series plays as the manifest says or not at all).
fn hold_seconds(path: &str, seconds: f64) -> Result<(), ImportError> {
    if seconds.is_finite() && (HOLD_SECONDS_MIN..=HOLD_SECONDS_MAX).contains(&seconds) {
        Ok(())
    } else {
        Err(bad(
            path,
            "a frame's animatic time must be a number of seconds from 0.1 to 60, or null for the default",
        ))
    }
}

fn is_sha256(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// MIME type and pixel size of an image as the manifest declares it.
fn image_meta(at: &str, mime: &str, w: u32, h: u32, gif_ok: bool) -> Result<(), ImportError> {
    let known = matches!(mime, "image/png" | "image/jpeg" | "image/webp")
        || (gif_ok && mime == "image/gif");
    if !known {
        return Err(bad(
            &format!("{at}.mime"),
            &format!("“{}” is not PNG, JPEG or WebP", clip(mime)),
        ));
    }
    if w == 0 || h == 0 || w > MAX_IMAGE_EDGE || h > MAX_IMAGE_EDGE {
        return Err(bad(
            at,
            &format!("an image of {w}×{h} pixels; from 1×1 to 8192×8192 is accepted"),
        ));
    }
    Ok(())
}

/// The file table: safe unique paths, real SHA-256 hex, accepted types and sizes.
fn images(files: &[ImageFile]) -> Result<HashMap<&str, &str>, ImportError> {
    let mut paths = HashMap::new();
    let mut folded = HashSet::new();
    for (i, f) in files.iter().enumerate() {
        let at = format!("images[{i}]");
        if let Err(p) = check_name(&f.path, MAX_ID_CHARS) {
            return Err(bad(&format!("{at}.path"), &p.to_string()));
        }
        if f.path.ends_with('/') || f.path.eq_ignore_ascii_case(MANIFEST_PATH) {
            return Err(bad(&format!("{at}.path"), "not an image file name"));
        }
        if !folded.insert(f.path.to_lowercase()) {
            return Err(ImportError::Inconsistent(format!(
                "the file “{}” is listed twice",
                clip(&f.path)
            )));
        }
        if !is_sha256(&f.sha256) {
            return Err(bad(
                &format!("{at}.sha256"),
                "not a SHA-256 in lower-case hex (64 characters)",
            ));
        }
        let gif_ok = !matches!(f.role, FileRole::Reference | FileRole::Mask);
        // Masks may not know their size (0); everything else must.
        let (w, h) = match (f.role, f.width, f.height) {
            (FileRole::Mask, 0, 0) => (1, 1),
            (_, w, h) => (w, h),
        };
        image_meta(&at, &f.mime, w, h, gif_ok)?;
        paths.insert(f.path.as_str(), f.sha256.as_str());
    }
    Ok(paths)
}

/// A path named by a version or a reference must be in the file table with the same hash.
fn listed_file(
    files: &HashMap<&str, &str>,
    at: &str,
    path: &str,
    sha256: &str,
) -> Result<(), ImportError> {
    match files.get(path) {
        Some(h) if *h == sha256 => Ok(()),
        Some(_) => Err(ImportError::Inconsistent(format!(
            "{at} names the file “{}”, whose hash in the file list is another",
            clip(path)
        ))),
        None => Err(ImportError::Inconsistent(format!(
            "{at} names the file “{}”, which is not in the file list",
            clip(path)
        ))),
    }
}

fn version(v: &VersionEntry, at: &str) -> Result<(), ImportError> {
    id(&format!("{at}.frame_id"), &v.frame_id)?;
    id(&format!("{at}.image.sha256"), &v.image.sha256)?;
    image_meta(
        &format!("{at}.image"),
        &v.image.mime,
        v.image.width,
        v.image.height,
        true,
    )?;
    for (field, value) in [
        ("parent", &v.parent),
        ("group", &v.group),
        ("request_id", &v.request_id),
        ("anchor_image", &v.anchor_image),
        ("request.mask", &v.request.mask),
    ] {
        if let Some(x) = value {
            id(&format!("{at}.{field}"), x)?;
        }
    }
    if let Some(l) = &v.locale {
        token(&format!("{at}.locale"), l)?;
    }
    for (k, h) in v.request.images.iter().enumerate() {
        id(&format!("{at}.request.images[{k}]"), h)?;
    }
    let r = &v.request;
    if !matches!(
        r.api_path.as_str(),
        "" | "images/generations" | "images/edits"
    ) {
        return Err(bad(
            &format!("{at}.request.api_path"),
            "not images/generations or images/edits",
        ));
    }
    if r.n > MAX_N {
        return Err(bad(
            &format!("{at}.request.n"),
            "more than 10 images per request",
        ));
    }
    for (field, value) in [
        ("request_cost_usd", v.request_cost_usd),
        ("cost_usd", v.cost_usd),
    ] {
        if let Some(x) = value {
            amount(&format!("{at}.{field}"), x)?;
        }
    }
    Ok(())
}

/// Refuses a parent chain that loops (linear: each version is walked once).
fn no_cycles(versions: &[VersionEntry], index: &HashMap<&str, usize>) -> Result<(), ImportError> {
    // 0: not seen, 1: on the current walk, 2: known to reach a root.
    let mut state = vec![0u8; versions.len()];
    for start in 0..versions.len() {
        let mut walk = Vec::new();
        let mut at = Some(start);
        while let Some(i) = at {
            match state[i] {
                2 => break,
                1 => {
                    return Err(ImportError::Inconsistent(format!(
                        "the versions of frame “{}” have parents that form a loop",
                        clip(&versions[i].frame_id)
                    )))
                }
                _ => {}
            }
            state[i] = 1;
            walk.push(i);
            at = versions[i]
                .parent
                .as_deref()
                .and_then(|p| index.get(p).copied());
        }
        for i in walk {
            state[i] = 2;
        }
    }
    Ok(())
}

/// Ids of one kind, each once; their positions.
fn unique_ids<'a>(
    kind: &str,
    ids: impl Iterator<Item = &'a str>,
) -> Result<HashMap<&'a str, usize>, ImportError> {
    let mut seen = HashMap::new();
    for (i, x) in ids.enumerate() {
        id(&format!("{kind} id"), x)?;
        if seen.insert(x, i).is_some() {
            return Err(ImportError::Inconsistent(format!(
                "two {kind}s have the id “{}”",
                clip(x)
            )));
        }
    }
    Ok(seen)
}
