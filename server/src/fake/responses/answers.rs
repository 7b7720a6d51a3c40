//! The fake model's answers, chosen by the json_schema `name` the client sends. The three the
//! app uses are documented in the app's core (`core/src/brief/mod.rs`): each call carries one
//! `input_text` whose whole text is a JSON object with the call's data.
//!
//! - `continuity_brief_plan` (data `{"brief", "frames"}`): one frame per sentence or bullet of
//!   the brief (sentences end at `.` `!` `?` followed by a space, at `。` `！` `？`, and at line
//!   breaks; bullet marks are dropped), up to the asked count; the title is the sentence
//!   without its end mark (at most 60 characters); quoted words become on-image text rows.
//! - `continuity_describe_images` (data `{"entities": [names]}`): the palette is the images'
//!   dominant colours, each entity described by them.
//! - `continuity_check_result` (data `{"texts", "constraints"}`): each asked text read back
//!   verbatim, except that the first row gets one character changed when the image was drawn
//!   from a prompt with `[[typo]]` ([`super::rendered`]); every constraint met except that
//!   text row's.
//!
//! Any other schema is answered with the simplest value that fits it.

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::rendered::{RenderedPrompts, TYPO_MARKER};
use super::validate::{InputImage, TextCall};

/// Longest title drawn from a sentence.
const TITLE_CHARS: usize = 60;
/// Longest "what happens" written (a model summarises a run-on sentence).
const WHAT_HAPPENS_CHARS: usize = 1_000;
/// On-image text rows per frame, and characters per row, that the fake writes.
const TEXT_ROWS: usize = 8;
const TEXT_ROW_CHARS: usize = 500;
/// Frames planned when the data part does not say.
const DEFAULT_FRAMES: usize = 12;

/// The answer to `call`, as the JSON value the model would write.
pub fn answer(call: &TextCall, rendered: &RenderedPrompts) -> Value {
    let data = data_part(&call.texts);
    match call.schema_name.as_deref() {
        Some("continuity_brief_plan") => {
            let brief = data
                .as_ref()
                .and_then(|d| d.get("brief"))
                .and_then(Value::as_str)
                .map_or_else(|| call.texts.join("\n"), str::to_string);
            let frames = data
                .as_ref()
                .and_then(|d| d.get("frames"))
                .and_then(Value::as_u64)
                .map_or(DEFAULT_FRAMES, |n| n as usize);
            plan(&brief, frames)
        }
        Some("continuity_describe_images") => describe(call, data.as_ref()),
        Some("continuity_check_result") => check(call, data.as_ref(), rendered),
        _ => call
            .schema
            .as_ref()
            .map_or_else(|| json!("Fake answer."), |schema| simplest(schema, 0)),
    }
}

/// An answer that breaks the schema of `name` (the `schema_break` fault): a required field
/// missing and one the schema does not have.
pub fn schema_breaking(name: Option<&str>) -> Value {
    match name {
        Some("continuity_brief_plan") => json!({
            "frames": [{"heading": "<b>Not in the schema</b>", "what_happens": 7}],
        }),
        _ => json!({"unexpected": "<b>Not in the schema</b>"}),
    }
}

/// The last input text that is a whole JSON object: the call's data.
fn data_part(texts: &[String]) -> Option<Map<String, Value>> {
    texts
        .iter()
        .rev()
        .find_map(|t| match serde_json::from_str::<Value>(t.trim()) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        })
}

/// Splits a brief into sentences and bullets, end marks kept, bullet marks dropped.
pub fn sentences(brief: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in brief.lines() {
        let line = strip_bullet(line.trim());
        let mut current = String::new();
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            current.push(c);
            let ends = match c {
                '。' | '！' | '？' => true,
                '.' | '!' | '?' => chars.peek().is_none_or(|n| n.is_whitespace()),
                _ => false,
            };
            if ends {
                push_sentence(&mut out, &current);
                current.clear();
            }
        }
        push_sentence(&mut out, &current);
    }
    out
}

fn push_sentence(out: &mut Vec<String>, s: &str) {
    let s = s.trim();
    if s.chars().any(char::is_alphanumeric) {
        out.push(s.to_string());
    }
}

/// `- x`, `* x`, `• x`, `1. x`, `2) x` → `x`.
fn strip_bullet(line: &str) -> &str {
    for mark in ["- ", "* ", "• ", "· "] {
        if let Some(rest) = line.strip_prefix(mark) {
            return rest.trim_start();
        }
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 {
        let rest = &line[digits..];
        if let Some(rest) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return rest.trim_start();
        }
    }
    line
}

/// A title: the sentence without its end mark, at most [`TITLE_CHARS`] characters.
fn title(sentence: &str) -> String {
    let bare = sentence.trim_end_matches(['.', '!', '?', '。', '！', '？']);
    let mut t: String = bare.chars().take(TITLE_CHARS).collect();
    if bare.chars().count() > TITLE_CHARS {
        t = t.trim_end().to_string();
        t.push('…');
    }
    t
}

