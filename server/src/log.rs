//! One line per request on stderr: method, path (no query), status, duration, and in forward
//! mode the access token's *name* and the reason of a refusal.
//! Never a header value, token, key, prompt or body.

use std::sync::{Arc, Mutex};
use std::time::Instant;

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
        eprintln!(
            "{}{}",
            format_line(
                &self.method,
                &self.path,
                status,
                self.start.elapsed().as_millis()
            ),
            self.note.suffix()
        );
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
}
