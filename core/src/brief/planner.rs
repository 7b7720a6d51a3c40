//! The brief planner: a brief in any language and a frame count become frames (title, what
//! happens, shot spec, on-image text rows with their language, entities present) and
//! suggestions for the series bible (style, palette, characters and products). The brief is
//! sent as written (its language is kept; the model is told to answer in it).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::schema::{array, object, one_of, string};
use super::validate::{AnswerError, Reader};
use super::*;
use crate::model::template::Template;
use crate::openai::responses::{InputPart, ResponsesRequest};

/// `text.format.name` of a planner call.
pub const SCHEMA_NAME: &str = "continuity_brief_plan";
/// Output tokens a plan may use per frame (with the bible and reasoning: generous).
const OUTPUT_TOKENS_PER_FRAME: u64 = 600;
/// Output tokens for the bible suggestions and reasoning, on top of the frames.
const OUTPUT_TOKENS_BASE: u64 = 4_000;

/// The kinds of bible entity the planner may suggest.
pub const ENTITY_KINDS: &[&str] = &["character", "product", "prop"];

/// The planner's answer schema (strict).
pub fn schema() -> Value {
    let text_row = object(&[
        (
            "text",
            string("The exact words to appear in the image, in their own script."),
        ),
        (
            "language",
            string("BCP 47 tag of the text (en, zh-Hans, ar …), or empty to detect it."),
        ),
    ]);
    let frame = object(&[
        ("title", string("A short title, at most 120 characters.")),
        (
            "what_happens",
            string("What the frame shows, at most 2000 characters."),
        ),
        (
            "shot_size",
            string("Shot size, e.g. wide, medium, close-up."),
        ),
        (
            "camera_angle",
            string("Camera angle, e.g. eye level, low angle."),
        ),
        (
            "composition",
            string("Composition, e.g. rule of thirds, centred."),
        ),
        ("texts", array(text_row, "On-image text rows, at most 8.")),
        (
            "entities",
            array(
                string("An entity name from the bible suggestions."),
                "Entities present.",
            ),
        ),
    ]);
    let style = object(&[
        (
            "medium",
            string("Medium, e.g. watercolour, 3D render, photograph."),
        ),
        (
            "rendering",
            string("Rendering, e.g. flat colours, soft shading."),
        ),
        ("lens", string("Lens or framing habit.")),
        ("lighting", string("Lighting.")),
    ]);
    let entity = object(&[
        ("name", string("Short name, unique in the bible.")),
        ("kind", one_of(ENTITY_KINDS, "What the entity is.")),
        (
            "description",
            string("Canonical description: specific, visual, at most 2000 characters."),
        ),
        (
            "must_not_change",
            array(
                string("One item that must stay identical in every frame."),
                "At most 12.",
            ),
        ),
    ]);
    let bible = object(&[
        ("style", style),
        (
            "palette",
            array(string("A colour as #rrggbb."), "At most 12 colours."),
        ),
        (
            "entities",
            array(entity, "Characters, products and props; at most 16."),
        ),
    ]);
    object(&[
        (
            "frames",
            array(frame, "The frames in order, no more than asked for."),
        ),
        ("bible", bible),
    ])
}

/// The planner call for `brief` and `frames` frames (1–[`MAX_FRAMES`]) on `model`.
pub fn request(model: &str, brief: &str, frames: usize) -> Result<ResponsesRequest, String> {
    build(model, brief, frames, None)
}

/// The planner call for a series made from `template`: its frame count, and per frame the
/// template's title and shot spec as the plan's starting point.
pub fn request_for_template(
    model: &str,
    brief: &str,
    template: Template,
) -> Result<ResponsesRequest, String> {
    let frames = template.frame_count();
    let shots: Vec<Value> = (0..frames)
        .map(|i| {
            let spec = template.shot_spec(i);
            json!({
                "title": template.frame_title(i),
                "shot_size": spec.shot_size,
                "camera_angle": spec.camera_angle,
                "composition": spec.composition,
            })
        })
        .collect();
    let hint = json!({"name": template.label(), "frames": shots});
    build(model, brief, frames, Some(hint))
}

