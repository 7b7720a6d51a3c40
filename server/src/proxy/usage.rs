//! Finds every `"usage": {…}` object in a response as it streams past, without buffering the
//! response: a JSON body has one (after megabytes of base64), an SSE stream one per
//! `*.completed` event. The needle cannot occur inside a JSON string (a quote there is
//! escaped) or in base64, so a byte search is exact.

use memchr::memmem::Finder;
use serde_json::Value;

/// The needle: the key, including its quotes.
const NEEDLE: &[u8] = b"\"usage\"";
/// Largest `usage` object followed (a real one is ~200 bytes).
const CAPTURE_MAX: usize = 16 * 1024;

/// The scanner. Feed it every chunk, then take [`UsageScanner::found`].
#[derive(Debug)]
pub struct UsageScanner {
    finder: Finder<'static>,
    /// The last `NEEDLE.len() - 1` bytes of the previous chunk (a needle may straddle two).
    carry: Vec<u8>,
    /// Bytes after a needle, until the value after it parses.
    capture: Option<Vec<u8>>,
    found: Vec<Value>,
}

impl Default for UsageScanner {
    fn default() -> Self {
        Self {
            finder: Finder::new(NEEDLE),
            carry: Vec::new(),
            capture: None,
            found: Vec::new(),
        }
    }
}

/// What the bytes after a needle hold so far.
enum Parse {
    NeedMore,
    /// A value (kept if it is an object) and how many capture bytes it used.
    Value(Value, usize),
    /// Not `: value` (e.g. the string "usage" inside an array): bytes used before giving up.
    NotUsage(usize),
}

fn parse_after_key(bytes: &[u8]) -> Parse {
    let skip_ws = |from: usize| {
        bytes[from..]
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map(|p| from + p)
    };
    let Some(colon) = skip_ws(0) else {
        return Parse::NeedMore;
    };
    if bytes[colon] != b':' {
        return Parse::NotUsage(colon);
    }
    let Some(start) = skip_ws(colon + 1) else {
        return Parse::NeedMore;
    };
    if bytes[start] != b'{' {
        return Parse::NotUsage(start);
    }
    let mut values = serde_json::Deserializer::from_slice(&bytes[start..]).into_iter::<Value>();
    match values.next() {
        Some(Ok(value)) => Parse::Value(value, start + values.byte_offset()),
        Some(Err(e)) if e.is_eof() => Parse::NeedMore,
        None => Parse::NeedMore,
        Some(Err(_)) => Parse::NotUsage(start + 1),
    }
}

impl UsageScanner {
    /// Scans the next chunk of the response.
    pub fn feed(&mut self, chunk: &[u8]) {
        if let Some(mut capture) = self.capture.take() {
            let take = chunk.len().min(CAPTURE_MAX.saturating_sub(capture.len()));
            capture.extend_from_slice(&chunk[..take]);
            match parse_after_key(&capture) {
                Parse::NeedMore if capture.len() < CAPTURE_MAX => {
                    self.capture = Some(capture);
                    return;
                }
                // Too long to be a usage object: resume scanning after the needle.
                Parse::NeedMore => self.scan(&capture),
                Parse::Value(value, used) => {
                    if value.is_object() {
                        self.found.push(value);
                    }
                    self.scan(&capture[used..]);
                }
                Parse::NotUsage(used) => self.scan(&capture[used..]),
            }
            if self.capture.is_some() {
                // A new needle inside the leftover: the rest of this chunk continues it.
                self.feed(&chunk[take..]);
            } else {
                self.scan(&chunk[take..]);
            }
            return;
        }
        self.scan(chunk);
    }

    /// Looks for needles in `data` (not inside a capture).
    fn scan(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        // A needle that straddles the previous chunk and this one.
        if !self.carry.is_empty() {
            let mut joined = std::mem::take(&mut self.carry);
            let carried = joined.len();
            let head = data.len().min(NEEDLE.len() - 1);
            joined.extend_from_slice(&data[..head]);
            if let Some(at) = self.finder.find(&joined) {
                self.capture = Some(Vec::new());
                self.feed(&data[at + NEEDLE.len() - carried..]);
                return;
            }
            if data.len() < NEEDLE.len() - 1 {
                // Tiny chunk: the next carry spans the old carry too.
                let keep = joined.len().min(NEEDLE.len() - 1);
                self.carry = joined[joined.len() - keep..].to_vec();
                return;
            }
        }
        match self.finder.find(data) {
            Some(at) => {
                self.capture = Some(Vec::new());
                self.feed(&data[at + NEEDLE.len()..]);
            }
            None => {
                let keep = data.len().min(NEEDLE.len() - 1);
                self.carry = data[data.len() - keep..].to_vec();
            }
        }
    }

    /// Every `usage` object seen so far.
    pub fn found(&self) -> &[Value] {
        &self.found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scan_in_pieces(text: &str, piece: usize) -> Vec<Value> {
        let mut s = UsageScanner::default();
        for chunk in text.as_bytes().chunks(piece) {
            s.feed(chunk);
        }
        s.found().to_vec()
    }

    #[test]
    fn finds_usage_at_any_chunk_boundary() {
        let usage = json!({"input_tokens": 52, "input_tokens_details": {"text_tokens": 52, "image_tokens": 0}, "output_tokens": 1510, "total_tokens": 1562});
        let body = json!({"created": 1, "data": [{"b64_json": "QUJD".repeat(500)}], "quality": "low", "usage": usage}).to_string();
        let pretty =
            serde_json::to_string_pretty(&json!({"data": [], "usage": usage})).expect("json");
        for text in [&body, &pretty] {
            for piece in [1, 2, 3, 5, 7, 64, 1000, 100_000] {
                assert_eq!(
                    scan_in_pieces(text, piece),
                    vec![usage.clone()],
                    "piece {piece}"
                );
            }
        }
    }

    #[test]
    fn sse_streams_give_one_usage_per_completed_event() {
        let u1 = json!({"input_tokens": 10, "output_tokens": 196});
        let u2 = json!({"input_tokens": 0, "output_tokens": 196});
        let stream = format!(
            "event: image_generation.partial_image\ndata: {}\n\n\
             event: image_generation.completed\ndata: {}\n\n\
             event: image_generation.completed\ndata: {}\n\n",
            json!({"type": "image_generation.partial_image", "b64_json": "AAAA"}),
            json!({"type": "image_generation.completed", "b64_json": "AAAA", "usage": u1}),
            json!({"type": "image_generation.completed", "b64_json": "AAAA", "usage": u2}),
        );
        for piece in [1, 4, 9, 33, 4096] {
            assert_eq!(scan_in_pieces(&stream, piece), vec![u1.clone(), u2.clone()]);
        }
    }

    #[test]
    fn ignores_lookalikes() {
        let text = json!({
            "note": "the \"usage\": {\"output_tokens\": 999999} is quoted",
            "tags": ["usage", {"x": 1}],
            "svg_usage": {"output_tokens": 5},
            "usage": 3,
        })
        .to_string();
        for piece in [1, 3, 1000] {
            assert!(scan_in_pieces(&text, piece).is_empty(), "piece {piece}");
        }
        // An unterminated object never counts.
        assert!(scan_in_pieces("{\"usage\": {\"output_tokens\": 12", 4).is_empty());
    }
}
