//! Localized variants: the same frame with its on-image text in another language. A locale
//! variant is an edit of the frame's active version that replaces **only** the text — each
//! exact old string with its exact new string, its script and direction named — and keeps
//! layout, font style, colours and everything else.

use crate::compiler::{compile_edit, quote_text, CompiledFrame, EditSpec};
use crate::model::shot::OnImageText;
use crate::model::{Frame, Series};

/// A locale the app knows how to name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locale {
    /// BCP 47 tag, e.g. `zh-Hans`.
    pub tag: &'static str,
    /// English name, e.g. "Chinese (Simplified)".
    pub name: &'static str,
    /// Its script, e.g. "Han script (simplified characters)".
    pub script: &'static str,
    /// Written right to left.
    pub rtl: bool,
}

/// Locales offered in the series' locale list (others can be typed; they are named by tag).
pub const LOCALES: &[Locale] = &[
    Locale {
        tag: "en",
        name: "English",
        script: "Latin script",
        rtl: false,
    },
    Locale {
        tag: "zh-Hans",
        name: "Chinese (Simplified)",
        script: "Han script, simplified characters",
        rtl: false,
    },
    Locale {
        tag: "zh-Hant",
        name: "Chinese (Traditional)",
        script: "Han script, traditional characters",
        rtl: false,
    },
    Locale {
        tag: "ja",
        name: "Japanese",
        script: "kana and kanji",
        rtl: false,
    },
    Locale {
        tag: "ko",
        name: "Korean",
        script: "Hangul script",
        rtl: false,
    },
    Locale {
        tag: "ar",
        name: "Arabic",
        script: "Arabic script",
        rtl: true,
    },
    Locale {
        tag: "he",
        name: "Hebrew",
        script: "Hebrew script",
        rtl: true,
    },
    Locale {
        tag: "fa",
        name: "Persian",
        script: "Arabic script (Persian)",
        rtl: true,
    },
    Locale {
        tag: "ur",
        name: "Urdu",
        script: "Arabic script (Nastaliq)",
        rtl: true,
    },
    Locale {
        tag: "hi",
        name: "Hindi",
        script: "Devanagari script",
        rtl: false,
    },
    Locale {
        tag: "ru",
        name: "Russian",
        script: "Cyrillic script",
        rtl: false,
    },
    Locale {
        tag: "uk",
        name: "Ukrainian",
        script: "Cyrillic script",
        rtl: false,
    },
    Locale {
        tag: "el",
        name: "Greek",
        script: "Greek script",
        rtl: false,
    },
    Locale {
        tag: "th",
        name: "Thai",
        script: "Thai script",
        rtl: false,
    },
    Locale {
        tag: "es",
        name: "Spanish",
        script: "Latin script",
        rtl: false,
    },
    Locale {
        tag: "fr",
        name: "French",
        script: "Latin script",
        rtl: false,
    },
    Locale {
        tag: "de",
        name: "German",
        script: "Latin script",
        rtl: false,
    },
    Locale {
        tag: "pt",
        name: "Portuguese",
        script: "Latin script",
        rtl: false,
    },
    Locale {
        tag: "it",
        name: "Italian",
        script: "Latin script",
        rtl: false,
    },
    Locale {
        tag: "tr",
        name: "Turkish",
        script: "Latin script",
        rtl: false,
    },
    Locale {
        tag: "vi",
        name: "Vietnamese",
        script: "Latin script with tone marks",
        rtl: false,
    },
];

/// The locale with this tag (case-insensitive).
pub fn find(tag: &str) -> Option<&'static Locale> {
    LOCALES
        .iter()
        .find(|l| l.tag.eq_ignore_ascii_case(tag.trim()))
}

/// A locale's name for people: "Arabic" or the tag itself when unknown.
pub fn name(tag: &str) -> String {
    find(tag).map_or_else(|| tag.trim().to_string(), |l| l.name.to_string())
}

/// Whether a locale is written right to left (unknown tags: by their primary language).
pub fn is_rtl(tag: &str) -> bool {
    find(tag).map(|l| l.rtl).unwrap_or_else(|| {
        let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
        matches!(
            primary.as_str(),
            "ar" | "he" | "fa" | "ur" | "yi" | "ps" | "sd" | "ug"
        )
    })
}

/// Why a locale variant cannot be made yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotReady {
    /// The frame has no on-image text to translate.
    NoText,
    /// These texts have no translation for the locale yet.
    Untranslated(Vec<String>),
}

