//! Text-model help for a series (issue 22): three strict Structured Outputs calls through the
//! Responses API ([`crate::openai::responses`]) and frames from a template with variable rows.
//!
//! - [`planner`]: a brief (any language) and a frame count → frames and bible suggestions;
//! - [`describe`]: 1–10 reference images → style fields, palette, per-entity descriptions;
//! - [`check`]: a finished image and what its frame asked → the text read back and, per
//!   constraint, met or not with a reason;
//! - [`rows`]: a frame template with `{placeholders}` and a table of rows (CSV or typed).
//!
//! # The contract with the model (and with the fake)
//!
//! Each call sends one user message: an `input_text` of instructions, then an `input_text`
//! whose whole text is one JSON object with the call's data, then any `input_image` parts.
//! The `text.format.name` says which call it is:
//!
//! | name | data part | answer |
//! |---|---|---|
//! | `continuity_brief_plan` | `{"brief": string, "frames": n}` | [`planner::Plan`] |
//! | `continuity_describe_images` | `{"images": n, "entities": [names]}` | [`describe::Description`] |
//! | `continuity_check_result` | `{"texts": [{"text", "language"}], "constraints": [{"id", "kind", "text"}]}` | [`check::CheckReport`] |
//!
//! The server's fake (`server/src/fake/responses/`) matches these names and reads the data
//! part from the JSON it receives; it does not use these types.
//!
//! # Untrusted answers
//!
//! The model's answer is input like a pasted file: it is parsed against the schema (no
//! unknown field, every field present) and then held to length and count limits; the error
//! names the field at fault in plain text. Nothing from it is ever rendered as HTML.

pub mod adopt;
pub mod check;
pub mod check_frame;
pub mod describe;
pub mod planner;
pub mod rows;
mod schema;
mod validate;

pub use schema::is_strict;
pub use validate::AnswerError;

/// Characters of a title the model may propose.
pub const MAX_TITLE_CHARS: usize = 120;
/// Characters of a long field (what happens, a description).
pub const MAX_LONG_CHARS: usize = 2_000;
/// Characters of a short field (shot size, a style field, a must-not-change item, a reason).
pub const MAX_SHORT_CHARS: usize = 300;
/// Characters of one on-image text row.
pub const MAX_TEXT_ROW_CHARS: usize = 500;
/// On-image text rows per frame.
pub const MAX_TEXT_ROWS: usize = 8;
/// Entities named per frame, and entities suggested for the bible.
pub const MAX_ENTITIES: usize = 16;
/// Palette colours suggested.
pub const MAX_PALETTE: usize = 12;
/// Must-not-change items per entity.
pub const MAX_MUST_NOT_CHANGE: usize = 12;
/// Most frames a plan may ask for.
pub const MAX_FRAMES: usize = 60;
/// Most images "Describe from images" sends.
pub const MAX_DESCRIBE_IMAGES: usize = 10;
/// Characters of a brief.
pub const MAX_BRIEF_CHARS: usize = 20_000;
