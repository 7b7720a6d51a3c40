//! The socket as hyper sees it. Reads are noted for the header timer ([`super::clock`]); a
//! write the client does not take within the idle timeout fails (a client that stops reading a
//! response cannot hold the connection); and the answers hyper writes by itself for requests
//! it cannot parse (400, 414, 431, bodyless) are replaced by the same answers with an error
//! envelope, as is the silence after a head that timed out (408).

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::clock::Activity;
use crate::errors::ApiError;

/// A connection's socket with its watchers.
pub struct Watched {
    tcp: TcpStream,
    activity: Arc<Activity>,
    /// Armed while a write waits for the client.
    stall: Option<Pin<Box<tokio::time::Sleep>>>,
    stall_timeout: Duration,
    /// An answer replacing one of hyper's, and how much of it is written.
    pending: Option<(Vec<u8>, usize)>,
}

impl Watched {
    /// Watches `tcp`; a write may wait for the client at most `stall_timeout`.
    pub fn new(tcp: TcpStream, activity: Arc<Activity>) -> Self {
        let stall_timeout = activity.idle_timeout();
        Self {
            tcp,
            activity,
            stall: None,
            stall_timeout,
            pending: None,
        }
    }

    /// Turns a write that is not accepted into an error once it has waited too long.
    fn stalled(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let timeout = self.stall_timeout;
        let sleep = self
            .stall
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client did not read the response",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Writes what is left of a replacement answer; `Ready(Ok(()))` once it is all out.
    fn drain_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = &mut self.pending {
            match Pin::new(&mut self.tcp).poll_write(cx, &bytes[*written..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    self.stall = None;
                    *written += n;
                    if *written == bytes.len() {
                        self.pending = None;
                    }
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {
                    return match self.stalled(cx) {
                        Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                        _ => Poll::Pending,
                    }
                }
            }
        }
        Poll::Ready(Ok(()))
    }

    /// If `head` is one of hyper's own error answers (written while no request is being
    /// answered), queues its replacement and returns true.
    fn replace_hypers_answer(&mut self, head: &[u8]) -> bool {
        if !self.activity.awaiting_head() || self.pending.is_some() {
            return false;
        }
        let status = match head.get(..13) {
            Some(b"HTTP/1.1 400 ") => StatusCode::BAD_REQUEST,
            Some(b"HTTP/1.1 414 ") => StatusCode::URI_TOO_LONG,
            Some(b"HTTP/1.1 431 ") => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            _ => return false,
        };
        self.pending = Some((protocol_error(status).into_bytes(), 0));
        true
    }
}

/// A complete HTTP/1.1 answer (closing the connection) for a request hyper refused before any
/// route saw it.
pub fn protocol_error(status: StatusCode) -> String {
    let (code, message) = match status {
        StatusCode::URI_TOO_LONG => (
            "uri_too_long",
            "The request target is longer than this server accepts.",
        ),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => (
            "headers_too_large",
            "The request's headers are larger than this server accepts (64 KB).",
        ),
        StatusCode::REQUEST_TIMEOUT => (
            "request_timeout",
            "The request's headers did not arrive in time; the connection is closed and \
             nothing was done.",
        ),
        _ => (
            "malformed_request",
            "The request is not valid HTTP/1.1; the connection is closed and nothing was done.",
        ),
    };
    let body = ApiError::new(status, "invalid_request_error", Some(code), None, message)
        .body()
        .to_string();
    format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         cache-control: no-store\r\nx-content-type-options: nosniff\r\n\
         referrer-policy: no-referrer\r\nconnection: close\r\n\r\n{body}",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len()
    )
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.tcp).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.bytes_read();
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.replace_hypers_answer(buf) {
            return match self.drain_pending(cx) {
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                // The replacement is queued; hyper's bytes count as written.
                _ => Poll::Ready(Ok(buf.len())),
            };
        }
        if let Poll::Ready(Err(e)) = self.drain_pending(cx) {
            return Poll::Ready(Err(e));
        }
        if self.pending.is_some() {
            return Poll::Pending;
        }
        match Pin::new(&mut self.tcp).poll_write(cx, buf) {
            Poll::Pending => self.stalled(cx),
            ready => {
                self.stall = None;
                ready
            }
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let first = bufs.iter().find(|b| !b.is_empty());
        if first.is_some_and(|b| self.replace_hypers_answer(b)) {
            let total = bufs.iter().map(|b| b.len()).sum();
            return match self.drain_pending(cx) {
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                _ => Poll::Ready(Ok(total)),
            };
        }
        if let Poll::Ready(Err(e)) = self.drain_pending(cx) {
            return Poll::Ready(Err(e));
        }
        if self.pending.is_some() {
            return Poll::Pending;
        }
        match Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs) {
            Poll::Pending => self.stalled(cx),
            ready => {
                self.stall = None;
                ready
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.drain_pending(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut self.tcp).poll_flush(cx),
            other => other,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.drain_pending(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut self.tcp).poll_shutdown(cx),
            other => other,
        }
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        // A head that started but did not finish in time: say so (best effort, never blocks;
        // the answer is small enough for any socket buffer).
        if self.activity.head_timed_out() {
            let _ = self
                .tcp
                .try_write(protocol_error(StatusCode::REQUEST_TIMEOUT).as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_errors_are_complete_json_answers() {
        let text = protocol_error(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
        assert!(head.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        assert!(head.contains(&format!("content-length: {}", body.len())));
        assert!(head.contains("connection: close"));
        let json: serde_json::Value = serde_json::from_str(body).expect("json");
        assert_eq!(json["error"]["code"], "headers_too_large");
    }
}
