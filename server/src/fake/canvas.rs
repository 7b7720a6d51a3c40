//! Pixel primitives for the fake's drawings: an RGBA canvas with gradients, shapes, text and
//! tinting, nearest-neighbour resizing, pixelation and mask compositing.

use image::RgbaImage;

use super::font;

/// The shapes a scene can contain.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    Circle,
    Rect,
    Triangle,
}

/// A rectangle as fractions of the canvas (an edit's repainted region).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Region {
    /// Left edge, 0 ‥ 1.
    pub x: f32,
    /// Top edge, 0 ‥ 1.
    pub y: f32,
    /// Width, 0 ‥ 1.
    pub w: f32,
    /// Height, 0 ‥ 1.
    pub h: f32,
}

impl Region {
    /// A third of the width and of the height (a ninth of the image), placed at `fx`, `fy`
    /// (0 ‥ 1) of the room left.
    pub fn third(fx: f32, fy: f32) -> Self {
        let side = 1.0 / 3.0;
        Region {
            x: fx.clamp(0.0, 1.0) * (1.0 - side),
            y: fy.clamp(0.0, 1.0) * (1.0 - side),
            w: side,
            h: side,
        }
    }

    /// `(x0, y0, x1, y1)` in pixels of a `w` × `h` canvas (never empty, within it).
    pub fn pixels(&self, w: u32, h: u32) -> (u32, u32, u32, u32) {
        // Edges rounded to the nearest pixel boundary (x1, y1 exclusive), so a third of 300 px
        // is 100 px wherever it sits.
        let edge = |f: f32, side: u32| ((f * side as f32).round().max(0.0) as u32).min(side);
        let (x0, y0) = (
            edge(self.x, w).min(w.saturating_sub(1)),
            edge(self.y, h).min(h.saturating_sub(1)),
        );
        let x1 = edge(self.x + self.w, w).clamp(x0 + 1, w.max(1));
        let y1 = edge(self.y + self.h, h).clamp(y0 + 1, h.max(1));
        (x0, y0, x1, y1)
    }
}

/// Where the mask's alpha is 255 the original is kept exactly; where it is 0 the edit shows.
pub fn composite_through_mask(out: &mut RgbaImage, original: &RgbaImage, mask: &RgbaImage) {
    for ((o, b), m) in out.pixels_mut().zip(original.pixels()).zip(mask.pixels()) {
        let a = u32::from(m[3]);
        for c in 0..4 {
            o[c] = ((u32::from(o[c]) * (255 - a) + u32::from(b[c]) * a + 127) / 255) as u8;
        }
    }
}

/// An RGBA pixel buffer with the few primitives the fake needs.
pub struct Canvas {
    w: u32,
    h: u32,
    /// RGBA bytes, row by row.
    pub pixels: Vec<u8>,
}

impl Canvas {
    pub fn new(w: u32, h: u32) -> Self {
        Self {
            w,
            h,
            pixels: vec![0; (w as usize) * (h as usize) * 4],
        }
    }

    fn row_span(&mut self, y: u32, x0: u32, x1: u32) -> &mut [u8] {
        let start = (y as usize * self.w as usize + x0 as usize) * 4;
        let end = (y as usize * self.w as usize + x1 as usize) * 4;
        &mut self.pixels[start..end]
    }

    pub fn gradient(&mut self, top: [u8; 3], bottom: [u8; 3], alpha: u8) {
        let h = self.h.max(2) - 1;
        for y in 0..self.h {
            let t = y as f32 / h as f32;
            let c = lerp(top, bottom, t);
            let px = [c[0], c[1], c[2], alpha];
            let w = self.w;
            for p in self.row_span(y, 0, w).chunks_exact_mut(4) {
                p.copy_from_slice(&px);
            }
        }
    }

    /// Blends every pixel 35% toward `color` (keeps alpha).
    pub fn tint(&mut self, color: [u8; 3], amount: u32) {
        for p in self.pixels.chunks_exact_mut(4) {
            for c in 0..3 {
                p[c] =
                    ((u32::from(p[c]) * (255 - amount) + u32::from(color[c]) * amount) / 255) as u8;
            }
        }
    }

