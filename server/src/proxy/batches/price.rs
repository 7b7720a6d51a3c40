//! The worst-case price of a batch input file at the Batch API's rate, read as the file is
//! uploaded through this server: each JSONL line's `body` priced like an image request
//! ([`crate::proxy::pricing`], every `auto` at its dearest), times the batch factor
//! (`continuity_core::cost::BATCH_PRICE_FACTOR`, 50 %). Lines are parsed as a stream, never
//! held whole: images are only counted (each priced at the widest size the rules allow), so a
//! 200 MB file of data URLs costs a few kilobytes of memory.

use std::io::Read;

use continuity_core::cost::BATCH_PRICE_FACTOR;
use serde::{Deserialize, Serialize};

use crate::proxy::meter::{self, Endpoint, JsonFields};
use crate::proxy::pricing::Pricer;
use crate::tokens::spec::usd_to_micros;

/// What a batch input file costs at most.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchPrice {
    /// Requests in the file.
    pub lines: u64,
    /// Worst case at the batch rate, micro-USD.
    pub micros: u64,
    /// The `url` of its lines when they all share one (the batch's endpoint must be it).
    pub url: Option<String>,
}

/// The fields of a line the price depends on.
#[derive(Debug, Deserialize)]
struct LineFields {
    url: Option<String>,
    body: Option<JsonFields>,
}

/// Prices a JSONL file read from `reader` (run on a blocking thread). `Err` says why it
/// cannot be priced: not JSONL, a line without a known image endpoint, a model the catalogue
/// cannot price.
pub fn price_jsonl(reader: impl Read, pricer: &Pricer) -> Result<BatchPrice, String> {
    let mut price = BatchPrice {
        lines: 0,
        micros: 0,
        url: None,
    };
    let mut urls_differ = false;
    let lines = serde_json::Deserializer::from_reader(reader).into_iter::<LineFields>();
    for line in lines {
        let n = price.lines + 1;
        let line = line.map_err(|e| format!("line {n} is not a request object ({e})"))?;
        let url = line.url.unwrap_or_default();
        let endpoint = match url.as_str() {
            "/v1/images/generations" => Endpoint::Generations,
            "/v1/images/edits" => Endpoint::Edits,
            other => return Err(format!("line {n} goes to {other:?}, not an image endpoint")),
        };
        match &price.url {
            None if n == 1 => price.url = Some(url.clone()),
            Some(first) if *first != url => urls_differ = true,
            _ => {}
        }
        let body = line.body.ok_or_else(|| format!("line {n} has no body"))?;
        let summary = meter::summarize_json(endpoint, body);
        let usd = pricer
            .worst_case_usd(&summary)
            .ok_or_else(|| format!("line {n}: model {} cannot be priced", summary.model))?;
        price.micros += usd_to_micros(usd * BATCH_PRICE_FACTOR);
        price.lines = n;
    }
    if price.lines == 0 {
        return Err("the file has no requests".into());
    }
    if urls_differ {
        price.url = None;
    }
    Ok(price)
}

/// A blocking reader over chunks arriving on a channel (the file part of an upload, as the
/// multipart parser yields it).
pub struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<bytes::Bytes>,
    current: bytes::Bytes,
}

impl ChannelReader {
    /// Reads what `rx` receives, until its sender is dropped.
    pub fn new(rx: tokio::sync::mpsc::Receiver<bytes::Bytes>) -> Self {
        Self {
            rx,
            current: bytes::Bytes::new(),
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn line(url: &str, body: serde_json::Value) -> String {
        json!({"custom_id": "x", "method": "POST", "url": url, "body": body}).to_string() + "\n"
    }

    /// 11 medium 1024² edits with one reference each: half their worst case.
    #[test]
    fn a_file_costs_half_its_lines_worst_case() {
        let p = Pricer::builtin();
        let body = json!({"model": "gpt-image-2", "prompt": "p", "quality": "medium", "size": "1024x1024",
                          "images": [{"file_id": "file-a"}]});
        let text: String = (0..11)
            .map(|_| line("/v1/images/edits", body.clone()))
            .collect();
        let price = price_jsonl(text.as_bytes(), &p).unwrap();
        let one = p
            .worst_case_usd(&meter::summarize_json(
                Endpoint::Edits,
                serde_json::from_value(body).unwrap(),
            ))
            .unwrap();
        assert_eq!(price.lines, 11);
        assert_eq!(price.micros, 11 * usd_to_micros(one * 0.5));
        assert_eq!(price.url.as_deref(), Some("/v1/images/edits"));
        let mixed = line(
            "/v1/images/edits",
            json!({"model": "gpt-image-2", "prompt": "p"}),
        ) + &line(
            "/v1/images/generations",
            json!({"model": "gpt-image-2", "prompt": "p"}),
        );
        assert_eq!(price_jsonl(mixed.as_bytes(), &p).unwrap().url, None);
    }

    #[test]
    fn what_cannot_be_priced_says_why() {
        let p = Pricer::builtin();
        for (text, why) in [
            ("", "no requests"),
            ("not json", "line 1"),
            (
                &line("/v1/chat/completions", json!({}))[..],
                "not an image endpoint",
            ),
            (
                &line(
                    "/v1/images/generations",
                    json!({"model": "dall-e-3", "prompt": "p"}),
                )[..],
                "cannot be priced",
            ),
        ] {
            let err = price_jsonl(text.as_bytes(), &p).unwrap_err();
            assert!(err.contains(why), "{text:?}: {err}");
        }
    }
}
