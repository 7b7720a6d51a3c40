//! Fault injection: the spec grammar, per-request attempt counting and the error responses
//! that mimic the real API (status, headers and body shape).
//!
//! Grammar: `<name>[:<times>][,<key>=<value>]*`, taken from the `x-fake-fault` header or a
//! `[[fault:<spec>]]` marker in the prompt (the header wins).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

/// The fault names, with the options each accepts. Printed by `--help`.
pub const FAULT_NAMES: &[(&str, &str)] = &[
    (
        "rate_limit",
        "retry_after=<s> (default 1), retry_after_ms=<ms>",
    ),
    (
        "insufficient_quota",
        "code=<error code> (default insufficient_quota)",
    ),
    (
        "moderation",
        "stage=input|output (default input), categories=<a+b+...>",
    ),
    ("org_verification", ""),
    ("invalid_key", ""),
    ("model_not_found", ""),
    ("server_error", ""),
    ("overloaded", ""),
    (
        "stall",
        "ms=<n> (answer normally after n ms instead of never)",
    ),
    ("stream_cut", ""),
    ("truncated_json", ""),
    (
        "html_error",
        "status=<code> (default 502; 200 = a portal page)",
    ),
    ("bad_image", ""),
    ("echo", ""),
    (
        "concurrency_limit",
        "max=<n> (default 4), ms=<n> (time to answer), retry_after=<s>, retry_after_ms=<ms>, \
         group=<label>",
    ),
    (
        "batch_expired",
        "done=<n> (lines finished first; default half)",
    ),
    ("batch_failed", ""),
    (
        "schema_break",
        "(Responses) an answer that breaks the request's json_schema",
    ),
    (
        "refusal",
        "(Responses) the model declines with a refusal item",
    ),
];

/// Which fault to inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// 429 `rate_limit_exceeded` with `retry-after`.
    RateLimit,
    /// 429 `insufficient_quota`, no `retry-after`.
    InsufficientQuota,
    /// 400 `moderation_blocked`.
    Moderation,
    /// 403 organization verification required.
    OrgVerification,
    /// 401 `invalid_api_key`.
    InvalidKey,
    /// 404 `model_not_found`.
    ModelNotFound,
    /// 500 `server_error`.
    ServerError,
    /// 503 `server_is_overloaded`.
    Overloaded,
    /// Never answer (or answer after `ms=`).
    Stall,
    /// Stream: partials then close without `completed`; JSON: body cut mid-transfer.
    StreamCut,
    /// 200 with a JSON body cut roughly in half.
    TruncatedJson,
    /// 502 Cloudflare-like HTML page.
    HtmlError,
    /// 200 whose `b64_json` is not an image.
    BadImage,
    /// Succeed normally.
    Echo,
    /// Take at most `max=` requests with the same spec at once; 429 `rate_limit_exceeded`
    /// (with `retry-after`) for any beyond.
    ConcurrencyLimit,
    /// A batch whose window closes after `done=` of its lines (status `expired`).
    BatchExpired,
    /// A batch that fails validation (status `failed`).
    BatchFailed,
    /// `POST /v1/responses`: 200 whose answer breaks the request's json_schema (what Structured
    /// Outputs promises never happens; the client must still refuse it). No effect on images.
    SchemaBreak,
    /// `POST /v1/responses`: 200 whose message is a `refusal`. No effect on images.
    Refusal,
}

