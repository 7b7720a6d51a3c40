//! Text with the standard Helvetica font: Unicode → WinAnsi (Windows-1252) bytes, glyph
//! widths for wrapping, and PDF string escaping.
//!
//! The 14 standard fonts need no embedding but only cover WinAnsi: Latin scripts, not Chinese,
//! Arabic or Hindi. Characters outside it are never dropped silently: a run of them becomes a
//! visible marker such as "[Arabic text]" and the line is reported as lossy, so the caller can
//! pass that line as a pre-rendered image instead (the canvas has the system's fonts and
//! shapes Arabic and Devanagari properly, which a hand-written PDF writer could not).

/// Helvetica advance widths (1/1000 em) for WinAnsi codes 32–255, from Adobe's AFM metrics.
/// Codes WinAnsi leaves undefined (127, 129, 141, 143, 144, 157) are never produced.
#[rustfmt::skip]
const WIDTHS: [u16; 224] = [
    278,278,355,556,556,889,667,191,333,333,389,584,278,333,278,278,
    556,556,556,556,556,556,556,556,556,556,278,278,584,584,584,556,
    1015,667,667,722,722,667,611,778,722,278,500,667,556,833,722,778,
    667,778,722,667,611,722,667,944,667,667,611,278,278,278,469,556,
    333,556,556,500,556,556,278,556,556,222,222,500,222,833,556,556,
    556,556,333,500,278,556,500,722,500,500,500,334,260,334,584,350,
    556,350,222,556,333,1000,556,556,333,1000,667,333,1000,350,611,350,
    350,222,222,333,333,350,556,1000,333,1000,500,333,944,350,500,667,
    278,333,556,556,556,556,260,556,333,737,370,556,584,333,737,333,
    400,584,333,333,333,556,537,278,333,333,365,556,834,834,834,611,
    667,667,667,667,667,667,1000,722,667,667,667,667,278,278,278,278,
    722,722,778,778,778,778,778,584,778,722,722,722,722,667,667,611,
    556,556,556,556,556,556,889,500,556,556,556,556,278,278,278,278,
    556,556,556,556,556,556,556,584,611,556,556,556,556,500,556,500,
];

/// Windows-1252 bytes 0x80–0x9F and the characters they stand for.
const CP1252_HIGH: [(char, u8); 27] = [
    ('€', 0x80),
    ('‚', 0x82),
    ('ƒ', 0x83),
    ('„', 0x84),
    ('…', 0x85),
    ('†', 0x86),
    ('‡', 0x87),
    ('ˆ', 0x88),
    ('‰', 0x89),
    ('Š', 0x8A),
    ('‹', 0x8B),
    ('Œ', 0x8C),
    ('Ž', 0x8E),
    ('\u{2018}', 0x91),
    ('\u{2019}', 0x92),
    ('\u{201C}', 0x93),
    ('\u{201D}', 0x94),
    ('•', 0x95),
    ('–', 0x96),
    ('—', 0x97),
    ('˜', 0x98),
    ('™', 0x99),
    ('š', 0x9A),
    ('›', 0x9B),
    ('œ', 0x9C),
    ('ž', 0x9E),
    ('Ÿ', 0x9F),
];

/// The WinAnsi byte for `c`, if the standard fonts can draw it. Tabs and line breaks become
/// spaces (the writer wraps lines itself).
pub fn winansi(c: char) -> Option<u8> {
    match c {
        '\t' | '\n' | '\r' => Some(b' '),
        ' '..='~' | '\u{A0}'..='\u{FF}' => Some(c as u8),
        _ => CP1252_HIGH.iter().find(|(u, _)| *u == c).map(|(_, b)| *b),
    }
}

/// Whether every character of `text` can be drawn with the standard fonts. When not, the
/// browser should render the line to an image and pass it as [`super::PanelText::Rendered`].
pub fn winansi_covers(text: &str) -> bool {
    text.chars().all(|c| winansi(c).is_some())
}

/// `text` in WinAnsi bytes; runs of other characters become a marker naming their script
/// ("[Arabic text]", or "[?]" when there is no script to name). The flag says whether
/// anything was replaced.
pub fn encode(text: &str) -> (Vec<u8>, bool) {
    let mut out = Vec::with_capacity(text.len());
    let mut run = String::new();
    let mut lossy = false;
    let flush = |run: &mut String, out: &mut Vec<u8>| {
        if run.is_empty() {
            return;
        }
        // Every script the run's words are in: "[Chinese, Arabic text]".
        let mut names: Vec<&str> = Vec::new();
        for word in run.split(|c: char| c == ' ' || c.is_ascii_punctuation()) {
            // "Arabic script, right-to-left" → "Arabic".
            if let Some(name) = crate::compiler::script_name(word) {
                let short = name.split([' ', ',']).next().unwrap_or(name);
                if !names.contains(&short) {
                    names.push(short);
                }
            }
        }
        let marker = if names.is_empty() {
            "[?]".to_owned()
        } else {
            format!("[{} text]", names.join(", "))
        };
        out.extend_from_slice(marker.as_bytes());
        run.clear();
    };
    // Spaces and punctuation between two unencodable runs join them ("خصم ٥٠٪" is one run).
    let mut held = String::new();
    for c in text.chars() {
        match winansi(c) {
            Some(_) if !run.is_empty() && (c == ' ' || c.is_ascii_punctuation()) => held.push(c),
            Some(b) => {
                flush(&mut run, &mut out);
                out.extend(held.drain(..).filter_map(winansi));
                out.push(b);
            }
            None => {
                lossy = true;
                run.push_str(&held);
                held.clear();
                run.push(c);
            }
        }
    }
    flush(&mut run, &mut out);
    out.extend(held.drain(..).filter_map(winansi));
    (out, lossy)
}