/// A language tag from the script of `text`.
fn language(text: &str) -> &'static str {
    let has = |range: std::ops::RangeInclusive<char>| text.chars().any(|c| range.contains(&c));
    if has('\u{4e00}'..='\u{9fff}') {
        "zh-Hans"
    } else if has('\u{0600}'..='\u{06ff}') {
        "ar"
    } else if has('\u{0400}'..='\u{04ff}') {
        "ru"
    } else if has('\u{0900}'..='\u{097f}') {
        "hi"
    } else {
        "en"
    }
}

/// Quoted words in a sentence ("…", “…”, «…», 「…」): its on-image text rows.
fn quoted(sentence: &str) -> Vec<String> {
    let mut rows = Vec::new();
    for (open, close) in [('"', '"'), ('“', '”'), ('«', '»'), ('「', '」')] {
        let mut rest = sentence;
        while let Some(start) = rest.find(open) {
            let after = &rest[start + open.len_utf8()..];
            let Some(end) = after.find(close) else { break };
            let text = after[..end].trim();
            if !text.is_empty() {
                rows.push(text.to_string());
            }
            rest = &after[end + close.len_utf8()..];
        }
    }
    rows
}

fn hex(rgb: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2])
}

/// The planner's answer.
fn plan(brief: &str, frames: usize) -> Value {
    const SHOTS: [&str; 3] = ["wide", "medium", "close-up"];
    let planned: Vec<Value> = sentences(brief)
        .into_iter()
        .take(frames)
        .enumerate()
        .map(|(i, s)| {
            let texts: Vec<Value> = quoted(&s)
                .into_iter()
                .filter(|t| t.chars().count() <= TEXT_ROW_CHARS)
                .take(TEXT_ROWS)
                .map(|t| json!({"text": t, "language": language(&t)}))
                .collect();
            let what_happens: String = s.chars().take(WHAT_HAPPENS_CHARS).collect();
            json!({
                "title": title(&s),
                "what_happens": what_happens,
                "shot_size": SHOTS[i % SHOTS.len()],
                "camera_angle": "eye level",
                "composition": "rule of thirds",
                "texts": texts,
                "entities": [],
            })
        })
        .collect();
    let h = Sha256::digest(brief.as_bytes());
    let palette: Vec<String> = (0..3)
        .map(|i| hex([h[3 * i], h[3 * i + 1], h[3 * i + 2]]))
        .collect();
    json!({
        "frames": planned,
        "bible": {
            "style": {"medium": "digital illustration", "rendering": "flat colour, clean lines",
                      "lens": "35 mm", "lighting": "soft daylight"},
            "palette": palette,
            "entities": [],
        },
    })
}

/// Up to two dominant colours of an image: the most common colours after quantising to 16
/// levels per channel, each the mean of its pixels; the second only if it covers a tenth.
pub fn dominant_colours(bytes: &[u8]) -> Vec<[u8; 3]> {
    let Ok(img) = image::load_from_memory(bytes) else {
        return Vec::new();
    };
    let img = img.thumbnail(128, 128).to_rgb8();
    let mut buckets: std::collections::HashMap<u16, (u64, [u64; 3])> = Default::default();
    for p in img.pixels() {
        let key = (u16::from(p[0] >> 4) << 8) | (u16::from(p[1] >> 4) << 4) | u16::from(p[2] >> 4);
        let entry = buckets.entry(key).or_insert((0, [0; 3]));
        entry.0 += 1;
        for c in 0..3 {
            entry.1[c] += u64::from(p[c]);
        }
    }
    let total: u64 = buckets.values().map(|b| b.0).sum();
    let mut ranked: Vec<(u16, (u64, [u64; 3]))> = buckets.into_iter().collect();
    ranked.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(&b.0)));
    ranked
        .iter()
        .take(2)
        .enumerate()
        .filter(|(i, (_, (n, _)))| *i == 0 || n * 10 >= total)
        .map(|(_, (_, (n, sum)))| [0, 1, 2].map(|c| ((sum[c] + n / 2) / n).min(255) as u8))
        .collect()
}

