//! A consistency score of a frame against a reference (the series' anchor): **a heuristic,
//! not a judgement**. It says "the colours / the light-and-dark layout moved this much", which
//! is worth a look; it cannot tell a deliberate change from a drift, nor whether a character
//! is still the same character.
//!
//! **Signature** (computed once per image, [`signature`]): the image is composited over white
//! and box-averaged to a 32 × 32 grid of sRGB colours, converted to Lab.
//! - *Palette*: up to [`PALETTE_SIZE`] dominant colours of those 1024 samples: a median cut
//!   (split the box with the largest extent × count at the median of its widest Lab axis),
//!   refined by [`KMEANS_ROUNDS`] k-means rounds; each colour weighted by its share.
//! - *Lightness layout*: the L\* of the grid averaged to 16 × 16 cells, minus its mean, so a
//!   uniform brightening is not a structural change (the palette sees it).
//!
//! **Distances** ([`compare`]):
//! - *palette distance* (ΔE, CIE76): for each colour of one palette, the ΔE to the nearest
//!   colour of the other, weighted by its share; the mean of the two directions. 0 for
//!   identical images; large when colours changed (a recolour, a day→night shift).
//! - *structural distance* (L\* units, 0 ‥ 100): the mean absolute difference of the two
//!   centred lightness layouts. 0 for identical images; large when shapes moved (left/right
//!   halves vs top/bottom halves of the same two colours score 50).
//!
//! **Drift** (defaults in [`DriftThresholds`]): palette distance > [`PALETTE_DRIFT_DELTA_E`]
//! or structural distance > [`STRUCTURE_DRIFT_DELTA_L`]. Frames that are *meant* to have a
//! new composition (storyboards) differ structurally by design; pass a structural threshold of
//! `f32::INFINITY` there to flag colour drift only. Both numbers are independent of the image
//! sizes (the grid spans each image), so a frame and an anchor of other aspect ratios still
//! compare, with the layout stretched.

use serde::{Deserialize, Serialize};

use super::lab::{delta_e, srgb_to_lab, Lab};
use super::thumb::box_average;
use super::{PixelError, Rgba};

/// Most colours in a palette (fewer when the image has fewer distinct colours).
pub const PALETTE_SIZE: usize = 6;
/// k-means rounds that refine the median-cut palette.
pub const KMEANS_ROUNDS: usize = 4;
/// Side of the lightness layout grid: 16 × 16 = 256 cells.
pub const LAYOUT_GRID: usize = 16;
/// Default drift threshold of the palette distance, in ΔE: beyond "clearly a different
/// colour" (10) on average over the palette.
pub const PALETTE_DRIFT_DELTA_E: f32 = 15.0;
/// Default drift threshold of the structural distance, in L\* units: about what two unrelated
/// photographs score, so only a different layout of light and dark trips it.
pub const STRUCTURE_DRIFT_DELTA_L: f32 = 15.0;

/// Side of the sample grid the palette is taken from (32 × 32 = 1024 samples).
const SAMPLE_GRID: usize = 32;

/// One dominant colour.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Swatch {
    /// The colour.
    pub lab: Lab,
    /// Its share of the image, 0 ‥ 1 (the weights of a palette sum to 1).
    pub weight: f32,
}

/// What the consistency score needs to know of one image; compute the anchor's once and
/// compare every frame against it. Serialisable, so it can be stored with a version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signature {
    /// Dominant colours, heaviest first.
    pub palette: Vec<Swatch>,
    /// Centred L\* of the [`LAYOUT_GRID`]² cells, row-major.
    pub layout: Vec<f32>,
}

/// When a frame counts as drifted. `Default` gives the documented constants.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DriftThresholds {
    /// Drifted when the palette distance is greater than this (ΔE).
    pub palette_delta_e: f32,
    /// Drifted when the structural distance is greater than this (L\*).
    pub structure_delta_l: f32,
}

