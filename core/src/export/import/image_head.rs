//! An imported file's type and pixel size from its first bytes, without decoding: the magic
//! bytes ([`sniff`]), then the PNG IHDR, the JPEG SOF, the WebP VP8/VP8L/VP8X header or the GIF
//! screen descriptor. A 60000×60000 PNG header is refused here, before anything allocates a
//! pixel buffer for it (SEC-IMP-04).

use super::limits::MAX_IMAGE_EDGE;
use crate::export::manifest::FileRole;
use crate::image_type::{sniff, CheckedImage};

/// How many leading bytes [`check_image`] may need: JPEG puts its frame header after the
/// metadata segments (EXIF with a thumbnail, ICC profile), which can be long. Passing the
/// whole file is always fine.
pub const IMAGE_HEAD_BYTES: usize = 256 << 10;

/// Checks a file's first bytes (`head`: up to [`IMAGE_HEAD_BYTES`], or all of it): PNG, JPEG
/// or WebP (GIF only for a version image, which a model may have made; never for references
/// or masks; never SVG, HTML or anything else), with a readable size of at most
/// 8192×8192. The error says what is wrong, for the user.
pub fn check_image(head: &[u8], role: FileRole) -> Result<CheckedImage, String> {
    let Some(mime) = sniff(head) else {
        return Err(if looks_like_markup(head) {
            "it is an SVG or HTML file, not a PNG, JPEG or WebP image".into()
        } else {
            "it is not a PNG, JPEG or WebP image".into()
        });
    };
    match (mime, role) {
        ("image/gif", FileRole::Reference | FileRole::Mask) => {
            return Err("GIF is not accepted here; use PNG, JPEG or WebP".into())
        }
        (m, FileRole::Mask) if m != "image/png" => return Err("an edit mask must be a PNG".into()),
        _ => {}
    }
    let (width, height) = match mime {
        "image/png" => png_size(head),
        "image/jpeg" => jpeg_size(head),
        "image/webp" => webp_size(head),
        _ => gif_size(head),
    }
    .ok_or_else(|| format!("its {} header is damaged or cut short", short_type(mime)))?;
    if width == 0 || height == 0 {
        return Err("its header says it has no pixels".into());
    }
    if width > MAX_IMAGE_EDGE || height > MAX_IMAGE_EDGE {
        return Err(format!(
            "it is {width}×{height} pixels; at most {MAX_IMAGE_EDGE}×{MAX_IMAGE_EDGE} is accepted"
        ));
    }
    Ok(CheckedImage {
        mime,
        width,
        height,
    })
}

fn short_type(mime: &str) -> &'static str {
    match mime {
        "image/png" => "PNG",
        "image/jpeg" => "JPEG",
        "image/webp" => "WebP",
        _ => "GIF",
    }
}

fn looks_like_markup(head: &[u8]) -> bool {
    let start: Vec<u8> = head
        .iter()
        .skip_while(|b| b.is_ascii_whitespace() || **b == 0xEF || **b == 0xBB || **b == 0xBF)
        .take(16)
        .map(u8::to_ascii_lowercase)
        .collect();
    start.starts_with(b"<")
}

fn be16(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?])))
}

fn le16(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes([*b.get(i)?, *b.get(i + 1)?])))
}

fn le24(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes([
        *b.get(i)?,
        *b.get(i + 1)?,
        *b.get(i + 2)?,
        0,
    ]))
}

/// Signature, then the first chunk must be IHDR: length 13, width and height big-endian.
fn png_size(b: &[u8]) -> Option<(u32, u32)> {
    if b.get(12..16)? != b"IHDR" {
        return None;
    }
    let w = u32::from_be_bytes(b.get(16..20)?.try_into().ok()?);
    let h = u32::from_be_bytes(b.get(20..24)?.try_into().ok()?);
    Some((w, h))
}

