//! The prompt compiler: a series (its bible, anchor and frames) and one frame → the exact
//! prompt text and the ordered reference images of that frame's request.
//!
//! Pure and deterministic (no clock, no hash-map order), so the UI can show, before any money
//! is spent, exactly what will be sent, and the golden files under `src/compiler/golden/`
//! pin the wording. Nothing is ever silently fixed: over-long prompts and too many reference
//! images are kept whole and reported in [`CompiledFrame::warnings`].

mod script;
#[cfg(test)]
mod tests;

use script::quote;
pub use script::script_name;

/// Quotes text for a prompt without touching a character (the first quote pair the text does
/// not contain: "…", “…”, «…» or 「…」).
pub fn quote_text(text: &str) -> String {
    quote(text)
}

use crate::model::bible::{Entity, EntityKind};
use crate::model::{Anchor, Series};
use crate::openai::request::MAX_PROMPT_CHARS;

/// Most reference images (`image[]`) one edit request may carry (reference §12).
pub const MAX_REFERENCE_IMAGES: usize = 16;

/// What a reference image is, for the request and for the UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferenceRole {
    /// The series anchor image (always image 1 when present).
    Anchor,
    /// A reference image of a bible entity appearing in the frame.
    Entity {
        /// The entity's id.
        entity_id: String,
    },
    /// The version being edited (always image 1 of an edit).
    EditBase,
}

/// A directed edit of one version of a frame: its image becomes image 1, the instruction
/// leads the prompt, and the rest of the series context follows so style and characters hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditSpec {
    /// Content hash of the image being edited.
    pub base_key: String,
    /// What that image is, for people ("Slide 3 · Offer, version 2").
    pub base_label: String,
    /// The user's instruction ("change only the jacket to red").
    pub instruction: String,
    /// Whether a mask limits the change (its transparent area may change).
    pub masked: bool,
    /// Whether a markup layer (marks drawn over image 1: circles, arrows, notes) shows what
    /// to change. Never together with a mask.
    pub marked: bool,
    /// Whether the edit replaces the on-image text (a locale variant): then the text is the
    /// one thing not kept.
    pub replaces_text: bool,
}

/// One reference image sent with a frame's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// IndexedDB key of the image `Blob`.
    pub key: String,
    /// What it is, for people: "Anchor: Panel 1 · Act I", "Mira (character), reference 2 of 3".
    pub label: String,
    /// Anchor or entity reference.
    pub role: ReferenceRole,
}

/// What one frame's request will carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledFrame {
    /// The prompt, verbatim as sent.
    pub prompt: String,
    /// The `image[]` files in order: the anchor first (if any), then each entity's references
    /// in the frame's entity order, each entity's in stored order (identity first). The prompt's
    /// image numbers are positions in this list, counting from 1.
    pub references: Vec<Reference>,
    /// Every constraint the image must satisfy, in the order they are numbered in the prompt.
    pub checklist: Vec<String>,
    /// Problems the user should see before sending (never silently fixed).
    pub warnings: Vec<String>,
    /// Whether `references[0]` is the anchor image.
    pub uses_anchor: bool,
}

/// Compiles frame `index` of `series`.
///
/// The prompt is plain text in labelled sections, in this fixed order, each left out when
/// empty: style (first, so every frame of the series opens the same way; just the raw series
/// style text when the bible has no style), the frame's position in the series, REFERENCE
/// IMAGES, PALETTE, SETTING, CHARACTERS, PRODUCTS, PROPS, SHOT, ACTION, LIGHTING / MOOD,
/// TEXT IN IMAGE, TYPOGRAPHY and the numbered CONSTRAINTS.
///
/// # Panics
/// If `index` is not a frame of `series` (callers look the index up first).
pub fn compile(series: &Series, index: usize) -> CompiledFrame {
    compile_with(series, index, None)
}

