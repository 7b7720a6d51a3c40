//! One line per request on stderr: method, path (no query), status, duration.
//! Never a header value, key, prompt or body.

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
pub async fn log_requests(req: Request, next: Next) -> Response {
    let mut line = LogLine {
        method: req.method().clone(),
        path: req.uri().path().chars().take(MAX_PATH).collect(),
        start: Instant::now(),
        written: false,
    };
    let response = next.run(req).await;
    line.write(response.status().as_u16());
    response
}

struct LogLine {
    method: Method,
    path: String,
    start: Instant,
    written: bool,
}

impl LogLine {
    fn write(&mut self, status: u16) {
        self.written = true;
        eprintln!(
            "{}",
            format_line(
                &self.method,
                &self.path,
                status,
                self.start.elapsed().as_millis()
            )
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
    }
}
