//! The HTTP/1.1 listener, with the limits that must hold before any route runs: a header-read
//! timeout, an idle keep-alive timeout, a stalled-write timeout, a cap on open connections with
//! a per-client share, and the open-files limit raised at start.
//!
//! `axum::serve` has none of these (a connection that never sends its headers stays open, and
//! one laptop holding ~1,000 of them exhausted the default 1,024 open files), so connections
//! are accepted here and served by hyper directly:
//! - [`clock`]: hyper's header-read timer, made to know the difference between a request head
//!   on its way (`--header-timeout-s` from its first byte, or from the accept for a new
//!   connection) and a kept-alive connection waiting for its next request (`--idle-timeout-s`);
//! - [`io`]: the socket as hyper sees it: every byte read is noted for that timer, a write the
//!   client does not take for `--idle-timeout-s` fails, and hyper's bodyless protocol errors
//!   (400, 414, 431, and 408 for a head that timed out) get a JSON body;
//! - [`connections`]: `--max-connections` in total and `--max-connections-per-ip` per client
//!   (per /64 for IPv6); behind a reverse proxy named by `--trust-forwarded-for` the share
//!   counts each client's requests in progress by its forwarded address instead;
//! - [`nofile`]: the soft open-files limit raised to the hard one.
//!
//! The request body's own deadline (`--body-timeout-s`) is enforced where a body is read (the
//! proxy's admission, the fake's handler), since only they know when reading starts.

pub mod clock;
pub mod connections;
pub mod forwarded;
pub mod io;
pub mod nofile;

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt as _;

use crate::errors::ApiError;
use clock::{Activity, ConnTimer};
use connections::{ConnectionLimits, Refusal};

/// Default `--header-timeout-s`.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Default `--idle-timeout-s`: above the keep-alive of the usual reverse proxies (nginx keeps
/// upstream connections 60 s), so the server is not the side that closes a reused connection.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(75);
/// Default `--max-connections`.
pub const MAX_CONNECTIONS: usize = 4096;
/// Default `--max-connections-per-ip`.
pub const MAX_CONNECTIONS_PER_IP: usize = 256;
/// Most header bytes hyper buffers for one request head (431 above it).
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// The listener's limits (command line: `--header-timeout-s`, `--idle-timeout-s`,
/// `--max-connections`, `--max-connections-per-ip`, `--trust-forwarded-for`).
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// A request head must be complete this long after its first byte (or after the accept).
    pub header_timeout: Duration,
    /// A kept-alive connection without a request in progress is closed after this long without
    /// the first byte of a next request; also the longest a write may wait for the client.
    pub idle_timeout: Duration,
    /// Open connections at most; more are answered 503 and closed.
    pub max_connections: usize,
    /// Open connections (or, from a trusted reverse proxy, requests in progress) per client.
    pub max_per_ip: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpAddr>,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            header_timeout: HEADER_TIMEOUT,
            idle_timeout: IDLE_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            max_per_ip: MAX_CONNECTIONS_PER_IP,
            trusted_proxies: Vec::new(),
        }
    }
}

/// The client's address as this server saw it (the TCP peer), in every request's extensions.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// Serves `app` on `listener` until `shutdown` resolves; then stops accepting, lets requests in
/// progress finish within `grace`, and returns.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    config: TransportConfig,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) {
    let limits = Arc::new(ConnectionLimits::new(
        config.max_connections,
        config.max_per_ip,
    ));
    let config = Arc::new(config);
    // Shutdown: every connection task holds a receiver; `closed()` tells when all are gone.
    let (stop, _) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (tcp, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors (EMFILE/ENFILE) or a connection reset before it was
                // accepted: the pending connection stays queued; try again shortly instead of
                // spinning (axum::serve waits a whole second here).
                let label = || "accept failed".to_string();
                crate::log::sampled_line("accept-failed", label, || format!("accept failed: {e}"));
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        // A streamed response's last bytes (written after the budget is settled) must not wait
        // for the client's delayed ACK (Nagle's algorithm: up to 40 ms).
        let _ = tcp.set_nodelay(true);
        let trusted = config.trusted_proxies.contains(&peer.ip());
        match limits.connection(peer.ip(), trusted) {
            Ok(permit) => {
                let connection = Connection {
                    app: app.clone(),
                    peer,
                    trusted,
                    limits: Arc::clone(&limits),
                    config: Arc::clone(&config),
                };
                let stop = stop.subscribe();
                tokio::spawn(async move {
                    connection.serve(tcp, stop).await;
                    drop(permit);
                });
            }
            Err(refusal) => {
                tokio::spawn(refuse_connection(tcp, refusal));
            }
        }
    }
    drop(listener);
    let _ = stop.send(true);
    let _ = tokio::time::timeout(grace, stop.closed()).await;
}

/// Longest a finished connection is kept to read (and drop) what its client still sends, so
/// that an answer given before a request body was read (a refusal) is not lost to a reset.
const LINGER: Duration = Duration::from_secs(10);

/// One accepted connection.
struct Connection {
    app: Router,
    peer: SocketAddr,
    trusted: bool,
    limits: Arc<ConnectionLimits>,
    config: Arc<TransportConfig>,
}

