//! The static share page: one self-contained HTML file that shows a series as a storyboard
//! grid and as a slideshow, with captions. It has **no script at all** (the slideshow is
//! `:target` anchors and CSS), and its Content-Security-Policy allows nothing but inline style
//! and `data:` images, so it cannot reach the network wherever it is opened: from disk, from
//! any static host, or from an email attachment.

/// One panel of the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharePanel {
    /// The frame's title.
    pub title: String,
    /// What happens in it (and its on-image text), shown under the image.
    pub caption: String,
    /// The image as a `data:` URL ([`data_url`]); empty when the frame has no image.
    pub src: String,
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

/// The page for a series called `name` with `panels` in order.
pub fn share_page(name: &str, panels: &[SharePanel]) -> String {
    let name = escape(name);
    let mut grid = String::new();
    let mut slides = String::new();
    let n = panels.len();
    for (i, p) in panels.iter().enumerate() {
        let number = i + 1;
        let title = escape(&p.title);
        let caption = escape(&p.caption);
        let img = if p.src.is_empty() {
            String::from("<p>(no image yet)</p>")
        } else {
            format!(
                "<img src=\"{}\" alt=\"{}\">",
                escape(&p.src),
                escape(&p.alt)
            )
        };
        grid.push_str(&format!(
            "<figure><a href=\"#slide-{number}\">{img}</a><figcaption><strong>{number}. {title}</strong><br>{caption}</figcaption></figure>\n"
        ));
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
        slides.push_str(&format!(
            "<figure class=\"slide\" id=\"slide-{number}\"><nav class=\"pager\">{prev}<span>{number} / {n}</span>{next}</nav>{img}<figcaption><strong>{number}. {title}</strong><br>{caption}</figcaption></figure>\n"
        ));
    }
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"{SHARE_CSP}\">\n\
<meta name=\"referrer\" content=\"no-referrer\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{name}</title><style>{STYLE}</style></head>\n<body>\n<h1 id=\"grid\">{name}</h1>\n\
<p><a href=\"#slide-1\">Play as a slideshow</a></p>\n<div class=\"grid\">\n{grid}</div>\n\
<div class=\"slides\">\n{slides}</div>\n</body></html>\n"
    )
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
                src: data_url("image/png", b"x"),
                alt: "a'b".into(),
            },
            SharePanel {
                title: "Two".into(),
                caption: String::new(),
                src: String::new(),
                alt: String::new(),
            },
        ];
        let html = share_page("My <series>", &panels);
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