/// Walks the marker segments to the first start-of-frame (SOF0–SOF15 but DHT, JPG and DAC).
fn jpeg_size(b: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    loop {
        // Markers may be padded with any number of 0xFF fill bytes.
        if *b.get(i)? != 0xFF {
            return None;
        }
        while *b.get(i)? == 0xFF {
            i += 1;
        }
        let marker = *b.get(i)?;
        i += 1;
        match marker {
            // Standalone markers: no length.
            0x01 | 0xD0..=0xD7 => continue,
            // End of image or start of scan before any frame header.
            0xD9 | 0xDA => return None,
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                // Length (2), precision (1), height (2), width (2).
                let h = be16(b, i + 3)?;
                let w = be16(b, i + 5)?;
                return Some((w, h));
            }
            _ => {
                let len = be16(b, i)? as usize;
                if len < 2 {
                    return None;
                }
                i += len;
            }
        }
    }
}

/// RIFF…WEBP, then the first chunk: lossy `VP8 `, lossless `VP8L` or extended `VP8X`.
fn webp_size(b: &[u8]) -> Option<(u32, u32)> {
    match b.get(12..16)? {
        b"VP8 " => {
            // Frame tag (3), start code 9D 01 2A, then 14-bit width and height.
            if b.get(23..26)? != [0x9D, 0x01, 0x2A] {
                return None;
            }
            Some((le16(b, 26)? & 0x3FFF, le16(b, 28)? & 0x3FFF))
        }
        b"VP8L" => {
            if *b.get(20)? != 0x2F {
                return None;
            }
            let bits = u32::from_le_bytes(b.get(21..25)?.try_into().ok()?);
            Some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        b"VP8X" => Some((le24(b, 24)? + 1, le24(b, 27)? + 1)),
        _ => None,
    }
}

/// The logical screen size after `GIF87a`/`GIF89a`.
fn gif_size(b: &[u8]) -> Option<(u32, u32)> {
    Some((le16(b, 6)?, le16(b, 8)?))
}

#[cfg(test)]
pub(crate) mod samples {
    //! Smallest headers of each type, for tests (not decodable images: headers only).

    /// A PNG signature and IHDR of `w`×`h`, then `tail`.
    pub fn png(w: u32, h: u32, tail: &[u8]) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        b.extend_from_slice(tail);
        b
    }

    /// A JPEG with `app_len` bytes of APP1 segments (each at most 65533 bytes, as a segment
    /// length is 16 bits) before its SOF0 of `w`×`h`.
    pub fn jpeg(w: u16, h: u16, app_len: usize) -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8];
        let mut left = app_len;
        while left > 0 {
            let n = left.min(65533);
            b.extend_from_slice(&[0xFF, 0xE1]);
            b.extend_from_slice(&((n + 2) as u16).to_be_bytes());
            b.extend(std::iter::repeat_n(0x45, n));
            left -= n;
        }
        b.extend_from_slice(&[0xFF, 0xFF, 0xC0, 0, 17, 8]);
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9]);
        b
    }

    /// A lossy WebP header of `w`×`h`.
    pub fn webp_vp8(w: u16, h: u16) -> Vec<u8> {
        let mut b = b"RIFF\0\0\0\0WEBPVP8 \0\0\0\0".to_vec();
        b.extend_from_slice(&[0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A]);
        b.extend_from_slice(&w.to_le_bytes());
        b.extend_from_slice(&h.to_le_bytes());
        b
    }

    /// A lossless WebP header of `w`×`h`.
    pub fn webp_vp8l(w: u32, h: u32) -> Vec<u8> {
        let mut b = b"RIFF\0\0\0\0WEBPVP8L\0\0\0\0\x2f".to_vec();
        b.extend_from_slice(&((w - 1) | ((h - 1) << 14)).to_le_bytes());
        b
    }

    /// An extended WebP header of `w`×`h`.
    pub fn webp_vp8x(w: u32, h: u32) -> Vec<u8> {
        let mut b = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
        b.extend_from_slice(&(w - 1).to_le_bytes()[..3]);
        b.extend_from_slice(&(h - 1).to_le_bytes()[..3]);
        b
    }

    /// A GIF header of `w`×`h`.
    pub fn gif(w: u16, h: u16) -> Vec<u8> {
        let mut b = b"GIF89a".to_vec();
        b.extend_from_slice(&w.to_le_bytes());
        b.extend_from_slice(&h.to_le_bytes());
        b.extend_from_slice(&[0, 0, 0]);
        b
    }
}