impl Default for DriftThresholds {
    fn default() -> Self {
        DriftThresholds {
            palette_delta_e: PALETTE_DRIFT_DELTA_E,
            structure_delta_l: STRUCTURE_DRIFT_DELTA_L,
        }
    }
}

/// The consistency of an image against a reference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Consistency {
    /// Palette distance, ΔE (CIE76); 0 = the same dominant colours.
    pub palette_distance: f32,
    /// Structural distance, L\* units 0 ‥ 100; 0 = the same light-and-dark layout.
    pub structural_distance: f32,
    /// `palette_distance > thresholds.palette_delta_e`.
    pub palette_drifted: bool,
    /// `structural_distance > thresholds.structure_delta_l`.
    pub structure_drifted: bool,
    /// Either of the two.
    pub drifted: bool,
}

/// The [`Signature`] of an image (see the module documentation).
pub fn signature(image: Rgba<'_>) -> Signature {
    let grid = box_average(image, SAMPLE_GRID, SAMPLE_GRID);
    let samples: Vec<Lab> = grid
        .chunks_exact(4)
        .map(|p| {
            // Composite over white: what the frame looks like on the page.
            let a = u32::from(p[3]);
            let c = |v: u8| ((u32::from(v) * a + 255 * (255 - a) + 127) / 255) as u8;
            srgb_to_lab([c(p[0]), c(p[1]), c(p[2])])
        })
        .collect();
    let step = SAMPLE_GRID / LAYOUT_GRID;
    let mut layout = vec![0f32; LAYOUT_GRID * LAYOUT_GRID];
    for (i, s) in samples.iter().enumerate() {
        let (x, y) = (i % SAMPLE_GRID / step, i / SAMPLE_GRID / step);
        layout[y * LAYOUT_GRID + x] += s.l / (step * step) as f32;
    }
    let mean = layout.iter().sum::<f32>() / layout.len() as f32;
    layout.iter_mut().for_each(|l| *l -= mean);
    Signature {
        palette: palette(samples),
        layout,
    }
}

/// Compares an image's signature with the reference's. Fails with
/// [`PixelError::BadSignature`] when either is malformed (wrong layout length, empty palette,
/// non-finite numbers), which only happens to signatures deserialised from elsewhere.
pub fn compare(
    image: &Signature,
    reference: &Signature,
    thresholds: &DriftThresholds,
) -> Result<Consistency, PixelError> {
    check(image)?;
    check(reference)?;
    let palette_distance = (directed(&image.palette, &reference.palette)
        + directed(&reference.palette, &image.palette))
        / 2.0;
    let structural_distance = image
        .layout
        .iter()
        .zip(&reference.layout)
        .map(|(a, b)| (a - b).abs())
        .sum::<f32>()
        / image.layout.len() as f32;
    let palette_drifted = palette_distance > thresholds.palette_delta_e;
    let structure_drifted = structural_distance > thresholds.structure_delta_l;
    Ok(Consistency {
        palette_distance,
        structural_distance,
        palette_drifted,
        structure_drifted,
        drifted: palette_drifted || structure_drifted,
    })
}

/// [`signature`] of both and [`compare`] with the default thresholds. The images may have
/// different sizes.
pub fn consistency(image: Rgba<'_>, reference: Rgba<'_>) -> Result<Consistency, PixelError> {
    compare(
        &signature(image),
        &signature(reference),
        &DriftThresholds::default(),
    )
}

fn check(s: &Signature) -> Result<(), PixelError> {
    let finite_lab = |l: &Lab| l.l.is_finite() && l.a.is_finite() && l.b.is_finite();
    let ok = s.layout.len() == LAYOUT_GRID * LAYOUT_GRID
        && s.layout.iter().all(|l| l.is_finite())
        && !s.palette.is_empty()
        && s.palette
            .iter()
            .all(|w| finite_lab(&w.lab) && w.weight.is_finite() && w.weight >= 0.0)
        && s.palette.iter().map(|w| w.weight).sum::<f32>() > 0.0;
    if ok {
        Ok(())
    } else {
        Err(PixelError::BadSignature)
    }
}

