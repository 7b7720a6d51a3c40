//! The keep-everything-else guard: how much of the image outside the mask changed in an edit.
//!
//! **Rule.** A pixel *changed* when the CIE76 colour difference ΔE between the parent's and
//! the result's pixel is **strictly greater** than the threshold ([`LEAK_DELTA_E`] = 10 by
//! default, "clearly a different colour"). Colours are compared in CIE Lab (D65) after the
//! sRGB transfer curve, see [`super::lab`]. The leak is `changed / measured` over the pixels
//! **outside the mask** (coverage below [`PAINTED_MIN`](super::PAINTED_MIN)); the
//! changed-area variant measures every pixel.
//!
//! **Transparency.** Two opaque pixels are compared directly. When either is not opaque,
//! both are composited over white and over black and the larger of the two ΔE counts, so a
//! change that would show on any background is caught (including a pixel turning
//! transparent). Identical RGBA bytes are always ΔE 0.
//!
//! **Sizes.** The result must have the parent's size; otherwise the functions fail with
//! [`PixelError::SizeMismatch`] rather than resample. Resampling would turn every edge into a
//! "change" and report a leak the model did not cause; an edit that came back at another
//! size is a different request, and the caller can say so (or resample on a canvas and
//! measure again, knowingly).
//!
//! **Precision and speed.** ΔE comes from the table-driven Lab (within 0.003 of the exact
//! formula). One level of R, G or B moves ΔE by at most 0.86, 1.19 or 0.90 (exhaustively
//! checked), so a pair of opaque pixels whose per-channel differences bound its ΔE at or
//! below both the threshold and the largest ΔE seen so far is skipped without conversion: it
//! can change neither count nor maximum, and every figure is the same as converting every
//! pixel (a property test compares the two). Typical "almost the same" pixels of a
//! regenerated image take this path.

use super::image::same_size;
use super::lab::{Lab, LabLut};
use super::{is_painted, Coverage, PixelError, Rgba};

/// Default change threshold: a pixel changed when ΔE (CIE76) > 10.
pub const LEAK_DELTA_E: f32 = 10.0;

/// The heat map's colour ramp spans this many ΔE above the threshold: `threshold` is yellow,
/// `threshold + span / 2` red, `threshold + span` and beyond magenta.
pub const HEAT_RAMP_SPAN: f32 = 40.0;

/// Alpha of a changed pixel in the heat map, so the overlay tints rather than hides the image.
pub const HEAT_ALPHA: u8 = 200;

/// What [`leak`] or [`changed_area`] measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Leak {
    /// Pixels compared: those outside the mask ([`leak`]) or all ([`changed_area`]).
    pub measured: u32,
    /// Of those, pixels whose ΔE is greater than `threshold`.
    pub changed: u32,
    /// `changed / measured`, 0 ‥ 1 (0 when nothing was measured, i.e. everything is painted).
    pub share: f64,
    /// The largest ΔE among the measured pixels (0 when nothing was measured).
    pub max_delta_e: f32,
    /// The threshold that was applied.
    pub threshold: f32,
    /// RGBA8 overlay of the image's size: `[0, 0, 0, 0]` (transparent) for pixels not measured
    /// or not changed; for changed pixels [`heat_colour`] of their ΔE quantised to 1/255 of
    /// [`HEAT_RAMP_SPAN`] (a 256-entry ramp, so no float work per changed pixel).
    pub heat_map: Vec<u8>,
}

/// Measures the leak of a masked edit: the pixels **outside** `mask` whose colour changed by
/// more than `threshold` ΔE between `parent` and `result`. See the module documentation for
/// the exact rule. Fails when the sizes differ or the threshold is negative or not finite.
pub fn leak(
    parent: Rgba<'_>,
    result: Rgba<'_>,
    mask: Coverage<'_>,
    threshold: f32,
) -> Result<Leak, PixelError> {
    same_size("mask", parent.size(), mask.size())?;
    measure(parent, result, Some(mask.data()), threshold)
}

/// The changed-area map of an edit without a mask: like [`leak`] over every pixel.
pub fn changed_area(
    parent: Rgba<'_>,
    result: Rgba<'_>,
    threshold: f32,
) -> Result<Leak, PixelError> {
    measure(parent, result, None, threshold)
}