impl FaultKind {
    /// Whether the fault acts on a whole batch (`POST /v1/batches`) rather than one request.
    pub fn is_batch_level(self) -> bool {
        matches!(self, Self::BatchExpired | Self::BatchFailed)
    }

    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "rate_limit" => Self::RateLimit,
            "insufficient_quota" => Self::InsufficientQuota,
            "moderation" => Self::Moderation,
            "org_verification" => Self::OrgVerification,
            "invalid_key" => Self::InvalidKey,
            "model_not_found" => Self::ModelNotFound,
            "server_error" => Self::ServerError,
            "overloaded" => Self::Overloaded,
            "stall" => Self::Stall,
            "stream_cut" => Self::StreamCut,
            "truncated_json" => Self::TruncatedJson,
            "html_error" => Self::HtmlError,
            "bad_image" => Self::BadImage,
            "echo" => Self::Echo,
            "concurrency_limit" => Self::ConcurrencyLimit,
            "batch_expired" => Self::BatchExpired,
            "batch_failed" => Self::BatchFailed,
            "schema_break" => Self::SchemaBreak,
            "refusal" => Self::Refusal,
            _ => return None,
        })
    }

    /// The name used in specs and in the journal.
    pub fn name(self) -> &'static str {
        match self {
            Self::RateLimit => "rate_limit",
            Self::InsufficientQuota => "insufficient_quota",
            Self::Moderation => "moderation",
            Self::OrgVerification => "org_verification",
            Self::InvalidKey => "invalid_key",
            Self::ModelNotFound => "model_not_found",
            Self::ServerError => "server_error",
            Self::Overloaded => "overloaded",
            Self::Stall => "stall",
            Self::StreamCut => "stream_cut",
            Self::TruncatedJson => "truncated_json",
            Self::HtmlError => "html_error",
            Self::BadImage => "bad_image",
            Self::Echo => "echo",
            Self::ConcurrencyLimit => "concurrency_limit",
            Self::BatchExpired => "batch_expired",
            Self::BatchFailed => "batch_failed",
            Self::SchemaBreak => "schema_break",
            Self::Refusal => "refusal",
        }
    }

    fn allowed_keys(self) -> &'static [&'static str] {
        match self {
            Self::RateLimit => &["retry_after", "retry_after_ms"],
            Self::InsufficientQuota => &["code"],
            Self::Moderation => &["stage", "categories"],
            Self::Stall => &["ms"],
            Self::HtmlError => &["status"],
            Self::ConcurrencyLimit => &["max", "ms", "retry_after", "retry_after_ms", "group"],
            Self::BatchExpired => &["done"],
            _ => &[],
        }
    }
}

/// Moderation stage reported in `moderation_details`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Blocked on the prompt or input images.
    Input,
    /// Blocked on the generated image.
    Output,
}

/// A parsed fault spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultSpec {
    /// The fault.
    pub kind: FaultKind,
    /// Fail only the first `times` attempts of the same request; `None` = always.
    pub times: Option<u32>,
    /// `retry_after=` (rate_limit), seconds.
    pub retry_after: u64,
    /// `retry_after_ms=` (rate_limit).
    pub retry_after_ms: Option<u64>,
    /// `code=` (insufficient_quota).
    pub code: Option<String>,
    /// `stage=` (moderation).
    pub stage: Stage,
    /// `categories=` (moderation), `+`-separated.
    pub categories: Vec<String>,
    /// `ms=` (stall; concurrency_limit: how long an accepted request takes).
    pub stall_ms: Option<u64>,
    /// `status=` (html_error).
    pub status: u16,
    /// `max=` (concurrency_limit): requests with this spec taken at once.
    pub max_concurrent: u32,
    /// `done=` (batch_expired): lines finished before the window closes.
    pub done: Option<u64>,
    /// The spec text as given, part of the attempt-counting identity.
    pub raw: String,
}

