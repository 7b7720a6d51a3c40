//! Native micro-benchmark of `continuity_core::pixels` on 1536 × 1024 buffers.
//!
//! `cargo run --release -p continuity-core --example pixels_bench`
//!
//! Prints figures only (median and best of several runs); it never asserts on time. The
//! browser figures come from `scripts/bench.sh` (wasm in a worker), which is what the
//! 150 ms target is about; these show the native cost and catch accidental slowdowns.

use std::hint::black_box;
use std::time::{Duration, Instant};

use continuity_core::pixels::{
    changed_area, composite, consistency, downscale, encode_mask, invert, leak, signature,
    thumb_size, Coverage, Rgba, LEAK_DELTA_E, THUMB_MAX_EDGE,
};

const W: u32 = 1536;
const H: u32 = 1024;
const RUNS: usize = 9;

fn time(name: &str, mut f: impl FnMut()) {
    f(); // warm-up
    let mut runs: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    runs.sort();
    println!(
        "{name:<40} median {:>8.2} ms   best {:>8.2} ms",
        runs[RUNS / 2].as_secs_f64() * 1e3,
        runs[0].as_secs_f64() * 1e3
    );
}

fn main() {
    // A parent with gradients and shapes; a disc mask; results that differ from the parent
    // strongly inside the disc and, outside it, by mild (±3 per channel, as a re-encoded
    // image) or strong (±12, a re-rendered image) noise; and an inverted parent, where every
    // pixel changed (the worst case: every pixel needs two Lab conversions).
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut noise = move |amp: i32| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % (2 * amp as u64 + 1)) as i32 - amp
    };
    let n = (W * H) as usize;
    let (mut parent, mut mild, mut strong, mut inverted, mut mask) = (
        Vec::with_capacity(n * 4),
        Vec::with_capacity(n * 4),
        Vec::with_capacity(n * 4),
        Vec::with_capacity(n * 4),
        Vec::with_capacity(n),
    );
    for y in 0..H {
        for x in 0..W {
            let p = [
                (x * 255 / W) as u8,
                (y * 255 / H) as u8,
                ((x ^ y) & 0xff) as u8,
                255,
            ];
            let inside = (x as i32 - 900).pow(2) + (y as i32 - 500).pow(2) < 300 * 300;
            let mut near = |amp: i32| {
                if inside {
                    [255 - p[0], p[2], p[1], 255]
                } else {
                    let mut n = |c: u8| (i32::from(c) + noise(amp)).clamp(0, 255) as u8;
                    [n(p[0]), n(p[1]), n(p[2]), 255]
                }
            };
            mild.extend_from_slice(&near(3));
            strong.extend_from_slice(&near(12));
            inverted.extend_from_slice(&[255 - p[0], 255 - p[1], 255 - p[2], 255]);
            parent.extend_from_slice(&p);
            mask.push(if inside { 255 } else { 0 });
        }
    }
    let parent = Rgba::new(W, H, &parent).unwrap();
    let mild = Rgba::new(W, H, &mild).unwrap();
    let strong = Rgba::new(W, H, &strong).unwrap();
    let inverted = Rgba::new(W, H, &inverted).unwrap();
    let result = mild;
    let mut inverse = mask.clone();
    invert(&mut inverse);
    let mask = Coverage::new(W, H, &mask).unwrap();
    // Painted everywhere but the disc: the composite's work box is the whole image.
    let inverse = Coverage::new(W, H, &inverse).unwrap();

    println!("pixels on {W}×{H} (native, {RUNS} runs)");
    time("mask encode", || {
        black_box(encode_mask(mask, W, H).unwrap());
    });
    time("leak + heat map, mild noise outside", || {
        black_box(leak(parent, mild, mask, LEAK_DELTA_E).unwrap());
    });
    time("leak + heat map, strong noise outside", || {
        black_box(leak(parent, strong, mask, LEAK_DELTA_E).unwrap());
    });
    time("changed area + heat map, all changed", || {
        black_box(changed_area(parent, inverted, LEAK_DELTA_E).unwrap());
    });
    time("composite, feather 0", || {
        black_box(composite(parent, result, mask, 0).unwrap());
    });
    time("composite, feather 16", || {
        black_box(composite(parent, result, mask, 16).unwrap());
    });
    time("composite, feather 64", || {
        black_box(composite(parent, result, mask, 64).unwrap());
    });
    time("composite, feather 16, inverse mask", || {
        black_box(composite(parent, result, inverse, 16).unwrap());
    });
    time("signature (one image)", || {
        black_box(signature(parent));
    });
    time("consistency (both signatures)", || {
        black_box(consistency(result, parent).unwrap());
    });
    time("thumbnail 384 (size + downscale)", || {
        let (tw, th) = thumb_size(W, H, THUMB_MAX_EDGE).unwrap();
        black_box(downscale(parent, tw, th).unwrap());
    });
    for (name, r) in [("mild", mild), ("strong", strong)] {
        let l = leak(parent, r, mask, LEAK_DELTA_E).unwrap();
        println!(
            "(leak, {name}: {}/{} = {:.3}, max ΔE {:.1})",
            l.changed, l.measured, l.share, l.max_delta_e
        );
    }
}
