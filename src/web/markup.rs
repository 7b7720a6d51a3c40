//! Canvas work of markup edits: the marks (pen lines, arrows, circles, typed notes) drawn on
//! the visible layer over the image and, when the edit is sent, on a transparent layer **the
//! size of the image** (not of the screen) encoded as PNG — the `markup` part of the edit
//! (reference §17–18: a transparent PNG of marks, same size as the first image, never with a
//! mask).

use crate::web::canvas::{blank, context, to_png};
use web_sys::{Blob, CanvasRenderingContext2d, HtmlCanvasElement};

/// A point in image pixels.
pub type Point = (f64, f64);

/// One mark, in image pixels.
#[derive(Debug, Clone, PartialEq)]
pub enum Mark {
    /// A free-hand line through these points.
    Pen(Vec<Point>),
    /// An arrow from the first point to the second (the head at the second).
    Arrow(Point, Point),
    /// An ellipse in the box dragged from the first point to the second.
    Circle(Point, Point),
    /// A typed note written at a point (its top-left corner).
    Note(Point, String),
}

/// The tool a drag (or a click, for a note) makes a mark with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// Free-hand line.
    Pen,
    /// Arrow.
    Arrow,
    /// Circle (ellipse).
    Circle,
    /// Text note.
    Note,
}

impl Tool {
    /// Every tool, in toolbar order, with its button label.
    pub const ALL: [(Tool, &'static str); 4] = [
        (Tool::Pen, "Pen"),
        (Tool::Arrow, "Arrow"),
        (Tool::Circle, "Circle"),
        (Tool::Note, "Text note"),
    ];
}

/// The marks' colour: a saturated red that reads on most images.
const INK: &str = "#ff1744";
/// The outline of a note's letters, so text reads on a red or busy background too.
const OUTLINE: &str = "#ffffff";

/// Line width for an image of this size: about 0.6 % of its long edge, at least 3 px.
fn line_width(width: f64, height: f64) -> f64 {
    (width.max(height) / 170.0).max(3.0)
}

/// Note text height for an image of this size: about 3.5 % of its long edge.
fn font_px(width: f64, height: f64) -> f64 {
    (width.max(height) / 28.0).max(12.0)
}

fn draw(ctx: &CanvasRenderingContext2d, mark: &Mark, width: f64, height: f64) {
    let lw = line_width(width, height);
    ctx.set_line_width(lw);
    ctx.set_line_cap("round");
    ctx.set_line_join("round");
    ctx.set_stroke_style_str(INK);
    ctx.set_fill_style_str(INK);
    match mark {
        Mark::Pen(points) => {
            let Some(&(x0, y0)) = points.first() else {
                return;
            };
            ctx.begin_path();
            ctx.move_to(x0, y0);
            // A tap leaves a dot.
            ctx.line_to(x0 + 0.01, y0);
            for &(x, y) in &points[1..] {
                ctx.line_to(x, y);
            }
            ctx.stroke();
        }
        Mark::Arrow((x0, y0), (x1, y1)) => {
            ctx.begin_path();
            ctx.move_to(*x0, *y0);
            ctx.line_to(*x1, *y1);
            // The head: two strokes back from the tip at ±28°.
            let angle = (y1 - y0).atan2(x1 - x0);
            let head = lw * 5.0;
            for side in [-0.5_f64, 0.5] {
                let a = angle + std::f64::consts::PI - side;
                ctx.move_to(*x1, *y1);
                ctx.line_to(x1 + head * a.cos(), y1 + head * a.sin());
            }
            ctx.stroke();
        }
        Mark::Circle((x0, y0), (x1, y1)) => {
            let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
            let (rx, ry) = (((x1 - x0) / 2.0).abs(), ((y1 - y0) / 2.0).abs());
            ctx.begin_path();
            let _ = ctx.ellipse(
                cx,
                cy,
                rx.max(1.0),
                ry.max(1.0),
                0.0,
                0.0,
                2.0 * std::f64::consts::PI,
            );
            ctx.stroke();
        }
        Mark::Note((x, y), text) => {
            let px = font_px(width, height);
            ctx.set_font(&format!("bold {px}px sans-serif"));
            ctx.set_text_baseline("top");
            ctx.set_line_width(px / 6.0);
            ctx.set_stroke_style_str(OUTLINE);
            let _ = ctx.stroke_text(text, *x, *y);
            let _ = ctx.fill_text(text, *x, *y);
        }
    }
}

/// Clears `canvas` (sized in image pixels) and draws `marks`, then `live` (the mark being
/// drawn), over it.
pub fn draw_marks(canvas: &HtmlCanvasElement, marks: &[Mark], live: Option<&Mark>) {
    let Some(ctx) = context(canvas) else {
        return;
    };
    let (w, h) = (f64::from(canvas.width()), f64::from(canvas.height()));
    ctx.clear_rect(0.0, 0.0, w, h);
    for mark in marks.iter().chain(live) {
        draw(&ctx, mark, w, h);
    }
}

/// The `markup` part: `marks` on a transparent PNG of `width`×`height` (the image's size).
pub async fn markup_png(width: u32, height: u32, marks: &[Mark]) -> Result<Blob, String> {
    let canvas = blank(width, height)?;
    draw_marks(&canvas, marks, None);
    to_png(&canvas).await
}

/// Whether `marks` mark anything (an empty note marks nothing).
pub fn marks_anything(marks: &[Mark]) -> bool {
    marks.iter().any(|m| match m {
        Mark::Note(_, text) => !text.trim().is_empty(),
        _ => true,
    })
}
