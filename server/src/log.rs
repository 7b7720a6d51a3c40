//! One line per request on stderr: method, path (no query), status, duration, and in forward
//! mode the access token's *name* and the reason of a refusal.
//! Never a header value, token, key, prompt or body.
//!
//! Refusals are sampled, so a flood of refused requests cannot flood the log: per reason, a
//! burst of [`REFUSAL_BURST`] lines, then one line per second; the lines left out are counted
//! and reported as `refused=<reason>: N more not logged` once a second.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

/// Status logged when the client went away before the response was produced (nginx's 499).
pub const CLIENT_CLOSED: u16 = 499;

/// Longest path printed; longer ones are cut (paths are attacker-controlled).
const MAX_PATH: usize = 200;

/// Middleware writing the request line when the response is ready, or when the request is
/// dropped unanswered (client disconnected).
pub async fn log_requests(mut req: Request, next: Next) -> Response {
    let note = Note::default();
    req.extensions_mut().insert(note.clone());
    let mut line = LogLine {
        method: req.method().clone(),
        path: req.uri().path().chars().take(MAX_PATH).collect(),
        start: Instant::now(),
        written: false,
        note,
    };
    let response = next.run(req).await;
    line.write(response.status().as_u16());
    response
}

/// What a handler adds to its request's log line (found in the request's extensions).
#[derive(Debug, Clone, Default)]
pub struct Note(Arc<Mutex<NoteData>>);

#[derive(Debug, Default)]
struct NoteData {
    token: Option<String>,
    refused: Option<String>,
}

impl Note {
    /// The access token's name (a validated label; never the token).
    pub fn token(&self, name: &str) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).token = Some(name.to_string());
    }

    /// The error code of a refusal by this server (not one relayed from the upstream).
    pub fn refused(&self, code: &str) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).refused = Some(code.to_string());
    }

    /// The refusal code, if this request was refused by this server.
    fn refusal(&self) -> Option<String> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .refused
            .clone()
    }

    fn suffix(&self) -> String {
        let data = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        if let Some(token) = &data.token {
            out.push_str(&format!(" token={token}"));
        }
        if let Some(code) = &data.refused {
            out.push_str(&format!(" refused={code}"));
        }
        out
    }
}

struct LogLine {
    method: Method,
    path: String,
    start: Instant,
    written: bool,
    note: Note,
}

impl LogLine {
    fn write(&mut self, status: u16) {
        self.written = true;
        let line = || {
            format!(
                "{}{}",
                format_line(
                    &self.method,
                    &self.path,
                    status,
                    self.start.elapsed().as_millis()
                ),
                self.note.suffix()
            )
        };
        match self.note.refusal() {
            Some(reason) => refusal_line(&reason, &reason, line),
            None => eprintln!("{}", line()),
        }
    }
}

/// Refusal lines printed at once per reason before sampling starts.
pub const REFUSAL_BURST: f64 = 10.0;

/// Per key: a bucket of lines (refilling one per second) and the lines left out.
#[derive(Debug)]
struct Sampled {
    allowance: f64,
    refilled: Instant,
    left_out: u64,
    /// What the count line says before the count, e.g. `refused=missing_token`.
    label: String,
}

fn sampler() -> &'static Mutex<HashMap<String, Sampled>> {
    static SAMPLER: OnceLock<Mutex<HashMap<String, Sampled>>> = OnceLock::new();
    SAMPLER.get_or_init(|| {
        // Once a second, count what was left out (only where a runtime runs the server).
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async {
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                loop {
                    tick.tick().await;
                    report_left_out();
                }
            });
        }
        Mutex::new(HashMap::new())
    })
}

fn report_left_out() {
    let mut map = sampler().lock().unwrap_or_else(|e| e.into_inner());
    for s in map.values_mut().filter(|s| s.left_out > 0) {
        eprintln!("{}: {} more not logged", s.label, s.left_out);
        s.left_out = 0;
    }
    // Reasons quiet for a minute are forgotten (their bucket is full again anyway).
    map.retain(|_, s| s.refilled.elapsed() < Duration::from_secs(60) || s.left_out > 0);
}

/// Writes the refusal line `line()` unless its reason (`key`, counted as `refused=<reason>`)
/// has used up its lines; then only counts it.
pub fn refusal_line(key: &str, reason: &str, line: impl FnOnce() -> String) {
    sampled_line(key, || format!("refused={reason}"), line);
}

/// Writes `line()` unless `key` has used up its lines (a burst, then one a second); then only
/// counts it, reported once a second as `<label()>: N more not logged`.
pub fn sampled_line(key: &str, label: impl FnOnce() -> String, line: impl FnOnce() -> String) {
    let print = {
        let mut map = sampler().lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let s = map.entry(key.to_string()).or_insert_with(|| Sampled {
            allowance: REFUSAL_BURST,
            refilled: now,
            left_out: 0,
            label: label(),
        });
        s.allowance =
            (s.allowance + now.duration_since(s.refilled).as_secs_f64()).min(REFUSAL_BURST);
        s.refilled = now;
        if s.allowance >= 1.0 {
            s.allowance -= 1.0;
            true
        } else {
            s.left_out += 1;
            false
        }
    };
    if print {
        eprintln!("{}", line());
    }
}

impl Drop for LogLine {
    fn drop(&mut self) {
        if !self.written {
            self.write(CLIENT_CLOSED);
        }
    }
}

/// `POST /v1/images/generations 200 312ms`
pub fn format_line(method: &Method, path: &str, status: u16, ms: u128) -> String {
    format!("{method} {path} {status} {ms}ms")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_format() {
        assert_eq!(
            format_line(&Method::GET, "/healthz", 200, 3),
            "GET /healthz 200 3ms"
        );
        let note = Note::default();
        assert_eq!(note.suffix(), "");
        note.token("alice");
        note.refused("rate_limit_exceeded");
        assert_eq!(note.suffix(), " token=alice refused=rate_limit_exceeded");
    }

    #[test]
    fn refusals_are_sampled_per_reason() {
        let printed = std::cell::Cell::new(0);
        for _ in 0..100 {
            refusal_line("test-flood", "test-flood", || {
                printed.set(printed.get() + 1);
                String::new()
            });
        }
        assert_eq!(printed.get(), REFUSAL_BURST as i32, "a burst, then nothing");
        let map = sampler().lock().expect("lock");
        assert_eq!(map["test-flood"].left_out, 100 - REFUSAL_BURST as u64);
    }
}