/// Compiles a directed edit of frame `index`: image 1 is the version being edited (not the
/// anchor), the EDIT section with the instruction comes first and says to keep everything
/// else, then the frame's usual context (style, characters with their references, shot,
/// text, constraints). The request is `/v1/images/edits` with these images in this order.
///
/// # Panics
/// If `index` is not a frame of `series`.
pub fn compile_edit(series: &Series, index: usize, edit: &EditSpec) -> CompiledFrame {
    compile_with(series, index, Some(edit))
}

fn compile_with(series: &Series, index: usize, edit: Option<&EditSpec>) -> CompiledFrame {
    let frame = &series.frames[index];
    let shot = &frame.shot;
    let bible = &series.bible;
    let mut warnings = Vec::new();

    // Entities are opt-in per frame, in the frame's order of importance.
    let mut entities: Vec<&Entity> = Vec::new();
    for id in &shot.entities {
        match bible.entity(id) {
            Some(e) if entities.iter().any(|x| x.id == e.id) => warnings.push(format!(
                "{} is listed twice for this frame; it is described and referenced once.",
                e.name
            )),
            Some(e) => entities.push(e),
            None => warnings.push(format!(
                "This frame lists an entity that is no longer in the bible (id “{id}”); it is not in the prompt."
            )),
        }
    }

    // Reference images: the anchor first, then each entity's references.
    let mut references = Vec::new();
    let is_anchor_frame = series.anchor_frame_id() == Some(frame.id.as_str());
    // An edit starts from its base image, not from the anchor.
    let anchor_key = series
        .anchor_image()
        .filter(|_| !is_anchor_frame && edit.is_none());
    if let Some(e) = edit {
        references.push(Reference {
            key: e.base_key.clone(),
            label: e.base_label.clone(),
            role: ReferenceRole::EditBase,
        });
    }
    if let Some(key) = &anchor_key {
        references.push(Reference {
            key: key.clone(),
            label: anchor_label(series),
            role: ReferenceRole::Anchor,
        });
        if !series.anchor_approved() {
            warnings.push(
                "The anchor image is not approved yet; this frame will follow an image you have not approved."
                    .into(),
            );
        }
    }
    // For each entity, the image numbers that show it (1-based positions in `references`).
    let mut shown_in: Vec<Vec<usize>> = Vec::with_capacity(entities.len());
    for e in &entities {
        let total = e.references.len();
        if total == 0 {
            warnings.push(format!(
                "{} has no reference images; only the description keeps it consistent.",
                e.name
            ));
        }
        let mut numbers = Vec::with_capacity(total);
        for (i, r) in e.references.iter().enumerate() {
            // A reference-image anchor is already image 1: sending it twice would only cost
            // input tokens, and the prompt says image 1 shows this entity.
            if anchor_key.as_deref() == Some(r.id.as_str()) {
                numbers.push(1);
                continue;
            }
            // The same picture is never sent twice.
            if edit.is_some_and(|e| e.base_key == r.id) {
                numbers.push(1);
                continue;
            }
            references.push(Reference {
                key: r.id.clone(),
                label: entity_ref_label(e, i),
                role: ReferenceRole::Entity {
                    entity_id: e.id.clone(),
                },
            });
            numbers.push(references.len());
        }
        shown_in.push(numbers);
    }
    if references.len() > MAX_REFERENCE_IMAGES {
        let over: Vec<String> = references[MAX_REFERENCE_IMAGES..]
            .iter()
            .enumerate()
            .map(|(i, r)| format!("image {} ({})", MAX_REFERENCE_IMAGES + 1 + i, r.label))
            .collect();
        warnings.push(format!(
            "This frame has {} reference images; at most {MAX_REFERENCE_IMAGES} can be sent. {} over the limit: {}. Nothing was removed: take entities off this frame or reference images out of the bible.",
            references.len(),
            over.len(),
            over.join(", ")
        ));
    }

    // The checklist, in the order it is numbered.
    let mut checklist = Vec::new();
    for item in nonblank(&bible.always) {
        checklist.push(item.to_string());
    }
    for item in nonblank(&bible.never) {
        checklist.push(format!("Never: {item}"));
    }
    for e in &entities {
        for item in nonblank(&e.must_not_change) {
            checklist.push(format!("{}: {item} must stay identical", e.name));
        }
    }
    for item in nonblank(&shot.constraints) {
        checklist.push(item.to_string());
    }

    // On-image text, verbatim: never trimmed, translated or escaped.
    let mut text_lines = String::new();
    for t in &shot.texts {
        if t.text.is_empty() {
            warnings.push("An on-image text line is empty; it is not sent.".into());
            continue;
        }
        let quoted = quote(&t.text);
        if t.text.trim() != t.text {
            warnings.push(format!(
                "The text {quoted} starts or ends with a space; it is sent exactly as typed."
            ));
        }
        line(&mut text_lines, &format!("- {quoted}"));
        let language = match t.language.trim() {
            "" => script_name(&t.text),
            given => Some(given),
        };
        if let Some(language) = language {
            text_lines.push_str(" — ");
            text_lines.push_str(language);
        }
        match t.placement.trim() {
            "" => warnings.push(format!(
                "The text {quoted} has no placement; the model will choose where it goes."
            )),
            placement => {
                text_lines.push_str(" — ");
                text_lines.push_str(placement);
            }
        }
        checklist.push(format!(
            "Text {quoted} appears exactly once, spelled exactly"
        ));
    }

    let mut out = String::new();

    // An edit leads with what to change and what to keep.
    if let Some(e) = edit {
        let mut body = e.instruction.trim().to_string();
        body.push_str(if e.masked {
            "\nChange only the transparent area of the mask. Everything outside it must stay exactly as it is in image 1."
        } else if e.marked {
            "\nThe markup drawn over image 1 (circles, arrows, written notes) shows where and what to change; change only what is marked, and draw none of the marks into the result."
        } else {
            "\nChange only what this instruction asks."
        });
        body.push_str(if e.replaces_text {
            " Keep everything else in image 1 identical: composition, framing and camera, every character and their features, clothing, products, colours, lighting and background."
        } else {
            " Keep everything else in image 1 identical: composition, framing and camera, every character and their features, clothing, products, colours, lighting, background and any text."
        });
        section(&mut out, "EDIT IMAGE 1", &body);
    }

    // STYLE first, so every frame of a series opens with the same words.
    let style = &bible.style;
    let notes = style.look.trim();
    let mut style_body = String::new();
    labelled(&mut style_body, "Medium", &style.medium);
    labelled(&mut style_body, "Rendering", &style.rendering);
    labelled(&mut style_body, "Lens", &style.lens);
    labelled(&mut style_body, "Lighting", &style.lighting);
    if style_body.is_empty() {
        // Only the overall look: the raw text as the user wrote it, with no heading.
        if !notes.is_empty() {
            paragraph(&mut out, notes);
        }
    } else {
        if !notes.is_empty() {
            style_body.insert_str(0, &format!("Overall style: {notes}\n"));
        }
        section(&mut out, "STYLE", &style_body);
    }

    // Where the frame sits in the series.
    let template = series.template;
    let total = series.frames.len();
    paragraph(
        &mut out,
        &format!(
            "{} {} of {total} in a {total}-{} {}, {}",
            template.unit(),
            index + 1,
            template.unit().to_lowercase(),
            template.noun(),
            aspect(series.output.size.width, series.output.size.height),
        ),
    );
    if !frame.title.trim().is_empty() {
        out.push_str(" — “");
        out.push_str(frame.title.trim());
        out.push('”');
    }
    out.push('.');

    // Which image number is what; numbers match `references`.
    let mut legend = String::new();
    for (i, r) in references.iter().enumerate() {
        let n = i + 1;
        match r.role {
            ReferenceRole::Anchor => line(
                &mut legend,
                &format!(
                    "Image 1: the {}series anchor ({}). Keep its art style, colour palette, lighting and the identity of every character and product exactly as in image 1; take the shot, action and any text from this prompt, not from image 1.",
                    if series.anchor_approved() { "approved " } else { "" },
                    r.label.trim_start_matches("Anchor: ")
                ),
            ),
            ReferenceRole::Entity { .. } => line(&mut legend, &format!("Image {n}: {}.", r.label)),
            ReferenceRole::EditBase => line(
                &mut legend,
                &format!(
                    "Image 1: the image to edit ({}). Keep it exactly as it is except what EDIT IMAGE 1 asks.",
                    r.label
                ),
            ),
        }
    }
    if shown_in.iter().any(|numbers| !numbers.is_empty()) {
        line(
            &mut legend,
            "The character, product and prop references fix how they look: match them exactly, but take pose, framing and setting from this prompt.",
        );
    }
    section(&mut out, "REFERENCE IMAGES", &legend);

    let mut palette = String::new();
    for swatch in &bible.palette {
        let entry = format!("{} {}", swatch.hex.trim(), swatch.name.trim());
        line(&mut palette, entry.trim());
    }
    if !palette.is_empty() {
        palette.insert_str(0, "Use these colours, most important first:\n");
    }
    section(&mut out, "PALETTE", &palette);

    let setting = match shot.setting.trim() {
        "" => bible.setting.trim(),
        own => own,
    };
    section(&mut out, "SETTING", setting);

    for (kind, heading) in [
        (EntityKind::Character, "CHARACTERS"),
        (EntityKind::Product, "PRODUCTS"),
        (EntityKind::Prop, "PROPS"),
    ] {
        let mut body = String::new();
        for (e, numbers) in entities.iter().zip(&shown_in) {
            if e.kind != kind {
                continue;
            }
            let mut head = e.name.trim().to_string();
            if !numbers.is_empty() {
                head.push_str(" (");
                head.push_str(&image_list(numbers));
                head.push(')');
            }
            match e.description.trim() {
                "" => line(&mut body, &format!("{head}.")),
                description => line(&mut body, &format!("{head}: {description}")),
            }
            let keep: Vec<&str> = nonblank(&e.must_not_change).collect();
            if !keep.is_empty() {
                line(&mut body, &format!("Must not change: {}.", keep.join("; ")));
            }
        }
        section(&mut out, heading, &body);
    }

    let mut shot_body = String::new();
    labelled(&mut shot_body, "Shot size", &shot.shot_size);
    labelled(&mut shot_body, "Camera angle", &shot.camera_angle);
    labelled(&mut shot_body, "Composition", &shot.composition);
    section(&mut out, "SHOT", &shot_body);

    let action = frame.prompt.trim();
    if action.is_empty() {
        warnings.push(
            "This frame has no action text yet; only the series and shot details are sent.".into(),
        );
    }
    section(&mut out, "ACTION", action);

    let mut light = String::new();
    labelled(&mut light, "Lighting", &shot.lighting);
    labelled(&mut light, "Mood", &shot.mood);
    section(&mut out, "LIGHTING / MOOD", &light);

    if !text_lines.is_empty() {
        text_lines.push_str(
            "\nRender each text above exactly once, spelled exactly as written between its quotes: same characters, same script, no translation or transliteration.",
        );
        if entities.iter().any(|e| e.kind == EntityKind::Product) {
            text_lines.push_str(
                " No other text may appear, apart from what is printed on the product as its reference shows.",
            );
        } else {
            text_lines.push_str(" No other text may appear.");
        }
        section(&mut out, "TEXT IN IMAGE", &text_lines);
        // Typography rules only matter when there is text; sent without any, they invite it.
        section(&mut out, "TYPOGRAPHY", bible.typography.trim());
    }

    if !checklist.is_empty() {
        let mut body = String::from("The image must satisfy every item:");
        for (i, item) in checklist.iter().enumerate() {
            body.push_str(&format!("\n{}. {item}", i + 1));
        }
        section(&mut out, "CONSTRAINTS", &body);
    }

    let chars = out.chars().count();
    if chars > MAX_PROMPT_CHARS {
        warnings.push(format!(
            "The prompt has {chars} characters; the API accepts {MAX_PROMPT_CHARS}. Nothing was cut: shorten the bible or the frame text before generating."
        ));
    }

    CompiledFrame {
        prompt: out,
        references,
        checklist,
        warnings,
        uses_anchor: anchor_key.is_some(),
    }
}