/// The heat map colour of a changed pixel: a ramp from yellow (ΔE just above `threshold`)
/// through red to magenta (ΔE ≥ `threshold + HEAT_RAMP_SPAN`), with alpha [`HEAT_ALPHA`].
/// Public so the UI can draw the same ramp as a legend.
pub fn heat_colour(delta_e: f32, threshold: f32) -> [u8; 4] {
    let t = ((delta_e - threshold) / HEAT_RAMP_SPAN).clamp(0.0, 1.0);
    // Two linear segments: yellow (255, 220, 0) → red (230, 0, 0) → magenta (200, 0, 200).
    let (r, g, b) = if t < 0.5 {
        let u = t * 2.0;
        (255.0 - 25.0 * u, 220.0 * (1.0 - u), 0.0)
    } else {
        let u = (t - 0.5) * 2.0;
        (230.0 - 30.0 * u, 0.0, 200.0 * u)
    };
    [
        // + 0.5 and truncation: the channels are ≥ 0, and `round` is a libm call in wasm.
        (r + 0.5) as u8,
        (g + 0.5) as u8,
        (b + 0.5) as u8,
        HEAT_ALPHA,
    ]
}

fn measure(
    parent: Rgba<'_>,
    result: Rgba<'_>,
    mask: Option<&[u8]>,
    threshold: f32,
) -> Result<Leak, PixelError> {
    same_size("result", parent.size(), result.size())?;
    if !threshold.is_finite() || threshold < 0.0 {
        return Err(PixelError::InvalidParameter {
            name: "threshold",
            reason: "a finite ΔE ≥ 0",
        });
    }
    let lut = LabLut::new();
    let mut heat_map = vec![0u8; parent.data().len()];
    let mut acc = Acc {
        measured: 0,
        changed: 0,
        max_d2: 0.0,
        near: threshold * threshold * (1.0 - 1e-4),
        threshold,
        skip_below: 0,
        ramp: HeatRamp::new(threshold),
    };
    let (p, r) = (parent.data(), result.data());
    // Two monomorphised loops, so the per-pixel mask test is not even a branch without a mask.
    match mask {
        Some(m) => {
            for (i, &m) in m.iter().enumerate() {
                if !is_painted(m) {
                    acc.pixel(&lut, p, r, &mut heat_map, i);
                }
            }
        }
        None => {
            for i in 0..parent.pixel_count() {
                acc.pixel(&lut, p, r, &mut heat_map, i);
            }
        }
    }
    let Acc {
        measured,
        changed,
        max_d2,
        ..
    } = acc;
    let max_delta_e = max_d2.sqrt();
    let share = if measured == 0 {
        0.0
    } else {
        f64::from(changed) / f64::from(measured)
    };
    Ok(Leak {
        measured,
        changed,
        share,
        max_delta_e,
        threshold,
        heat_map,
    })
}

/// Squared CIE76 ΔE.
#[inline(always)]
fn delta_e2(x: Lab, y: Lab) -> f32 {
    let (dl, da, db) = (x.l - y.l, x.a - y.a, x.b - y.b);
    dl * dl + da * da + db * db
}

/// Lab of a straight RGBA pixel composited over a grey `background` (0 or 255).
fn lab_over(lut: &LabLut, p: [u8; 4], background: u8) -> Lab {
    let a = u32::from(p[3]);
    let bg = u32::from(background) * (255 - a);
    let c = |v: u8| ((u32::from(v) * a + bg + 127) / 255) as u8;
    lut.lab(c(p[0]), c(p[1]), c(p[2]))
}

/// The largest ΔE (CIE76, exact formula) between two opaque sRGB colours that differ by one
/// level in one channel (R, G, B), in hundredths of ΔE, rounded up from the exhaustive maxima
/// 0.8522 (at R 39→40, G = B = 0), 1.1885 (G 29→30, R = B = 0) and 0.8897 (B 60→61, R = G = 0). By the triangle
/// inequality along a path of single steps, `ΔE(p, q) ≤ Σ STEP_BOUND[c] · |p[c] − q[c]|`,
/// which lets most "almost the same" pixels skip the two Lab conversions. Checked by the
/// ignored test `step_bounds_hold_over_the_whole_cube`.
pub(crate) const STEP_BOUND: [u32; 3] = [86, 119, 90];

