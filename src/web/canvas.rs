//! Canvas: the only module that draws on one. The mask painter's strokes are drawn twice: on
//! the visible overlay (a translucent colour over the image) and, when the edit is sent, on a
//! mask of the image's size whose painted area is fully transparent — what OpenAI's `mask`
//! expects (`continuity_core::pixels::mask` documents the rule). The strokes are drawn here
//! (vector work, fast) and the painted area goes to the pixel worker as a transferred
//! `ImageBitmap`, which encodes the mask PNG off the main thread; where the worker cannot run,
//! the browser encodes it here asynchronously (`toBlob`).

use js_sys::Promise;
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, CanvasRenderingContext2d, HtmlCanvasElement};

/// One stroke of the mask brush, in image pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Stroke {
    /// The points the pointer went through.
    pub points: Vec<(f64, f64)>,
    /// Brush diameter in image pixels.
    pub size: f64,
    /// An eraser stroke removes paint instead of adding it.
    pub erase: bool,
}

/// What the mask painter has drawn: the strokes (in image pixels) and whether it is inverted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mask {
    /// Strokes, oldest first.
    pub strokes: Vec<Stroke>,
    /// Paint everything except the strokes.
    pub inverted: bool,
}

/// The colour painted areas show in on the overlay.
const OVERLAY: &str = "rgba(229, 57, 53, 0.45)";

/// The 2d context of a canvas.
pub(crate) fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into().ok())
}

fn trace(ctx: &CanvasRenderingContext2d, stroke: &Stroke) {
    ctx.set_line_width(stroke.size);
    ctx.set_line_cap("round");
    ctx.set_line_join("round");
    ctx.begin_path();
    let Some(&(x0, y0)) = stroke.points.first() else {
        return;
    };
    ctx.move_to(x0, y0);
    if stroke.points.len() == 1 {
        // A tap paints a dot.
        ctx.line_to(x0 + 0.01, y0);
    }
    for &(x, y) in &stroke.points[1..] {
        ctx.line_to(x, y);
    }
    ctx.stroke();
}

/// Draws every stroke, in order, as paint over a cleared canvas (`inverted`: everything is
/// painted except what the strokes cover). `colour` is the paint.
fn paint(
    ctx: &CanvasRenderingContext2d,
    width: f64,
    height: f64,
    strokes: &[Stroke],
    inverted: bool,
    colour: &str,
) {
    ctx.set_global_composite_operation("source-over").ok();
    ctx.clear_rect(0.0, 0.0, width, height);
    ctx.set_stroke_style_str(colour);
    ctx.set_fill_style_str(colour);
    if inverted {
        ctx.fill_rect(0.0, 0.0, width, height);
    }
    for s in strokes {
        let removes = s.erase != inverted;
        ctx.set_global_composite_operation(if removes {
            "destination-out"
        } else {
            "source-over"
        })
        .ok();
        trace(ctx, s);
    }
    ctx.set_global_composite_operation("source-over").ok();
}

/// Redraws the visible overlay from the strokes.
pub fn draw_overlay(canvas: &HtmlCanvasElement, strokes: &[Stroke], inverted: bool) {
    if let Some(ctx) = context(canvas) {
        paint(
            &ctx,
            canvas.width() as f64,
            canvas.height() as f64,
            strokes,
            inverted,
            OVERLAY,
        );
    }
}

/// The mask for OpenAI, a PNG of `width`×`height`: painted pixels fully transparent (alpha 0,
/// "edit here"), the rest opaque white. Encoded in the pixel worker; here if it cannot run.
pub async fn mask_png(
    width: u32,
    height: u32,
    strokes: &[Stroke],
    inverted: bool,
) -> Result<Blob, String> {
    let canvas = blank(width, height)?;
    let ctx = context(&canvas).ok_or("no 2d context")?;
    // The coverage: painted where the canvas is opaque.
    paint(&ctx, width as f64, height as f64, strokes, inverted, "#000");
    encode_mask(&canvas, &ctx, width, height).await
}

/// The mask for OpenAI of a rectangle (`x`, `y`, `w`, `h` in image pixels of a
/// `width`×`height` image): transparent inside ("edit here"), opaque white elsewhere.
pub async fn region_mask_png(
    width: u32,
    height: u32,
    (x, y, w, h): (u32, u32, u32, u32),
) -> Result<Blob, String> {
    let canvas = blank(width, height)?;
    let ctx = context(&canvas).ok_or("no 2d context")?;
    ctx.set_fill_style_str("#000");
    ctx.fill_rect(f64::from(x), f64::from(y), f64::from(w), f64::from(h));
    encode_mask(&canvas, &ctx, width, height).await
}

/// Encodes the coverage drawn on `canvas` (opaque where the edit may change) as OpenAI's mask.
async fn encode_mask(
    canvas: &HtmlCanvasElement,
    ctx: &CanvasRenderingContext2d,
    width: u32,
    height: u32,
) -> Result<Blob, String> {
    if let Some(png) = mask_in_worker(canvas, width, height).await {
        return Ok(png);
    }
    // Turn the coverage into "opaque white except where painted" and encode it here.
    ctx.set_global_composite_operation("source-out").ok();
    ctx.set_fill_style_str("#fff");
    ctx.fill_rect(0.0, 0.0, width as f64, height as f64);
    ctx.set_global_composite_operation("source-over").ok();
    to_png(canvas).await
}

/// A detached canvas of `width`×`height`, transparent.
pub(crate) fn blank(width: u32, height: u32) -> Result<HtmlCanvasElement, String> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let canvas: HtmlCanvasElement = document
        .create_element("canvas")
        .map_err(|_| "no canvas")?
        .unchecked_into();
    canvas.set_width(width);
    canvas.set_height(height);
    Ok(canvas)
}

/// The mask PNG from the worker (`None`: the worker is unavailable or refused; the caller
/// encodes it itself).
async fn mask_in_worker(canvas: &HtmlCanvasElement, width: u32, height: u32) -> Option<Blob> {
    let window = web_sys::window()?;
    let bitmap: web_sys::ImageBitmap = JsFuture::from(
        window
            .create_image_bitmap_with_html_canvas_element(canvas)
            .ok()?,
    )
    .await
    .ok()?
    .unchecked_into();
    crate::web::worker::mask(bitmap, width, height).await.ok()
}

/// Encodes a canvas as PNG (asynchronously, off the main thread).
pub(crate) async fn to_png(canvas: &HtmlCanvasElement) -> Result<Blob, String> {
    let mut resolve_blob: Option<js_sys::Function> = None;
    let promise = Promise::new(&mut |resolve, _| resolve_blob = Some(resolve));
    let resolve = resolve_blob.expect("promise executor runs at once");
    let callback = Closure::once_into_js(move |blob: JsValue| {
        let _ = resolve.call1(&JsValue::NULL, &blob);
    });
    canvas
        .to_blob(callback.unchecked_ref())
        .map_err(|_| "the mask could not be encoded")?;
    let blob = JsFuture::from(promise)
        .await
        .map_err(|_| "the mask could not be encoded")?;
    blob.dyn_into::<Blob>()
        .map_err(|_| "the mask could not be encoded".to_string())
}

/// Whether any pixel is painted (a mask that paints nothing would change nothing).
pub fn paints_anything(strokes: &[Stroke], inverted: bool) -> bool {
    inverted || strokes.iter().any(|s| !s.erase)
}
