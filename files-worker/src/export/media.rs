//! The picture exports: the contact sheet (PNG), the storyboard PDF (JPEG panels) and the
//! animatic GIF. The browser decodes, scales and encodes; the pure writers lay out the sheet
//! and write the PDF and GIF. One image's pixels are in wasm memory at a time (the GIF's);
//! JPEGs go into the PDF as `Blob`s.

use super::raster::{self, blob_of_parts, FilePart};
use super::{caption, file_stem, Finished, Steps, Stop};
use continuity_core::export::contact_sheet::{layout, SheetOptions};
use continuity_core::export::gif::{delay_cs, GifEncoder, GifOptions, PaletteMode};
use continuity_core::export::pdf::{
    jpeg_info, storyboard, PageLayout, Panel, PanelText, Storyboard,
};
use continuity_core::export::Part;
use continuity_core::model::{Frame, Series, Version};
use std::collections::HashMap;
use web_sys::Blob;

/// Frames (with their number) whose active image is stored.
fn shown<'a>(
    series: &'a Series,
    images: &'a HashMap<String, Blob>,
) -> Vec<(usize, &'a Frame, &'a Version, &'a Blob)> {
    series
        .frames
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let v = series.active(f)?;
            Some((i + 1, f, v, images.get(&v.image.hash)?))
        })
        .collect()
}

fn size_of(v: &Version) -> (u32, u32) {
    match (v.image.width, v.image.height) {
        (0, _) | (_, 0) => (1024, 1024),
        wh => wh,
    }
}

fn clip(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_string();
    }
    let mut s: String = text.chars().take(chars.saturating_sub(1)).collect();
    s.push('…');
    s
}

fn no_images() -> Stop {
    Stop::Failed("No frame has an image yet, so there is nothing to export.".into())
}

/// The `pdfLayout` field: `"1"`, `"2x3"` or `"3x2"`.
pub fn page_layout(text: &str) -> Result<PageLayout, String> {
    match text {
        "1" => Ok(PageLayout::One),
        "2x3" => Ok(PageLayout::TwoByThree),
        "3x2" => Ok(PageLayout::ThreeByTwo),
        other => Err(format!(
            "unknown PDF layout \"{other}\" (expected \"1\", \"2x3\" or \"3x2\")"
        )),
    }
}

/// The contact sheet: active images in a grid with frame numbers and captions, as PNG.
pub async fn contact_sheet(
    series: &Series,
    images: &HashMap<String, Blob>,
    steps: &Steps,
) -> Result<Finished, Stop> {
    let frames = shown(series, images);
    if frames.is_empty() {
        return Err(no_images());
    }
    let sizes: Vec<(u32, u32)> = frames.iter().map(|(_, _, v, _)| size_of(v)).collect();
    let sheet = layout(&sizes, &SheetOptions::default()).map_err(|e| e.to_string())?;
    let (canvas, context) = raster::canvas(sheet.width, sheet.height, "#ffffff")?;
    let total = sheet.cells.len() + 1;
    let font = f64::from(sheet.font_px);
    for (k, cell) in sheet.cells.iter().enumerate() {
        steps.step(k, total)?;
        let (number, frame, _, blob) = frames[cell.index];
        let bitmap = raster::decode(blob, cell.image.width, cell.image.height).await?;
        context
            .draw_image_with_image_bitmap(&bitmap, f64::from(cell.image.x), f64::from(cell.image.y))
            .map_err(|_| "an image could not be drawn".to_string())?;
        bitmap.close();
        // About 0.55 em per character of a sans-serif font.
        let chars = (f64::from(cell.caption.width) / (font * 0.55)).max(4.0) as usize;
        context.set_fill_style_str("#111111");
        context.set_font(&format!("600 {}px system-ui, sans-serif", sheet.font_px));
        let heading = clip(&format!("{number:02} · {}", frame.title), chars);
        let (x, y) = (f64::from(cell.caption.x), f64::from(cell.caption.y));
        let _ = context.fill_text(&heading, x, y + font);
        context.set_fill_style_str("#444444");
        context.set_font(&format!("{}px system-ui, sans-serif", sheet.font_px));
        let _ = context.fill_text(&clip(&caption(frame), chars), x, y + font * 2.2);
    }
    let blob = raster::encode(&canvas, "image/png", 1.0).await?;
    steps.step(total, total)?;
    Ok(Finished {
        blob,
        file_name: format!("{}-contact-sheet.png", file_stem(series)),
        warnings: Vec::new(),
    })
}