fn build(
    model: &str,
    brief: &str,
    frames: usize,
    template: Option<Value>,
) -> Result<ResponsesRequest, String> {
    let brief = brief.trim();
    if brief.is_empty() {
        return Err("Write a brief first: a story, a product launch, a lesson.".into());
    }
    let chars = brief.chars().count();
    if chars > MAX_BRIEF_CHARS {
        return Err(format!(
            "The brief is {chars} characters long; at most {MAX_BRIEF_CHARS} can be planned."
        ));
    }
    if !(1..=MAX_FRAMES).contains(&frames) {
        return Err(format!(
            "A plan has 1 to {MAX_FRAMES} frames; {frames} were asked for."
        ));
    }
    let instructions = format!(
        "You plan a consistent image series from the brief in the JSON below. Plan exactly \
         {frames} frames (fewer only if the brief cannot fill them), in story order, one idea \
         per frame. Write titles, descriptions and suggestions in the brief's own language. \
         On-image text rows are the exact words to be drawn, quoted from the brief where it \
         gives them, with their language tag. Suggest the bible: style, a palette of #rrggbb \
         colours, and each recurring character, product or prop with a canonical description \
         specific enough to draw it identically every time and the items that must not change. \
         Name in each frame's entities only names you suggest."
    );
    let mut instructions = instructions;
    let mut data = json!({"brief": brief, "frames": frames});
    if let Some(template) = template {
        instructions.push_str(
            " The series follows the template in the JSON: keep its frame count and use each \
             frame's shot size, camera angle and composition unless the brief asks otherwise.",
        );
        data["template"] = template;
    }
    let data = data.to_string();
    let max_output = OUTPUT_TOKENS_BASE + OUTPUT_TOKENS_PER_FRAME * frames as u64;
    Ok(ResponsesRequest::structured(
        model,
        SCHEMA_NAME,
        schema(),
        vec![
            InputPart::InputText { text: instructions },
            InputPart::InputText { text: data },
        ],
        max_output,
    ))
}

/// An on-image text row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextRow {
    /// The exact words.
    pub text: String,
    /// Its language tag, or empty.
    pub language: String,
}

/// One planned frame.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlannedFrame {
    /// Title.
    pub title: String,
    /// What happens.
    pub what_happens: String,
    /// Shot size.
    pub shot_size: String,
    /// Camera angle.
    pub camera_angle: String,
    /// Composition.
    pub composition: String,
    /// On-image text rows.
    pub texts: Vec<TextRow>,
    /// Names of the bible entities present.
    pub entities: Vec<String>,
}

/// Suggested style fields.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct StyleSuggestion {
    /// Medium.
    pub medium: String,
    /// Rendering.
    pub rendering: String,
    /// Lens.
    pub lens: String,
    /// Lighting.
    pub lighting: String,
}

/// A suggested bible entity.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntitySuggestion {
    /// Name.
    pub name: String,
    /// `character`, `product` or `prop`.
    pub kind: String,
    /// Canonical description.
    pub description: String,
    /// Must-not-change items.
    pub must_not_change: Vec<String>,
}

/// Suggestions for the bible.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BibleSuggestion {
    /// Style.
    pub style: StyleSuggestion,
    /// Palette as `#rrggbb`.
    pub palette: Vec<String>,
    /// Entities.
    pub entities: Vec<EntitySuggestion>,
}

/// A validated plan.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Frames, at most as many as asked for.
    pub frames: Vec<PlannedFrame>,
    /// Bible suggestions.
    pub bible: BibleSuggestion,
}

const READER: Reader = Reader { what: "plan" };

