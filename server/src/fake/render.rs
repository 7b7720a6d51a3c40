//! Draws the fake's images: real pictures of the requested size and format, derived from the
//! prompt and from the request's **place**: how many identical requests (same endpoint and
//! fields) the journal received before it since it was last cleared. Like the model, which
//! has no seed and no determinism (reference §3 and §12), asking again gives another image;
//! like a test rig needs, a run that sends the same requests in the same order gets the same
//! images (the first of each is what the fake has always drawn for it).
//!
//! Generations: a two-colour gradient, a circle, rectangle or triangle, and the prompt's first
//! words in a band, all chosen by a hash of the prompt and the place; variant `k` shifts the
//! shape.
//!
//! Edits behave like a model that mostly obeys (gpt-image-2 reads every input at high
//! fidelity, so an edit keeps the first image's look):
//! - with a mask, the first input (resized, nearest neighbour) is repainted inside the masked
//!   area only (tinted, with the shape and a band of prompt words): pixels whose mask alpha is
//!   255 stay exactly as in the first input;
//! - without one, only a region chosen from the prompt (a ninth of the image) is repainted; the
//!   rest keeps the first input's pixels, so its palette and layout hold;
//! - a prompt carrying [`DRIFT_MARKER`] makes the edit drift as a disobedient model does: the
//!   whole image is repainted in other colours (its light-and-dark layout kept), mask or not
//!   (the reference calls the mask a guide, not a constraint).

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::codecs::webp::WebPEncoder;
use image::{ExtendedColorType, ImageEncoder, RgbaImage};
use sha2::{Digest, Sha256};

use super::canvas::{composite_through_mask, hsv, pixelate, resize_nearest, Canvas, Region, Shape};
use super::faults::strip_markers;
use super::font;
use super::job::{EditSource, Job, OutputFormat};

/// A prompt marker that makes an edit drift: the whole image repainted in other colours.
pub const DRIFT_MARKER: &str = "[[drift]]";

/// The encoded images of a job.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// One encoded image per requested image (`n`).
    pub images: Vec<Vec<u8>>,
    /// For streams: `partials[k]` are the partial images of image `k`, coarse to fine.
    pub partials: Vec<Vec<Vec<u8>>>,
}