impl std::fmt::Display for NotReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotReady::NoText => f.write_str("This frame has no text in the image to translate."),
            NotReady::Untranslated(texts) => write!(
                f,
                "Add the translation of {} first.",
                texts
                    .iter()
                    .map(|t| quote_text(t))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// The instruction of the edit that makes frame text into `target`: every exact old string,
/// its exact new string, the language, script and direction, and what must not change.
pub fn instruction(texts: &[OnImageText], target: &str) -> Result<String, NotReady> {
    let texts: Vec<&OnImageText> = texts.iter().filter(|t| !t.text.is_empty()).collect();
    if texts.is_empty() {
        return Err(NotReady::NoText);
    }
    let missing: Vec<String> = texts
        .iter()
        .filter(|t| t.translations.get(target).is_none_or(|x| x.is_empty()))
        .map(|t| t.text.clone())
        .collect();
    if !missing.is_empty() {
        return Err(NotReady::Untranslated(missing));
    }
    let locale = find(target);
    let language = name(target);
    let rtl = is_rtl(target);
    let mut out = format!("Replace only the text in image 1 with its {language} version:");
    for (i, t) in texts.iter().enumerate() {
        let new = &t.translations[target];
        out.push_str(&format!(
            "\n{}. Replace {} with {}",
            i + 1,
            quote_text(&t.text),
            quote_text(new)
        ));
        let mut how = Vec::new();
        if let Some(l) = locale {
            how.push(format!("in {}", l.script));
        }
        if rtl {
            how.push("written right to left".into());
        }
        if !how.is_empty() {
            out.push_str(&format!(" ({})", how.join(", ")));
        }
        out.push('.');
    }
    out.push_str("\nSpell each new text exactly as written between its quotes: same characters, no further translation or transliteration. Keep each text where it is, at the same size, in the same font style, weight and colour, with the same effects");
    if rtl {
        out.push_str(", aligned as right-to-left text is");
    }
    out.push_str(". No other text may appear.");
    Ok(out)
}

/// The frame with its on-image text in `target` (what a locale variant shows), for the
/// prompt's TEXT IN IMAGE section.
pub fn localized_frame(frame: &Frame, target: &str) -> Frame {
    let mut f = frame.clone();
    for t in &mut f.shot.texts {
        if let Some(new) = t.translations.get(target).filter(|x| !x.is_empty()) {
            t.text = new.clone();
            t.language = name(target);
        }
    }
    f
}

/// The request of a locale variant of frame `index`: an edit of its active version (image 1)
/// with the text-only instruction, compiled with the frame's text already in `target`.
pub fn compile_locale(
    series: &Series,
    index: usize,
    target: &str,
) -> Result<CompiledFrame, NotReady> {
    let frame = &series.frames[index];
    let instruction = instruction(&frame.shot.texts, target)?;
    let base = series.active(frame).ok_or(NotReady::NoText)?;
    let mut localized = series.clone();
    localized.frames[index] = localized_frame(frame, target);
    let spec = EditSpec {
        base_key: base.image.hash.clone(),
        base_label: format!("{}, source language", frame.title.trim()),
        instruction,
        masked: false,
        marked: false,
        replaces_text: true,
    };
    Ok(compile_edit(&localized, index, &spec))
}

/// The series' locales that frame `frame_id` has no variant for yet and could have (all its
/// texts translated). The first locale of the series is the source language and never missing.
pub fn missing_locales(series: &Series, frame_id: &str) -> Vec<String> {
    let Some(frame) = series.frame(frame_id) else {
        return Vec::new();
    };
    series
        .locales
        .iter()
        .skip(1)
        .filter(|l| !frame.locale_versions.contains_key(*l))
        .filter(|l| instruction(&frame.shot.texts, l).is_ok())
        .cloned()
        .collect()
}

#[cfg(test)]
#[path = "locale_tests.rs"]
mod tests;

/// Reads a locale list typed as text ("en, zh-Hans, ar"): tags in order, without duplicates;
/// known tags get their canonical spelling (`ZH-hans` → `zh-Hans`).
pub fn parse_list(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in text
        .split([',', ' ', '\n', ';'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let tag = find(part).map_or_else(|| part.to_string(), |l| l.tag.to_string());
        if !out.iter().any(|t| t.eq_ignore_ascii_case(&tag)) {
            out.push(tag);
        }
    }
    out
}
