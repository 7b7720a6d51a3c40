//! What an import accepts (security notes §1.7; the ZIP container's own limits are in
//! [`crate::export::zip::ReadLimits`]).

/// Bytes of `manifest.json`.
pub const MAX_MANIFEST_BYTES: usize = 8 << 20;
/// Nesting of arrays and objects (a real manifest nests 5 deep).
pub const MAX_JSON_DEPTH: usize = 64;
/// Characters of a prompt (OpenAI's limit for gpt-image models).
pub const MAX_PROMPT_CHARS: usize = crate::openai::request::MAX_PROMPT_CHARS;
/// Characters of a compiled prompt (informational; the compiler keeps over-long prompts whole
/// and warns, so this is looser than what can be sent).
pub const MAX_COMPILED_PROMPT_CHARS: usize = 4 * MAX_PROMPT_CHARS;
/// Bytes of any other string.
pub const MAX_STRING_BYTES: usize = 64 << 10;
/// Characters of a name (series, entity, reference file) after the model's `clean_name`.
pub const MAX_NAME_CHARS: usize = crate::model::MAX_NAME_CHARS;
/// Characters of an id, a hash, a locale tag, a model id or a file path.
pub const MAX_ID_CHARS: usize = 512;
/// Frames of a series.
pub const MAX_FRAMES: usize = 2_000;
/// Versions of one frame.
pub const MAX_VERSIONS_PER_FRAME: usize = 1_000;
/// Versions of the whole series.
pub const MAX_VERSIONS: usize = 20_000;
/// Image files listed (the ZIP reader's entry limit).
pub const MAX_FILES: usize = 5_000;
/// Reference images of one entity (gpt-image-2 takes at most 16 input images).
pub const MAX_REFERENCES_PER_ENTITY: usize = crate::compiler::MAX_REFERENCE_IMAGES;
/// Items of any other list (entities, palette, constraints, locales…) and members of an object.
pub const MAX_LIST_ITEMS: usize = 1_000;
/// Width and height of an image, in pixels.
pub const MAX_IMAGE_EDGE: u32 = 8192;
/// `n` of a recorded request (OpenAI accepts 1–10).
pub const MAX_N: u8 = 10;