#[cfg(test)]
mod tests {
    use super::samples::*;
    use super::*;
    use proptest::prelude::*;

    fn size(b: &[u8], role: FileRole) -> Result<(u32, u32), String> {
        check_image(b, role).map(|c| (c.width, c.height))
    }

    #[test]
    fn export_import_image_sizes_from_headers() {
        let v = FileRole::Version;
        assert_eq!(size(&png(1024, 1536, b""), v), Ok((1024, 1536)));
        assert_eq!(size(&jpeg(1536, 1024, 70_000), v), Ok((1536, 1024)));
        assert_eq!(size(&webp_vp8(800, 600), v), Ok((800, 600)));
        assert_eq!(size(&webp_vp8l(8192, 1), v), Ok((8192, 1)));
        assert_eq!(size(&webp_vp8x(4000, 3000), v), Ok((4000, 3000)));
        assert_eq!(size(&gif(320, 200), v), Ok((320, 200)));
        assert_eq!(check_image(&png(10, 10, b""), v).unwrap().mime, "image/png");
    }

    #[test]
    fn export_import_image_refusals_say_why() {
        let r = FileRole::Reference;
        let huge = size(&png(60_000, 60_000, b""), r).unwrap_err();
        assert!(
            huge.contains("60000×60000") && huge.contains("8192×8192"),
            "{huge}"
        );
        assert!(size(&webp_vp8x(8193, 10), r)
            .unwrap_err()
            .contains("8193×10"));
        let svg = size(b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script/>", r);
        assert!(svg.unwrap_err().contains("SVG or HTML"));
        let html = size(b"\xEF\xBB\xBF  <!DOCTYPE html><p>", r).unwrap_err();
        assert!(html.contains("SVG or HTML"), "{html}");
        assert!(size(&gif(10, 10), r)
            .unwrap_err()
            .contains("GIF is not accepted"));
        assert!(size(&gif(10, 10), FileRole::Version).is_ok());
        assert!(size(&jpeg(10, 10, 4), FileRole::Mask)
            .unwrap_err()
            .contains("PNG"));
        assert!(size(b"garbage!", r).unwrap_err().contains("not a PNG"));
        // A header cut before the size, or a JPEG whose frame header is past the head.
        let cut = size(&png(10, 10, b"")[..20], r).unwrap_err();
        assert!(cut.contains("PNG header is damaged or cut short"), "{cut}");
        let far = jpeg(10, 10, 60_000);
        assert!(size(&far[..1000], r).unwrap_err().contains("JPEG header"));
        assert!(size(&png(0, 5, b""), r).unwrap_err().contains("no pixels"));
    }

    proptest! {
        #[test]
        fn export_import_image_head_never_panics(
            bytes in prop::collection::vec(any::<u8>(), 0..64),
            kind in 0u8..5,
        ) {
            let prefix: &[u8] = match kind {
                0 => b"\x89PNG\r\n\x1a\n",
                1 => &[0xFF, 0xD8, 0xFF],
                2 => b"RIFF\0\0\0\0WEBPVP8",
                3 => b"GIF89a",
                _ => b"",
            };
            let mut b = prefix.to_vec();
            b.extend_from_slice(&bytes);
            for role in [FileRole::Active, FileRole::Reference, FileRole::Mask] {
                if let Ok(c) = check_image(&b, role) {
                    prop_assert!(c.width >= 1 && c.width <= MAX_IMAGE_EDGE);
                    prop_assert!(c.height >= 1 && c.height <= MAX_IMAGE_EDGE);
                }
            }
        }
    }
}