impl Connection {
    /// Serves requests until the client leaves, a timeout closes the connection, or `stop`
    /// asks for a graceful shutdown.
    async fn serve(self, tcp: TcpStream, mut stop: tokio::sync::watch::Receiver<bool>) {
        let config = Arc::clone(&self.config);
        let activity = Activity::new(config.header_timeout, config.idle_timeout);
        let io = TokioIo::new(io::Watched::new(tcp, Arc::clone(&activity)));
        let service = ConnService {
            app: self.app,
            peer: self.peer,
            trusted: self.trusted,
            activity: Arc::clone(&activity),
            limits: self.limits,
            config: Arc::clone(&config),
        };
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(ConnTimer::new(activity))
            .header_read_timeout(config.header_timeout)
            .max_header_size(MAX_HEAD_BYTES)
            .keep_alive(true);
        let mut conn = builder.serve_connection(
            io,
            hyper::service::service_fn(move |req| -> ServiceFuture {
                Box::pin(service.clone().call(req))
            }),
        );
        let mut stopping = false;
        let done = loop {
            tokio::select! {
                done = std::future::poll_fn(|cx| conn.poll_without_shutdown(cx)) => break done,
                _ = stop.changed(), if !stopping => {
                    stopping = true;
                    Pin::new(&mut conn).graceful_shutdown();
                }
            }
        };
        // Errors are the client's (reset, timeout, malformed request): nothing to log. A
        // connection that ended normally is closed gently.
        if done.is_ok() {
            let io = conn.into_parts().io.into_inner();
            linger(io, LINGER.min(config.idle_timeout)).await;
        }
    }
}

/// The future of one request on a connection (boxed, so the connection can be taken apart
/// when it is done).
type ServiceFuture = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

/// Closes the write side and reads until the client closes too (or `for_at_most` passes).
async fn linger(mut io: io::Watched, for_at_most: Duration) {
    let _ = tokio::time::timeout(for_at_most, async {
        io.shutdown().await?;
        let mut sink = [0u8; 16 * 1024];
        while tokio::io::AsyncReadExt::read(&mut io, &mut sink).await? > 0 {}
        Ok::<_, std::io::Error>(())
    })
    .await;
}

/// Answers a connection over a cap with 503 (total) or 429 (this client's share) and closes it.
async fn refuse_connection(mut tcp: TcpStream, refusal: Refusal) {
    let (status, code, message, line) = match refusal {
        Refusal::Total(max) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "server_busy",
            format!("This server has {max} connections open, its limit; try again shortly."),
            "server_busy",
        ),
        Refusal::PerClient(max) => (
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_connections",
            format!(
                "This client has {max} connections open to this server, its limit; close some \
                 or try again shortly."
            ),
            "too_many_connections",
        ),
    };
    crate::log::refusal_line(line, line, || {
        format!("CONNECT - {} 0ms refused={line}", status.as_u16())
    });
    let body = ApiError::new(status, "server_error", Some(code), None, message)
        .body()
        .to_string();
    let head = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         cache-control: no-store\r\nx-content-type-options: nosniff\r\n\
         referrer-policy: no-referrer\r\nretry-after: 1\r\nconnection: close\r\n\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len()
    );
    // Closing with unread request bytes would reset the connection and could lose the answer,
    // so read (and drop) what the client sends for a moment before closing.
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        tcp.write_all(head.as_bytes()).await?;
        tcp.write_all(body.as_bytes()).await?;
        tcp.shutdown().await?;
        let mut sink = [0u8; 4096];
        loop {
            if tokio::io::AsyncReadExt::read(&mut tcp, &mut sink).await? == 0 {
                return Ok::<_, std::io::Error>(());
            }
        }
    })
    .await;
}

/// The per-connection service: notes the request for the timers, records the peer, takes the
/// client's share behind a trusted proxy, and runs the router.
#[derive(Clone)]
struct ConnService {
    app: Router,
    peer: SocketAddr,
    trusted: bool,
    activity: Arc<Activity>,
    limits: Arc<ConnectionLimits>,
    config: Arc<TransportConfig>,
}

impl ConnService {
    async fn call(self, req: hyper::Request<Incoming>) -> Result<Response, Infallible> {
        self.activity.request_started();
        let mut req: Request = req.map(Body::new);
        req.extensions_mut().insert(PeerAddr(self.peer));
        let share = if self.trusted {
            let client =
                forwarded::client_ip(req.headers(), self.peer.ip(), &self.config.trusted_proxies);
            match client.map(|ip| self.limits.request(ip)) {
                Some(Err(max)) => return Ok(too_many_requests(max)),
                Some(Ok(permit)) => Some(permit),
                None => None,
            }
        } else {
            None
        };
        let response = self.app.oneshot(req).await?;
        Ok(match share {
            // Held until the response has been sent (or the client went away).
            Some(permit) => {
                response.map(|body| Body::new(connections::HeldBody::new(body, permit)))
            }
            None => response,
        })
    }
}

/// 429 for a client (behind the trusted proxy) with too many requests in progress.
fn too_many_requests(max: usize) -> Response {
    crate::log::refusal_line("too_many_connections", "too_many_connections", || {
        format!("REQUEST - 429 0ms refused=too_many_connections (more than {max} in progress)")
    });
    let mut response = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "server_error",
        Some("too_many_connections"),
        None,
        format!(
            "This client has {max} requests in progress on this server, its limit; try again \
             when one has finished."
        ),
    )
    .into_response();
    response
        .headers_mut()
        .insert("retry-after", HeaderValue::from_static("1"));
    response
}