/// Σ weight · ΔE to the nearest colour of `to`, over `from`, normalised by the total weight.
fn directed(from: &[Swatch], to: &[Swatch]) -> f32 {
    let total: f32 = from.iter().map(|s| s.weight).sum();
    from.iter()
        .map(|s| {
            let nearest = to
                .iter()
                .map(|t| delta_e(s.lab, t.lab))
                .fold(f32::INFINITY, f32::min);
            s.weight * nearest
        })
        .sum::<f32>()
        / total
}

fn axis(l: &Lab, k: usize) -> f32 {
    match k {
        0 => l.l,
        1 => l.a,
        _ => l.b,
    }
}

/// Median cut, then k-means; deterministic (same samples → same palette).
fn palette(mut samples: Vec<Lab>) -> Vec<Swatch> {
    let mut boxes = Vec::with_capacity(PALETTE_SIZE);
    boxes.push(0..samples.len());
    while boxes.len() < PALETTE_SIZE {
        // (priority, box index, axis) of the box to split next.
        let mut best: Option<(f32, usize, usize)> = None;
        for (bi, r) in boxes.iter().enumerate() {
            for k in 0..3 {
                let values = samples[r.clone()].iter().map(|l| axis(l, k));
                let (lo, hi) = values.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(v), hi.max(v))
                });
                let priority = (hi - lo) * r.len() as f32;
                if hi > lo && best.is_none_or(|(p, _, _)| priority > p) {
                    best = Some((priority, bi, k));
                }
            }
        }
        let Some((_, bi, k)) = best else { break };
        let r = boxes[bi].clone();
        samples[r.clone()].sort_by(|x, y| axis(x, k).total_cmp(&axis(y, k)));
        let mid = r.start + r.len() / 2;
        boxes[bi] = r.start..mid;
        boxes.push(mid..r.end);
    }
    let mut centres: Vec<Lab> = boxes.iter().map(|r| mean(&samples[r.clone()])).collect();
    let mut counts = vec![0usize; centres.len()];
    for round in 0..=KMEANS_ROUNDS {
        let mut sums = vec![(0f32, 0f32, 0f32); centres.len()];
        counts.iter_mut().for_each(|n| *n = 0);
        for s in &samples {
            let c = nearest(&centres, *s);
            counts[c] += 1;
            sums[c].0 += s.l;
            sums[c].1 += s.a;
            sums[c].2 += s.b;
        }
        // The last pass only counts members of the final centres.
        if round == KMEANS_ROUNDS {
            break;
        }
        for ((centre, sum), &n) in centres.iter_mut().zip(&sums).zip(&counts) {
            if n > 0 {
                let n = n as f32;
                *centre = Lab {
                    l: sum.0 / n,
                    a: sum.1 / n,
                    b: sum.2 / n,
                };
            }
        }
    }
    let total = samples.len() as f32;
    let mut swatches: Vec<Swatch> = centres
        .into_iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|(lab, n)| Swatch {
            lab,
            weight: n as f32 / total,
        })
        .collect();
    swatches.sort_by(|x, y| {
        y.weight
            .total_cmp(&x.weight)
            .then(x.lab.l.total_cmp(&y.lab.l))
    });
    swatches
}

fn nearest(centres: &[Lab], s: Lab) -> usize {
    let mut best = (f32::INFINITY, 0);
    for (i, c) in centres.iter().enumerate() {
        let d = delta_e(*c, s);
        if d < best.0 {
            best = (d, i);
        }
    }
    best.1
}

fn mean(samples: &[Lab]) -> Lab {
    let n = samples.len() as f32;
    let (l, a, b) = samples
        .iter()
        .fold((0.0, 0.0, 0.0), |(l, a, b), s| (l + s.l, a + s.a, b + s.b));
    Lab {
        l: l / n,
        a: a / n,
        b: b / n,
    }
}
