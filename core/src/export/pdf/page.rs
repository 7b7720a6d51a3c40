//! One page's content stream: the grid of panels, each an image fitted in its box with the
//! heading and text lines below, a title at the top and the page number at the bottom.

use super::font;
use super::{JpegInfo, PageLayout, Panel, PanelText, Storyboard};

/// A4 in points.
const A4: (f32, f32) = (595.28, 841.89);
const MARGIN: f32 = 28.35; // 10 mm
const HEADER: f32 = 22.0;
const FOOTER: f32 = 16.0;
const GUTTER: f32 = 14.0;

/// A page's drawing and the images it shows.
pub(super) struct PageContent {
    /// Width and height in points.
    pub size: (f32, f32),
    /// The content stream.
    pub content: Vec<u8>,
    /// Image indices drawn (each needs an `/Im{i}` resource).
    pub images: Vec<usize>,
}

/// Grid and type sizes of a layout: (page size, columns, rows, heading pt, body pt, body lines).
fn geometry(layout: PageLayout) -> ((f32, f32), usize, usize, f32, f32, usize) {
    let landscape = (A4.1, A4.0);
    match layout {
        PageLayout::One => (landscape, 1, 1, 13.0, 10.0, 6),
        PageLayout::TwoByThree => (A4, 2, 3, 9.0, 7.5, 5),
        PageLayout::ThreeByTwo => (landscape, 3, 2, 9.0, 7.5, 5),
    }
}

/// A number as PDF writes it: at most two decimals, no trailing zeros.
pub(super) fn num(v: f32) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

pub(super) fn draw(
    doc: &Storyboard,
    page: usize,
    pages: usize,
    panels: &[Panel],
    first_panel: usize,
    images: &[JpegInfo],
    lossy: &mut Vec<(usize, usize)>,
) -> PageContent {
    let (size, cols, rows, head_pt, body_pt, body_lines) = geometry(doc.layout);
    let mut c = Content::default();
    // Title and page number.
    // Not reported as lossy: the title is also in the metadata, in full Unicode.
    let (title, _) = font::encode(&doc.title);
    let title = font::ellipsize_if(title, 11.0, size.0 - 2.0 * MARGIN);
    c.text(MARGIN, size.1 - MARGIN - 11.0, 11.0, &title);
    let footer = format!("{} / {}", page + 1, pages);
    let fw = font::width(footer.as_bytes(), 8.0);
    c.text(size.0 - MARGIN - fw, MARGIN, 8.0, footer.as_bytes());

    let area_top = size.1 - MARGIN - HEADER;
    let area_h = area_top - (MARGIN + FOOTER);
    let area_w = size.0 - 2.0 * MARGIN;
    let cell_w = (area_w - GUTTER * (cols - 1) as f32) / cols as f32;
    let cell_h = (area_h - GUTTER * (rows - 1) as f32) / rows as f32;
    let (head_lead, body_lead) = (head_pt * 1.25, body_pt * 1.25);
    let text_h = head_lead + body_lead * body_lines as f32 + 4.0;
    let mut used = Vec::new();

    for (k, panel) in panels.iter().enumerate() {
        let (col, row) = (k % cols, k / cols);
        let x = MARGIN + col as f32 * (cell_w + GUTTER);
        let top = area_top - row as f32 * (cell_h + GUTTER);
        let box_h = cell_h - text_h;
        let box_y = top - box_h;
        match panel
            .image
            .and_then(|i| images.get(i).map(|info| (i, info)))
        {
            Some((i, info)) => {
                let (w, h) = fit(info, cell_w, box_h);
                // Centred across, top-aligned so text sits right under the picture row.
                let ix = x + (cell_w - w) / 2.0;
                let iy = top - h;
                c.image(i, ix, iy, w, h);
                c.frame(ix, iy, w, h);
                used.push(i);
            }
            None => {
                c.push(&format!(
                    "0.94 g {} {} {} {} re f 0 g\n",
                    num(x),
                    num(box_y),
                    num(cell_w),
                    num(box_h)
                ));
                let msg = b"no image";
                let mw = font::width(msg, body_pt);
                c.text(x + (cell_w - mw) / 2.0, box_y + box_h / 2.0, body_pt, msg);
            }
        }
        // Heading, then body lines, cut with an ellipsis when they run out of room.
        let panel_index = first_panel + k;
        let mut y = box_y - head_lead;
        let (heading, heading_lossy) = font::encode(&panel.heading);
        if heading_lossy {
            lossy.push((panel_index, 0));
        }
        c.text(x, y, head_pt, &font::ellipsize_if(heading, head_pt, cell_w));
        let mut left = body_lines;
        'lines: for (n, line) in panel.lines.iter().enumerate() {
            match line {
                PanelText::Rendered(i) => {
                    if left == 0 {
                        break;
                    }
                    if let Some(info) = images.get(*i) {
                        y -= body_lead;
                        let (w, h) = fit(info, cell_w, body_lead);
                        c.image(*i, x, y - body_pt * 0.25, w, h);
                        used.push(*i);
                        left -= 1;
                    }
                }
                PanelText::Text(t) => {
                    let (bytes, was_lossy) = font::encode(t);
                    if was_lossy {
                        lossy.push((panel_index, n + 1));
                    }
                    let wrapped = font::wrap(&bytes, body_pt, cell_w);
                    let count = wrapped.len();
                    for (j, l) in wrapped.into_iter().enumerate() {
                        if left == 0 {
                            break 'lines;
                        }
                        y -= body_lead;
                        left -= 1;
                        let more = j + 1 < count || n + 1 < panel.lines.len();
                        let l = if left == 0 && more {
                            font::ellipsize(l, body_pt, cell_w)
                        } else {
                            l
                        };
                        c.text(x, y, body_pt, &l);
                    }
                }
            }
        }
    }
    used.sort_unstable();
    used.dedup();
    PageContent {
        size,
        content: c.0,
        images: used,
    }
}

/// The largest size with the image's aspect ratio inside `w` × `h`.
fn fit(info: &JpegInfo, w: f32, h: f32) -> (f32, f32) {
    let s = (w / info.width as f32).min(h / info.height as f32);
    (info.width as f32 * s, info.height as f32 * s)
}

#[derive(Default)]
struct Content(Vec<u8>);

impl Content {
    fn push(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }

    fn text(&mut self, x: f32, y: f32, size: f32, winansi: &[u8]) {
        self.push(&format!(
            "BT /F1 {} Tf {} {} Td {} Tj ET\n",
            num(size),
            num(x),
            num(y),
            font::literal(winansi)
        ));
    }

    fn image(&mut self, i: usize, x: f32, y: f32, w: f32, h: f32) {
        self.push(&format!(
            "q {} 0 0 {} {} {} cm /Im{i} Do Q\n",
            num(w),
            num(h),
            num(x),
            num(y)
        ));
    }

    fn frame(&mut self, x: f32, y: f32, w: f32, h: f32) {
        self.push(&format!(
            "q 0.75 G 0.5 w {} {} {} {} re S Q\n",
            num(x),
            num(y),
            num(w),
            num(h)
        ));
    }
}