/// Width of WinAnsi `bytes` at `size` points.
pub fn width(bytes: &[u8], size: f32) -> f32 {
    let units: u32 = bytes
        .iter()
        .map(|&b| {
            WIDTHS
                .get((b as usize).wrapping_sub(32))
                .copied()
                .unwrap_or(278) as u32
        })
        .sum();
    units as f32 * size / 1000.0
}

/// Greedy word wrap of WinAnsi `bytes` into lines no wider than `max` points; a word wider
/// than a line is broken between characters.
pub fn wrap(bytes: &[u8], size: f32, max: f32) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let mut line: Vec<u8> = Vec::new();
    for word in bytes.split(|&b| b == b' ').filter(|w| !w.is_empty()) {
        let candidate_w = if line.is_empty() {
            width(word, size)
        } else {
            width(&line, size) + width(b" ", size) + width(word, size)
        };
        if candidate_w <= max {
            if !line.is_empty() {
                line.push(b' ');
            }
            line.extend_from_slice(word);
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for &b in word {
            if !line.is_empty() && width(&line, size) + width(&[b], size) > max {
                lines.push(std::mem::take(&mut line));
            }
            line.push(b);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Cuts `line` so that it plus "…" fits in `max` points, and appends the ellipsis.
pub fn ellipsize(mut line: Vec<u8>, size: f32, max: f32) -> Vec<u8> {
    while !line.is_empty() && width(&line, size) + width(&[0x85], size) > max {
        line.pop();
    }
    line.push(0x85);
    line
}

/// `line` as it is when it fits in `max` points, else cut with an ellipsis.
pub fn ellipsize_if(line: Vec<u8>, size: f32, max: f32) -> Vec<u8> {
    if width(&line, size) <= max {
        line
    } else {
        ellipsize(line, size, max)
    }
}

/// A PDF literal string: `(…)` with `\`, `(` and `)` escaped and bytes above 126 in octal,
/// so the file stays 7-bit clean around the binary image streams.
pub fn literal(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() + 2);
    s.push('(');
    for &b in bytes {
        match b {
            b'\\' | b'(' | b')' => {
                s.push('\\');
                s.push(b as char);
            }
            32..=126 => s.push(b as char),
            _ => s.push_str(&format!("\\{b:03o}")),
        }
    }
    s.push(')');
    s
}

/// A PDF text string for metadata (any Unicode): UTF-16BE with a byte-order mark, in hex.
pub fn utf16_hex(text: &str) -> String {
    let mut s = String::from("<FEFF");
    for u in text.encode_utf16() {
        s.push_str(&format!("{u:04X}"));
    }
    s.push('>');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_pdf_winansi_and_markers() {
        assert_eq!(
            encode("Café – “ok” €5"),
            (b"Caf\xe9 \x96 \x93ok\x94 \x805".to_vec(), false)
        );
        let (b, lossy) = encode("SALE 新品上市!");
        assert!(lossy);
        let s = String::from_utf8(b).unwrap();
        assert_eq!(s, "SALE [Chinese text]!");
        assert_eq!(encode("خصم ٥٠٪").0, b"[Arabic text]".to_vec());
        assert_eq!(encode("🙂").0, b"[?]".to_vec());
        assert_eq!(encode("新品 / خصم").0, b"[Chinese, Arabic text]".to_vec());
        assert!(winansi_covers("Señor Müller"));
        assert_eq!(encode("two\nlines").0, b"two lines".to_vec());
        assert!(!winansi_covers("नमस्ते"));
    }

    #[test]
    fn export_pdf_widths_wrap_and_escape() {
        assert!((width(b"Hello", 10.0) - 22.78).abs() < 0.01);
        let lines = wrap(b"the quick brown fox jumps over the lazy dog", 10.0, 60.0);
        assert!(lines.len() > 2);
        assert!(lines.iter().all(|l| width(l, 10.0) <= 60.0));
        let long = wrap(&[b'W'; 40], 10.0, 50.0);
        assert!(long.iter().all(|l| width(l, 10.0) <= 50.0));
        assert_eq!(long.concat().len(), 40);
        assert_eq!(literal(b"a(b)\\c\xe9"), "(a\\(b\\)\\\\c\\351)");
        assert_eq!(utf16_hex("A开"), "<FEFF00415F00>");
        let e = ellipsize(b"abcdefghij".to_vec(), 10.0, 30.0);
        assert_eq!(*e.last().unwrap(), 0x85);
        assert!(width(&e, 10.0) <= 30.0);
    }
}
