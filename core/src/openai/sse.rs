//! Server-sent-events parser for POST streams read with `fetch` (an `EventSource` cannot POST or
//! send headers, openai-images-api.md §6).
//!
//! [`SseParser`] follows the WHATWG "event stream interpretation" rules byte-exactly; the
//! Images-API meaning of each event lives in [`image_stream`].

pub mod image_stream;

pub use image_stream::{parse_image_event, ImageMeta, ImageStreamEvent};

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, or `None` when absent or empty (the browser would call it "message").
    pub event: Option<String>,
    /// All `data:` lines of the event joined with `\n`.
    pub data: String,
    /// The last event ID in effect (it persists across events, as in the WHATWG rules), or `None`
    /// when it is empty.
    pub id: Option<String>,
}

impl SseEvent {
    /// Whether this is the `data: [DONE]` end-of-stream sentinel some OpenAI streams send.
    pub fn is_done(&self) -> bool {
        self.data.trim() == "[DONE]"
    }
}

/// How the input ended, returned by [`SseParser::finish`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SseEnd {
    /// True when bytes of an unfinished line, or an event without its terminating blank line,
    /// were left over. Per WHATWG such an event is discarded, so the stream was cut short.
    pub truncated: bool,
}

/// UTF-8 byte-order mark, ignored once at the start of the stream.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Incremental event-stream parser; feed it chunks as they arrive.
#[derive(Debug, Default)]
pub struct SseParser {
    /// Bytes of the current, unfinished line (and nothing before it).
    buf: Vec<u8>,
    /// How many bytes of `buf` are already known to contain no CR or LF, so a multi-MB line
    /// arriving in small chunks is scanned once in total rather than once per chunk.
    scanned: usize,
    /// The previous line ended with a CR that was the last byte seen; an LF that starts the next
    /// chunk belongs to that CR (a CRLF split across chunks) and must not end an empty line.
    pending_cr: bool,
    /// The start of the stream has been checked for a BOM.
    bom_checked: bool,
    /// Data buffer: each `data:` value followed by `\n`.
    data: String,
    /// Event type buffer.
    event_type: String,
    /// Last event ID buffer (persists across events).
    last_id: String,
    /// Reconnection time from the last valid `retry:` field.
    retry: Option<u64>,
}

impl SseParser {
    /// Creates a parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the next chunk of bytes; chunk boundaries may fall anywhere (inside a UTF-8
    /// sequence, between CR and LF, inside a field name). Returns the events completed by this
    /// chunk, in order.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        self.buf.extend_from_slice(chunk);

        if !self.bom_checked {
            // The BOM may itself be split across chunks: wait until we can tell.
            if self.buf.len() < BOM.len() && BOM.starts_with(&self.buf) {
                return out;
            }
            if self.buf.starts_with(BOM) {
                self.buf.drain(..BOM.len());
            }
            self.bom_checked = true;
        }

