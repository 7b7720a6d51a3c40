//! The few facts the PDF needs from a JPEG: pixel size and colour components, read from the
//! start-of-frame marker, so the browser can pass just the first bytes of a `Blob`.

/// A JPEG as the PDF writer needs it; its bytes stay with the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JpegInfo {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// 1 (grey) or 3 (colour). 4 (CMYK) is refused by the writer.
    pub components: u8,
    /// Length of the JPEG file in bytes.
    pub len: u64,
}

/// Reads width, height and components from `head`, the first bytes of a JPEG (the frame
/// header is usually within the first few KiB; after a large EXIF block it can be 64 KiB in).
/// `len` is the whole file's length. `None` if `head` is not a baseline or progressive JPEG or
/// stops before the frame header.
pub fn jpeg_info(head: &[u8], len: u64) -> Option<JpegInfo> {
    if !head.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut i = 2;
    loop {
        // Markers may be padded with any number of 0xFF fill bytes.
        while *head.get(i)? == 0xFF && *head.get(i + 1)? == 0xFF {
            i += 1;
        }
        if *head.get(i)? != 0xFF {
            return None;
        }
        let marker = *head.get(i + 1)?;
        i += 2;
        match marker {
            0xD0..=0xD7 | 0x01 => continue,
            0xD9 | 0xDA => return None, // end of image or scan data before a frame header
            _ => {}
        }
        let seg_len = u16::from_be_bytes([*head.get(i)?, *head.get(i + 1)?]) as usize;
        if seg_len < 2 {
            return None;
        }
        match marker {
            // Baseline, extended sequential, progressive (Huffman): what PDF's DCTDecode reads.
            0xC0..=0xC2 => {
                let s = head.get(i + 2..i + 8)?;
                let height = u16::from_be_bytes([s[1], s[2]]) as u32;
                let width = u16::from_be_bytes([s[3], s[4]]) as u32;
                return Some(JpegInfo {
                    width,
                    height,
                    components: s[5],
                    len,
                });
            }
            // Lossless, hierarchical or arithmetic-coded frames: not for PDF viewers.
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return None,
            _ => i += seg_len,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal JPEG-shaped byte string: SOI, APP0, SOF0 with the given size, SOS, EOI. Not
    /// decodable image data, but the PDF writer only places it.
    pub(crate) fn fake_jpeg(w: u16, h: u16) -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        v.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        v.extend_from_slice(&[0xFF, 0xFF, 0xC0, 0x00, 0x11, 0x08]);
        v.extend_from_slice(&h.to_be_bytes());
        v.extend_from_slice(&w.to_be_bytes());
        v.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
        v.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02, 0xFF, 0xD9]);
        v
    }

    #[test]
    fn export_pdf_jpeg_info_reads_the_frame_header() {
        let j = fake_jpeg(768, 512);
        assert_eq!(
            jpeg_info(&j, j.len() as u64),
            Some(JpegInfo {
                width: 768,
                height: 512,
                components: 3,
                len: j.len() as u64
            })
        );
        assert_eq!(jpeg_info(&j[..20], 99), None);
        assert_eq!(jpeg_info(b"\x89PNG\r\n\x1a\n", 8), None);
        let mut progressive = j.clone();
        progressive[22] = 0xC2;
        assert_eq!(jpeg_info(&progressive, 1).map(|i| i.width), Some(768));
        let mut arithmetic = j;
        arithmetic[22] = 0xC9;
        assert_eq!(jpeg_info(&arithmetic, 1), None);
    }
}
