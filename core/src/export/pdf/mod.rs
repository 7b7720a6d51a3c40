//! The storyboard PDF: A4 pages of panels (1, 2×3 or 3×2 per page), each a JPEG image with the
//! frame's heading and text lines (shot spec, caption, on-image text) below it.
//!
//! Hand-written (PDF 1.4, about 400 lines) because a PDF crate would be far heavier than what
//! a storyboard needs. The images are never copied: [`storyboard`] returns [`Part`]s in which
//! image `i`'s JPEG bytes are `Part::Data(i)`, and every offset (the xref table) is computed
//! from the lengths the caller declares in [`JpegInfo`]. JPEGs go in as they are
//! (`/DCTDecode`), so the PDF costs no re-encoding.
//!
//! Text uses the standard Helvetica font, which covers WinAnsi (Latin) only; see [`font`] for
//! what happens to other scripts and how the caller can pass pre-rendered text lines instead.

pub mod font;
mod jpeg;
mod page;

#[cfg(test)]
mod tests;

pub use jpeg::{jpeg_info, JpegInfo};

use crate::export::Part;
use std::fmt;

/// Panels per page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageLayout {
    /// One large panel per page, A4 landscape.
    One,
    /// 2 columns × 3 rows, A4 portrait (suits square and portrait images).
    TwoByThree,
    /// 3 columns × 2 rows, A4 landscape (suits landscape images).
    ThreeByTwo,
}

impl PageLayout {
    /// Panels on one page.
    pub fn per_page(self) -> usize {
        match self {
            PageLayout::One => 1,
            _ => 6,
        }
    }
}

/// A line of text under a panel's image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PanelText {
    /// Drawn in Helvetica, wrapped to the panel width (see [`font::encode`] for characters
    /// outside WinAnsi).
    Text(String),
    /// A line the browser drew on a canvas (any script), as image `i` of the image list,
    /// scaled to the line height.
    Rendered(usize),
}

/// One frame's panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panel {
    /// Index of the frame's JPEG in the image list; `None`: an empty box marked "no image".
    pub image: Option<usize>,
    /// The heading, e.g. "01 · Hook".
    pub heading: String,
    /// Lines below it: shot spec, caption, on-image text.
    pub lines: Vec<PanelText>,
}

/// The whole storyboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Storyboard {
    /// Document title: at the top of every page and in the file's metadata.
    pub title: String,
    /// Panels per page.
    pub layout: PageLayout,
    /// Panels in order.
    pub panels: Vec<Panel>,
}

/// The PDF as parts, and what the caller may want to tell the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfOutput {
    /// Bytes and image placeholders, in file order.
    pub parts: Vec<Part>,
    /// Number of pages.
    pub pages: usize,
    /// `(panel, line)` of text lines drawn with markers for characters Helvetica lacks
    /// (line 0 is the heading, line k ≥ 1 is `lines[k - 1]`).
    pub lossy_lines: Vec<(usize, usize)>,
}

/// Why a PDF cannot be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PdfError {
    /// No panels.
    Empty,
    /// A panel refers to an image the list does not have.
    MissingImage(usize),
    /// An image with no pixels or an unsupported colour model (CMYK).
    BadImage(usize),
}

impl fmt::Display for PdfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PdfError::Empty => write!(f, "the storyboard has no frames"),
            PdfError::MissingImage(i) => write!(f, "image {i} is not in the image list"),
            PdfError::BadImage(i) => write!(
                f,
                "image {i} is not a JPEG the PDF can embed (no pixels, or CMYK colour)"
            ),
        }
    }
}

impl std::error::Error for PdfError {}

