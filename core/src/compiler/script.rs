//! Naming the script of on-image text, and quoting it without touching a character.

/// Scripts we can name, in the order that breaks ties (non-Latin first: those are the
/// scripts a model is most likely to garble, so they are the ones worth naming).
const SCRIPTS: [&str; 9] = [
    "Chinese (Han script)",
    "Korean (Hangul script)",
    "Arabic script, right-to-left",
    "Hebrew script, right-to-left",
    "Devanagari script (Hindi)",
    "Cyrillic script",
    "Greek script",
    "Thai script",
    "Latin script",
];
const HAN: usize = 0;
const HANGUL: usize = 1;
const LATIN: usize = 8;
const JAPANESE: &str = "Japanese (kana and kanji)";

/// Which entry of [`SCRIPTS`] a character belongs to; `None` for digits, punctuation,
/// symbols and scripts we do not name. Kana is reported as `Some(usize::MAX)`.
fn script_of(c: char) -> Option<usize> {
    let u = c as u32;
    let index = match u {
        0x3040..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9D => return Some(usize::MAX),
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F => HAN,
        0x1100..=0x11FF | 0x3130..=0x318F | 0xA960..=0xA97F | 0xAC00..=0xD7AF => HANGUL,
        0x0600..=0x06FF | 0x0750..=0x077F | 0x08A0..=0x08FF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF => {
            2
        }
        0x0590..=0x05FF | 0xFB1D..=0xFB4F => 3,
        0x0900..=0x097F | 0xA8E0..=0xA8FF => 4,
        0x0400..=0x052F | 0x1C80..=0x1C8F | 0x2DE0..=0x2DFF | 0xA640..=0xA69F => 5,
        0x0370..=0x03FF | 0x1F00..=0x1FFF => 6,
        0x0E00..=0x0E7F => 7,
        // × and ÷ sit inside Latin-1 but are symbols.
        0xD7 | 0xF7 => return None,
        0x41..=0x5A
        | 0x61..=0x7A
        | 0xC0..=0x24F
        | 0x1E00..=0x1EFF
        | 0xFF21..=0xFF3A
        | 0xFF41..=0xFF5A => LATIN,
        _ => return None,
    };
    Some(index)
}

/// Names the script (and, where the script implies it, the language) of `text`, for
/// on-image text whose language the user left empty: "Chinese (Han script)", "Japanese (kana
/// and kanji)", "Korean (Hangul script)", "Arabic script, right-to-left", "Hebrew script,
/// right-to-left", "Devanagari script (Hindi)", "Cyrillic script", "Greek script", "Thai
/// script" or "Latin script".
///
/// Any kana makes it Japanese (Japanese mixes kana with Han characters); otherwise the
/// non-Latin script with the most letters wins, so "SALE 春季新品" is named by its Han part,
/// and Latin only when nothing else is there. `None` when the text has no letters at all
/// (digits, punctuation, emoji) or only letters of scripts not listed.
pub fn script_name(text: &str) -> Option<&'static str> {
    let mut counts = [0usize; SCRIPTS.len()];
    for c in text.chars() {
        match script_of(c) {
            Some(usize::MAX) => return Some(JAPANESE),
            Some(i) => counts[i] += 1,
            None => {}
        }
    }
    // The first maximum among the non-Latin scripts, in `SCRIPTS` order.
    let mut best: Option<usize> = None;
    for (i, &n) in counts.iter().enumerate().take(LATIN) {
        if n > 0 && best.is_none_or(|b| n > counts[b]) {
            best = Some(i);
        }
    }
    match best {
        Some(i) => Some(SCRIPTS[i]),
        None if counts[LATIN] > 0 => Some(SCRIPTS[LATIN]),
        None => None,
    }
}

/// Quotes `text` verbatim: straight double quotes, or the first of “…”, «…», 「…」 whose
/// marks do not occur in the text, so the quote marks can never be mistaken for part of it.
/// Nothing inside is escaped, trimmed or changed.
pub(crate) fn quote(text: &str) -> String {
    const PAIRS: [(char, char); 4] = [('"', '"'), ('“', '”'), ('«', '»'), ('「', '」')];
    let (open, close) = PAIRS
        .into_iter()
        .find(|&(o, c)| !text.contains(o) && !text.contains(c))
        .unwrap_or(PAIRS[0]);
    let mut quoted = String::with_capacity(text.len() + 8);
    quoted.push(open);
    quoted.push_str(text);
    quoted.push(close);
    quoted
}
