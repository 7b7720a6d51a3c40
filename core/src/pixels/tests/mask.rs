use super::coverage;
use crate::pixels::mask::{MASK_EDIT_PIXEL, MASK_KEEP_PIXEL};
use crate::pixels::*;

#[test]
fn painted_pixels_become_transparent_and_the_rest_opaque() {
    // 3 × 2: painted at (0,0), (2,0) and (1,1); (1,0) is an anti-aliased edge at 128.
    let cov = [255, 128, 200, 0, 255, 127];
    let mask = encode_mask(Coverage::new(3, 2, &cov).unwrap(), 3, 2).unwrap();
    assert_eq!(mask.len(), 3 * 2 * 4, "same size as the image");
    let alphas: Vec<u8> = mask.chunks_exact(4).map(|p| p[3]).collect();
    assert_eq!(alphas, [0, 0, 0, 255, 0, 255]);
    assert_eq!(&mask[0..4], &MASK_EDIT_PIXEL);
    assert_eq!(&mask[12..16], &MASK_KEEP_PIXEL);
    assert_eq!(MASK_KEEP_PIXEL[3], 255);
}

#[test]
fn a_mask_of_another_size_than_the_image_is_refused() {
    let cov = coverage(4, 3, |_, _| true);
    let err = encode_mask(Coverage::new(4, 3, &cov).unwrap(), 3, 4).unwrap_err();
    assert_eq!(
        err,
        PixelError::SizeMismatch {
            what: "mask",
            expected: (3, 4),
            actual: (4, 3)
        }
    );
    assert!(err.to_string().contains("4×3"), "{err}");
    assert!(check_mask_size((1536, 1024), (1536, 1024)).is_ok());
    assert!(check_mask_size((1024, 1536), (1536, 1024)).is_err());
}

#[test]
fn invert_swaps_painted_and_unpainted() {
    let mut cov = [0, 255, 128, 127, 10];
    invert(&mut cov);
    assert_eq!(cov, [255, 0, 127, 128, 245]);
    let painted: Vec<bool> = cov.iter().map(|&v| is_painted(v)).collect();
    assert_eq!(painted, [true, false, false, true, true]);
    invert(&mut cov);
    assert_eq!(
        cov,
        [0, 255, 128, 127, 10],
        "inverting twice is the identity"
    );
}

#[test]
fn coverage_round_trips_through_the_mask_image() {
    let cov = coverage(5, 4, |x, y| (x + y) % 3 == 0);
    let mask = encode_mask(Coverage::new(5, 4, &cov).unwrap(), 5, 4).unwrap();
    let back = coverage_from_mask_image(Rgba::new(5, 4, &mask).unwrap());
    assert_eq!(back, cov);
    // A foreign mask with half-transparent pixels: only alpha 0 means "edit".
    let foreign = [9, 9, 9, 0, 9, 9, 9, 1, 9, 9, 9, 255];
    assert_eq!(
        coverage_from_mask_image(Rgba::new(3, 1, &foreign).unwrap()),
        [255, 0, 0]
    );
}

#[test]
fn coverage_is_the_canvas_alpha() {
    let canvas = [1, 2, 3, 0, 4, 5, 6, 255, 7, 8, 9, 130];
    assert_eq!(
        coverage_from_alpha(Rgba::new(3, 1, &canvas).unwrap()),
        [0, 255, 130]
    );
}

#[test]
fn mask_png_must_be_under_4_mb() {
    assert!(check_mask_png_len(3_999_999).is_ok());
    assert_eq!(
        check_mask_png_len(4_000_000),
        Err(PixelError::MaskTooLarge {
            bytes: 4_000_000,
            limit: MASK_PNG_LIMIT
        })
    );
}

#[test]
fn views_validate_their_buffers() {
    assert_eq!(
        Rgba::new(2, 2, &[0; 15]),
        Err(PixelError::BufferLength {
            what: "RGBA image",
            expected: 16,
            actual: 15
        })
    );
    assert_eq!(
        Rgba::new(0, 2, &[]),
        Err(PixelError::Empty {
            width: 0,
            height: 2
        })
    );
    assert!(matches!(
        Rgba::new(u32::MAX, u32::MAX, &[]),
        Err(PixelError::TooLarge { .. })
    ));
    assert!(matches!(
        Coverage::new(3, 3, &[0; 8]),
        Err(PixelError::BufferLength {
            what: "coverage",
            expected: 9,
            actual: 8
        })
    ));
    let ok = Rgba::new(2, 1, &[0; 8]).unwrap();
    assert_eq!((ok.size(), ok.pixel_count()), ((2, 1), 2));
}
