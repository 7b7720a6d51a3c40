//! GIF's variable-width LZW (codes of 3–12 bits, clear and end codes, reset when the table
//! reaches 4,096 entries), packed into 255-byte sub-blocks.
//!
//! Written here rather than taken from `weezl`: the encoder alone is ~100 lines; `weezl`
//! brings its decoder and streaming machinery too. The dictionary is an open-addressing hash
//! of (prefix code, byte) → code, cleared in 32 KiB on every reset.

const MAX_CODES: u16 = 4096;
const HASH_SIZE: usize = 8192;

/// Compresses `indices` (each below 2^`min_code_size`) and returns the image data as it
/// follows the image descriptor: the minimum code size byte, the sub-blocks, the terminator.
pub(crate) fn encode(indices: &[u8], min_code_size: u8) -> Vec<u8> {
    let mut w = BitWriter::new(indices.len() / 2 + 16);
    w.out.push(min_code_size);
    let clear: u16 = 1 << min_code_size;
    let eoi = clear + 1;
    let mut keys = vec![0u32; HASH_SIZE];
    let mut vals = vec![0u16; HASH_SIZE];
    let mut width = min_code_size as u32 + 1;
    let mut next = eoi + 1;
    w.put(clear, width);
    let mut it = indices.iter();
    let Some(&first) = it.next() else {
        w.put(eoi, width);
        return w.finish();
    };
    let mut prefix = first as u16;
    for &k in it {
        // Key 0 marks an empty slot, so store key + 1.
        let key = ((prefix as u32) << 8 | k as u32) + 1;
        let mut h = (key.wrapping_mul(0x9E37_79B1) >> 19) as usize & (HASH_SIZE - 1);
        loop {
            if keys[h] == key {
                prefix = vals[h];
                break;
            }
            if keys[h] == 0 {
                w.put(prefix, width);
                if next < MAX_CODES {
                    keys[h] = key;
                    vals[h] = next;
                    next += 1;
                    // The decoder adds this entry one code later, so it widens one code later.
                    if next > (1 << width) && width < 12 {
                        width += 1;
                    }
                } else {
                    w.put(clear, width);
                    keys.fill(0);
                    width = min_code_size as u32 + 1;
                    next = eoi + 1;
                }
                prefix = k as u16;
                break;
            }
            h = (h + 1) & (HASH_SIZE - 1);
        }
    }
    w.put(prefix, width);
    w.put(eoi, width);
    w.finish()
}

/// Little-endian bit packing into sub-blocks of at most 255 bytes.
struct BitWriter {
    out: Vec<u8>,
    block: Vec<u8>,
    acc: u64,
    bits: u32,
}

impl BitWriter {
    fn new(capacity: usize) -> Self {
        BitWriter {
            out: Vec::with_capacity(capacity),
            block: Vec::with_capacity(255),
            acc: 0,
            bits: 0,
        }
    }

    fn put(&mut self, code: u16, width: u32) {
        self.acc |= (code as u64) << self.bits;
        self.bits += width;
        while self.bits >= 8 {
            self.byte(self.acc as u8);
            self.acc >>= 8;
            self.bits -= 8;
        }
    }

    fn byte(&mut self, b: u8) {
        self.block.push(b);
        if self.block.len() == 255 {
            self.out.push(255);
            self.out.extend_from_slice(&self.block);
            self.block.clear();
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.bits > 0 {
            self.byte(self.acc as u8);
        }
        if !self.block.is_empty() {
            self.out.push(self.block.len() as u8);
            self.out.extend_from_slice(&self.block);
        }
        self.out.push(0);
        self.out
    }
}