/// "Anchor: <frame title>" or "Anchor: Mira (character), reference 1 of 2".
fn anchor_label(series: &Series) -> String {
    let what = match &series.anchor {
        Some(Anchor::Frame { frame_id, .. }) => series
            .frame(frame_id)
            .map_or_else(|| frame_id.clone(), |f| f.title.trim().to_string()),
        Some(Anchor::Reference {
            entity_id,
            image_id,
        }) => series
            .bible
            .entity(entity_id)
            .and_then(|e| {
                let i = e.references.iter().position(|r| &r.id == image_id)?;
                Some(entity_ref_label(e, i))
            })
            .unwrap_or_else(|| image_id.clone()),
        None => String::new(),
    };
    format!("Anchor: {what}")
}

/// "Mira (character), reference 2 of 3".
fn entity_ref_label(e: &Entity, i: usize) -> String {
    let kind = match e.kind {
        EntityKind::Character => "character",
        EntityKind::Product => "product",
        EntityKind::Prop => "prop",
    };
    format!(
        "{} ({kind}), reference {} of {}",
        e.name.trim(),
        i + 1,
        e.references.len()
    )
}

/// "image 2", "images 2 and 3", "images 2, 3 and 4".
fn image_list(numbers: &[usize]) -> String {
    let mut s = String::from(if numbers.len() == 1 {
        "image "
    } else {
        "images "
    });
    for (i, n) in numbers.iter().enumerate() {
        if i > 0 {
            s.push_str(if i + 1 == numbers.len() {
                " and "
            } else {
                ", "
            });
        }
        s.push_str(&n.to_string());
    }
    s
}

