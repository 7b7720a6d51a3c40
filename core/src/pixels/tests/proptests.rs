//! Properties on random small images and masks.

use crate::pixels::composite::capped_distance_squared;
use crate::pixels::*;
use proptest::prelude::*;

/// A random `w × h` image, a second one and a random coverage (with anti-aliased values).
fn case() -> impl Strategy<Value = (u32, u32, Vec<u8>, Vec<u8>, Vec<u8>)> {
    (1u32..24, 1u32..24).prop_flat_map(|(w, h)| {
        let n = (w * h) as usize;
        (
            Just(w),
            Just(h),
            proptest::collection::vec(any::<u8>(), n * 4),
            proptest::collection::vec(any::<u8>(), n * 4),
            proptest::collection::vec(prop_oneof![Just(0u8), Just(255u8), any::<u8>()], n),
        )
    })
}

fn brute_distance_squared(mask: &[u8], w: usize, h: usize, cap: u32) -> Vec<u32> {
    (0..w * h)
        .map(|i| {
            let (x, y) = ((i % w) as i64, (i / w) as i64);
            let mut best = u64::from(cap * cap);
            for (j, &m) in mask.iter().enumerate() {
                if !is_painted(m) {
                    let (dx, dy) = ((j % w) as i64 - x, (j / w) as i64 - y);
                    best = best.min((dx * dx + dy * dy) as u64);
                }
            }
            best as u32
        })
        .collect()
}

/// The documented composite rule, straight from its definition (brute-force distances).
fn expected_composite(
    w: u32,
    h: u32,
    parent: &[u8],
    result: &[u8],
    mask: &[u8],
    feather: u32,
) -> Vec<u8> {
    let cap = feather + 1;
    let far = brute_distance_squared(mask, w as usize, h as usize, cap);
    let mut out = parent.to_vec();
    for (i, &m) in mask.iter().enumerate() {
        if !is_painted(m) {
            continue;
        }
        let wgt = (f64::from(far[i]).sqrt() / f64::from(cap)).min(1.0);
        let a = (wgt * 256.0 + 0.5) as u32;
        for c in i * 4..i * 4 + 4 {
            let (p, r) = (u32::from(parent[c]), u32::from(result[c]));
            out[c] = ((p * (256 - a) + r * a + 128) >> 8) as u8;
        }
    }
    out
}

/// A larger image with a sparse mask: a few rectangles, some touching the border, so the
/// composite's crop to the painted area (and its clipping) is exercised.
fn sparse_case() -> impl Strategy<Value = (u32, u32, Vec<u8>, Vec<u8>, Vec<u8>)> {
    (8u32..48, 8u32..48).prop_flat_map(|(w, h)| {
        let n = (w * h) as usize;
        let rect = (0..w, 0..h, 1..w / 2 + 2, 1..h / 2 + 2);
        (
            Just(w),
            Just(h),
            proptest::collection::vec(any::<u8>(), n * 4),
            proptest::collection::vec(any::<u8>(), n * 4),
            proptest::collection::vec(rect, 0..4),
        )
            .prop_map(|(w, h, parent, result, rects)| {
                let mut mask = vec![0u8; (w * h) as usize];
                for (x0, y0, rw, rh) in rects {
                    for y in y0..(y0 + rh).min(h) {
                        for x in x0..(x0 + rw).min(w) {
                            mask[(y * w + x) as usize] = 255;
                        }
                    }
                }
                (w, h, parent, result, mask)
            })
    })
}