/// Reads and validates the planner's answer for a request of `asked` frames.
pub fn parse(text: &str, asked: usize) -> Result<Plan, AnswerError> {
    let r = READER;
    let mut plan: Plan = r.parse(text)?;
    if plan.frames.is_empty() {
        return Err(r.error("frames", "is empty"));
    }
    r.count("frames", plan.frames.len(), asked)?;
    r.count("bible.entities", plan.bible.entities.len(), MAX_ENTITIES)?;
    r.count("bible.palette", plan.bible.palette.len(), MAX_PALETTE)?;
    let b = &mut plan.bible;
    b.style = style(r, "bible.style", &b.style)?;
    for (i, hex) in b.palette.iter_mut().enumerate() {
        *hex = r.hex(&format!("bible.palette[{i}]"), hex)?;
    }
    for (i, e) in b.entities.iter_mut().enumerate() {
        let at = format!("bible.entities[{i}]");
        e.name = r.text(&format!("{at}.name"), &e.name, MAX_TITLE_CHARS, true)?;
        if !ENTITY_KINDS.contains(&e.kind.as_str()) {
            return Err(r.error(format!("{at}.kind"), "is not character, product or prop"));
        }
        e.description = r.text(
            &format!("{at}.description"),
            &e.description,
            MAX_LONG_CHARS,
            false,
        )?;
        e.must_not_change = items(r, &format!("{at}.must_not_change"), &e.must_not_change)?;
    }
    for (i, f) in plan.frames.iter_mut().enumerate() {
        let at = format!("frames[{i}]");
        f.title = r.text(&format!("{at}.title"), &f.title, MAX_TITLE_CHARS, true)?;
        f.what_happens = r.text(
            &format!("{at}.what_happens"),
            &f.what_happens,
            MAX_LONG_CHARS,
            false,
        )?;
        f.shot_size = r.text(
            &format!("{at}.shot_size"),
            &f.shot_size,
            MAX_SHORT_CHARS,
            false,
        )?;
        f.camera_angle = r.text(
            &format!("{at}.camera_angle"),
            &f.camera_angle,
            MAX_SHORT_CHARS,
            false,
        )?;
        f.composition = r.text(
            &format!("{at}.composition"),
            &f.composition,
            MAX_SHORT_CHARS,
            false,
        )?;
        r.count(&format!("{at}.texts"), f.texts.len(), MAX_TEXT_ROWS)?;
        for (j, row) in f.texts.iter_mut().enumerate() {
            row.text = r.text(
                &format!("{at}.texts[{j}].text"),
                &row.text,
                MAX_TEXT_ROW_CHARS,
                true,
            )?;
            row.language = r.language(&format!("{at}.texts[{j}].language"), &row.language)?;
        }
        r.count(&format!("{at}.entities"), f.entities.len(), MAX_ENTITIES)?;
        for (j, name) in f.entities.iter_mut().enumerate() {
            *name = r.text(&format!("{at}.entities[{j}]"), name, MAX_TITLE_CHARS, true)?;
        }
    }
    Ok(plan)
}

/// Validates style fields (shared with [`super::describe`]).
pub(crate) fn style(
    r: Reader,
    at: &str,
    s: &StyleSuggestion,
) -> Result<StyleSuggestion, AnswerError> {
    Ok(StyleSuggestion {
        medium: r.text(&format!("{at}.medium"), &s.medium, MAX_SHORT_CHARS, false)?,
        rendering: r.text(
            &format!("{at}.rendering"),
            &s.rendering,
            MAX_SHORT_CHARS,
            false,
        )?,
        lens: r.text(&format!("{at}.lens"), &s.lens, MAX_SHORT_CHARS, false)?,
        lighting: r.text(
            &format!("{at}.lighting"),
            &s.lighting,
            MAX_SHORT_CHARS,
            false,
        )?,
    })
}

/// Validates a must-not-change list (shared with [`super::describe`]).
pub(crate) fn items(r: Reader, at: &str, list: &[String]) -> Result<Vec<String>, AnswerError> {
    r.count(at, list.len(), MAX_MUST_NOT_CHANGE)?;
    list.iter()
        .enumerate()
        .map(|(i, item)| r.text(&format!("{at}[{i}]"), item, MAX_SHORT_CHARS, true))
        .collect()
}

#[cfg(test)]
mod tests;
