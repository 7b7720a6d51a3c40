//! sRGB → CIE L\*a\*b\* (D65) and the CIE76 colour difference ΔE\*ab.
//!
//! CIE76 is the Euclidean distance in Lab. It overstates differences of saturated colours
//! compared with CIEDE2000, but it is cheap, symmetric and monotonic, which is what a
//! "did this pixel change visibly?" test needs. Rough scale: ΔE ≈ 2.3 is a just noticeable
//! difference, ΔE > 10 is a clearly different colour, black ↔ white is 100.

use serde::{Deserialize, Serialize};

/// A colour in CIE L\*a\*b\* (D65 white): `l` in 0‥100, `a` and `b` roughly −128‥128.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Lab {
    /// Lightness L\*, 0 (black) ‥ 100 (white).
    pub l: f32,
    /// Green (−) ↔ red (+) axis a\*.
    pub a: f32,
    /// Blue (−) ↔ yellow (+) axis b\*.
    pub b: f32,
}

/// CIE76 colour difference: the Euclidean distance between two Lab colours.
pub fn delta_e(x: Lab, y: Lab) -> f32 {
    let (dl, da, db) = (x.l - y.l, x.a - y.a, x.b - y.b);
    (dl * dl + da * da + db * db).sqrt()
}

/// sRGB (8 bits per channel, the IEC 61966-2-1 transfer curve) → Lab, exact formula (in
/// `f32`). The whole-image functions use a table-driven equivalent that agrees within ΔE 0.003.
pub fn srgb_to_lab(rgb: [u8; 3]) -> Lab {
    let lin = rgb.map(|c| srgb_to_linear(f32::from(c) / 255.0));
    xyz_to_lab(lin, |t| lab_f(t, t.cbrt()))
}

