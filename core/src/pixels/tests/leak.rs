use super::{coverage, image};
use crate::pixels::*;

const GREY: [u8; 4] = [128, 128, 128, 255];

fn exact(p: [u8; 4], q: [u8; 4]) -> f32 {
    delta_e(
        srgb_to_lab([p[0], p[1], p[2]]),
        srgb_to_lab([q[0], q[1], q[2]]),
    )
}

#[test]
fn counts_only_pixels_outside_the_mask_that_changed_beyond_the_threshold() {
    // 4 × 2 grey; the mask paints pixels 2 and 3.
    let parent = image(4, 2, |_, _| GREY);
    let mut result = parent.clone();
    result[0..4].copy_from_slice(&[255, 255, 255, 255]); // pixel 0: large change
    result[4..8].copy_from_slice(&[130, 129, 128, 255]); // pixel 1: tiny change
    result[8..12].copy_from_slice(&[0, 0, 0, 255]); // pixel 2: inside the mask
    result[20..24].copy_from_slice(&[200, 30, 30, 255]); // pixel 5: large change
    let mask = [0, 0, 255, 255, 0, 0, 0, 0];
    let l = leak(
        Rgba::new(4, 2, &parent).unwrap(),
        Rgba::new(4, 2, &result).unwrap(),
        Coverage::new(4, 2, &mask).unwrap(),
        LEAK_DELTA_E,
    )
    .unwrap();
    assert_eq!((l.measured, l.changed), (6, 2));
    assert!((l.share - 2.0 / 6.0).abs() < 1e-12);
    let red = exact(GREY, [200, 30, 30, 255]);
    assert!(red > exact(GREY, [255; 4]), "red is the larger change here");
    assert!(
        (l.max_delta_e - red).abs() < 0.01,
        "{} vs {red}",
        l.max_delta_e
    );
    assert_eq!(l.threshold, LEAK_DELTA_E);

    // Heat map: the image's size, coloured exactly at pixels 0 and 5.
    assert_eq!(l.heat_map.len(), parent.len());
    for (i, px) in l.heat_map.chunks_exact(4).enumerate() {
        match i {
            0 | 5 => {
                let d = exact(
                    GREY,
                    [result[i * 4], result[i * 4 + 1], result[i * 4 + 2], 255],
                );
                let want = heat_colour(d, LEAK_DELTA_E);
                assert_eq!(px[3], 200, "pixel {i}");
                // Slack for the table-driven Lab and the 256-step ramp (≈ 1.7 levels a step).
                for c in 0..3 {
                    assert!(
                        px[c].abs_diff(want[c]) <= 1,
                        "pixel {i}: {px:?} vs {want:?}"
                    );
                }
            }
            _ => assert_eq!(px, [0, 0, 0, 0], "pixel {i} must be transparent"),
        }
    }
}

#[test]
fn the_default_threshold_is_strictly_greater_than_10() {
    // Greys 100 → 124 is ΔE 9.64 (kept), 100 → 125 is ΔE 10.03 (changed).
    assert!((exact([100; 4], [124; 4]) - 9.638).abs() < 0.01);
    assert!((exact([100; 4], [125; 4]) - 10.032).abs() < 0.01);
    let grey = |v: u8| [v, v, v, 255];
    let parent = image(2, 1, |_, _| grey(100));
    let result = [grey(124), grey(125)].concat();
    let l = changed_area(
        Rgba::new(2, 1, &parent).unwrap(),
        Rgba::new(2, 1, &result).unwrap(),
        LEAK_DELTA_E,
    )
    .unwrap();
    assert_eq!((l.measured, l.changed), (2, 1));
    assert_eq!(&l.heat_map[0..4], &[0, 0, 0, 0]);
    assert_ne!(l.heat_map[7], 0);
}

#[test]
fn a_change_exactly_at_the_threshold_does_not_count() {
    let parent = [50, 90, 160, 255];
    let result = [58, 90, 150, 255];
    let p = Rgba::new(1, 1, &parent).unwrap();
    let r = Rgba::new(1, 1, &result).unwrap();
    let d = changed_area(p, r, 0.0).unwrap().max_delta_e;
    assert!((d - exact(parent, result)).abs() < 0.01);
    assert_eq!(changed_area(p, r, d).unwrap().changed, 0, "ΔE = threshold");
    assert_eq!(changed_area(p, r, d - 0.001).unwrap().changed, 1);
}

