//! PDF structure, checked by parsing the output: every xref offset points at its `N 0 obj`,
//! one page per group of panels, `/Count` right, each image embedded once with its bytes.

use super::jpeg::tests::fake_jpeg;
use super::*;
use crate::export::{assemble, parts_len};

fn panel(i: usize, image: Option<usize>) -> Panel {
    Panel {
        image,
        heading: format!("{:02} · Frame {i}", i + 1),
        lines: vec![
            PanelText::Text("Medium shot, eye level, warm window light".into()),
            PanelText::Text(format!("Caption for frame {i}: the kettle starts to sing")),
            PanelText::Text("On-image text: “SALE €5”".into()),
        ],
    }
}

struct Parsed {
    text: String,
    xref: Vec<u64>,
}

/// Checks the trailer, the xref table and every offset; returns the file as (lossy) text.
fn parse(pdf: &[u8]) -> Parsed {
    let text = String::from_utf8_lossy(pdf).into_owned();
    assert!(pdf.starts_with(b"%PDF-1.4\n"));
    assert!(text.ends_with("%%EOF\n"));
    let sx = text.rfind("startxref\n").unwrap();
    let xref_at: usize = text[sx + 10..].lines().next().unwrap().parse().unwrap();
    assert_eq!(&pdf[xref_at..xref_at + 5], b"xref\n");
    let mut lines = std::str::from_utf8(&pdf[xref_at..])
        .unwrap()
        .lines()
        .skip(1);
    let header: Vec<usize> = lines
        .next()
        .unwrap()
        .split(' ')
        .map(|n| n.parse().unwrap())
        .collect();
    assert_eq!(header[0], 0);
    let mut xref = Vec::new();
    for (n, l) in lines.take(header[1]).enumerate() {
        assert_eq!(l.len(), 19, "xref lines are 20 bytes with the newline");
        let off: u64 = l[..10].parse().unwrap();
        if n == 0 {
            assert!(l.ends_with("65535 f "));
            continue;
        }
        let want = format!("{n} 0 obj\n");
        assert_eq!(
            &pdf[off as usize..off as usize + want.len()],
            want.as_bytes(),
            "object {n}"
        );
        xref.push(off);
    }
    assert!(text.contains(&format!("/Size {}", header[1])));
    Parsed { text, xref }
}

fn build(layout: PageLayout, n: usize) -> (PdfOutput, Vec<u8>, Vec<Vec<u8>>) {
    let jpegs: Vec<Vec<u8>> = (0..n).map(|i| fake_jpeg(1536, 1024 + i as u16)).collect();
    let infos: Vec<JpegInfo> = jpegs
        .iter()
        .map(|j| jpeg_info(j, j.len() as u64).unwrap())
        .collect();
    let doc = Storyboard {
        title: "Tea launch — 新品".into(),
        layout,
        panels: (0..n).map(|i| panel(i, Some(i))).collect(),
    };
    let out = storyboard(&doc, &infos).unwrap();
    let refs: Vec<&[u8]> = jpegs.iter().map(|j| j.as_slice()).collect();
    let pdf = assemble(&out.parts, &refs);
    let lens: Vec<u64> = infos.iter().map(|i| i.len).collect();
    assert_eq!(parts_len(&out.parts, &lens), Some(pdf.len() as u64));
    (out, pdf, jpegs)
}

#[test]
fn export_pdf_one_page_per_panel_group_and_valid_xref() {
    for (layout, n, pages) in [
        (PageLayout::One, 3, 3),
        (PageLayout::TwoByThree, 9, 2),
        (PageLayout::ThreeByTwo, 12, 2),
        (PageLayout::ThreeByTwo, 13, 3),
    ] {
        let (out, pdf, jpegs) = build(layout, n);
        assert_eq!(out.pages, pages);
        let p = parse(&pdf);
        assert_eq!(p.xref.len(), 4 + n + 2 * pages);
        assert_eq!(p.text.matches("/Type /Page ").count(), pages);
        assert!(p.text.contains(&format!("/Count {pages} >>")));
        assert_eq!(p.text.matches("/Subtype /Image").count(), n);
        // Each image's bytes sit between `stream\n` and `\nendstream`, as declared.
        for (i, j) in jpegs.iter().enumerate() {
            let at = pdf
                .windows(j.len())
                .position(|w| w == j.as_slice())
                .unwrap();
            assert_eq!(&pdf[at - 7..at], b"stream\n");
            assert_eq!(&pdf[at + j.len()..at + j.len() + 10], b"\nendstream");
            assert!(p.text.contains(&format!("/Im{i} Do")));
        }
        // Content stream lengths are right too.
        for k in find_all(&pdf, b"<< /Length ") {
            let rest = &pdf[k + 11..];
            let digits = rest.iter().position(|&b| b == b' ').unwrap();
            let len: usize = std::str::from_utf8(&rest[..digits])
                .unwrap()
                .parse()
                .unwrap();
            let start = k + 11 + find_all(rest, b"stream\n")[0] + 7;
            assert_eq!(&pdf[start + len..start + len + 10], b"\nendstream");
        }
    }
}

