//! Native tests of `core::pixels` on known pixel arrays (`cargo test -p continuity-core pixels`).

mod bounds;
mod composite;
mod consistency;
mod leak;
mod mask;
mod proptests;
mod thumb;

/// An image of `w × h` pixels, each from `f(x, y)`.
pub(super) fn image(w: u32, h: u32, f: impl Fn(u32, u32) -> [u8; 4]) -> Vec<u8> {
    let mut out = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        for x in 0..w {
            out.extend_from_slice(&f(x, y));
        }
    }
    out
}

/// A coverage of `w × h` from `painted(x, y)`.
pub(super) fn coverage(w: u32, h: u32, painted: impl Fn(u32, u32) -> bool) -> Vec<u8> {
    let mut out = Vec::with_capacity((w * h) as usize);
    for y in 0..h {
        for x in 0..w {
            out.push(if painted(x, y) { 255 } else { 0 });
        }
    }
    out
}

/// Deterministic pseudo-random bytes (xorshift), so noise tests are reproducible.
pub(super) struct Noise(pub u64);

impl Noise {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A value in `-amp ..= amp`.
    pub(super) fn offset(&mut self, amp: i32) -> i32 {
        (self.next() % (2 * amp as u64 + 1)) as i32 - amp
    }
}

/// A colourful, structured test picture: a sky gradient, a sun, a red house, green ground.
pub(super) fn scene(w: u32, h: u32) -> Vec<u8> {
    image(w, h, |x, y| {
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        let sun = (fx - 0.75).powi(2) + (fy - 0.25).powi(2) < 0.01;
        if sun {
            [250, 210, 40, 255]
        } else if fy > 0.7 {
            [40, 140, 50, 255]
        } else if (0.2..0.45).contains(&fx) && fy > 0.4 {
            [190, 40, 35, 255]
        } else {
            [70 + (fy * 80.0) as u8, 120 + (fy * 60.0) as u8, 220, 255]
        }
    })
}