    /// Blends the pixels of `[x0, x1) × [y0, y1)` `amount`/255 toward `color` (keeps alpha).
    pub fn tint_rect(&mut self, x0: u32, y0: u32, x1: u32, y1: u32, color: [u8; 3], amount: u32) {
        let (x1, y1) = (x1.min(self.w), y1.min(self.h));
        if x0 >= x1 {
            return;
        }
        for y in y0..y1 {
            for p in self.row_span(y, x0, x1).chunks_exact_mut(4) {
                for c in 0..3 {
                    p[c] = ((u32::from(p[c]) * (255 - amount) + u32::from(color[c]) * amount) / 255)
                        as u8;
                }
            }
        }
    }

    /// Repaints every pixel in other colours, keeping its lightness: a ramp from dark to light
    /// of the hue opposite the image's mean hue (or of `fallback`'s hue for a grey image), so
    /// the light-and-dark layout stays and the palette changes.
    pub fn recolour(&mut self, fallback: [u8; 3]) {
        let hue = mean_hue(&self.pixels).unwrap_or_else(|| hue_of(fallback)) + 180.0;
        let (dark, light) = (hsv(hue, 0.9, 0.25), hsv(hue, 0.55, 1.0));
        for p in self.pixels.chunks_exact_mut(4) {
            let lum =
                (0.2126 * f32::from(p[0]) + 0.7152 * f32::from(p[1]) + 0.0722 * f32::from(p[2]))
                    / 255.0;
            let c = lerp(dark, light, lum);
            p[..3].copy_from_slice(&c);
        }
    }

    /// Alpha-composites `top` (same size) over the canvas.
    pub fn overlay(&mut self, top: &RgbaImage) {
        for (p, t) in self.pixels.chunks_exact_mut(4).zip(top.pixels()) {
            let a = u32::from(t[3]);
            for c in 0..3 {
                p[c] = ((u32::from(p[c]) * (255 - a) + u32::from(t[c]) * a) / 255) as u8;
            }
            p[3] = p[3].max(t[3]);
        }
    }

    /// Fills `[x0, x1) × [y0, y1)` (clipped), blending `alpha`/255 of `color` over it.
    pub fn rect(&mut self, x0: i64, y0: i64, x1: i64, y1: i64, color: [u8; 3], alpha: u32) {
        let (x0, x1) = (
            x0.clamp(0, self.w.into()) as u32,
            x1.clamp(0, self.w.into()) as u32,
        );
        let (y0, y1) = (
            y0.clamp(0, self.h.into()) as u32,
            y1.clamp(0, self.h.into()) as u32,
        );
        if x0 >= x1 {
            return;
        }
        for y in y0..y1 {
            for p in self.row_span(y, x0, x1).chunks_exact_mut(4) {
                for c in 0..3 {
                    p[c] = ((u32::from(p[c]) * (255 - alpha) + u32::from(color[c]) * alpha) / 255)
                        as u8;
                }
                p[3] = p[3].max(alpha as u8);
            }
        }
    }

    pub fn shape(&mut self, shape: Shape, cx: f32, cy: f32, r: f32, color: [u8; 3]) {
        let (top, bottom) = ((cy - r).floor() as i64, (cy + r).ceil() as i64);
        for y in top..bottom {
            let dy = y as f32 + 0.5 - cy;
            let half = match shape {
                Shape::Circle => (r * r - dy * dy).max(0.0).sqrt(),
                Shape::Rect => r * 1.25,
                // Apex at the top, base at the bottom.
                Shape::Triangle => r * (dy + r) / (2.0 * r) * 1.15,
            };
            if half > 0.0 {
                self.rect((cx - half) as i64, y, (cx + half) as i64, y + 1, color, 255);
            }
        }
    }

    pub fn text(&mut self, text: &str, x: u32, y: u32, scale: u32, color: [u8; 3]) {
        for (i, ch) in text.chars().enumerate() {
            let gx = i64::from(x) + (i as i64) * i64::from(font::ADVANCE * scale);
            for fy in 0..font::GLYPH_H {
                for fx in 0..font::GLYPH_W {
                    if font::pixel(ch, fx, fy) {
                        let px = gx + i64::from(fx * scale);
                        let py = i64::from(y + fy * scale);
                        self.rect(
                            px,
                            py,
                            px + i64::from(scale),
                            py + i64::from(scale),
                            color,
                            255,
                        );
                    }
                }
            }
        }
    }

