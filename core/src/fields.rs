//! Reading a stored JSON document field by field, through [`Fields`], for the few records the
//! first screen reads (series summaries, settings, the server's config).
//!
//! Why not serde: the browser already parses JSON (`JSON.parse`), and the first screen's wasm
//! must stay small — serde_json and the derived readers cost more there than the screen itself.
//! So these readers take any [`Fields`]: natively a `serde_json::Value` (used by `from_json`,
//! so there is one reading rule, tested here), in the browser a plain JS object
//! (`src/web/json.rs`). The writers stay serde (`to_json`); a property test holds each reader
//! to what its writer writes.

use crate::model::template::Template;
use crate::model::SeriesSummary;
use crate::settings::{ConnectionKind, Settings};

/// One JSON object, read field by field. Absent fields and fields of another type read as
/// `None` (the callers decide what is required).
pub trait Fields: Sized {
    /// A string field.
    fn text(&self, key: &str) -> Option<String>;
    /// A number field.
    fn number(&self, key: &str) -> Option<f64>;
    /// A boolean field.
    fn flag(&self, key: &str) -> Option<bool>;
    /// An array of strings (`None` if absent, not an array, or holding anything else).
    fn texts(&self, key: &str) -> Option<Vec<String>>;
    /// A nested object.
    fn object(&self, key: &str) -> Option<Self>;
}

impl Fields for serde_json::Value {
    fn text(&self, key: &str) -> Option<String> {
        self.get(key)?.as_str().map(str::to_string)
    }
    fn number(&self, key: &str) -> Option<f64> {
        self.get(key)?.as_f64()
    }
    fn flag(&self, key: &str) -> Option<bool> {
        self.get(key)?.as_bool()
    }
    fn texts(&self, key: &str) -> Option<Vec<String>> {
        self.get(key)?
            .as_array()?
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect()
    }
    fn object(&self, key: &str) -> Option<Self> {
        self.get(key).filter(|v| v.is_object()).cloned()
    }
}

/// A count: a whole, non-negative number.
fn count(fields: &impl Fields, key: &str) -> Option<usize> {
    fields
        .number(key)
        .filter(|n| n.fract() == 0.0 && *n >= 0.0 && *n <= u32::MAX as f64)
        .map(|n| n as usize)
}

/// A template as [`Template`]'s serde form writes it: `{ "kind": "storyboard" }`, or
/// `{ "kind": "custom", "frames": 8 }`.
pub fn template(fields: &impl Fields) -> Option<Template> {
    let kind = fields.text("kind")?;
    if kind == "custom" {
        return Some(Template::Custom {
            frames: count(fields, "frames")?,
        });
    }
    Template::PRESETS.into_iter().find(|t| t.key() == kind)
}

/// A stored series summary; `Err` names the damage.
pub fn summary(fields: &impl Fields) -> Result<SeriesSummary, String> {
    let damaged = |what: &str| format!("A series summary is damaged: {what}.");
    let text = |key: &str| {
        fields
            .text(key)
            .ok_or_else(|| damaged(&format!("no {key}")))
    };
    let number = |key: &str| {
        fields
            .number(key)
            .ok_or_else(|| damaged(&format!("no {key}")))
    };
    let count = |key: &str| count(fields, key).ok_or_else(|| damaged(&format!("no {key}")));
    Ok(SeriesSummary {
        id: text("id")?,
        name: text("name")?,
        template: fields
            .object("template")
            .as_ref()
            .and_then(template)
            .ok_or_else(|| damaged("an unknown template"))?,
        created_ms: number("created_ms")?,
        updated_ms: number("updated_ms")?,
        frame_count: count("frame_count")?,
        frames_done: count("frames_done")?,
        // Thumbnails only: absent (older summaries) or unreadable, the card shows none.
        cover: fields.texts("cover").unwrap_or_default(),
        spent_usd: fields.number("spent_usd").unwrap_or(0.0),
    })
}

