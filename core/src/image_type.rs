//! Image types by their bytes: what the app accepts as an image (PNG, JPEG, WebP, GIF; never
//! SVG or HTML) and the MIME type of an `output_format`. Pure, so the importer, the client and
//! the fake's tests share one rule.

/// MIME type for an `output_format` value.
pub fn mime_for_format(format: &str) -> &'static str {
    match format {
        "jpeg" | "jpg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        _ => "image/png",
    }
}

/// Recognises an image by its first bytes; `None` for anything that is not PNG, JPEG, WebP or
/// GIF (an HTML error page, an SVG, garbage). Only these types ever become `Blob`s we show.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else {
        None
    }
}

/// The message of an image check when the bytes are not an image type we accept.
pub const NOT_AN_IMAGE: &str = "not a PNG, JPEG, WebP or GIF image";

/// A checked image: its real type and pixel size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedImage {
    /// Sniffed MIME type.
    pub mime: &'static str,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_the_four_formats_and_refuses_the_rest() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"GIF89a.."), Some("image/gif"));
        assert_eq!(sniff(b"<!DOCTYPE html>"), None);
        assert_eq!(sniff(b"<svg xmlns="), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn formats_map_to_mime_types() {
        assert_eq!(mime_for_format("webp"), "image/webp");
        assert_eq!(mime_for_format("png"), "image/png");
        assert_eq!(mime_for_format("unknown"), "image/png");
    }
}