/// Width:height in lowest terms ("16:9"), or the pixel size when the ratio has no short form.
fn aspect(width: u32, height: u32) -> String {
    let (mut a, mut b) = (width, height);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    let (w, h) = (width / a.max(1), height / a.max(1));
    if w <= 32 && h <= 32 {
        format!("{w}:{h}")
    } else {
        format!("{width}×{height} px")
    }
}

/// The items of a list that are not blank, trimmed.
fn nonblank(items: &[String]) -> impl Iterator<Item = &str> {
    items.iter().map(|s| s.trim()).filter(|s| !s.is_empty())
}

/// Appends `text` as a new line of `body`.
fn line(body: &mut String, text: &str) {
    if !body.is_empty() {
        body.push('\n');
    }
    body.push_str(text);
}

/// Appends "Label: value" as a new line when `value` is not blank.
fn labelled(body: &mut String, label: &str, value: &str) {
    let value = value.trim();
    if !value.is_empty() {
        line(body, &format!("{label}: {value}"));
    }
}

/// Starts a new paragraph (a blank line after whatever came before).
fn paragraph(out: &mut String, text: &str) {
    if !out.is_empty() {
        out.push_str("\n\n");
    }
    out.push_str(text);
}

/// Appends "HEADING\nbody" as a paragraph, or nothing when `body` is blank.
fn section(out: &mut String, heading: &str, body: &str) {
    if body.trim().is_empty() {
        return;
    }
    paragraph(out, heading);
    out.push('\n');
    out.push_str(body);
}
