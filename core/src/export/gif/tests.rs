//! GIF output decoded by an independent decoder (the `gif` crate): frame count, delays, size,
//! looping, pixels.

use super::*;

fn gradient(w: usize, h: usize, shift: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(w * h * 4);
    for y in 0..h {
        for x in 0..w {
            v.extend_from_slice(&[
                ((x + shift) * 255 / w.max(1)) as u8,
                (y * 255 / h.max(1)) as u8,
                ((x + y + shift) * 255 / (w + h + 64)) as u8,
                255,
            ]);
        }
    }
    v
}

struct Decoded {
    width: u16,
    height: u16,
    infinite: bool,
    frames: Vec<(u16, Vec<u8>)>,
}

fn decode(bytes: &[u8], indexed: bool) -> Decoded {
    let mut o = gif::DecodeOptions::new();
    o.set_color_output(if indexed {
        gif::ColorOutput::Indexed
    } else {
        gif::ColorOutput::RGBA
    });
    let mut d = o.read_info(bytes).expect("a GIF the decoder accepts");
    let mut frames = Vec::new();
    while let Some(f) = d.read_next_frame().expect("frame decodes") {
        frames.push((f.delay, f.buffer.to_vec()));
    }
    Decoded {
        width: d.width(),
        height: d.height(),
        infinite: d.repeat() == gif::Repeat::Infinite,
        frames,
    }
}

fn options(w: u16, h: u16, palette: PaletteMode, dither: bool) -> GifOptions {
    GifOptions {
        width: w,
        height: h,
        palette,
        colors: 256,
        dither,
    }
}

#[test]
fn export_gif_frame_count_delays_size_and_loop() {
    let (w, h) = (96u16, 64u16);
    let frames: Vec<Vec<u8>> = (0..5)
        .map(|i| gradient(w as usize, h as usize, i * 9))
        .collect();
    let refs: Vec<&[u8]> = frames.iter().map(|f| f.as_slice()).collect();
    let mut b = PaletteBuilder::new();
    for f in &frames {
        b.add_rgba(f);
    }
    let timing = Timing {
        default_cs: 50,
        per_frame: vec![None, Some(120), None, Some(0)],
    };
    for (palette, dither) in [
        (PaletteMode::Global(b.build(256)), true),
        (PaletteMode::PerFrame, false),
    ] {
        let gif = encode(options(w, h, palette, dither), &refs, &timing).unwrap();
        let d = decode(&gif, false);
        assert_eq!((d.width, d.height), (w, h));
        assert!(d.infinite);
        let delays: Vec<u16> = d.frames.iter().map(|f| f.0).collect();
        assert_eq!(delays, [50, 120, 50, 2, 50]);
        // Colours survive quantisation: 8×8 block means (what the eye sees of a dither)
        // stay close, and undithered pixels stay close one by one.
        for (f, src) in d.frames.iter().zip(&frames) {
            let block = block_mean_error(&f.1, src, w as usize);
            assert!(block < 3.0, "block mean error {block}");
            if !dither {
                let px = mean_error(&f.1, src);
                assert!(px < 4.0, "pixel mean error {px}");
            }
        }
    }
}

fn mean_error(a: &[u8], b: &[u8]) -> f64 {
    let err: u64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (*x as i32 - *y as i32).unsigned_abs() as u64)
        .sum();
    err as f64 / a.len() as f64
}

fn block_mean_error(a: &[u8], b: &[u8], w: usize) -> f64 {
    let h = a.len() / 4 / w;
    let (mut sum, mut n) = (0.0, 0);
    for by in (0..h - 7).step_by(8) {
        for bx in (0..w - 7).step_by(8) {
            for c in 0..3 {
                let mean = |img: &[u8]| {
                    let mut s = 0u32;
                    for y in by..by + 8 {
                        for x in bx..bx + 8 {
                            s += img[(y * w + x) * 4 + c] as u32;
                        }
                    }
                    s as f64 / 64.0
                };
                sum += (mean(a) - mean(b)).abs();
                n += 1;
            }
        }
    }
    sum / n as f64
}

#[test]
fn export_gif_lzw_round_trips_exactly_at_every_palette_size() {
    // Few exact colours, noisy placement: long LZW streams with table resets.
    let mut seed = 12345u32;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    for ncolors in [1usize, 2, 3, 4, 16, 200, 256] {
        let (w, h) = (173usize, 111usize);
        let palette: Vec<[u8; 3]> = (0..ncolors)
            .map(|i| [(i * 8 % 256) as u8, (i / 32 * 8) as u8, 128])
            .collect();
        let mut rgba = Vec::new();
        let mut want = Vec::new();
        for i in 0..w * h {
            // Runs and noise both, so the dictionary sees repeats and fills up.
            let k = if i % 50 < 30 {
                (i / 50) % ncolors
            } else {
                rnd() as usize % ncolors
            };
            want.push(palette[k]);
            rgba.extend_from_slice(&[palette[k][0], palette[k][1], palette[k][2], 255]);
        }
        let opts = options(w as u16, h as u16, PaletteMode::PerFrame, false);
        let gif = encode(opts, &[&rgba], &Timing::default()).unwrap();
        let d = decode(&gif, false);
        let got: Vec<[u8; 3]> = d.frames[0]
            .1
            .chunks(4)
            .map(|p| [p[0], p[1], p[2]])
            .collect();
        assert_eq!(got, want, "{ncolors} colours");
    }
}