impl FaultSpec {
    /// Parses `<name>[:<times>][,<key>=<value>]*`.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let raw = spec.trim().to_string();
        let mut parts = raw.split(',').map(str::trim);
        let head = parts.next().unwrap_or_default();
        let (name, times) = match head.split_once(':') {
            Some((name, times)) => {
                let times: u32 = times.parse().ok().filter(|t| *t >= 1).ok_or_else(|| {
                    format!("fault times must be a positive integer, got {times:?}")
                })?;
                (name, Some(times))
            }
            None => (head, None),
        };
        if name == "concurrency_limit" && times.is_some() {
            return Err("concurrency_limit counts requests in flight; it takes no :<times>".into());
        }
        let kind = FaultKind::parse(name).ok_or_else(|| {
            let names: Vec<&str> = FAULT_NAMES.iter().map(|(n, _)| *n).collect();
            format!("unknown fault {name:?}; known faults: {}", names.join(", "))
        })?;
        let mut out = Self {
            kind,
            times,
            retry_after: 1,
            retry_after_ms: None,
            code: None,
            stage: Stage::Input,
            categories: vec!["violence".to_string()],
            stall_ms: None,
            status: 502,
            max_concurrent: 4,
            done: None,
            raw: raw.clone(),
        };
        for part in parts {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("fault option {part:?} must be key=value"))?;
            if !kind.allowed_keys().contains(&key) {
                return Err(format!(
                    "fault {} does not take option {key:?} (allowed: {:?})",
                    kind.name(),
                    kind.allowed_keys()
                ));
            }
            let number = || {
                value.parse::<u64>().map_err(|_| {
                    format!("fault option {key} must be a whole number, got {value:?}")
                })
            };
            match key {
                "retry_after" => out.retry_after = number()?,
                "retry_after_ms" => out.retry_after_ms = Some(number()?),
                "ms" => out.stall_ms = Some(number()?),
                "done" => out.done = Some(number()?),
                "status" => {
                    out.status = number()
                        .ok()
                        .and_then(|n| u16::try_from(n).ok())
                        .filter(|n| (100..=599).contains(n))
                        .ok_or_else(|| format!("status must be an HTTP status, got {value:?}"))?;
                }
                "max" => {
                    out.max_concurrent = number()
                        .ok()
                        .and_then(|n| u32::try_from(n).ok())
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| format!("max must be a positive integer, got {value:?}"))?;
                }
                // Only names a set of requests that share one limit (it is part of the spec).
                "group" if !value.is_empty() => {}
                "code" if !value.is_empty() => out.code = Some(value.to_string()),
                "stage" => {
                    out.stage = match value {
                        "input" => Stage::Input,
                        "output" => Stage::Output,
                        _ => return Err(format!("stage must be input or output, got {value:?}")),
                    }
                }
                "categories" => {
                    out.categories = value
                        .split(['+', '|'])
                        .filter(|c| !c.is_empty())
                        .map(str::to_string)
                        .collect();
                }
                _ => return Err(format!("fault option {key} needs a value")),
            }
        }
        Ok(out)
    }
}

/// Finds a `[[fault:<spec>]]` marker in a prompt and returns the spec text.
pub fn marker_in_prompt(prompt: &str) -> Option<&str> {
    let start = prompt.find("[[fault:")? + "[[fault:".len();
    let len = prompt[start..].find("]]")?;
    Some(&prompt[start..start + len])
}

