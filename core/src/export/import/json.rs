//! The checks a manifest passes before it is read into types: nesting depth (on the raw bytes,
//! before any parser recurses), then — on the parsed JSON tree — credential-like field names,
//! string lengths and list sizes, each refusal naming where it is. Then schema migration.

use super::limits::*;
use super::ImportError;
use crate::export::manifest::MANIFEST_SCHEMA_VERSION;
use serde_json::Value;

/// Refuses JSON nested deeper than `max` arrays/objects, scanning bytes without recursion or
/// allocation, so a depth bomb (`[[[[…` ten thousand deep) is refused before any parser sees
/// it. Strings (with their escapes) are skipped, so brackets inside text do not count.
pub fn check_depth(bytes: &[u8], max: usize) -> Result<(), ImportError> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Err(ImportError::TooDeep { max });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Field names that could carry a credential or send requests elsewhere (SEC-IMP-07). A
/// manifest never has them; one that does is refused, never silently imported.
const CREDENTIAL_NAMES: &[&str] = &[
    "api_key",
    "apikey",
    "key",
    "secret",
    "password",
    "passphrase",
    "token",
    "bearer",
    "authorization",
    "auth",
    "credentials",
    "cookie",
    "cookies",
    "header",
    "headers",
    "base_url",
    "baseurl",
    "url",
    "uri",
    "endpoint",
    "endpoints",
    "proxy",
    "proxies",
    "settings",
    "connection",
    "organization",
];

/// Whether a field name looks like a credential, an endpoint or settings.
pub fn is_credential_name(name: &str) -> bool {
    let n = name.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    CREDENTIAL_NAMES.contains(&n.as_str())
        || [
            "_key",
            "_token",
            "_secret",
            "_password",
            "_url",
            "_uri",
            "_endpoint",
            "_proxy",
        ]
        .iter()
        .any(|s| n.ends_with(s))
        || n.starts_with("x_api")
}