#[test]
fn identical_images_leak_nothing() {
    let parent = super::scene(32, 16);
    let p = Rgba::new(32, 16, &parent).unwrap();
    let mask = coverage(32, 16, |x, _| x < 8);
    let l = leak(p, p, Coverage::new(32, 16, &mask).unwrap(), LEAK_DELTA_E).unwrap();
    assert_eq!(
        (l.measured, l.changed, l.share, l.max_delta_e),
        (24 * 16, 0, 0.0, 0.0)
    );
    assert!(l.heat_map.iter().all(|&b| b == 0));
}

#[test]
fn a_fully_painted_mask_measures_nothing() {
    let parent = image(3, 3, |_, _| GREY);
    let result = image(3, 3, |_, _| [0, 0, 0, 255]);
    let mask = [255; 9];
    let l = leak(
        Rgba::new(3, 3, &parent).unwrap(),
        Rgba::new(3, 3, &result).unwrap(),
        Coverage::new(3, 3, &mask).unwrap(),
        LEAK_DELTA_E,
    )
    .unwrap();
    assert_eq!((l.measured, l.changed, l.share), (0, 0, 0.0));
}

#[test]
fn transparency_changes_count_and_invisible_ones_do_not() {
    // Opaque white → transparent white shows over black; two fully transparent pixels with
    // different RGB look the same on every background.
    let parent = [255, 255, 255, 255, 10, 200, 30, 0];
    let result = [255, 255, 255, 0, 250, 0, 90, 0];
    let l = changed_area(
        Rgba::new(2, 1, &parent).unwrap(),
        Rgba::new(2, 1, &result).unwrap(),
        LEAK_DELTA_E,
    )
    .unwrap();
    assert_eq!(l.changed, 1);
    assert!(l.max_delta_e > 99.0);
    assert_eq!(&l.heat_map[4..8], &[0, 0, 0, 0]);
}

#[test]
fn sizes_and_thresholds_are_checked() {
    let a = image(4, 2, |_, _| GREY);
    let b = image(2, 4, |_, _| GREY);
    let (pa, pb) = (Rgba::new(4, 2, &a).unwrap(), Rgba::new(2, 4, &b).unwrap());
    let mask4x2 = [0u8; 8];
    let m = Coverage::new(4, 2, &mask4x2).unwrap();
    assert!(matches!(
        leak(pa, pb, m, LEAK_DELTA_E),
        Err(PixelError::SizeMismatch { what: "result", .. })
    ));
    assert!(matches!(
        changed_area(pa, pb, LEAK_DELTA_E),
        Err(PixelError::SizeMismatch { what: "result", .. })
    ));
    let m2 = Coverage::new(2, 4, &mask4x2).unwrap();
    assert!(matches!(
        leak(pa, pa, m2, LEAK_DELTA_E),
        Err(PixelError::SizeMismatch { what: "mask", .. })
    ));
    for bad in [f32::NAN, -1.0, f32::INFINITY] {
        assert!(matches!(
            changed_area(pa, pa, bad),
            Err(PixelError::InvalidParameter {
                name: "threshold",
                ..
            })
        ));
    }
}

#[test]
fn the_heat_ramp_runs_yellow_red_magenta() {
    assert_eq!(heat_colour(10.0, 10.0), [255, 220, 0, 200]);
    assert_eq!(heat_colour(30.0, 10.0), [230, 0, 0, 200]);
    assert_eq!(heat_colour(50.0, 10.0), [200, 0, 200, 200]);
    assert_eq!(heat_colour(500.0, 10.0), [200, 0, 200, 200]);
    let g: Vec<u8> = (10..=30).map(|d| heat_colour(d as f32, 10.0)[1]).collect();
    assert!(
        g.windows(2).all(|w| w[0] >= w[1]),
        "green fades as ΔE grows: {g:?}"
    );
}