        // `start` is where the current line begins; consumed lines are removed once at the end so
        // a chunk holding many short lines costs one shift, not one per line.
        let mut start = 0;
        let mut pos = self.scanned;
        loop {
            if self.pending_cr {
                match self.buf.get(start) {
                    None => break,
                    Some(&b) => {
                        if b == b'\n' {
                            start += 1;
                            pos = pos.max(start);
                        }
                        self.pending_cr = false;
                    }
                }
            }
            let Some(offset) = self.buf[pos..]
                .iter()
                .position(|&b| b == b'\n' || b == b'\r')
            else {
                pos = self.buf.len();
                break;
            };
            let end = pos + offset;
            let terminator = self.buf[end];
            // Split borrows: the line is read from `buf` while the event buffers are updated.
            let line = std::mem::take(&mut self.buf);
            self.process_line(&line[start..end], &mut out);
            self.buf = line;
            start = end + 1;
            if terminator == b'\r' {
                match self.buf.get(start) {
                    Some(b'\n') => start += 1,
                    Some(_) => {}
                    None => self.pending_cr = true,
                }
            }
            pos = start;
        }
        if start > 0 {
            self.buf.drain(..start);
        }
        self.scanned = pos - start;
        out
    }

    /// Ends the input. Reports whether unconsumed bytes or an undispatched event remained (a
    /// truncated stream); per WHATWG an event without its terminating blank line is discarded.
    pub fn finish(self) -> SseEnd {
        SseEnd {
            truncated: !self.buf.is_empty() || !self.data.is_empty(),
        }
    }

    /// The reconnection delay in milliseconds from the last valid `retry:` field, if any.
    pub fn retry_ms(&self) -> Option<u64> {
        self.retry
    }

    fn process_line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line[0] == b':' {
            return; // comment, e.g. a keep-alive
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        match field {
            b"data" => {
                // Lines are complete here, so a UTF-8 sequence split across chunks has been
                // reassembled; invalid bytes become U+FFFD as the standard's decoder does.
                self.data.push_str(&String::from_utf8_lossy(value));
                self.data.push('\n');
            }
            b"event" => self.event_type = String::from_utf8_lossy(value).into_owned(),
            // An id containing NUL is ignored, as the standard requires.
            b"id" if !value.contains(&0) => {
                self.last_id = String::from_utf8_lossy(value).into_owned();
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                // Absurdly long digit strings overflow; ignore them like any invalid value.
                if let Ok(ms) = std::str::from_utf8(value).unwrap_or("").parse() {
                    self.retry = Some(ms);
                }
            }
            _ => {} // unknown fields and invalid id/retry values are ignored
        }
    }

    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        if self.data.is_empty() {
            self.event_type.clear();
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        data.pop(); // the trailing LF added after the last data line
        let event = std::mem::take(&mut self.event_type);
        out.push(SseEvent {
            event: (!event.is_empty()).then_some(event),
            data,
            id: (!self.last_id.is_empty()).then(|| self.last_id.clone()),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ev(event: Option<&str>, data: &str, id: Option<&str>) -> SseEvent {
        SseEvent {
            event: event.map(str::to_owned),
            data: data.to_owned(),
            id: id.map(str::to_owned),
        }
    }

    /// Parses a whole stream in one chunk.
    fn parse_all(bytes: &[u8]) -> (Vec<SseEvent>, SseEnd) {
        let mut p = SseParser::new();
        let evs = p.push(bytes);
        (evs, p.finish())
    }

    /// Parses a stream split at the given (sorted, deduplicated) cut points.
    fn parse_split(bytes: &[u8], cuts: &[usize]) -> (Vec<SseEvent>, SseEnd) {
        let mut p = SseParser::new();
        let mut evs = Vec::new();
        let mut prev = 0;
        for &c in cuts.iter().chain(std::iter::once(&bytes.len())) {
            evs.extend(p.push(&bytes[prev..c]));
            prev = c;
        }
        (evs, p.finish())
    }

    #[test]
    fn basic_event_with_type_and_id() {
        let (evs, end) = parse_all(b"event: a\nid: 7\ndata: hello\n\n");
        assert_eq!(evs, vec![ev(Some("a"), "hello", Some("7"))]);
        assert!(!end.truncated);
    }

    #[test]
    fn line_endings_crlf_and_lone_cr() {
        let lf = parse_all(b"data: x\n\ndata: y\n\n").0;
        let crlf = parse_all(b"data: x\r\n\r\ndata: y\r\n\r\n").0;
        let cr = parse_all(b"data: x\r\rdata: y\r\r").0;
        let mixed = parse_all(b"data: x\r\n\rdata: y\n\r\n").0;
        let want = vec![ev(None, "x", None), ev(None, "y", None)];
        assert_eq!(lf, want);
        assert_eq!(crlf, want);
        assert_eq!(cr, want);
        assert_eq!(mixed, want);
    }

    #[test]
    fn crlf_split_between_cr_and_lf() {
        let mut p = SseParser::new();
        assert!(p.push(b"data: x\r").is_empty());
        // This LF completes the CRLF above; it must not count as a blank line.
        assert!(p.push(b"\n").is_empty());
        assert_eq!(p.push(b"\r"), vec![ev(None, "x", None)]);
        assert_eq!(p.push(b"\ndata: y\n\n"), vec![ev(None, "y", None)]);
        assert!(!p.finish().truncated);
    }

    #[test]
    fn lone_cr_then_blank_line_in_next_chunk() {
        let mut p = SseParser::new();
        assert!(p.push(b"data: x\r").is_empty());
        assert_eq!(p.push(b"\r"), vec![ev(None, "x", None)]);
    }

    #[test]
    fn multi_line_data_and_space_rules() {
        let (evs, _) = parse_all(b"data: a\ndata:b\ndata:  c\ndata\ndata: \n\n");
        assert_eq!(evs, vec![ev(None, "a\nb\n c\n\n", None)]);
    }

    #[test]
    fn comments_unknown_fields_and_empty_events() {
        let (evs, end) = parse_all(
            b": keep-alive\n\nfoo: bar\nevent: ignored-without-data\n\n:x\ndata: kept\nbogus\n\n",
        );
        // The event type of a data-less event is reset, not carried into the next event.
        assert_eq!(evs, vec![ev(None, "kept", None)]);
        assert!(!end.truncated);
    }

    #[test]
    fn empty_data_field_still_dispatches() {
        let (evs, _) = parse_all(b"data\n\ndata:\n\n");
        assert_eq!(evs, vec![ev(None, "", None), ev(None, "", None)]);
    }

    #[test]
    fn id_persists_and_resets() {
        let (evs, _) =
            parse_all(b"id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: x\0y\ndata: d\n\n");
        assert_eq!(
            evs,
            vec![
                ev(None, "a", Some("1")),
                ev(None, "b", Some("1")),
                ev(None, "c", None),
                ev(None, "d", None),
            ]
        );
    }

    #[test]
    fn retry_field() {
        let mut p = SseParser::new();
        p.push(b"retry: 1500\n\n");
        assert_eq!(p.retry_ms(), Some(1500));
        p.push(b"retry: 15x\nretry: -1\nretry:\nretry: 99999999999999999999999\n\n");
        assert_eq!(p.retry_ms(), Some(1500));
    }

    #[test]
    fn done_sentinel() {
        let (evs, end) = parse_all(b"data: {\"type\":\"x\"}\n\ndata: [DONE]\n\n");
        assert!(!evs[0].is_done());
        assert!(evs[1].is_done());
        assert!(!end.truncated);
    }

    #[test]
    fn bom_ignored_once_even_when_split() {
        let stream = b"\xEF\xBB\xBFdata: x\n\n";
        assert_eq!(parse_all(stream).0, vec![ev(None, "x", None)]);
        for cut in 1..4 {
            assert_eq!(parse_split(stream, &[cut]).0, vec![ev(None, "x", None)]);
        }
        // A second BOM is not stripped: it becomes part of the field name.
        let (evs, _) = parse_all(b"\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\ndata: y\n\n");
        assert_eq!(evs, vec![ev(None, "y", None)]);
    }

    #[test]
    fn utf8_split_inside_sequence_and_invalid_bytes() {
        let stream = "data: héllo – 日本\n\n".as_bytes();
        for cut in 0..stream.len() {
            assert_eq!(
                parse_split(stream, &[cut]).0,
                vec![ev(None, "héllo – 日本", None)]
            );
        }
        let (evs, _) = parse_all(b"data: a\xFFb\n\n");
        assert_eq!(evs[0].data, "a\u{FFFD}b");
    }

    #[test]
    fn truncated_final_event() {
        // No blank line: the event is discarded and the end is reported truncated.
        let (evs, end) = parse_all(b"data: a\n\ndata: b\n");
        assert_eq!(evs, vec![ev(None, "a", None)]);
        assert!(end.truncated);
        // Unfinished line.
        let (evs, end) = parse_all(b"data: a\n\ndata: {\"type\":\"image_gen");
        assert_eq!(evs.len(), 1);
        assert!(end.truncated);
        // Clean end, including a trailing comment line and lone CR ending.
        assert!(!parse_all(b"data: a\n\n: bye\n").1.truncated);
        assert!(!parse_all(b"data: a\r\r").1.truncated);
        assert!(!parse_all(b"").1.truncated);
    }

    #[test]
    fn large_line_in_small_chunks_is_fast() {
        let payload: String = "QUJD".repeat(512 * 1024); // 2 MiB of base64
        let mut stream = Vec::new();
        stream.extend_from_slice(b"event: image_generation.partial_image\ndata: {\"b64_json\":\"");
        stream.extend_from_slice(payload.as_bytes());
        stream.extend_from_slice(b"\"}\n\n");
        let want = format!("{{\"b64_json\":\"{payload}\"}}");
        let started = std::time::Instant::now();
        for size in [1usize, 7, 1024, 16 * 1024, 64 * 1024] {
            let mut p = SseParser::new();
            let mut evs = Vec::new();
            for chunk in stream.chunks(size) {
                evs.extend(p.push(chunk));
            }
            assert_eq!(evs.len(), 1, "chunk size {size}");
            assert_eq!(evs[0].data, want);
            assert!(!p.finish().truncated);
        }
        // Quadratic rescanning of 2 MiB in 1-byte chunks would take hours; linear takes well
        // under a second even unoptimised.
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    }

    /// A stream generator covering every syntax feature, including CR/LF variants and UTF-8.
    fn stream_strategy() -> impl Strategy<Value = Vec<u8>> {
        let line = prop_oneof![
            "[a-z0-9 {}\":,é日]{0,12}".prop_map(|v| format!("data: {v}")),
            "[a-z0-9 ]{0,12}".prop_map(|v| format!("data:{v}")),
            Just("data".to_owned()),
            "[a-z.]{0,10}".prop_map(|v| format!("event: {v}")),
            "[0-9]{0,3}".prop_map(|v| format!("id: {v}")),
            "[0-9a-z]{0,4}".prop_map(|v| format!("retry: {v}")),
            "[ -~]{0,8}".prop_map(|v| format!(":{v}")),
            Just("data: [DONE]".to_owned()),
            Just(String::new()),
            Just(String::new()),
            "[a-z]{1,5}: [a-z]{0,5}",
        ];
        let eol = prop_oneof![Just("\n"), Just("\r\n"), Just("\r")];
        (
            any::<bool>(),
            prop::collection::vec((line, eol), 0..30),
            prop::option::of("[a-z: ]{0,6}"),
        )
            .prop_map(|(bom, lines, tail)| {
                let mut s = Vec::new();
                if bom {
                    s.extend_from_slice(BOM);
                }
                for (l, e) in lines {
                    s.extend_from_slice(l.as_bytes());
                    s.extend_from_slice(e.as_bytes());
                }
                if let Some(t) = tail {
                    s.extend_from_slice(t.as_bytes());
                }
                s
            })
    }

    proptest! {
        #[test]
        fn splitting_anywhere_gives_same_events(
            stream in stream_strategy(),
            cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
        ) {
            let whole = parse_all(&stream);
            let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
            cuts.sort_unstable();
            cuts.dedup();
            prop_assert_eq!(parse_split(&stream, &cuts), whole.clone());
            // Byte-at-a-time is the most adversarial split of all.
            let every: Vec<usize> = (1..stream.len()).collect();
            prop_assert_eq!(parse_split(&stream, &every), whole);
        }

        #[test]
        fn arbitrary_bytes_never_panic(
            bytes in prop::collection::vec(any::<u8>(), 0..200),
            cut in any::<prop::sample::Index>(),
        ) {
            let whole = parse_all(&bytes);
            let c = cut.index(bytes.len() + 1);
            prop_assert_eq!(parse_split(&bytes, &[c]), whole);
        }
    }
}