    /// The prompt words, white on a dark band: near the top for generations, at the bottom
    /// for edits (so the input stays recognisable).
    pub fn words(&mut self, words: &str, bottom: bool) {
        let tw = font::text_width(words).max(1);
        let by_width = (self.w as f32 * 0.84) / tw as f32;
        let by_height = self.h as f32 * 0.09 / font::GLYPH_H as f32;
        let scale = (by_width.min(by_height) as u32).max(1);
        let text_h = font::GLYPH_H * scale;
        let pad = scale * 2;
        let band_h = text_h + 2 * pad;
        let band_y = if bottom {
            self.h.saturating_sub(band_h + self.h / 20)
        } else {
            self.h / 12
        };
        self.rect(
            0,
            band_y.into(),
            self.w.into(),
            (band_y + band_h).into(),
            [16, 16, 24],
            170,
        );
        let x = self.w.saturating_sub(tw * scale) / 2;
        self.text(words, x, band_y + pad, scale, [255, 255, 255]);
    }
}

impl Canvas {
    /// The words, white on a dark band, fitted into `width` × at most `height` pixels at
    /// (`x`, `y`): an edit's change of text inside its region.
    pub fn words_in(&mut self, words: &str, x: u32, y: u32, width: u32, height: u32) {
        let tw = font::text_width(words).max(1);
        let by_width = width as f32 * 0.9 / tw as f32;
        let by_height = height as f32 / (font::GLYPH_H as f32 + 4.0);
        let scale = (by_width.min(by_height) as u32).max(1);
        let pad = scale * 2;
        let band_h = font::GLYPH_H * scale + 2 * pad;
        self.rect(
            x.into(),
            y.into(),
            (x + width).into(),
            (y + band_h).into(),
            [16, 16, 24],
            170,
        );
        let tx = x + width.saturating_sub(tw * scale) / 2;
        self.text(words, tx, y + pad, scale, [255, 255, 255]);
    }
}

/// The mean hue of RGBA pixels in degrees, weighted by saturation (`None` for a grey image).
fn mean_hue(pixels: &[u8]) -> Option<f32> {
    let (mut x, mut y, mut weight) = (0f64, 0f64, 0f64);
    for p in pixels.chunks_exact(4).step_by(7) {
        let (max, min) = (p[..3].iter().max().copied()?, p[..3].iter().min().copied()?);
        let chroma = f64::from(max - min) / 255.0;
        if chroma < 0.05 {
            continue;
        }
        let h = f64::from(hue_of([p[0], p[1], p[2]])).to_radians();
        x += chroma * h.cos();
        y += chroma * h.sin();
        weight += chroma;
    }
    (weight > 0.0 && x.hypot(y) > 1e-6).then(|| (y.atan2(x).to_degrees() as f32).rem_euclid(360.0))
}

/// The hue of an RGB colour in degrees (0 for grey).
fn hue_of(c: [u8; 3]) -> f32 {
    let [r, g, b] = c.map(|v| f32::from(v) / 255.0);
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    let d = max - min;
    if d <= f32::EPSILON {
        return 0.0;
    }
    let h = if max == r {
        ((g - b) / d).rem_euclid(6.0)
    } else if max == g {
        (b - r) / d + 2.0
    } else {
        (r - g) / d + 4.0
    };
    h * 60.0
}

/// Nearest-neighbour resize (returns a copy when the size already matches).
pub fn resize_nearest(src: &RgbaImage, w: u32, h: u32) -> RgbaImage {
    if src.dimensions() == (w, h) {
        return src.clone();
    }
    let (sw, sh) = src.dimensions();
    let xs: Vec<u32> = (0..w)
        .map(|x| (u64::from(x) * u64::from(sw) / u64::from(w)) as u32)
        .collect();
    let mut out = RgbaImage::new(w, h);
    for y in 0..h {
        let sy = (u64::from(y) * u64::from(sh) / u64::from(h)) as u32;
        for (x, sx) in xs.iter().enumerate() {
            out.put_pixel(x as u32, y, *src.get_pixel(*sx, sy));
        }
    }
    out
}

