//! The listener's limits through the real binary (issue 20, point 1): connections that never
//! finish their headers or send nothing do not take `/healthz` offline and are closed by their
//! timeouts; a client over its share and a server over its cap are answered at once; behind a
//! trusted reverse proxy the share follows the forwarded client; hyper's protocol errors come
//! with a JSON body. Client sockets bind to other loopback addresses (127.0.0.2, …) to play
//! several clients.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use continuity_server::transport::nofile;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::stub::spawn_fake;

/// A TCP connection to `server` from the loopback address `from`.
async fn connect_from(from: [u8; 4], server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::new(IpAddr::from(from), 0))
        .expect("bind a loopback source address");
    socket.connect(server).await.expect("connect")
}

/// Reads until the server closes the connection (or `limit` passes); returns what arrived.
async fn read_to_close(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    tokio::time::timeout(limit, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .ok()?;
    Some(out)
}

/// `(status, JSON body)` of a raw HTTP/1.1 answer.
fn parse_answer(bytes: &[u8]) -> (u16, Value) {
    let text = String::from_utf8_lossy(bytes);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let json = serde_json::from_str(body).unwrap_or_else(|_| json!({"raw": body}));
    (status, json)
}

/// GET /healthz on a new connection from 127.0.0.1: the time to the answer.
async fn healthz(server: SocketAddr) -> Duration {
    let started = Instant::now();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let resp = client
        .get(format!("http://{server}/healthz"))
        .send()
        .await
        .expect("healthz answers");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.expect("body"), "ok");
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_half_sent_connections_do_not_stop_healthz_and_are_closed_by_their_timeouts() {
    // 2,200 client sockets in this process.
    let (_, soft) = nofile::raise().expect("an open-files limit");
    assert!(
        soft >= 3000,
        "the test needs 3,000 open files; the hard limit is {soft}"
    );
    // The server starts with the usual 1,024 and must raise it itself.
    let server = spawn_fake(
        &["--header-timeout-s", "3", "--idle-timeout-s", "5"],
        Some(1024),
    );
    assert!(
        server.printed("soft limit raised from 1024", Duration::from_secs(2)),
        "{}",
        server.output()
    );
    let addr: SocketAddr = server.addr.parse().expect("address");

    // 2,000 connections that send nothing (200 from each of 127.0.0.2–11, under the per-client
    // share) and 200 that stop in the middle of their headers (127.0.0.12).
    let header_timeout = Duration::from_secs(3);
    let mut watchers = Vec::new();
    for i in 0..2200u32 {
        let half_sent = i >= 2000;
        let from = if half_sent {
            [127, 0, 0, 12]
        } else {
            [127, 0, 0, 2 + (i % 10) as u8]
        };
        let mut stream = connect_from(from, addr).await;
        let opened = Instant::now();
        if half_sent {
            stream
                .write_all(b"POST /v1/images/generations HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                .await
                .expect("partial head");
        }
        watchers.push(tokio::spawn(async move {
            let received = read_to_close(&mut stream, Duration::from_secs(30)).await;
            (half_sent, opened.elapsed(), received)
        }));
    }

    // /healthz answers within a second, again and again, while they are all open.
    for _ in 0..5 {
        let took = healthz(addr).await;
        assert!(took < Duration::from_secs(1), "/healthz took {took:?}");
    }

    // Each is closed by its timeout: not before it, and not long after.
    let mut latest = Duration::ZERO;
    for watcher in watchers {
        let (half_sent, lived, received) = watcher.await.expect("task");
        let received = received.expect("closed by the server within 30 s");
        assert!(
            lived >= header_timeout - Duration::from_millis(150),
            "closed after {lived:?}"
        );
        latest = latest.max(lived);
        if half_sent {
            // A head cut short is told why.
            let (status, body) = parse_answer(&received);
            assert_eq!(status, 408, "{body}");
            assert_eq!(body["error"]["code"], "request_timeout");
        } else {
            assert!(
                received.is_empty(),
                "{}",
                String::from_utf8_lossy(&received)
            );
        }
    }
    assert!(
        latest < header_timeout + Duration::from_secs(8),
        "closed after {latest:?}"
    );
    assert!(healthz(addr).await < Duration::from_secs(1));
    let log = server.stop();
    assert!(!log.contains("accept failed"), "{log}");
}

#[tokio::test]
async fn a_kept_alive_connection_is_closed_after_the_idle_timeout() {
    let server = spawn_fake(&["--header-timeout-s", "1", "--idle-timeout-s", "3"], None);
    let addr: SocketAddr = server.addr.parse().expect("address");
    let mut stream = connect_from([127, 0, 0, 1], addr).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .expect("request");
    let mut buf = vec![0u8; 1024];
    let n = stream.read(&mut buf).await.expect("answer");
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    // Idle between requests: the idle timeout (3 s) applies, not the header timeout (1 s).
    let idle_since = Instant::now();
    let rest = read_to_close(&mut stream, Duration::from_secs(10)).await;
    assert_eq!(rest, Some(Vec::new()), "closed without a word");
    let idle = idle_since.elapsed();
    assert!(
        (Duration::from_millis(2800)..Duration::from_secs(6)).contains(&idle),
        "closed after {idle:?}"
    );
}

#[tokio::test]
async fn over_a_clients_share_or_the_servers_cap_is_refused_at_once() {
    let server = spawn_fake(
        &["--max-connections", "12", "--max-connections-per-ip", "4"],
        None,
    );
    let addr: SocketAddr = server.addr.parse().expect("address");
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(connect_from([127, 0, 0, 21], addr).await);
    }
    // A fifth from the same client: 429 at once, without sending anything.
    let mut fifth = connect_from([127, 0, 0, 21], addr).await;
    let answer = read_to_close(&mut fifth, Duration::from_secs(5))
        .await
        .expect("answered and closed at once");
    let (status, body) = parse_answer(&answer);
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "too_many_connections");
    // Other clients are not affected, up to the total of 12.
    for from in [22, 22, 22, 22, 23, 23, 23] {
        held.push(connect_from([127, 0, 0, from], addr).await);
    }
    assert!(healthz(addr).await < Duration::from_secs(1), "the 12th");
    // Its connection closes with the client; then one more client fills the last place.
    tokio::time::sleep(Duration::from_millis(300)).await;
    held.push(connect_from([127, 0, 0, 24], addr).await);
    // 12 open: the next is 503 server_busy.
    let mut over = connect_from([127, 0, 0, 25], addr).await;
    let answer = read_to_close(&mut over, Duration::from_secs(5))
        .await
        .expect("answered and closed at once");
    let (status, body) = parse_answer(&answer);
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "server_busy");
    drop(held);
    // Places come back as connections close.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(healthz(addr).await < Duration::from_secs(1));
    let log = server.stop();
    assert!(log.contains("refused=too_many_connections"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_the_share_follows_the_forwarded_client() {
    let server = spawn_fake(
        &[
            "--fake-latency-ms",
            "1500",
            "--trust-forwarded-for",
            "127.0.0.1",
            "--max-connections-per-ip",
            "2",
        ],
        None,
    );
    let url = server.url("/v1/images/generations");
    let send = |forwarded: &'static str| {
        let url = url.clone();
        tokio::spawn(async move {
            let resp = reqwest::Client::new()
                .post(url)
                .header("content-type", "application/json")
                .header("x-forwarded-for", forwarded)
                .body(json!({"model": "gpt-image-2", "prompt": "p", "quality": "low"}).to_string())
                .send()
                .await
                .expect("sent");
            let status = resp.status().as_u16();
            let body = resp.bytes().await.expect("body");
            (status, body)
        })
    };
    // Three requests of one client (its own left-hand entry is ignored: only the hop the
    // proxy appended counts), one of another, all through the proxy's address 127.0.0.1.
    let same = [
        send("198.51.100.1, 203.0.113.7"),
        send("203.0.113.7"),
        send("6.6.6.6, 203.0.113.7"),
    ];
    tokio::time::sleep(Duration::from_millis(100)).await;
    let other = send("203.0.113.8");
    let mut statuses = Vec::new();
    for task in same {
        statuses.push(task.await.expect("task").0);
    }
    statuses.sort_unstable();
    assert_eq!(statuses, vec![200, 200, 429], "two in progress per client");
    assert_eq!(
        other.await.expect("task").0,
        200,
        "another client is not affected"
    );
}

#[tokio::test]
async fn protocol_errors_answer_with_a_json_body() {
    let server = spawn_fake(&["--header-timeout-s", "1"], None);
    let addr: SocketAddr = server.addr.parse().expect("address");
    let exchange = |request: Vec<u8>| async move {
        let mut stream = connect_from([127, 0, 0, 1], addr).await;
        stream.write_all(&request).await.expect("write");
        let answer = read_to_close(&mut stream, Duration::from_secs(10))
            .await
            .expect("closed");
        parse_answer(&answer)
    };
    let mut huge = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 70 * 1024));
    huge.extend_from_slice(b"\r\n\r\n");
    let (status, body) = exchange(huge).await;
    assert_eq!(status, 431, "{body}");
    assert_eq!(body["error"]["code"], "headers_too_large");
    let (status, body) = exchange(b"NOT HTTP AT ALL\r\n\r\n".to_vec()).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "malformed_request");
    let (status, body) = exchange(b"GET /healthz HTTP/1.1\r\nHost: 1".to_vec()).await;
    assert_eq!(status, 408, "{body}");
    assert_eq!(body["error"]["code"], "request_timeout");
}