/// Renders and encodes every image of the job (CPU work: call from a blocking thread).
/// `place` is how many identical requests came before this one (0 for the first).
pub fn render(job: &Job, place: u32) -> Result<Rendered, String> {
    let scene = Scene::new(job, place);
    let mut images = Vec::with_capacity(job.n as usize);
    let mut partials = Vec::new();
    for k in 0..job.n {
        match job.format {
            OutputFormat::Svg => images.push(svg(job, &scene).into_bytes()),
            OutputFormat::Gif => images.push(gif(job, &scene, k)?),
            _ => {
                let img = draw(job, &scene, k, 0);
                if job.stream && job.partial_images > 0 {
                    let steps = (0..job.partial_images)
                        .map(|i| {
                            // Coarse to fine: blocks of 4·2^(P-1-i) pixels, last partial finest.
                            let block = 4u32 << (job.partial_images - 1 - i);
                            encode(&pixelate(&img, block), job)
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    partials.push(steps);
                }
                images.push(encode(&img, job)?);
            }
        }
    }
    Ok(Rendered { images, partials })
}

/// Colours, shape and words chosen from the prompt.
struct Scene {
    top: [u8; 3],
    bottom: [u8; 3],
    accent: [u8; 3],
    shape: Shape,
    /// Shape centre as fractions of the canvas.
    centre: (f32, f32),
    words: String,
    /// The region an edit without a mask repaints, as fractions of the canvas.
    region: Region,
    /// The edit drifts ([`DRIFT_MARKER`]).
    drift: bool,
}

impl Scene {
    fn new(job: &Job, place: u32) -> Self {
        let drift = job.prompt.contains(DRIFT_MARKER);
        let prompt = strip_markers(&job.prompt).replace(DRIFT_MARKER, "");
        let mut hasher = Sha256::new();
        hasher.update(prompt.as_bytes());
        if place > 0 {
            // Another image for a repeated request; the first keeps the prompt's own.
            hasher.update(b"\0place");
            hasher.update(place.to_le_bytes());
        }
        let h: [u8; 32] = hasher.finalize().into();
        let hue = f32::from(h[0]) / 255.0 * 360.0;
        let words: String = prompt
            .split_whitespace()
            .take(4)
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(28)
            .collect();
        Self {
            top: hsv(hue, 0.45, 0.95),
            bottom: hsv(hue + 40.0 + f32::from(h[1] % 60), 0.65, 0.55),
            accent: hsv(hue + 180.0, 0.85, 0.9),
            shape: [Shape::Circle, Shape::Rect, Shape::Triangle][usize::from(h[3] % 3)],
            centre: (
                0.3 + 0.4 * f32::from(h[4]) / 255.0,
                0.45 + 0.2 * f32::from(h[5]) / 255.0,
            ),
            words: if words.is_empty() {
                "(no words)".into()
            } else {
                words
            },
            region: Region::third(f32::from(h[6]) / 255.0, f32::from(h[7]) / 255.0),
            drift,
        }
    }
}

/// Draws variant `k` (of `job.n`) at animation phase `phase` (GIF frames).
fn draw(job: &Job, scene: &Scene, k: u32, phase: u32) -> RgbaImage {
    let (w, h) = (job.width, job.height);
    let mut canvas = match &job.source {
        None => generation(job, scene, k, phase),
        Some(src) => edit(job, scene, src, k, phase),
    };
    if job.n > 1 {
        // Top-right corner, small enough to stay above the generation's word band.
        let min = w.min(h) as f32;
        let label = format!("{}/{}", k + 1, job.n);
        let scale = ((min / 120.0) as u32).max(1);
        let tw = font::text_width(&label) * scale;
        canvas.text(
            &label,
            w.saturating_sub(tw + 2 * scale),
            scale,
            scale,
            [255; 3],
        );
    }
    RgbaImage::from_raw(w, h, canvas.pixels).unwrap_or_else(|| RgbaImage::new(w, h))
}

/// How far variant `k` at phase `phase` shifts the shape, so variants differ visibly.
fn shift(job: &Job, k: u32, phase: u32) -> f32 {
    job.width.min(job.height) as f32 * 0.07 * (k + phase) as f32
}

/// A generation: gradient, shape and the prompt's words near the top.
fn generation(job: &Job, scene: &Scene, k: u32, phase: u32) -> Canvas {
    let (w, h) = (job.width, job.height);
    let mut canvas = Canvas::new(w, h);
    canvas.gradient(
        scene.top,
        scene.bottom,
        if job.transparent { 0 } else { 255 },
    );
    let cx = (scene.centre.0 * w as f32 + shift(job, k, phase)) % w as f32;
    let cy = scene.centre.1 * h as f32;
    canvas.shape(scene.shape, cx, cy, w.min(h) as f32 * 0.22, scene.accent);
    canvas.words(&scene.words, false);
    canvas
}

/// An edit of the first input image (see the module documentation).
fn edit(job: &Job, scene: &Scene, src: &EditSource, k: u32, phase: u32) -> Canvas {
    let (w, h) = (job.width, job.height);
    let base = resize_nearest(&src.first, w, h);
    let mut canvas = Canvas::new(w, h);
    canvas.pixels = base.as_raw().clone();
    if let Some(markup) = &src.markup {
        canvas.overlay(&resize_nearest(markup, w, h));
    }
    let min = w.min(h) as f32;
    match (&src.mask, scene.drift) {
        (Some(mask), false) => {
            // Repainted inside the mask only: the rest is the first input, pixel for pixel.
            let kept = canvas.pixels.clone();
            canvas.tint(scene.accent, 90);
            let cx = (scene.centre.0 * w as f32 + shift(job, k, phase)) % w as f32;
            canvas.shape(
                scene.shape,
                cx,
                scene.centre.1 * h as f32,
                min * 0.12,
                scene.accent,
            );
            canvas.words(&scene.words, true);
            let mut out =
                RgbaImage::from_raw(w, h, canvas.pixels).unwrap_or_else(|| RgbaImage::new(w, h));
            let original = RgbaImage::from_raw(w, h, kept).unwrap_or_else(|| RgbaImage::new(w, h));
            composite_through_mask(&mut out, &original, &resize_nearest(mask, w, h));
            canvas.pixels = out.into_raw();
        }
        (_, drift) => {
            if drift {
                canvas.recolour(scene.accent);
            }
            // One region repainted: the prompt's change, the rest kept.
            let (x0, y0, x1, y1) = scene.region.pixels(w, h);
            let (rw, rh) = (x1 - x0, y1 - y0);
            canvas.tint_rect(x0, y0, x1, y1, scene.accent, 90);
            let dx = shift(job, k, phase) * 0.3;
            let cx = x0 as f32 + (rw as f32 / 2.0 + dx) % rw.max(1) as f32;
            let cy = y0 as f32 + rh as f32 * 0.45;
            canvas.shape(scene.shape, cx, cy, rw.min(rh) as f32 * 0.3, scene.accent);
            canvas.words_in(&scene.words, x0, y1.saturating_sub(rh / 5), rw, rh / 6);
        }
    }
    canvas
}

/// Encodes one image in the job's raster format (PNG, JPEG or WebP).
fn encode(img: &RgbaImage, job: &Job) -> Result<Vec<u8>, String> {
    let (w, h) = img.dimensions();
    let mut out = Vec::new();
    let keep_alpha =
        job.transparent && matches!(job.format, OutputFormat::Png | OutputFormat::Webp);
    let rgb;
    let (data, color) = if keep_alpha {
        (img.as_raw().as_slice(), ExtendedColorType::Rgba8)
    } else {
        rgb = img
            .as_raw()
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect::<Vec<u8>>();
        (rgb.as_slice(), ExtendedColorType::Rgb8)
    };
    let result = match job.format {
        // Fast deflate and the Sub filter: gradients compress well and 4K stays quick.
        OutputFormat::Png => {
            PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Sub)
                .write_image(data, w, h, color)
        }
        OutputFormat::Jpeg => {
            let quality = job.compression.unwrap_or(100).clamp(1, 100);
            JpegEncoder::new_with_quality(&mut out, quality).write_image(data, w, h, color)
        }
        // The encoder is lossless only, so output_compression has no effect on WebP.
        OutputFormat::Webp => WebPEncoder::new_lossless(&mut out).write_image(data, w, h, color),
        OutputFormat::Gif | OutputFormat::Svg => return Err("not a raster format".into()),
    };
    result.map_err(|e| format!("encoding failed: {e}"))?;
    Ok(out)
}

/// An animated GIF: `frames` frames in a fixed 3-3-2 palette, the shape moving each frame.
fn gif(job: &Job, scene: &Scene, k: u32) -> Result<Vec<u8>, String> {
    let (w, h) = (
        u16::try_from(job.width).map_err(|_| "width too large for GIF")?,
        u16::try_from(job.height).map_err(|_| "height too large for GIF")?,
    );
    let palette: Vec<u8> = (0..=255u8)
        .flat_map(|i| {
            let level = |v: u8, max: u16| (u16::from(v) * 255 / max) as u8;
            [level(i >> 5, 7), level((i >> 2) & 7, 7), level(i & 3, 3)]
        })
        .collect();
    let mut out = Vec::new();
    {
        let mut encoder = gif::Encoder::new(&mut out, w, h, &palette).map_err(|e| e.to_string())?;
        encoder
            .set_repeat(gif::Repeat::Infinite)
            .map_err(|e| e.to_string())?;
        for phase in 0..job.gif.frames {
            let img = draw(job, scene, k, phase);
            let indices: Vec<u8> = img
                .pixels()
                .map(|p| (p[0] & 0xE0) | ((p[1] >> 3) & 0x1C) | (p[2] >> 6))
                .collect();
            let frame = gif::Frame {
                width: w,
                height: h,
                delay: (job.gif.frame_ms / 10) as u16,
                buffer: indices.into(),
                ..gif::Frame::default()
            };
            encoder.write_frame(&frame).map_err(|e| e.to_string())?;
        }
    }
    Ok(out)
}

/// A small valid SVG with the same scene.
fn svg(job: &Job, scene: &Scene) -> String {
    let (w, h) = (job.width as f32, job.height as f32);
    let hex = |c: [u8; 3]| format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2]);
    let r = w.min(h) * 0.22;
    let (cx, cy) = (scene.centre.0 * w, scene.centre.1 * h);
    let shape = match scene.shape {
        Shape::Circle => format!(
            r#"<circle cx="{cx:.0}" cy="{cy:.0}" r="{r:.0}" fill="{}"/>"#,
            hex(scene.accent)
        ),
        Shape::Rect => format!(
            r#"<rect x="{:.0}" y="{:.0}" width="{:.0}" height="{:.0}" fill="{}"/>"#,
            cx - r * 1.25,
            cy - r,
            r * 2.5,
            r * 2.0,
            hex(scene.accent)
        ),
        Shape::Triangle => format!(
            r#"<polygon points="{cx:.0},{:.0} {:.0},{:.0} {:.0},{:.0}" fill="{}"/>"#,
            cy - r,
            cx - r * 1.15,
            cy + r,
            cx + r * 1.15,
            cy + r,
            hex(scene.accent)
        ),
    };
    let font_size = (h * 0.06).max(12.0);
    format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">"#,
            r#"<defs><linearGradient id="bg" x1="0" y1="0" x2="0" y2="1">"#,
            r#"<stop offset="0" stop-color="{top}"/><stop offset="1" stop-color="{bottom}"/></linearGradient></defs>"#,
            r#"<rect width="100%" height="100%" fill="url(#bg)"/>{shape}"#,
            r#"<text x="50%" y="{ty:.0}" text-anchor="middle" font-family="monospace" font-size="{fs:.0}" fill="white">{words}</text>"#,
            "</svg>"
        ),
        w = job.width,
        h = job.height,
        top = hex(scene.top),
        bottom = hex(scene.bottom),
        shape = shape,
        ty = h * 0.15,
        fs = font_size,
        words = xml_escape(&scene.words),
    )
}

fn xml_escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&apos;".to_string(),
            c if c.is_control() => " ".to_string(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_svg_text() {
        assert_eq!(xml_escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