/// Block-samples the image: a low-detail preview for partial images.
pub fn pixelate(src: &RgbaImage, block: u32) -> RgbaImage {
    let (w, h) = src.dimensions();
    let mut out = RgbaImage::new(w, h);
    for y in 0..h {
        let sy = (y / block * block + block / 2).min(h - 1);
        for x in 0..w {
            let sx = (x / block * block + block / 2).min(w - 1);
            out.put_pixel(x, y, *src.get_pixel(sx, sy));
        }
    }
    out
}

/// Linear mix of two colours.
pub fn lerp(a: [u8; 3], b: [u8; 3], t: f32) -> [u8; 3] {
    let mix = |x: u8, y: u8| (f32::from(x) + (f32::from(y) - f32::from(x)) * t).round() as u8;
    [mix(a[0], b[0]), mix(a[1], b[1]), mix(a[2], b[2])]
}

/// HSV (hue in degrees) to RGB.
pub fn hsv(hue: f32, s: f32, v: f32) -> [u8; 3] {
    let h = hue.rem_euclid(360.0) / 60.0;
    let c = v * s;
    let x = c * (1.0 - (h % 2.0 - 1.0).abs());
    let (r, g, b) = match h as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = v - c;
    let to = |f: f32| ((f + m) * 255.0).round() as u8;
    [to(r), to(g), to(b)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_helpers() {
        assert_eq!(hsv(0.0, 1.0, 1.0), [255, 0, 0]);
        assert_eq!(hsv(120.0, 1.0, 1.0), [0, 255, 0]);
        assert_eq!(lerp([0, 0, 0], [200, 100, 50], 0.5), [100, 50, 25]);
    }

    #[test]
    fn resize_and_pixelate_keep_sizes() {
        let src = RgbaImage::from_fn(4, 2, |x, y| image::Rgba([x as u8, y as u8, 0, 255]));
        let big = resize_nearest(&src, 8, 4);
        assert_eq!(big.dimensions(), (8, 4));
        assert_eq!(big.get_pixel(7, 3).0, [3, 1, 0, 255]);
        assert_eq!(pixelate(&big, 4).dimensions(), (8, 4));
    }

    #[test]
    fn regions_stay_inside_the_canvas() {
        for (fx, fy) in [(0.0, 0.0), (1.0, 1.0), (0.5, 0.2)] {
            let (x0, y0, x1, y1) = Region::third(fx, fy).pixels(300, 90);
            assert!(
                x0 < x1 && x1 <= 300 && y0 < y1 && y1 <= 90,
                "{x0} {y0} {x1} {y1}"
            );
            assert!((99..=101).contains(&(x1 - x0)) && (29..=31).contains(&(y1 - y0)));
        }
    }

    #[test]
    fn recolouring_keeps_lightness_order_and_turns_the_hue() {
        let mut c = Canvas::new(2, 1);
        c.pixels = vec![20, 40, 200, 255, 120, 160, 250, 255];
        c.recolour([0, 0, 0]);
        let lum = |p: &[u8]| u32::from(p[0]) * 2 + u32::from(p[1]) * 7 + u32::from(p[2]);
        assert!(
            lum(&c.pixels[..4]) < lum(&c.pixels[4..]),
            "the darker stays darker"
        );
        // Blue in, orange-ish out.
        assert!(c.pixels[4] > c.pixels[6], "{:?}", c.pixels);
        assert_eq!(hue_of([255, 0, 0]), 0.0);
        assert_eq!(hue_of([0, 0, 255]), 240.0);
        assert_eq!(mean_hue(&[128, 128, 128, 255]), None);
    }

    #[test]
    fn mask_alpha_255_keeps_the_original() {
        let original = RgbaImage::from_pixel(2, 1, image::Rgba([10, 20, 30, 255]));
        let mut out = RgbaImage::from_pixel(2, 1, image::Rgba([200, 200, 200, 255]));
        let mask = RgbaImage::from_fn(2, 1, |x, _| {
            image::Rgba([0, 0, 0, if x == 0 { 255 } else { 0 }])
        });
        composite_through_mask(&mut out, &original, &mask);
        assert_eq!(out.get_pixel(0, 0).0, [10, 20, 30, 255]);
        assert_eq!(out.get_pixel(1, 0).0, [200, 200, 200, 255]);
    }
}