fn shot_line(frame: &Frame) -> String {
    let s = &frame.shot;
    [
        &s.shot_size,
        &s.camera_angle,
        &s.setting,
        &s.lighting,
        &s.mood,
    ]
    .iter()
    .map(|t| t.trim())
    .filter(|t| !t.is_empty())
    .collect::<Vec<_>>()
    .join(" · ")
}

/// The storyboard PDF: one panel per frame (2×3 portrait pages for square and tall images,
/// 3×2 landscape for wide ones, or one per page), with shot spec, caption and on-image text.
pub async fn pdf(
    series: &Series,
    images: &HashMap<String, Blob>,
    layout_choice: Option<PageLayout>,
    steps: &Steps,
) -> Result<Finished, Stop> {
    let total = series.frames.len() + 1;
    let mut jpegs: Vec<Blob> = Vec::new();
    let mut infos = Vec::new();
    let mut panels = Vec::new();
    let mut wide = false;
    for (i, frame) in series.frames.iter().enumerate() {
        steps.step(i, total)?;
        let mut image = None;
        if let Some(v) = series.active(frame) {
            if let Some(blob) = images.get(&v.image.hash) {
                let (w, h) = size_of(v);
                wide |= i == 0 && w > h;
                let jpeg = raster::to_jpeg(blob, w, h, 1600).await?;
                let head = raster::head(&jpeg, 64 << 10).await?;
                let info = jpeg_info(&head, jpeg.size() as u64)
                    .ok_or_else(|| "the browser made a JPEG the PDF cannot read".to_string())?;
                image = Some(jpegs.len());
                jpegs.push(jpeg);
                infos.push(info);
            }
        }
        let mut lines = Vec::new();
        for text in [shot_line(frame), frame.prompt.trim().to_string()] {
            if !text.is_empty() {
                lines.push(PanelText::Text(text));
            }
        }
        for t in &frame.shot.texts {
            if !t.text.trim().is_empty() {
                lines.push(PanelText::Text(format!("Text: “{}”", t.text.trim())));
            }
        }
        panels.push(Panel {
            image,
            heading: format!("{:02} · {}", i + 1, frame.title),
            lines,
        });
    }
    let doc = Storyboard {
        title: series.name.clone(),
        layout: layout_choice.unwrap_or(if wide {
            PageLayout::ThreeByTwo
        } else {
            PageLayout::TwoByThree
        }),
        panels,
    };
    let out = storyboard(&doc, &infos).map_err(|e| e.to_string())?;
    let parts: Vec<FilePart<'_>> = out
        .parts
        .iter()
        .map(|p| match p {
            Part::Bytes(b) => FilePart::Bytes(b),
            Part::Data(i) => FilePart::Blob(&jpegs[*i]),
        })
        .collect();
    let blob = blob_of_parts(&parts, "application/pdf")?;
    steps.step(total, total)?;
    let mut warnings = Vec::new();
    if !out.lossy_lines.is_empty() {
        warnings.push(
            "Some text uses characters the PDF's standard font lacks; they are shown as markers."
                .into(),
        );
    }
    Ok(Finished {
        blob,
        file_name: format!("{}-storyboard.pdf", file_stem(series)),
        warnings,
    })
}

/// The animatic GIF: each active image for its frame's hold time or else `seconds` (long edge
/// 480 px, a palette per frame, ordered dithering), looping.
pub async fn gif(
    series: &Series,
    images: &HashMap<String, Blob>,
    seconds: f64,
    steps: &Steps,
) -> Result<Finished, Stop> {
    let frames = shown(series, images);
    let Some((_, _, first, _)) = frames.first() else {
        return Err(no_images());
    };
    let (sw, sh) = size_of(first);
    let (w, h) = raster::fit(sw, sh, 480);
    let options = GifOptions {
        width: w as u16,
        height: h as u16,
        palette: PaletteMode::PerFrame,
        colors: 256,
        dither: true,
    };
    let (mut encoder, header) = GifEncoder::new(options).map_err(|e| e.to_string())?;
    let mut chunks = vec![header];
    let total = frames.len() + 1;
    for (k, (_, frame, v, blob)) in frames.iter().enumerate() {
        steps.step(k, total)?;
        let pixels = raster::rgba(blob, size_of(v), w, h).await?;
        let delay = delay_cs(frame.hold_seconds, seconds);
        chunks.push(encoder.frame(&pixels, delay).map_err(|e| e.to_string())?);
    }
    chunks.push(encoder.finish());
    let parts: Vec<FilePart<'_>> = chunks.iter().map(|c| FilePart::Bytes(c)).collect();
    let blob = blob_of_parts(&parts, "image/gif")?;
    steps.step(total, total)?;
    Ok(Finished {
        blob,
        file_name: format!("{}-animatic.gif", file_stem(series)),
        warnings: Vec::new(),
    })
}
