//! The static share page: one self-contained HTML file that shows a series as a storyboard
//! grid and as a slideshow, with captions. It has **no script at all** (the slideshow is
//! `:target` anchors and CSS), and its Content-Security-Policy allows nothing but inline style
//! and `data:` images, so it cannot reach the network wherever it is opened: from disk, from
//! any static host, or from an email attachment.
//!
//! [`share_page`] returns [`Part`]s: the page's text, with `Part::Data(i)` where image `i`'s
//! `data:` URL goes, so the browser fills in one image at a time and never holds every
//! image's base64 in wasm memory at once.

use crate::export::Part;

/// One panel of the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharePanel {
    /// The frame's title.
    pub title: String,
    /// What happens in it (and its on-image text), shown under the image.
    pub caption: String,
    /// Index of the frame's image among the caller's `data:` URLs ([`data_url`]); `None`
    /// when the frame has no image.
    pub image: Option<usize>,
    /// Alternative text of the image.
    pub alt: String,
}

/// The Content-Security-Policy of every share page: no script, no requests, no forms.
pub const SHARE_CSP: &str = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; \
base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `bytes` as a `data:` URL of type `mime` (standard base64).
pub fn data_url(mime: &str, bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + mime.len() + 20);
    out.push_str("data:");
    out.push_str(mime);
    out.push_str(";base64,");
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

const STYLE: &str = "body{font:16px/1.45 system-ui,sans-serif;margin:0;padding:1.5rem;background:#fafafa;color:#1a1a1a}\
h1{margin:0 0 1rem}.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:1rem}\
figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:8px;overflow:hidden}\
figure img{display:block;width:100%;height:auto}figcaption{padding:.5rem .75rem}\
.slides .slide{display:none;max-width:960px;margin:0 auto}.slides .slide:target{display:block}\
nav.pager{display:flex;justify-content:space-between;padding:.5rem 0}a{color:#0645ad}\
@media (prefers-color-scheme:dark){body{background:#111;color:#eee}figure{background:#1c1c1c;border-color:#333}a{color:#8ab4f8}}";

/// Builds the page's parts, text interleaved with image placeholders.
struct Page {
    parts: Vec<Part>,
    text: String,
}

impl Page {
    fn push(&mut self, t: &str) {
        self.text.push_str(t);
    }

    fn image(&mut self, i: usize) {
        self.parts
            .push(Part::Bytes(std::mem::take(&mut self.text).into_bytes()));
        self.parts.push(Part::Data(i));
    }

    fn img(&mut self, p: &SharePanel) {
        match p.image {
            None => self.push("<p>(no image yet)</p>"),
            Some(i) => {
                self.push("<img src=\"");
                self.image(i);
                self.push(&format!("\" alt=\"{}\">", escape(&p.alt)));
            }
        }
    }
}

/// The page for a series called `name` with `panels` in order: its text, with `Part::Data(i)`
/// where image `i`'s `data:` URL goes (twice per image: the grid and the slideshow).
pub fn share_page(name: &str, panels: &[SharePanel]) -> Vec<Part> {
    let name = escape(name);
    let n = panels.len();
    let mut page = Page {
        parts: Vec::new(),
        text: String::new(),
    };
    page.push(&format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"{SHARE_CSP}\">\n\
<meta name=\"referrer\" content=\"no-referrer\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{name}</title><style>{STYLE}</style></head>\n<body>\n<h1 id=\"grid\">{name}</h1>\n\
<p><a href=\"#slide-1\">Play as a slideshow</a></p>\n<div class=\"grid\">\n"
    ));
    let caption = |number: usize, p: &SharePanel| {
        format!(
            "<figcaption><strong>{number}. {}</strong><br>{}</figcaption></figure>\n",
            escape(&p.title),
            escape(&p.caption)
        )
    };
    for (i, p) in panels.iter().enumerate() {
        let number = i + 1;
        page.push(&format!("<figure><a href=\"#slide-{number}\">"));
        page.img(p);
        page.push("</a>");
        page.push(&caption(number, p));
    }
    page.push("</div>\n<div class=\"slides\">\n");
    for (i, p) in panels.iter().enumerate() {
        let number = i + 1;
        let prev = if number > 1 {
            format!("<a href=\"#slide-{}\">← Previous</a>", number - 1)
        } else {
            "<span></span>".into()
        };
        let next = if number < n {
            format!("<a href=\"#slide-{}\">Next →</a>", number + 1)
        } else {
            "<a href=\"#grid\">Back to the grid</a>".into()
        };
        page.push(&format!(
            "<figure class=\"slide\" id=\"slide-{number}\"><nav class=\"pager\">{prev}<span>{number} / {n}</span>{next}</nav>"
        ));
        page.img(p);
        page.push(&caption(number, p));
    }
    page.push("</div>\n</body></html>\n");
    let rest = std::mem::take(&mut page.text);
    page.parts.push(Part::Bytes(rest.into_bytes()));
    page.parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_share_base64_matches_the_standard() {
        assert_eq!(data_url("image/png", b""), "data:image/png;base64,");
        assert_eq!(data_url("a/b", b"f"), "data:a/b;base64,Zg==");
        assert_eq!(data_url("a/b", b"fo"), "data:a/b;base64,Zm8=");
        assert_eq!(data_url("a/b", b"foobar"), "data:a/b;base64,Zm9vYmFy");
        assert_eq!(data_url("a/b", &[0xFF, 0xFE, 0xFD]), "data:a/b;base64,//79");
    }

    #[test]
    fn export_share_page_has_no_script_and_escapes_text() {
        let panels = vec![
            SharePanel {
                title: "<script>alert(1)</script>".into(),
                caption: "Tea & \"cake\" 开 مرحبا".into(),
                image: Some(0),
                alt: "a'b".into(),
            },
            SharePanel {
                title: "Two".into(),
                caption: String::new(),
                image: None,
                alt: String::new(),
            },
        ];
        let parts = share_page("My <series>", &panels);
        assert_eq!(
            parts.iter().filter(|p| **p == Part::Data(0)).count(),
            2,
            "the image's place in the grid and in the slideshow"
        );
        let url = data_url("image/png", b"x");
        let html = String::from_utf8(crate::export::assemble(&parts, &[url.as_bytes()])).unwrap();
        assert!(html.contains(&format!("<img src=\"{url}\" alt=\"a&#39;b\">")));
        assert!(!html.to_lowercase().contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("Tea &amp; &quot;cake&quot; 开 مرحبا"));
        assert!(html.contains(SHARE_CSP) && SHARE_CSP.starts_with("default-src 'none'"));
        assert!(html.contains("<title>My &lt;series&gt;</title>"));
        assert_eq!(html.matches("<img ").count(), 2, "grid and slide");
        assert!(html.contains("id=\"slide-2\"") && html.contains("(no image yet)"));
        assert!(!html.contains("http://") && !html.contains("https://"));
    }
}