/// One step of a path into the JSON tree.
#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn path_text(steps: &[Step<'_>]) -> String {
    let mut out = String::new();
    for s in steps {
        match s {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    if out.is_empty() {
        "the top level".into()
    } else {
        out
    }
}

/// Walks the parsed manifest: no credential-like field anywhere, every string and list within
/// its limit. Prompts are measured in characters (OpenAI's limit), other text in bytes.
pub fn scan(value: &Value) -> Result<(), ImportError> {
    let mut steps = Vec::new();
    scan_at(value, &mut steps)
}

fn scan_at<'a>(value: &'a Value, steps: &mut Vec<Step<'a>>) -> Result<(), ImportError> {
    match value {
        Value::String(s) => check_string(s, steps),
        Value::Array(items) => {
            let max = list_limit(steps);
            if items.len() > max {
                return Err(ImportError::TooMany {
                    what: path_text(steps),
                    count: items.len(),
                    max,
                });
            }
            for (i, item) in items.iter().enumerate() {
                steps.push(Step::Index(i));
                scan_at(item, steps)?;
                steps.pop();
            }
            Ok(())
        }
        Value::Object(map) => {
            if map.len() > MAX_LIST_ITEMS {
                return Err(ImportError::TooMany {
                    what: path_text(steps),
                    count: map.len(),
                    max: MAX_LIST_ITEMS,
                });
            }
            for (k, v) in map {
                steps.push(Step::Key(k));
                if is_credential_name(k) {
                    return Err(ImportError::Credential {
                        field: clip(k),
                        path: path_text(steps),
                    });
                }
                check_string(k, steps)?;
                scan_at(v, steps)?;
                steps.pop();
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn check_string(s: &str, steps: &[Step<'_>]) -> Result<(), ImportError> {
    let field = match steps.last() {
        Some(Step::Key(k)) => *k,
        _ => "",
    };
    let (len, max, unit) = match field {
        // Measured only when long enough to matter (counting chars is a full pass).
        "prompt" if s.len() > MAX_PROMPT_CHARS => {
            (s.chars().count(), MAX_PROMPT_CHARS, "characters")
        }
        "compiled_prompt" if s.len() > MAX_COMPILED_PROMPT_CHARS => {
            (s.chars().count(), MAX_COMPILED_PROMPT_CHARS, "characters")
        }
        "prompt" | "compiled_prompt" => return Ok(()),
        _ => (s.len(), MAX_STRING_BYTES, "bytes"),
    };
    if len > max {
        return Err(ImportError::TooLong {
            what: path_text(steps),
            len,
            max,
            unit,
        });
    }
    Ok(())
}

/// The most items the list at `steps` may have.
fn list_limit(steps: &[Step<'_>]) -> usize {
    match steps {
        [Step::Key("frames")] => MAX_FRAMES,
        [Step::Key("series"), Step::Key("frame_order")] => MAX_FRAMES,
        [Step::Key("versions")] => MAX_VERSIONS,
        [Step::Key("images")] => MAX_FILES,
        _ => MAX_LIST_ITEMS,
    }
}

/// A name from the input for a message: at most 60 characters.
pub fn clip(text: &str) -> String {
    let mut s: String = text.chars().take(60).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    s
}

/// One schema migration: turns a manifest of schema `from` into schema `from + 1`, on the
/// JSON tree (old shapes need no types of their own).
#[derive(Clone, Copy)]
pub struct Migration {
    /// The schema it reads.
    pub from: u32,
    /// The change; an error says what could not be converted.
    pub apply: fn(&mut Value) -> Result<(), String>,
}

/// The migrations of real past schemas, oldest first: schema 1 (the first Continuity wrote)
/// → 2 adds each frame's animatic hold.
pub const MIGRATIONS: &[Migration] = &[Migration {
    from: 1,
    apply: hold_seconds_for_every_frame,
}];

/// Schema 1 → 2: every frame entry gets `"hold_seconds": null` (the export's default; schema 1
/// had no per-frame hold). A frame entry that already has the field is refused: schema 1 never
/// wrote it, so the file is not what it says it is.
fn hold_seconds_for_every_frame(value: &mut Value) -> Result<(), String> {
    let Some(frames) = value.get_mut("frames") else {
        // Missing: the typed parse names the missing field.
        return Ok(());
    };
    let frames = frames.as_array_mut().ok_or("its frames are not a list")?;
    for (i, frame) in frames.iter_mut().enumerate() {
        let frame = frame
            .as_object_mut()
            .ok_or_else(|| format!("frames[{i}] is not an object"))?;
        if frame.contains_key("hold_seconds") {
            return Err(format!(
                "frames[{i}] has hold_seconds, which schema 1 does not have (is its schema_version right?)"
            ));
        }
        frame.insert("hold_seconds".into(), Value::Null);
    }
    Ok(())
}

/// Brings a manifest of schema `from` up to [`MANIFEST_SCHEMA_VERSION`] with [`MIGRATIONS`].
pub fn migrate(value: Value, from: u32) -> Result<Value, ImportError> {
    migrate_with(value, from, MIGRATIONS)
}

/// [`migrate`] with a given list of steps (tests use a synthetic schema 0).
pub fn migrate_with(
    mut value: Value,
    from: u32,
    steps: &[Migration],
) -> Result<Value, ImportError> {
    if from > MANIFEST_SCHEMA_VERSION {
        return Err(ImportError::NewerSchema { found: from });
    }
    let mut at = from;
    while at < MANIFEST_SCHEMA_VERSION {
        let step = steps
            .iter()
            .find(|s| s.from == at)
            .ok_or(ImportError::UnknownOldSchema { found: from })?;
        (step.apply)(&mut value).map_err(|problem| ImportError::Migration { from: at, problem })?;
        at += 1;
        if let Some(obj) = value.as_object_mut() {
            obj.insert("schema_version".into(), Value::from(at));
        }
    }
    Ok(value)
}
