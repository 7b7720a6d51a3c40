use super::{coverage, image};
use crate::pixels::*;

const P: [u8; 4] = [10, 20, 30, 255];
const R: [u8; 4] = [250, 240, 230, 255];

/// 20 × 20, parent and result flat, the mask a square `[5, 15)²`.
fn square(feather: u32) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let parent = image(20, 20, |_, _| P);
    let result = image(20, 20, |_, _| R);
    let mask = coverage(20, 20, |x, y| (5..15).contains(&x) && (5..15).contains(&y));
    let out = composite(
        Rgba::new(20, 20, &parent).unwrap(),
        Rgba::new(20, 20, &result).unwrap(),
        Coverage::new(20, 20, &mask).unwrap(),
        feather,
    )
    .unwrap();
    (out, mask, parent)
}

fn px(buf: &[u8], w: u32, x: u32, y: u32) -> [u8; 4] {
    let i = ((y * w + x) * 4) as usize;
    [buf[i], buf[i + 1], buf[i + 2], buf[i + 3]]
}

/// The documented blend with `a = round(256 · d / (R + 1))`.
fn blend(d: f64, feather: u32) -> [u8; 4] {
    let a = ((d / f64::from(feather + 1)).min(1.0) * 256.0).round() as u32;
    let mut out = [0; 4];
    for c in 0..4 {
        out[c] = ((u32::from(P[c]) * (256 - a) + u32::from(R[c]) * a + 128) >> 8) as u8;
    }
    out
}

#[test]
fn outside_the_mask_every_pixel_is_the_parents() {
    for feather in [0, 1, 3, 8] {
        let (out, mask, parent) = square(feather);
        assert_eq!(out.len(), parent.len());
        for (i, &m) in mask.iter().enumerate() {
            if m == 0 {
                assert_eq!(out[i * 4..i * 4 + 4], parent[i * 4..i * 4 + 4], "pixel {i}");
            }
        }
    }
}

#[test]
fn the_feather_ramps_inward_from_the_edge_only_inside() {
    let (out, _, _) = square(3);
    // Along row 10 the painted run is x = 5‥14; distances to the outside 1, 2, 3, 4, 5, …
    assert_eq!(px(&out, 20, 4, 10), P, "just outside: the parent");
    assert_eq!(px(&out, 20, 5, 10), blend(1.0, 3));
    assert_eq!(px(&out, 20, 6, 10), blend(2.0, 3));
    assert_eq!(px(&out, 20, 7, 10), blend(3.0, 3));
    assert_eq!(
        px(&out, 20, 8, 10),
        R,
        "R + 1 = 4 pixels in: the pure result"
    );
    assert_eq!(px(&out, 20, 10, 10), R);
    assert_eq!(px(&out, 20, 14, 10), blend(1.0, 3), "the far edge too");
    // The blend is strictly between parent and result at the edge (a = 64 of 256).
    assert_eq!(blend(1.0, 3)[0], 70);
    // A diagonal neighbour: (6, 6) is 2 pixels from (4, 6) and (6, 4); (5, 5) is 1 pixel.
    assert_eq!(px(&out, 20, 5, 5), blend(1.0, 3));
    assert_eq!(px(&out, 20, 6, 6), blend(2.0, 3));
    // (7, 7): 3 pixels from (4, 7) and (7, 4); the outside corner (4, 4) is √18 away.
    assert_eq!(px(&out, 20, 7, 7), blend(3.0, 3));
}

#[test]
fn euclidean_distance_is_exact_off_axis() {
    // A single unpainted pixel at (0, 0) in a painted 8 × 8 image: the pixel (3, 2) is √13 away.
    let parent = image(8, 8, |_, _| P);
    let result = image(8, 8, |_, _| R);
    let mask = coverage(8, 8, |x, y| (x, y) != (0, 0));
    let out = composite(
        Rgba::new(8, 8, &parent).unwrap(),
        Rgba::new(8, 8, &result).unwrap(),
        Coverage::new(8, 8, &mask).unwrap(),
        5,
    )
    .unwrap();
    assert_eq!(px(&out, 8, 0, 0), P);
    assert_eq!(px(&out, 8, 3, 2), blend(13f64.sqrt(), 5));
    assert_eq!(px(&out, 8, 4, 4), blend(32f64.sqrt(), 5), "√32 < R + 1 = 6");
    assert_eq!(px(&out, 8, 5, 4), R, "√41 ≥ 6");
}

#[test]
fn without_feather_the_cut_is_hard() {
    let (out, mask, _) = square(0);
    for (i, &m) in mask.iter().enumerate() {
        let want = if m == 255 { R } else { P };
        assert_eq!(out[i * 4..i * 4 + 4], want, "pixel {i}");
    }
}

#[test]
fn the_image_border_is_not_a_mask_edge() {
    let parent = image(6, 4, |_, _| P);
    let result = image(6, 4, |_, _| R);
    let mask = [255u8; 24];
    let out = composite(
        Rgba::new(6, 4, &parent).unwrap(),
        Rgba::new(6, 4, &result).unwrap(),
        Coverage::new(6, 4, &mask).unwrap(),
        10,
    )
    .unwrap();
    assert_eq!(out, result);
}

#[test]
fn sizes_and_feather_are_checked() {
    let a = image(4, 2, |_, _| P);
    let b = image(2, 4, |_, _| P);
    let m42 = [0u8; 8];
    let (pa, pb) = (Rgba::new(4, 2, &a).unwrap(), Rgba::new(2, 4, &b).unwrap());
    let mask = Coverage::new(4, 2, &m42).unwrap();
    assert!(matches!(
        composite(pa, pb, mask, 2),
        Err(PixelError::SizeMismatch { what: "result", .. })
    ));
    assert!(matches!(
        composite(pa, pa, Coverage::new(2, 4, &m42).unwrap(), 2),
        Err(PixelError::SizeMismatch { what: "mask", .. })
    ));
    assert!(matches!(
        composite(pa, pa, mask, MAX_FEATHER + 1),
        Err(PixelError::InvalidParameter {
            name: "feather",
            ..
        })
    ));
    assert!(composite(pa, pa, mask, MAX_FEATHER).is_ok());
}