fn srgb_to_linear(c: f32) -> f32 {
    if c <= 0.040_45 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

// CIE constants: ε = (6/29)³ and κ = (29/3)³, the linear toe of the Lab curve.
const EPSILON: f32 = 216.0 / 24389.0;
const KAPPA: f32 = 24389.0 / 27.0;

fn lab_f(t: f32, cbrt: f32) -> f32 {
    if t > EPSILON {
        cbrt
    } else {
        (KAPPA * t + 16.0) / 116.0
    }
}

/// Linear sRGB → XYZ already divided by the D65 white (Xn = 0.95047, Zn = 1.08883), so that
/// white maps to (1, 1, 1).
const M: [[f32; 3]; 3] = [
    [
        0.412_456_4 / 0.950_47,
        0.357_576_1 / 0.950_47,
        0.180_437_5 / 0.950_47,
    ],
    [0.212_672_9, 0.715_152_2, 0.072_175_0],
    [
        0.019_333_9 / 1.088_83,
        0.119_192 / 1.088_83,
        0.950_304_1 / 1.088_83,
    ],
];

fn xyz_to_lab(lin: [f32; 3], f: impl Fn(f32) -> f32) -> Lab {
    let [r, g, b] = lin;
    let x = M[0][0] * r + M[0][1] * g + M[0][2] * b;
    let y = M[1][0] * r + M[1][1] * g + M[1][2] * b;
    let z = M[2][0] * r + M[2][1] * g + M[2][2] * b;
    let (fx, fy, fz) = (f(x), f(y), f(z));
    Lab {
        l: 116.0 * fy - 16.0,
        a: 500.0 * (fx - fy),
        b: 200.0 * (fy - fz),
    }
}

/// Entries of the Lab `f` table over t ∈ [0, 1]; linear interpolation between entries keeps
/// the error in ΔE under 0.01 (the curve is steepest just above ε, where the spacing 1/4096
/// still gives an interpolation error of ~5e-6 in f). 16 KiB: it stays in the L1 cache.
const F_STEPS: usize = 4096;

/// Fixed-point scale of the normalised X, Y, Z in the bulk path: 2²⁴, so that the table index
/// is `t >> 12` and the interpolation fraction the low 12 bits — integer work only.
const T_SHIFT: u32 = 24;
const FRAC_BITS: u32 = T_SHIFT - F_STEPS.trailing_zeros();

/// Table-driven sRGB → Lab for whole images, because `powf` and `cbrt` per channel per pixel
/// would dominate the run time in wasm:
/// - X, Y, Z (already divided by the white) are sums of three per-channel tables holding
///   `M[row][channel] · linear(v)` in 2²⁴ fixed point (nine tables of 256 `u32`);
/// - the Lab cube root `f(t)` comes from a table of 4096 steps over [0, 1] (plus a spare
///   entry), interpolated linearly with the low bits of `t`.
///
/// Built per call (≈ 4k `cbrt`s and 256 `powf`s, microseconds), so there is no global state.
/// It agrees with the exact formula within ΔE 0.0027 over all 16.7 M sRGB colours (checked by
/// the ignored test `step_bounds_hold_over_the_whole_cube`; a sampled check runs always).
pub(crate) struct LabLut {
    /// `xyz[row][channel][v]`.
    xyz: [[[u32; 256]; 3]; 3],
    /// `f(i / F_STEPS)` for `i` in `0..=F_STEPS`, plus one spare entry for the interpolation.
    f: Box<[f32; F_STEPS + 2]>,
}

impl LabLut {
    pub(crate) fn new() -> Self {
        let scale = (1u32 << T_SHIFT) as f32;
        let mut xyz = [[[0u32; 256]; 3]; 3];
        for v in 0..256 {
            let lin = srgb_to_linear(v as f32 / 255.0);
            for (row, m) in xyz.iter_mut().zip(&M) {
                for (table, k) in row.iter_mut().zip(m) {
                    // Truncated: white sums to 2²⁴ within a few units.
                    table[v] = (k * lin * scale) as u32;
                }
            }
        }
        let mut f = Box::new([0f32; F_STEPS + 2]);
        for (i, v) in f.iter_mut().enumerate() {
            let t = i as f32 / F_STEPS as f32;
            *v = lab_f(t, t.cbrt());
        }
        LabLut { xyz, f }
    }

    #[inline(always)]
    fn f(&self, t: u32) -> f32 {
        // t is at most a few units over 2²⁴ (white); the `min` keeps the index in the table
        // (the spare entry covers the interpolation there) and lets the compiler drop the
        // bounds checks.
        let i = ((t >> FRAC_BITS) as usize).min(F_STEPS);
        let frac = (t & ((1 << FRAC_BITS) - 1)) as f32 * (1.0 / (1 << FRAC_BITS) as f32);
        let (lo, hi) = (self.f[i], self.f[i + 1]);
        lo + (hi - lo) * frac
    }

    /// Lab of one sRGB pixel.
    #[inline(always)]
    pub(crate) fn lab(&self, r: u8, g: u8, b: u8) -> Lab {
        // Written out (no closure, no iterator): at opt-level "z" a closure here stays a call,
        // six per pixel pair.
        let (r, g, b) = (r as usize, g as usize, b as usize);
        let [x, y, z] = &self.xyz;
        let fx = self.f(x[0][r] + x[1][g] + x[2][b]);
        let fy = self.f(y[0][r] + y[1][g] + y[2][b]);
        let fz = self.f(z[0][r] + z[1][g] + z[2][b]);
        Lab {
            l: 116.0 * fy - 16.0,
            a: 500.0 * (fx - fy),
            b: 200.0 * (fy - fz),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn black_white_and_grey_have_the_textbook_values() {
        let white = srgb_to_lab([255, 255, 255]);
        let black = srgb_to_lab([0, 0, 0]);
        assert!((white.l - 100.0).abs() < 0.01 && white.a.abs() < 0.01 && white.b.abs() < 0.01);
        assert_eq!(black, Lab::default());
        assert!((delta_e(white, black) - 100.0).abs() < 0.01);
        // sRGB 119 is the classic mid grey, L* ≈ 50.
        assert!((srgb_to_lab([119, 119, 119]).l - 50.0).abs() < 0.3);
        // Pure sRGB red: L* 53.24, a* 80.09, b* 67.20.
        let red = srgb_to_lab([255, 0, 0]);
        assert!((red.l - 53.24).abs() < 0.05, "{red:?}");
        assert!((red.a - 80.09).abs() < 0.1, "{red:?}");
        assert!((red.b - 67.20).abs() < 0.1, "{red:?}");
    }

    #[test]
    fn the_table_agrees_with_the_exact_formula() {
        let lut = LabLut::new();
        let mut worst = 0.0f32;
        // A coarse cube of sRGB plus every grey.
        let steps: Vec<u8> = (0..=255).step_by(15).chain([1, 2, 3, 254]).collect();
        for &r in &steps {
            for &g in &steps {
                for &b in &steps {
                    let d = delta_e(lut.lab(r, g, b), srgb_to_lab([r, g, b]));
                    worst = worst.max(d);
                }
            }
        }
        for v in 0..=255u8 {
            worst = worst.max(delta_e(lut.lab(v, v, v), srgb_to_lab([v, v, v])));
        }
        assert!(worst < 0.01, "worst ΔE between table and formula: {worst}");
    }
}
