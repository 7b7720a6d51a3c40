//! "Describe from images": 1–[`MAX_DESCRIBE_IMAGES`] reference images go to a vision-capable
//! text model, which proposes style fields, palette colours and, per named entity, a
//! canonical description and must-not-change items. Each proposal is accepted or rejected by
//! the user field by field; nothing here changes the bible.

use serde::Deserialize;
use serde_json::{json, Value};

use super::planner::{items, style, StyleSuggestion};
use super::schema::{array, object, string};
use super::validate::{AnswerError, Reader};
use super::*;
use crate::openai::responses::{InputPart, ResponsesRequest};

/// `text.format.name` of a describe call.
pub const SCHEMA_NAME: &str = "continuity_describe_images";
/// Output tokens a description may use (reasoning included).
const MAX_OUTPUT_TOKENS: u64 = 6_000;

/// An image to describe: a `data:` URL or an uploaded file's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    /// `data:image/png;base64,…`.
    DataUrl(String),
    /// `file-…`.
    FileId(String),
}

/// The describe answer's schema (strict).
pub fn schema() -> Value {
    let style = object(&[
        ("medium", string("Medium.")),
        ("rendering", string("Rendering.")),
        ("lens", string("Lens or framing habit.")),
        ("lighting", string("Lighting.")),
    ]);
    let entity = object(&[
        ("name", string("The entity's name exactly as given.")),
        (
            "description",
            string("Canonical description: specific and visual."),
        ),
        (
            "must_not_change",
            array(string("An item that must stay identical."), "At most 12."),
        ),
    ]);
    object(&[
        ("style", style),
        (
            "palette",
            array(
                string("A dominant colour as #rrggbb."),
                "At most 12 colours.",
            ),
        ),
        (
            "entities",
            array(entity, "One per entity named in the data, in that order."),
        ),
    ])
}

/// The describe call for `images` (1–10) and the bible entities named `entities`.
pub fn request(
    model: &str,
    images: &[ImageSource],
    entities: &[String],
) -> Result<ResponsesRequest, String> {
    if images.is_empty() || images.len() > MAX_DESCRIBE_IMAGES {
        return Err(format!(
            "Choose 1 to {MAX_DESCRIBE_IMAGES} reference images to describe; {} were given.",
            images.len()
        ));
    }
    if entities.len() > MAX_ENTITIES {
        return Err(format!(
            "At most {MAX_ENTITIES} entities can be described at once."
        ));
    }
    let instructions = "Describe the reference images for a series bible. Propose the style \
        (medium, rendering, lens, lighting), the dominant palette as #rrggbb colours, and for \
        each entity named in the JSON below a canonical description specific enough to draw it \
        identically in every image, with the items that must not change. Describe only what \
        the images show."
        .to_string();
    let data = json!({"images": images.len(), "entities": entities}).to_string();
    let mut parts = vec![
        InputPart::InputText { text: instructions },
        InputPart::InputText { text: data },
    ];
    parts.extend(images.iter().map(|image| match image {
        ImageSource::DataUrl(url) => InputPart::InputImage {
            image_url: Some(url.clone()),
            file_id: None,
            detail: "high".into(),
        },
        ImageSource::FileId(id) => InputPart::InputImage {
            image_url: None,
            file_id: Some(id.clone()),
            detail: "high".into(),
        },
    }));
    Ok(ResponsesRequest::structured(
        model,
        SCHEMA_NAME,
        schema(),
        parts,
        MAX_OUTPUT_TOKENS,
    ))
}

/// A proposed description of one entity.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityDescription {
    /// The entity's name, as asked.
    pub name: String,
    /// Canonical description.
    pub description: String,
    /// Must-not-change items.
    pub must_not_change: Vec<String>,
}

/// A validated description.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Description {
    /// Style fields.
    pub style: StyleSuggestion,
    /// Palette as `#rrggbb`.
    pub palette: Vec<String>,
    /// Per entity, in the order asked.
    pub entities: Vec<EntityDescription>,
}

const READER: Reader = Reader {
    what: "description",
};

/// Reads and validates the describe answer for the entities `asked` (each answered entity
/// must be one of them, at most once).
pub fn parse(text: &str, asked: &[String]) -> Result<Description, AnswerError> {
    let r = READER;
    let mut d: Description = r.parse(text)?;
    d.style = style(r, "style", &d.style)?;
    r.count("palette", d.palette.len(), MAX_PALETTE)?;
    for (i, hex) in d.palette.iter_mut().enumerate() {
        *hex = r.hex(&format!("palette[{i}]"), hex)?;
    }
    r.count("entities", d.entities.len(), asked.len())?;
    let mut seen: Vec<String> = Vec::new();
    for (i, e) in d.entities.iter_mut().enumerate() {
        let at = format!("entities[{i}]");
        e.name = r.text(&format!("{at}.name"), &e.name, MAX_TITLE_CHARS, true)?;
        if !asked.iter().any(|a| a.trim() == e.name) {
            return Err(r.error(
                format!("{at}.name"),
                format!("{:?} was not asked for", e.name),
            ));
        }
        if seen.contains(&e.name) {
            return Err(r.error(
                format!("{at}.name"),
                format!("{:?} is described twice", e.name),
            ));
        }
        seen.push(e.name.clone());
        e.description = r.text(
            &format!("{at}.description"),
            &e.description,
            MAX_LONG_CHARS,
            true,
        )?;
        e.must_not_change = items(r, &format!("{at}.must_not_change"), &e.must_not_change)?;
    }
    Ok(d)
}