/// Removes every fault marker, so the drawn words are the prompt's own.
pub fn strip_markers(prompt: &str) -> String {
    let mut out = String::with_capacity(prompt.len());
    let mut rest = prompt;
    while let Some(start) = rest.find("[[fault:") {
        out.push_str(&rest[..start]);
        match rest[start..].find("]]") {
            Some(end) => rest = &rest[start + end + 2..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Counts attempts of "the same request" (endpoint + spec + prompt) across requests.
#[derive(Debug, Default)]
pub struct AttemptCounter {
    counts: Mutex<HashMap<[u8; 32], u32>>,
}

/// Bound on remembered requests; the map is cleared when it grows past this.
const MAX_TRACKED: usize = 10_000;

impl AttemptCounter {
    /// Records one more attempt and returns its number (1 for the first).
    pub fn next_attempt(&self, endpoint: &str, spec: &str, prompt: &str) -> u32 {
        let mut hasher = Sha256::new();
        for part in [endpoint, spec, prompt] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        let key: [u8; 32] = hasher.finalize().into();
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if counts.len() >= MAX_TRACKED && !counts.contains_key(&key) {
            counts.clear();
        }
        let n = counts.entry(key).or_insert(0);
        *n = n.saturating_add(1);
        *n
    }

    /// Forgets every attempt.
    pub fn clear(&self) {
        self.counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

/// Requests in flight per concurrency-limit spec (`concurrency_limit`): the requests that
/// carry the same spec text share one limit, like the requests of one key share its limits.
#[derive(Debug, Default)]
pub struct InFlight {
    counts: Arc<Mutex<HashMap<String, u32>>>,
}

/// One request counted in flight; dropping it (when its response has been sent, or the client
/// went away) frees its place.
#[derive(Debug)]
pub struct InFlightGuard {
    counts: Arc<Mutex<HashMap<String, u32>>>,
    key: String,
}

impl InFlight {
    /// Counts one more request under `key` if fewer than `max` are in flight.
    pub fn try_enter(&self, key: &str, max: u32) -> Option<InFlightGuard> {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let n = counts.entry(key.to_string()).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(InFlightGuard {
            counts: Arc::clone(&self.counts),
            key: key.to_string(),
        })
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = counts.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_name_times_and_options() {
        let s = FaultSpec::parse("rate_limit:1,retry_after=3").expect("valid");
        assert_eq!(
            (s.kind, s.times, s.retry_after, s.retry_after_ms),
            (FaultKind::RateLimit, Some(1), 3, None)
        );
        let s = FaultSpec::parse(" rate_limit:2, retry_after_ms=250 ").expect("valid");
        assert_eq!(
            (s.times, s.retry_after, s.retry_after_ms),
            (Some(2), 1, Some(250))
        );
        let s = FaultSpec::parse("server_error").expect("valid");
        assert_eq!((s.kind, s.times), (FaultKind::ServerError, None));
        let s =
            FaultSpec::parse("moderation,stage=output,categories=sexual+violence").expect("valid");
        assert_eq!(s.stage, Stage::Output);
        assert_eq!(s.categories, ["sexual", "violence"]);
        let s = FaultSpec::parse("batch_expired,done=5").expect("valid");
        assert_eq!((s.kind, s.done), (FaultKind::BatchExpired, Some(5)));
        assert!(s.kind.is_batch_level());
        let s = FaultSpec::parse("stall,ms=50").expect("valid");
        assert_eq!(s.stall_ms, Some(50));
        let s = FaultSpec::parse("html_error,status=200").expect("valid");
        assert_eq!((s.kind, s.status), (FaultKind::HtmlError, 200));
        assert_eq!(FaultSpec::parse("html_error").expect("valid").status, 502);
        let s = FaultSpec::parse("concurrency_limit,max=2,ms=300,retry_after_ms=100,group=a b")
            .expect("valid");
        assert_eq!(
            (s.kind, s.max_concurrent, s.stall_ms, s.retry_after_ms),
            (FaultKind::ConcurrencyLimit, 2, Some(300), Some(100))
        );
        assert_eq!(
            FaultSpec::parse("concurrency_limit")
                .expect("valid")
                .max_concurrent,
            4
        );
        for (name, _) in FAULT_NAMES {
            assert_eq!(FaultSpec::parse(name).expect(name).kind.name(), *name);
        }
    }

    #[test]
    fn rejects_bad_specs() {
        for bad in [
            "",
            "nope",
            "rate_limit:0",
            "rate_limit:x",
            "rate_limit,retry_after",
            "rate_limit,retry_after=abc",
            "server_error,retry_after=1",
            "moderation,stage=later",
            "echo,foo=bar",
            "html_error,status=99",
            "html_error,status=abc",
            "concurrency_limit,max=0",
            "concurrency_limit:2",
            "concurrency_limit,group=",
        ] {
            assert!(FaultSpec::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn finds_and_strips_prompt_markers() {
        let p = "A fox [[fault:rate_limit:1,retry_after=2]] waves";
        assert_eq!(marker_in_prompt(p), Some("rate_limit:1,retry_after=2"));
        assert_eq!(strip_markers(p), "A fox  waves");
        assert_eq!(marker_in_prompt("no marker [[fault:echo"), None);
        assert_eq!(strip_markers("x [[fault:echo"), "x ");
    }

    #[test]
    fn counts_attempts_per_request() {
        let c = AttemptCounter::default();
        assert_eq!(c.next_attempt("generations", "rate_limit:1", "a"), 1);
        assert_eq!(c.next_attempt("generations", "rate_limit:1", "a"), 2);
        assert_eq!(c.next_attempt("edits", "rate_limit:1", "a"), 1);
        assert_eq!(c.next_attempt("generations", "rate_limit:1", "b"), 1);
        c.clear();
        assert_eq!(c.next_attempt("generations", "rate_limit:1", "a"), 1);
    }

    #[test]
    fn in_flight_counts_free_their_place_when_dropped() {
        let f = InFlight::default();
        let a = f.try_enter("k", 2).expect("first");
        let b = f.try_enter("k", 2).expect("second");
        assert!(f.try_enter("k", 2).is_none(), "a third is refused");
        assert!(
            f.try_enter("other", 2).is_some(),
            "another spec has its own limit"
        );
        drop(a);
        let c = f.try_enter("k", 2).expect("a place was freed");
        drop((b, c));
        assert!(f.counts.lock().unwrap().get("k").is_none());
    }
}
