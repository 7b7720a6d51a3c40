//! File names in the archive: `01-hook.png` from a frame's position and title, locale
//! folders, and uniqueness. Every name passes the ZIP reader's [`check_name`], so an export
//! always imports.

use crate::export::zip::check_name;
use std::collections::HashSet;

/// Longest title part of a file name, in characters (file names stay readable in any unzip).
const MAX_SLUG_CHARS: usize = 40;

/// The file extension of an image MIME type.
pub fn extension(mime: &str) -> &'static str {
    match mime {
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        "image/gif" => "gif",
        _ => "png",
    }
}

/// A title as a file-name part: letters and digits (any script) lower-cased, every run of
/// anything else one `-`, at most 40 characters. Control characters, bidi overrides, slashes,
/// dots and spaces never survive. May be empty.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.extend(c.to_lowercase());
        } else {
            dash = true;
        }
        if out.chars().count() >= MAX_SLUG_CHARS {
            break;
        }
    }
    out.chars().take(MAX_SLUG_CHARS).collect()
}

/// The title part of frame number `number`'s file name. A title that starts with a word and the
/// frame's own number ("Slide 1 · Hook") drops that prefix, since the file name starts with
/// the number already: `01-hook`, not `01-slide-1-hook`.
pub fn title_slug(title: &str, number: usize) -> String {
    let s = slug(title);
    let n = number.to_string();
    let mut parts = s.splitn(3, '-');
    if let (Some(word), Some(num), Some(rest)) = (parts.next(), parts.next(), parts.next()) {
        if word.chars().all(char::is_alphabetic) && num == n && !rest.is_empty() {
            return rest.to_string();
        }
    }
    s
}

/// The file name of frame `number` (1-based) of `count`: the number zero-padded to at least two
/// digits, then the title slug: `01-hook.png`, `12.png` for a title with no letters.
pub fn frame_file(number: usize, count: usize, title: &str, ext: &str) -> String {
    let width = count.to_string().len().max(2);
    let slug = title_slug(title, number);
    if slug.is_empty() {
        format!("{number:0width$}.{ext}")
    } else {
        format!("{number:0width$}-{slug}.{ext}")
    }
}

/// A locale tag as a folder name: ASCII letters, digits and `-` only (`zh-Hans`, `pt-BR`).
pub fn locale_folder(tag: &str) -> String {
    let s: String = tag
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(35)
        .collect();
    let s = s.trim_matches(['-', '_']).to_string();
    if s.is_empty() {
        "locale".into()
    } else {
        s
    }
}

/// Hands out unique archive paths: a taken path gets `-2`, `-3`… before its extension.
/// `manifest.json` and `index.html` are reserved for the manifest and a share page.
#[derive(Debug, Default)]
pub struct Names {
    taken: HashSet<String>,
}

impl Names {
    /// Reserved names only.
    pub fn new() -> Self {
        let mut names = Names::default();
        for reserved in [super::MANIFEST_PATH, super::SHARE_PAGE_PATH] {
            names.taken.insert(reserved.to_ascii_lowercase());
        }
        names
    }

    /// A unique path like `wanted` (compared case-insensitively: macOS and Windows unzip to
    /// case-insensitive disks, where `A.png` and `a.png` are one file).
    pub fn unique(&mut self, wanted: &str) -> String {
        let (stem, ext) = match wanted.rfind('.') {
            Some(dot) if !wanted[dot..].contains('/') => (&wanted[..dot], &wanted[dot..]),
            _ => (wanted, ""),
        };
        let mut candidate = wanted.to_string();
        let mut n = 2;
        while self.taken.contains(&candidate.to_lowercase()) {
            candidate = format!("{stem}-{n}{ext}");
            n += 1;
        }
        debug_assert!(check_name(&candidate, 512).is_ok(), "{candidate}");
        self.taken.insert(candidate.to_lowercase());
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_names_slugs_are_safe_and_readable() {
        assert_eq!(slug("Slide 1 · Hook"), "slide-1-hook");
        assert_eq!(slug("  ../../etc/passwd  "), "etc-passwd");
        assert_eq!(slug("a\u{202E}gnp.exe"), "a-gnp-exe");
        assert_eq!(slug("Ünïcode 开场 عرض"), "ünïcode-开场-عرض");
        assert_eq!(slug("<script>"), "script");
        assert_eq!(slug("***"), "");
        assert_eq!(slug(&"x".repeat(100)).chars().count(), 40);
    }

    #[test]
    fn export_names_frame_files_drop_their_own_number() {
        assert_eq!(frame_file(1, 9, "Slide 1 · Hook", "png"), "01-hook.png");
        assert_eq!(frame_file(2, 9, "Offer", "jpg"), "02-offer.jpg");
        assert_eq!(
            frame_file(3, 9, "Slide 7 · Body", "png"),
            "03-slide-7-body.png"
        );
        assert_eq!(frame_file(12, 120, "", "webp"), "012.webp");
        assert_eq!(frame_file(4, 4, "Panel 4", "png"), "04-panel-4.png");
    }

    #[test]
    fn export_names_are_unique_case_insensitively() {
        let mut n = Names::new();
        assert_eq!(n.unique("01-a.png"), "01-a.png");
        assert_eq!(n.unique("01-A.png"), "01-A-2.png");
        assert_eq!(n.unique("01-a.png"), "01-a-3.png");
        assert_eq!(n.unique("manifest.json"), "manifest-2.json");
        assert_eq!(n.unique("x/y"), "x/y");
        assert_eq!(n.unique("x/y"), "x/y-2");
        assert_eq!(locale_folder("zh-Hans"), "zh-Hans");
        assert_eq!(locale_folder("../ar"), "ar");
        assert_eq!(locale_folder("//"), "locale");
    }
}