/// The describe answer.
fn describe(call: &TextCall, data: Option<&Map<String, Value>>) -> Value {
    let mut palette: Vec<String> = Vec::new();
    for image in &call.images {
        if let InputImage::Bytes(bytes) = image {
            for colour in dominant_colours(bytes) {
                let h = hex(colour);
                if !palette.contains(&h) && palette.len() < 12 {
                    palette.push(h);
                }
            }
        }
    }
    let colours = if palette.is_empty() {
        "colours the images do not reveal".to_string()
    } else {
        palette.join(", ")
    };
    let names: Vec<String> = data
        .and_then(|d| d.get("entities"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let entities: Vec<Value> = names
        .iter()
        .map(|name| {
            json!({
                "name": name,
                "description": format!("{name}, drawn in {colours}, as in the reference images."),
                "must_not_change": palette.iter().take(2).map(|h| format!("colour {h}")).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "style": {"medium": "digital illustration", "rendering": "flat colour areas",
                  "lens": "straight on", "lighting": "even, shadowless"},
        "palette": palette,
        "entities": entities,
    })
}

/// `text` with one character changed: the last letter or digit, to its neighbour.
pub fn typo(text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let Some(i) = chars.iter().rposition(|c| c.is_alphanumeric()) else {
        return format!("{text}?");
    };
    let c = chars[i];
    chars[i] = match c {
        'z' => 'y',
        'Z' => 'Y',
        '9' => '8',
        _ => char::from_u32(c as u32 + 1)
            .filter(|n| n.is_alphanumeric())
            .unwrap_or('?'),
    };
    chars.into_iter().collect()
}

/// The check answer.
fn check(call: &TextCall, data: Option<&Map<String, Value>>, rendered: &RenderedPrompts) -> Value {
    let typo_drawn = call.images.iter().any(|image| match image {
        InputImage::Bytes(bytes) => rendered
            .prompt_of(bytes)
            .is_some_and(|p| p.contains(TYPO_MARKER)),
        InputImage::File(_) => false,
    });
    let asked: Vec<String> = data
        .and_then(|d| d.get("texts"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|t| {
                    t.get("text")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string()
                })
                .collect()
        })
        .unwrap_or_default();
    let reads: Vec<String> = asked
        .iter()
        .enumerate()
        .map(|(i, t)| {
            if i == 0 && typo_drawn {
                typo(t)
            } else {
                t.clone()
            }
        })
        .collect();
    let first_text = asked.first().cloned().unwrap_or_default();
    let mut first_text_verdict = true;
    let constraints: Vec<Value> = data
        .and_then(|d| d.get("constraints"))
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|c| {
                    let id = c.get("id").and_then(Value::as_str).unwrap_or_default();
                    let kind = c.get("kind").and_then(Value::as_str).unwrap_or_default();
                    let text = c.get("text").and_then(Value::as_str).unwrap_or_default();
                    let about_typo = typo_drawn
                        && first_text_verdict
                        && kind == "text"
                        && !first_text.is_empty()
                        && text.contains(&first_text);
                    if about_typo {
                        first_text_verdict = false;
                        json!({"id": id, "met": false,
                               "reason": format!("The text reads {} instead of {first_text}.", reads[0])})
                    } else {
                        json!({"id": id, "met": true, "reason": "Matches the image."})
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    json!({"texts": reads, "constraints": constraints})
}

/// The simplest value a schema accepts: `""`, `0`, `false`, `[]`, the first enum value, an
/// object of such values.
fn simplest(schema: &Value, depth: usize) -> Value {
    if depth > 16 {
        return Value::Null;
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => {
            let mut out = Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, sub) in props {
                    out.insert(k.clone(), simplest(sub, depth + 1));
                }
            }
            Value::Object(out)
        }
        Some("array") => json!([]),
        Some("string") => json!(""),
        Some("integer" | "number") => json!(0),
        Some("boolean") => json!(false),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn briefs_split_into_sentences_and_bullets() {
        let brief = "A fox wakes up. It finds a lantern! Is it magic? 5.5 metres tall.\n\
                     - Bullet one\n2) Bullet two\n灯笼在夜里发光。狐狸笑了！";
        assert_eq!(
            sentences(brief),
            [
                "A fox wakes up.",
                "It finds a lantern!",
                "Is it magic?",
                "5.5 metres tall.",
                "Bullet one",
                "Bullet two",
                "灯笼在夜里发光。",
                "狐狸笑了！"
            ]
        );
        assert_eq!(title("灯笼在夜里发光。"), "灯笼在夜里发光");
        assert_eq!(
            quoted("A sign reads “限时 5 折” and \"SALE\"."),
            ["SALE", "限时 5 折"]
        );
        assert_eq!(language("限时 5 折"), "zh-Hans");
    }

    #[test]
    fn any_other_schema_gets_its_simplest_value() {
        let schema = json!({"type": "object", "properties": {
            "a": {"type": "string"}, "b": {"type": "array", "items": {"type": "string"}},
            "c": {"type": "string", "enum": ["x", "y"]}, "d": {"type": "boolean"},
            "e": {"type": "object", "properties": {"f": {"type": "integer"}}}}});
        assert_eq!(
            simplest(&schema, 0),
            json!({"a": "", "b": [], "c": "x", "d": false, "e": {"f": 0}})
        );
    }

    #[test]
    fn a_typo_changes_exactly_one_character() {
        assert_eq!(typo("限时 5 折"), "限时 5 抙");
        assert_eq!(typo("SALE!"), "SALF!");
        assert_eq!(typo("fizz"), "fizy");
        for t in ["限时 5 折", "SALE", "a", "9"] {
            let changed = t
                .chars()
                .zip(typo(t).chars())
                .filter(|(a, b)| a != b)
                .count();
            assert_eq!(changed, 1, "{t}");
        }
    }
}