proptest! {
    #[test]
    fn composite_follows_the_documented_rule(
        (w, h, parent, result, mask) in prop_oneof![case(), sparse_case()],
        feather in 0u32..10,
    ) {
        let out = composite(
            Rgba::new(w, h, &parent).unwrap(),
            Rgba::new(w, h, &result).unwrap(),
            Coverage::new(w, h, &mask).unwrap(),
            feather,
        ).unwrap();
        // Above all: outside the mask, the parent's bytes, every pixel.
        for (i, &m) in mask.iter().enumerate() {
            if !is_painted(m) {
                prop_assert_eq!(&out[i * 4..i * 4 + 4], &parent[i * 4..i * 4 + 4]);
            }
        }
        prop_assert_eq!(out, expected_composite(w, h, &parent, &result, &mask, feather));
    }

    #[test]
    fn the_distance_transform_matches_brute_force(
        (w, h, _p, _r, mask) in case(),
        cap in 1u32..12,
    ) {
        let fast = capped_distance_squared(&mask, w as usize, cap);
        prop_assert_eq!(fast, brute_distance_squared(&mask, w as usize, h as usize, cap));
    }

    #[test]
    fn leak_counts_agree_with_the_mask_and_the_heat_map(
        (w, h, parent, result, mask) in case(),
        threshold in 0f32..60.0,
    ) {
        let l = leak(
            Rgba::new(w, h, &parent).unwrap(),
            Rgba::new(w, h, &result).unwrap(),
            Coverage::new(w, h, &mask).unwrap(),
            threshold,
        ).unwrap();
        let outside = mask.iter().filter(|&&m| !is_painted(m)).count() as u32;
        prop_assert_eq!(l.measured, outside);
        prop_assert!(l.changed <= l.measured);
        let coloured = l.heat_map.chunks_exact(4).filter(|p| p[3] != 0).count() as u32;
        prop_assert_eq!(coloured, l.changed);
        for (i, p) in l.heat_map.chunks_exact(4).enumerate() {
            if is_painted(mask[i]) {
                prop_assert_eq!(p, &[0, 0, 0, 0][..]);
            }
        }
        prop_assert!(l.changed == 0 || l.max_delta_e > threshold);
    }

    #[test]
    fn thumbnail_sizes_fit_and_keep_the_aspect(
        w in 1u32..10_000, h in 1u32..10_000, max in 1u32..2_000,
    ) {
        let (tw, th) = thumb_size(w, h, max).unwrap();
        prop_assert!(tw >= 1 && th >= 1 && tw <= w && th <= h);
        prop_assert!(tw.max(th) <= max || (tw, th) == (w, h));
        prop_assert!(tw.max(th) == max.min(w.max(h)));
        // The aspect ratio is kept up to the rounding of the short edge (half a pixel, or
        // the 1-pixel floor).
        let (long, short) = (w.max(h) as f64, w.min(h) as f64);
        let (tlong, tshort) = (tw.max(th) as f64, tw.min(th) as f64);
        let exact = short * tlong / long;
        prop_assert!((tshort - exact).abs() <= 0.5 + 1e-9 || tshort == 1.0);
    }
}

/// A parent and a result that differs from it by small per-channel steps (so the leak's skip
/// path is exercised), both opaque.
fn near_pair() -> impl Strategy<Value = (u32, u32, Vec<u8>, Vec<u8>)> {
    (1u32..20, 1u32..20).prop_flat_map(|(w, h)| {
        let n = (w * h) as usize;
        (
            Just(w),
            Just(h),
            proptest::collection::vec(any::<u8>(), n * 4),
            proptest::collection::vec(-12i16..=12, n * 4),
        )
            .prop_map(|(w, h, mut parent, deltas)| {
                let mut result = parent.clone();
                for (i, d) in deltas.into_iter().enumerate() {
                    if i % 4 == 3 {
                        parent[i] = 255;
                        result[i] = 255;
                    } else {
                        result[i] = (i16::from(parent[i]) + d).clamp(0, 255) as u8;
                    }
                }
                (w, h, parent, result)
            })
    })
}

proptest! {
    #[test]
    fn skipping_near_pixels_changes_no_figure(
        (w, h, parent, result) in near_pair(),
        threshold in prop_oneof![Just(LEAK_DELTA_E), 0f32..20.0],
    ) {
        let l = changed_area(
            Rgba::new(w, h, &parent).unwrap(),
            Rgba::new(w, h, &result).unwrap(),
            threshold,
        ).unwrap();
        // Reference: every pixel converted, no shortcut.
        let lut = crate::pixels::lab::LabLut::new();
        let (mut changed, mut max) = (0u32, 0f32);
        for (p, q) in parent.chunks_exact(4).zip(result.chunks_exact(4)) {
            let d = delta_e(lut.lab(p[0], p[1], p[2]), lut.lab(q[0], q[1], q[2]));
            max = max.max(d);
            if d > threshold {
                changed += 1;
            }
        }
        prop_assert_eq!(l.changed, changed);
        prop_assert_eq!(l.max_delta_e, max);
        prop_assert_eq!(l.measured, w * h);
    }
}
