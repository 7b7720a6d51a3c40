use super::image;
use crate::pixels::*;

#[test]
fn thumbnail_sizes_keep_the_aspect_and_never_upscale() {
    assert_eq!(THUMB_MAX_EDGE, 384);
    assert_eq!(thumb_size(1536, 1024, THUMB_MAX_EDGE), Ok((384, 256)));
    assert_eq!(thumb_size(1024, 1536, THUMB_MAX_EDGE), Ok((256, 384)));
    assert_eq!(thumb_size(1024, 1024, THUMB_MAX_EDGE), Ok((384, 384)));
    assert_eq!(
        thumb_size(100, 50, THUMB_MAX_EDGE),
        Ok((100, 50)),
        "never upscales"
    );
    assert_eq!(thumb_size(384, 200, 384), Ok((384, 200)), "already fits");
    assert_eq!(
        thumb_size(1000, 333, 384),
        Ok((384, 128)),
        "127.87 rounds to 128"
    );
    assert_eq!(
        thumb_size(1000, 331, 384),
        Ok((384, 127)),
        "127.10 rounds to 127"
    );
    assert_eq!(thumb_size(5000, 1, 384), Ok((384, 1)), "at least one pixel");
    assert_eq!(thumb_size(1, 5000, 384), Ok((1, 384)));
    assert_eq!(thumb_size(3840, 1280, 1), Ok((1, 1)));
    assert_eq!(thumb_size(u32::MAX, u32::MAX - 1, 384), Ok((384, 384)));
}

#[test]
fn thumbnail_sizing_refuses_zeros() {
    assert!(matches!(
        thumb_size(0, 10, 384),
        Err(PixelError::Empty { .. })
    ));
    assert!(matches!(
        thumb_size(10, 0, 384),
        Err(PixelError::Empty { .. })
    ));
    assert!(matches!(
        thumb_size(10, 10, 0),
        Err(PixelError::InvalidParameter {
            name: "max_edge",
            ..
        })
    ));
}

#[test]
fn downscale_averages_boxes() {
    // 4 × 2 → 2 × 1: each target pixel averages a 2 × 2 box.
    let src = [
        [0, 0, 0, 255],
        [100, 0, 0, 255],
        [0, 0, 100, 255],
        [0, 0, 200, 255],
        [0, 100, 0, 255],
        [200, 100, 0, 255],
        [0, 0, 100, 255],
        [0, 0, 0, 255],
    ]
    .concat();
    let out = downscale(Rgba::new(4, 2, &src).unwrap(), 2, 1).unwrap();
    assert_eq!(out, [75, 50, 0, 255, 0, 0, 100, 255]);
}

#[test]
fn downscale_uneven_boxes_cover_every_source_pixel_once() {
    // 5 × 1 → 2 × 1: boxes [0, 2) and [2, 5).
    let src = image(5, 1, |x, _| [(x * 10) as u8, 0, 0, 255]);
    let out = downscale(Rgba::new(5, 1, &src).unwrap(), 2, 1).unwrap();
    assert_eq!(out, [5, 0, 0, 255, 30, 0, 0, 255]);
    // The identity size returns the image.
    let same = downscale(Rgba::new(5, 1, &src).unwrap(), 5, 1).unwrap();
    assert_eq!(same, src);
}

#[test]
fn transparent_pixels_do_not_darken_the_average() {
    let src = [255, 0, 0, 255, 0, 0, 0, 0];
    let out = downscale(Rgba::new(2, 1, &src).unwrap(), 1, 1).unwrap();
    assert_eq!(out, [255, 0, 0, 128]);
    let clear = [9, 9, 9, 0, 7, 7, 7, 0];
    assert_eq!(
        downscale(Rgba::new(2, 1, &clear).unwrap(), 1, 1).unwrap(),
        [0, 0, 0, 0]
    );
}

#[test]
fn downscale_refuses_upscaling_and_zero() {
    let src = image(4, 4, |_, _| [1, 2, 3, 255]);
    let img = Rgba::new(4, 4, &src).unwrap();
    assert!(matches!(
        downscale(img, 5, 4),
        Err(PixelError::InvalidParameter { .. })
    ));
    assert!(matches!(
        downscale(img, 0, 4),
        Err(PixelError::Empty { .. })
    ));
}