/// Writes the storyboard. `images[i]` describes the caller's JPEG `i` (its bytes are placed
/// where `Part::Data(i)` appears); only images a panel uses are embedded.
pub fn storyboard(doc: &Storyboard, images: &[JpegInfo]) -> Result<PdfOutput, PdfError> {
    if doc.panels.is_empty() {
        return Err(PdfError::Empty);
    }
    // Which images are used, each embedded once, in index order.
    let mut used: Vec<usize> = doc
        .panels
        .iter()
        .flat_map(|p| {
            p.image
                .into_iter()
                .chain(p.lines.iter().filter_map(|l| match l {
                    PanelText::Rendered(i) => Some(*i),
                    PanelText::Text(_) => None,
                }))
        })
        .collect();
    used.sort_unstable();
    used.dedup();
    for &i in &used {
        let info = images.get(i).ok_or(PdfError::MissingImage(i))?;
        if info.width == 0 || info.height == 0 || !matches!(info.components, 1 | 3) {
            return Err(PdfError::BadImage(i));
        }
    }

    let per_page = doc.layout.per_page();
    let pages = doc.panels.len().div_ceil(per_page);
    // Object numbers: 1 catalog, 2 page tree, 3 font, 4 info, then images, then per page
    // the page and its content stream.
    let image_obj = |i: usize| 5 + used.binary_search(&i).unwrap_or(0);
    let first_page = 5 + used.len();
    let page_obj = |p: usize| first_page + 2 * p;

    let mut w = Writer::default();
    w.raw(b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");
    w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>");
    let kids: Vec<String> = (0..pages).map(|p| format!("{} 0 R", page_obj(p))).collect();
    w.obj(
        2,
        &format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} >>",
            kids.join(" ")
        ),
    );
    w.obj(
        3,
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    );
    w.obj(
        4,
        &format!(
            "<< /Title {} /Producer (Continuity) >>",
            font::utf16_hex(&doc.title)
        ),
    );
    for &i in &used {
        let info = &images[i];
        let space = if info.components == 1 {
            "DeviceGray"
        } else {
            "DeviceRGB"
        };
        w.start(image_obj(i));
        w.raw(
            format!(
                "<< /Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /{space} \
                 /BitsPerComponent 8 /Filter /DCTDecode /Length {} >>\nstream\n",
                info.width, info.height, info.len
            )
            .as_bytes(),
        );
        w.data(i, info.len);
        w.raw(b"\nendstream\nendobj\n");
    }
    let mut lossy = Vec::new();
    for (p, chunk) in doc.panels.chunks(per_page).enumerate() {
        let page = page::draw(doc, p, pages, chunk, p * per_page, images, &mut lossy);
        let xobjects: String = page
            .images
            .iter()
            .map(|&i| format!("/Im{i} {} 0 R", image_obj(i)))
            .collect::<Vec<_>>()
            .join(" ");
        w.obj(
            page_obj(p),
            &format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] /Resources << /Font << /F1 3 0 R >> /XObject << {xobjects} >> >> /Contents {} 0 R >>",
                page::num(page.size.0),
                page::num(page.size.1),
                page_obj(p) + 1
            ),
        );
        w.start(page_obj(p) + 1);
        w.raw(format!("<< /Length {} >>\nstream\n", page.content.len()).as_bytes());
        w.raw(&page.content);
        w.raw(b"\nendstream\nendobj\n");
    }
    Ok(PdfOutput {
        parts: w.finish(),
        pages,
        lossy_lines: lossy,
    })
}

/// Accumulates parts and the byte offset of every object.
#[derive(Default)]
struct Writer {
    parts: Vec<Part>,
    cur: Vec<u8>,
    /// Bytes in `parts` (made bytes plus declared image lengths).
    done: u64,
    offsets: Vec<u64>,
}

impl Writer {
    fn raw(&mut self, b: &[u8]) {
        self.cur.extend_from_slice(b);
    }

    fn pos(&self) -> u64 {
        self.done + self.cur.len() as u64
    }

    fn start(&mut self, num: usize) {
        if self.offsets.len() <= num {
            self.offsets.resize(num + 1, 0);
        }
        self.offsets[num] = self.pos();
        self.raw(format!("{num} 0 obj\n").as_bytes());
    }

    fn obj(&mut self, num: usize, body: &str) {
        self.start(num);
        self.raw(body.as_bytes());
        self.raw(b"\nendobj\n");
    }

    fn data(&mut self, i: usize, len: u64) {
        self.done += self.cur.len() as u64;
        self.parts.push(Part::Bytes(std::mem::take(&mut self.cur)));
        self.parts.push(Part::Data(i));
        self.done += len;
    }

    fn finish(mut self) -> Vec<Part> {
        let xref = self.pos();
        let n = self.offsets.len();
        let mut t = format!("xref\n0 {n}\n0000000000 65535 f \n");
        for &o in &self.offsets[1..] {
            t.push_str(&format!("{o:010} 00000 n \n"));
        }
        t.push_str(&format!(
            "trailer\n<< /Size {n} /Root 1 0 R /Info 4 0 R >>\nstartxref\n{xref}\n%%EOF\n"
        ));
        self.raw(t.as_bytes());
        self.parts.push(Part::Bytes(self.cur));
        self.parts
    }
}