/// Hundredths of ΔE added to the bound for the table-driven Lab ([`LabLut`]), which deviates
/// from the exact formula by at most 0.0027 per colour (exhaustively), so 0.0054 per pair.
pub(crate) const TABLE_SLACK: u32 = 5;

/// [`heat_colour`] at 256 steps from the threshold to the end of the ramp.
struct HeatRamp {
    threshold: f32,
    colours: [[u8; 4]; 256],
}

impl HeatRamp {
    fn new(threshold: f32) -> Self {
        let mut colours = [[0; 4]; 256];
        for (k, c) in colours.iter_mut().enumerate() {
            *c = heat_colour(threshold + HEAT_RAMP_SPAN * k as f32 / 255.0, threshold);
        }
        HeatRamp { threshold, colours }
    }

    #[inline(always)]
    fn colour(&self, delta_e: f32) -> [u8; 4] {
        let k = ((delta_e - self.threshold) * (255.0 / HEAT_RAMP_SPAN) + 0.5) as usize;
        self.colours[k.min(255)]
    }
}

/// The running totals of one measurement and the per-pixel rule.
struct Acc {
    measured: u32,
    changed: u32,
    max_d2: f32,
    /// Squared ΔE from which the exact ΔE is worth computing.
    near: f32,
    threshold: f32,
    /// `min(threshold, max ΔE so far)` in hundredths of ΔE, rounded down: a pixel pair whose
    /// [`STEP_BOUND`] bound is at most this can neither count as changed nor raise the
    /// maximum, so it needs no conversion.
    skip_below: u32,
    ramp: HeatRamp,
}

impl Acc {
    // `inline(always)`: the release profile optimises for size (opt-level "z"), which would
    // otherwise keep this call per pixel.
    #[inline(always)]
    fn pixel(&mut self, lut: &LabLut, parent: &[u8], result: &[u8], heat: &mut [u8], i: usize) {
        self.measured += 1;
        let (Some(p), Some(q)) = (parent.get(i * 4..i * 4 + 4), result.get(i * 4..i * 4 + 4))
        else {
            return;
        };
        let (p, q) = ([p[0], p[1], p[2], p[3]], [q[0], q[1], q[2], q[3]]);
        // One integer compare (a slice `==` stays a call at opt-level "z").
        if u32::from_ne_bytes(p) == u32::from_ne_bytes(q) {
            return;
        }
        let d2 = if p[3] == 255 && q[3] == 255 {
            let bound = TABLE_SLACK
                + STEP_BOUND[0] * u32::from(p[0].abs_diff(q[0]))
                + STEP_BOUND[1] * u32::from(p[1].abs_diff(q[1]))
                + STEP_BOUND[2] * u32::from(p[2].abs_diff(q[2]));
            if bound <= self.skip_below {
                return;
            }
            delta_e2(lut.lab(p[0], p[1], p[2]), lut.lab(q[0], q[1], q[2]))
        } else {
            let over_white = delta_e2(lab_over(lut, p, 255), lab_over(lut, q, 255));
            let over_black = delta_e2(lab_over(lut, p, 0), lab_over(lut, q, 0));
            if over_white > over_black {
                over_white
            } else {
                over_black
            }
        };
        if d2 > self.max_d2 {
            self.max_d2 = d2;
            self.skip_below = (self.threshold.min(d2.sqrt()) * 100.0) as u32;
        }
        // Squared ΔE is compared first so that only pixels near or above the threshold pay
        // for a square root; the decision itself is `sqrt(d²) > threshold`, on the same ΔE
        // that is reported, so the rule holds exactly at the boundary.
        if d2 >= self.near {
            let d = d2.sqrt();
            if d > self.threshold {
                self.changed += 1;
                if let Some(h) = heat.get_mut(i * 4..i * 4 + 4) {
                    h.copy_from_slice(&self.ramp.colour(d));
                }
            }
        }
    }
}