fn find_all(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    hay.windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn export_pdf_page_sizes_follow_the_layout() {
    let (_, pdf, _) = build(PageLayout::TwoByThree, 2);
    assert!(String::from_utf8_lossy(&pdf).contains("/MediaBox [0 0 595.28 841.89]"));
    let (_, pdf, _) = build(PageLayout::ThreeByTwo, 2);
    assert!(String::from_utf8_lossy(&pdf).contains("/MediaBox [0 0 841.89 595.28]"));
}

#[test]
fn export_pdf_text_encoding_markers_and_rendered_lines() {
    let j = fake_jpeg(640, 480);
    let line_img = fake_jpeg(600, 40);
    let infos = [
        jpeg_info(&j, j.len() as u64).unwrap(),
        jpeg_info(&line_img, line_img.len() as u64).unwrap(),
    ];
    let doc = Storyboard {
        title: "Storyboard".into(),
        layout: PageLayout::One,
        panels: vec![
            Panel {
                image: Some(0),
                heading: "01 · Café (olá)".into(),
                lines: vec![
                    PanelText::Text("خصم ٥٠٪ today".into()),
                    PanelText::Rendered(1),
                ],
            },
            Panel {
                image: None,
                heading: "02 · 开场".into(),
                lines: vec![],
            },
        ],
    };
    let out = storyboard(&doc, &infos).unwrap();
    assert_eq!(out.lossy_lines, [(0, 1), (1, 0)]);
    let pdf = assemble(&out.parts, &[&j, &line_img]);
    let p = parse(&pdf);
    assert!(p.text.contains("(01 \\267 Caf\\351 \\(ol\\341\\)) Tj"));
    assert!(p.text.contains("([Arabic text] today) Tj"));
    assert!(p.text.contains("/Im1 Do"));
    assert!(p.text.contains("(no image) Tj"));
    assert!(p.text.contains("/Title <FEFF00530074006F00720079"));
    assert_eq!(p.text.matches("/Subtype /Image").count(), 2);
}

#[test]
fn export_pdf_long_text_is_cut_with_an_ellipsis() {
    let j = fake_jpeg(100, 100);
    let infos = [jpeg_info(&j, j.len() as u64).unwrap()];
    let doc = Storyboard {
        title: "t".into(),
        layout: PageLayout::ThreeByTwo,
        panels: vec![Panel {
            image: Some(0),
            heading: "x".into(),
            lines: vec![PanelText::Text("word ".repeat(400))],
        }],
    };
    let pdf = assemble(&storyboard(&doc, &infos).unwrap().parts, &[&j]);
    let text = String::from_utf8_lossy(&pdf);
    // Five body lines at most, the last ending in "…" (WinAnsi 0x85, octal 205).
    assert_eq!(text.matches("/F1 7.5 Tf").count(), 5);
    assert!(text.contains("\\205) Tj"));
}

#[test]
fn export_pdf_refusals() {
    let j = fake_jpeg(10, 10);
    let ok = jpeg_info(&j, j.len() as u64).unwrap();
    let doc = |image| Storyboard {
        title: "t".into(),
        layout: PageLayout::One,
        panels: vec![Panel {
            image,
            heading: String::new(),
            lines: vec![],
        }],
    };
    assert_eq!(
        storyboard(&doc(Some(1)), &[ok]).unwrap_err(),
        PdfError::MissingImage(1)
    );
    let cmyk = JpegInfo {
        components: 4,
        ..ok
    };
    assert_eq!(
        storyboard(&doc(Some(0)), &[cmyk]).unwrap_err(),
        PdfError::BadImage(0)
    );
    let empty = Storyboard {
        panels: vec![],
        ..doc(None)
    };
    assert_eq!(
        storyboard(&empty, &[]).unwrap_err().to_string(),
        "the storyboard has no frames"
    );
}