/// Stored settings: each field that is absent or of the wrong type keeps its default; the
/// concurrency is clamped to 1–12.
pub fn settings(fields: &impl Fields) -> Settings {
    let defaults = Settings::default();
    let connection = match fields.text("connection").as_deref() {
        Some("this_server") => ConnectionKind::ThisServer,
        Some("open_ai_direct") => ConnectionKind::OpenAiDirect,
        Some("custom") => ConnectionKind::Custom,
        _ => defaults.connection,
    };
    let concurrency = fields
        .number("concurrency")
        .filter(|n| n.fract() == 0.0 && (0.0..=255.0).contains(n))
        .map_or(defaults.concurrency, |n| n as u8);
    Settings {
        connection,
        custom_base_url: fields
            .text("custom_base_url")
            .unwrap_or(defaults.custom_base_url),
        remember_key: fields.flag("remember_key").unwrap_or(defaults.remember_key),
        concurrency: concurrency.clamp(1, 12),
        stream_previews: fields
            .flag("stream_previews")
            .unwrap_or(defaults.stream_previews),
        text_model: fields.text("text_model").unwrap_or(defaults.text_model),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    fn templates() -> impl Strategy<Value = Template> {
        prop_oneof![
            Just(Template::Carousel),
            Just(Template::Storyboard),
            Just(Template::CharacterSheet),
            Just(Template::ProductSet),
            Just(Template::Comic),
            (0usize..100).prop_map(|frames| Template::Custom { frames }),
        ]
    }

    proptest! {
        /// The reader takes back exactly what the writer (serde) writes.
        #[test]
        fn a_summary_reads_back_as_written(
            id in "[a-z0-9_]{1,20}", name in "\\PC{0,40}", template in templates(),
            created in 0u64..10_000_000_000_000, updated in 0u64..10_000_000_000_000,
            frames in 0usize..500, done in 0usize..500,
            cover in proptest::collection::vec("[0-9a-f]{64}", 0..4), spent_micros in 0u64..1_000_000_000,
        ) {
            // Times are whole milliseconds (Date.now()) and money whole micro-dollars, as stored;
            // serde_json's own float parsing is not exact past 15 digits (the browser's is).
            let summary = SeriesSummary {
                id, name, template, created_ms: created as f64, updated_ms: updated as f64,
                frame_count: frames, frames_done: done, cover,
                spent_usd: crate::cost::from_micros(spent_micros),
            };
            let written: Value = serde_json::from_str(&summary.to_json()).unwrap();
            prop_assert_eq!(super::summary(&written).unwrap(), summary);
        }

        #[test]
        fn settings_read_back_as_written(
            kind in 0..3u8, url in "\\PC{0,40}", remember: bool, concurrency in 1u8..=12, stream: bool,
        ) {
            let connection = [ConnectionKind::ThisServer, ConnectionKind::OpenAiDirect, ConnectionKind::Custom][kind as usize];
            let s = Settings { connection, custom_base_url: url, remember_key: remember, concurrency, stream_previews: stream, text_model: String::new() };
            let written = serde_json::to_value(&s).unwrap();
            prop_assert_eq!(super::settings(&written), s);
        }
    }

    #[test]
    fn a_damaged_summary_says_what_is_missing() {
        let no_name = json!({"id": "s_1", "template": {"kind": "comic"}, "created_ms": 1, "updated_ms": 2, "frame_count": 4, "frames_done": 0});
        assert_eq!(
            summary(&no_name).unwrap_err(),
            "A series summary is damaged: no name."
        );
        let odd_template = json!({"id": "s_1", "name": "x", "template": {"kind": "poster"}, "created_ms": 1, "updated_ms": 2, "frame_count": 4, "frames_done": 0});
        assert!(summary(&odd_template)
            .unwrap_err()
            .contains("unknown template"));
        let half_frame = json!({"id": "s_1", "name": "x", "template": {"kind": "comic"}, "created_ms": 1, "updated_ms": 2, "frame_count": 4.5, "frames_done": 0});
        assert!(summary(&half_frame).is_err());
        // Absent cover and spend (older summaries) read as none.
        let old = json!({"id": "s_1", "name": "x", "template": {"kind": "custom", "frames": 3}, "created_ms": 1, "updated_ms": 2, "frame_count": 3, "frames_done": 1});
        let read = summary(&old).unwrap();
        assert_eq!((read.cover.len(), read.spent_usd), (0, 0.0));
        assert_eq!(read.template, Template::Custom { frames: 3 });
    }

    #[test]
    fn settings_keep_their_defaults_where_a_field_is_damaged() {
        let odd = json!({"connection": "carrier pigeon", "concurrency": 99, "remember_key": "yes"});
        let read = settings(&odd);
        assert_eq!(read.connection, ConnectionKind::ThisServer);
        assert_eq!(read.concurrency, 12);
        assert!(!read.remember_key);
        assert_eq!(settings(&json!({"concurrency": 0})).concurrency, 1);
        assert_eq!(settings(&json!([])), Settings::default());
    }
}
