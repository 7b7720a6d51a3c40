//! A validated image request with every value resolved: what the renderer and the response
//! builders work from.

use image::RgbaImage;

use super::models::Family;
use super::params::Endpoint;
use super::tokens::Quality;

/// Output encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// PNG (default).
    Png,
    /// JPEG.
    Jpeg,
    /// WebP (lossless).
    Webp,
    /// Animated GIF.
    Gif,
    /// SVG.
    Svg,
}

impl OutputFormat {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Png => "png",
            OutputFormat::Jpeg => "jpeg",
            OutputFormat::Webp => "webp",
            OutputFormat::Gif => "gif",
            OutputFormat::Svg => "svg",
        }
    }
}

/// GIF animation settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GifOptions {
    /// Number of frames (2–16, default 9).
    pub frames: u32,
    /// Frame duration in ms, rounded to 10 ms (default 200).
    pub frame_ms: u32,
}

/// The decoded inputs of an edit.
#[derive(Debug, Clone)]
pub struct EditSource {
    /// The first input image; the output is derived from it.
    pub first: RgbaImage,
    /// The mask (same size as `first`): alpha 0 marks what may change.
    pub mask: Option<RgbaImage>,
    /// Markup overlay (same size as `first`), drawn over it before editing.
    pub markup: Option<RgbaImage>,
}

/// A validated request, every value resolved.
#[derive(Debug, Clone)]
pub struct Job {
    /// Which endpoint.
    pub endpoint: Endpoint,
    /// Model id as sent.
    pub model: String,
    /// Its family.
    pub family: Family,
    /// The prompt as sent.
    pub prompt: String,
    /// Number of images.
    pub n: u32,
    /// Output width.
    pub width: u32,
    /// Output height.
    pub height: u32,
    /// Resolved quality (`auto` → high).
    pub quality: Quality,
    /// Output format.
    pub format: OutputFormat,
    /// `output_compression`, for jpeg.
    pub compression: Option<u8>,
    /// Resolved background: `auto` → opaque.
    pub transparent: bool,
    /// SSE response.
    pub stream: bool,
    /// Partial images per image when streaming.
    pub partial_images: u32,
    /// Echoed in the response when sent.
    pub safety_identifier: Option<String>,
    /// GIF settings (only meaningful for `OutputFormat::Gif`).
    pub gif: GifOptions,
    /// Estimated input image tokens (edits).
    pub input_image_tokens: u64,
    /// Decoded inputs (edits).
    pub source: Option<EditSource>,
}

impl Job {
    /// `WxH`.
    pub fn size(&self) -> String {
        format!("{}x{}", self.width, self.height)
    }

    /// `transparent` or `opaque`.
    pub fn background(&self) -> &'static str {
        if self.transparent {
            "transparent"
        } else {
            "opaque"
        }
    }
}
