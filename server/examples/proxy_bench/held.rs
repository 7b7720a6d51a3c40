//! Open connections the server holds while `/healthz` stays fast (issue 20, point 1): N
//! connections that send nothing, opened from many loopback addresses (127.0.0.2, …, so no
//! client exceeds its share), then 200 `/healthz` requests, each on a new connection, timed.
//! The server starts with the usual soft limit of 1,024 open files.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::net::{TcpSocket, TcpStream};

use super::percentiles;

/// One step: how many were asked for, how many the server kept open, /healthz p50/p99 (ms)
/// and how many /healthz requests failed (no answer within 2 s, or not 200).
pub struct Step {
    pub asked: usize,
    pub held: usize,
    pub p50: f64,
    pub p99: f64,
    pub failed: usize,
}

async fn connect_from(n: usize, server: SocketAddr) -> Option<TcpStream> {
    // 40 source addresses: at most N/40 connections per client.
    let from = IpAddr::from([127, 0, 0, 2 + (n % 40) as u8]);
    let socket = TcpSocket::new_v4().ok()?;
    socket.bind(SocketAddr::new(from, 0)).ok()?;
    tokio::time::timeout(Duration::from_secs(2), socket.connect(server))
        .await
        .ok()?
        .ok()
}

/// One GET /healthz on a new connection: its time, or `None` on failure.
async fn healthz(server: SocketAddr) -> Option<Duration> {
    let started = Instant::now();
    let answer = tokio::time::timeout(Duration::from_secs(2), async {
        let mut stream = TcpStream::connect(server).await.ok()?;
        tokio::io::AsyncWriteExt::write_all(
            &mut stream,
            b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        )
        .await
        .ok()?;
        let mut buf = Vec::new();
        stream.read_to_end(&mut buf).await.ok()?;
        Some(buf)
    })
    .await
    .ok()??;
    answer
        .starts_with(b"HTTP/1.1 200")
        .then(|| started.elapsed())
}

/// Whether the server still holds `stream` open (nothing to read, not closed).
fn still_open(stream: &TcpStream) -> bool {
    let mut buf = [0u8; 1];
    matches!(stream.try_read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

/// Opens `n` idle connections, measures /healthz, closes them.
pub async fn step(server: SocketAddr, n: usize) -> Step {
    let mut streams = Vec::with_capacity(n);
    let mut refused = 0;
    for i in 0..n {
        match connect_from(i, server).await {
            Some(s) => streams.push(s),
            // A server out of file descriptors stops accepting: do not wait 2 s for each.
            None if refused >= 20 => break,
            None => refused += 1,
        }
    }
    // Let the server accept (or refuse) them all.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut us = Vec::new();
    let mut failed = 0;
    for attempt in 0..200 {
        match healthz(server).await {
            Some(took) => us.push(took.as_micros().min(u32::MAX as u128) as u32),
            None => failed += 1,
        }
        // Twenty failures in a row: the rest would fail too (2 s each); count them failed.
        if failed == 20 && us.is_empty() {
            failed += 200 - attempt - 1;
            break;
        }
    }
    let held = streams.iter().filter(|s| still_open(s)).count();
    drop(streams);
    // Let the server see them close before the next step.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (p50, p99) = if us.is_empty() {
        (f64::NAN, f64::NAN)
    } else {
        percentiles(us)
    };
    Step {
        asked: n,
        held,
        p50,
        p99,
        failed,
    }
}
