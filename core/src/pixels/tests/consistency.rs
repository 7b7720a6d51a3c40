use super::{image, scene, Noise};
use crate::pixels::*;

fn score(a: &[u8], aw: u32, ah: u32, b: &[u8], bw: u32, bh: u32) -> Consistency {
    consistency(Rgba::new(aw, ah, a).unwrap(), Rgba::new(bw, bh, b).unwrap()).unwrap()
}

#[test]
fn identical_images_score_zero() {
    let a = scene(96, 64);
    let c = score(&a, 96, 64, &a, 96, 64);
    assert_eq!(c.palette_distance, 0.0);
    assert_eq!(c.structural_distance, 0.0);
    assert!(!c.drifted && !c.palette_drifted && !c.structure_drifted);
}

#[test]
fn a_recoloured_image_has_a_large_palette_distance() {
    let a = scene(96, 64);
    // Swap red and blue: the same shapes, other colours.
    let b: Vec<u8> = a
        .chunks_exact(4)
        .flat_map(|p| [p[2], p[1], p[0], p[3]])
        .collect();
    let c = score(&b, 96, 64, &a, 96, 64);
    assert!(
        c.palette_distance > PALETTE_DRIFT_DELTA_E,
        "palette distance {}",
        c.palette_distance
    );
    assert!(c.palette_drifted && c.drifted);
}

#[test]
fn small_noise_gives_small_distances() {
    let a = scene(192, 128);
    let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
    let b: Vec<u8> = a
        .chunks_exact(4)
        .flat_map(|p| {
            let mut q = [0u8; 4];
            for c in 0..3 {
                q[c] = (i32::from(p[c]) + noise.offset(6)).clamp(0, 255) as u8;
            }
            q[3] = 255;
            q
        })
        .collect();
    let c = score(&b, 192, 128, &a, 192, 128);
    assert!(c.palette_distance > 0.0, "the noise did change something");
    assert!(
        c.palette_distance < 3.0,
        "palette distance {}",
        c.palette_distance
    );
    assert!(
        c.structural_distance < 1.0,
        "structural distance {}",
        c.structural_distance
    );
    assert!(!c.drifted);
}

#[test]
fn a_different_layout_has_a_large_structural_distance() {
    let (dark, light) = ([20, 20, 20, 255], [235, 235, 235, 255]);
    let left_right = image(64, 64, |x, _| if x < 32 { dark } else { light });
    let top_bottom = image(64, 64, |_, y| if y < 32 { dark } else { light });
    let c = score(&left_right, 64, 64, &top_bottom, 64, 64);
    // Half the cells agree, half differ by the full L* contrast (≈ 85): mean ≈ 42.
    assert!(
        c.structural_distance > 35.0,
        "structural {}",
        c.structural_distance
    );
    assert!(c.structure_drifted && c.drifted);
    // The same two colours in the same shares: the palettes agree.
    assert!(c.palette_distance < 0.01, "palette {}", c.palette_distance);
    assert!(!c.palette_drifted);
}

#[test]
fn sizes_may_differ_and_a_flat_image_has_one_colour() {
    let c = score(&scene(96, 64), 96, 64, &scene(288, 192), 288, 192);
    assert!(
        c.palette_distance < 3.0 && c.structural_distance < 3.0,
        "{c:?}"
    );
    let flat = image(5, 3, |_, _| [30, 60, 90, 255]);
    let s = signature(Rgba::new(5, 3, &flat).unwrap());
    assert_eq!(s.palette.len(), 1);
    assert_eq!(s.palette[0].weight, 1.0);
    assert!(delta_e(s.palette[0].lab, srgb_to_lab([30, 60, 90])) < 0.01);
    assert!(s.layout.iter().all(|&l| l.abs() < 1e-4));
}

#[test]
fn palettes_are_at_most_six_colours_summing_to_one() {
    let s = signature(Rgba::new(96, 64, &scene(96, 64)).unwrap());
    assert!(!s.palette.is_empty() && s.palette.len() <= consistency::PALETTE_SIZE);
    let total: f32 = s.palette.iter().map(|w| w.weight).sum();
    assert!((total - 1.0).abs() < 1e-5);
    assert!(s.palette.windows(2).all(|w| w[0].weight >= w[1].weight));
    assert_eq!(s.layout.len(), 256);
}

#[test]
fn thresholds_decide_the_flags() {
    let a = scene(96, 64);
    let b: Vec<u8> = a
        .chunks_exact(4)
        .flat_map(|p| [p[2], p[1], p[0], p[3]])
        .collect();
    let (sa, sb) = (
        signature(Rgba::new(96, 64, &a).unwrap()),
        signature(Rgba::new(96, 64, &b).unwrap()),
    );
    let lenient = DriftThresholds {
        palette_delta_e: f32::INFINITY,
        structure_delta_l: f32::INFINITY,
    };
    let c = compare(&sb, &sa, &lenient).unwrap();
    assert!(!c.drifted && c.palette_distance > 0.0);
    let d = compare(&sb, &sa, &DriftThresholds::default()).unwrap();
    assert_eq!(d.palette_distance, c.palette_distance);
    assert!(d.drifted);
}

#[test]
fn malformed_signatures_are_refused_and_good_ones_round_trip() {
    let s = signature(Rgba::new(96, 64, &scene(96, 64)).unwrap());
    let json = serde_json::to_string(&s).unwrap();
    let back: Signature = serde_json::from_str(&json).unwrap();
    let same = compare(&back, &s, &DriftThresholds::default()).unwrap();
    assert_eq!(
        (same.palette_distance, same.structural_distance),
        (0.0, 0.0)
    );

    let mut short = s.clone();
    short.layout.pop();
    let mut empty = s.clone();
    empty.palette.clear();
    let mut nan = s.clone();
    nan.palette[0].lab.a = f32::NAN;
    for bad in [short, empty, nan] {
        assert_eq!(
            compare(&bad, &s, &DriftThresholds::default()),
            Err(PixelError::BadSignature)
        );
        assert_eq!(
            compare(&s, &bad, &DriftThresholds::default()),
            Err(PixelError::BadSignature)
        );
    }
}