#[test]
fn export_gif_refuses_wrong_sizes() {
    let opts = options(4, 4, PaletteMode::PerFrame, false);
    assert_eq!(
        encode(opts.clone(), &[&[0u8; 60]], &Timing::default())
            .unwrap_err()
            .to_string(),
        "a frame has 60 bytes of pixels; every frame must be the same size (64 bytes)"
    );
    let mut empty = opts;
    empty.width = 0;
    assert_eq!(GifEncoder::new(empty).unwrap_err(), GifError::EmptySize);
}

#[test]
fn export_gif_palette_builder_is_exact_for_few_colours() {
    let mut b = PaletteBuilder::new();
    let px = [
        [255u8, 0, 0, 255],
        [0, 255, 0, 255],
        [0, 0, 255, 255],
        [255, 255, 255, 255],
    ];
    for (i, p) in px.iter().enumerate() {
        for _ in 0..=i {
            b.add_rgba(p);
        }
    }
    let mut colors = b.build(256).colors().to_vec();
    colors.sort();
    assert_eq!(
        colors,
        [[0, 0, 255], [0, 255, 0], [255, 0, 0], [255, 255, 255]]
    );
    assert_eq!(b.build(2).colors().len(), 2);
    assert_eq!(Palette::new(vec![[0; 3]; 3]).table().len(), 12);
    assert_eq!(Palette::new(vec![[0; 3]; 200]).table_bits(), 8);
}

#[test]
fn delay_cs_an_override_wins_over_the_default() {
    assert_eq!(delay_cs(Some(2.5), 1.5), 250);
    assert_eq!(delay_cs(Some(0.1), 4.0), 10);
}

#[test]
fn delay_cs_without_an_override_uses_the_default() {
    assert_eq!(delay_cs(None, 1.5), 150);
    assert_eq!(delay_cs(None, 1.0), 100);
    // An override that is not a number is no override.
    assert_eq!(delay_cs(Some(f64::NAN), 1.5), 150);
    assert_eq!(delay_cs(Some(f64::INFINITY), 1.5), 150);
}

#[test]
fn delay_cs_is_clamped_to_2_to_6000() {
    assert_eq!(delay_cs(Some(0.0), 1.5), 2);
    assert_eq!(delay_cs(Some(0.001), 1.5), 2);
    assert_eq!(delay_cs(Some(-3.0), 1.5), 2);
    assert_eq!(delay_cs(None, 0.01), 2);
    assert_eq!(delay_cs(Some(60.0), 1.5), 6000);
    assert_eq!(delay_cs(Some(61.0), 1.5), 6000);
    assert_eq!(delay_cs(None, 1e12), 6000);
    assert_eq!(delay_cs(None, f64::NAN), 2);
    assert_eq!(delay_cs(None, f64::INFINITY), 6000);
    assert_eq!(delay_cs(None, f64::NEG_INFINITY), 2);
}

#[test]
fn delay_cs_rounds_to_the_nearest_centisecond() {
    assert_eq!(delay_cs(Some(1.234), 1.5), 123);
    assert_eq!(delay_cs(Some(1.235), 1.5), 124);
    assert_eq!(delay_cs(Some(0.3), 1.5), 30);
    assert_eq!(delay_cs(None, 2.999), 300);
}

#[test]
fn total_seconds_adds_what_the_gif_will_play() {
    assert_eq!(total_seconds([None, Some(3.0), None], 1.5), 6.0);
    assert_eq!(total_seconds(Vec::new(), 1.5), 0.0);
    assert_eq!(total_seconds([Some(0.0)], 1.5), 0.02);
}

#[test]
fn delay_cs_is_the_delay_a_decoder_reads() {
    let (w, h) = (8usize, 4usize);
    let opts = GifOptions {
        width: w as u16,
        height: h as u16,
        palette: PaletteMode::PerFrame,
        colors: 16,
        dither: false,
    };
    let (mut enc, mut out) = GifEncoder::new(opts).unwrap();
    for hold in [None, Some(0.75), None] {
        out.extend_from_slice(&enc.frame(&gradient(w, h, 0), delay_cs(hold, 1.5)).unwrap());
    }
    out.extend_from_slice(&enc.finish());
    let delays: Vec<u16> = decode(&out, true).frames.iter().map(|f| f.0).collect();
    assert_eq!(delays, [150, 75, 150]);
}
