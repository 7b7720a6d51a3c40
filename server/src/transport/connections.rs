//! How many connections are open, in total and per client, and the permits that count them.
//!
//! A client is an IPv4 address or an IPv6 /64 (one subscriber usually holds a whole /64).
//! Connections from a trusted reverse proxy count only towards the total; the proxy's clients
//! are counted per request instead ([`ConnectionLimits::request`], by forwarded address).

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use http_body::{Body as HttpBody, Frame, SizeHint};

/// Why a connection was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The server's total is reached (the limit).
    Total(usize),
    /// This client's share is used up (the limit).
    PerClient(usize),
}

/// The counters.
#[derive(Debug)]
pub struct ConnectionLimits {
    max_total: usize,
    max_per_client: usize,
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    /// Open connections per client (direct clients).
    connections: HashMap<IpAddr, usize>,
    /// Requests in progress per client (behind a trusted proxy).
    requests: HashMap<IpAddr, usize>,
}

/// The client an address belongs to: the address itself, or its /64 for IPv6 (IPv4-mapped
/// IPv6 addresses count as the IPv4 address).
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        },
    }
}

/// Which count a permit holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Connection,
    Request,
}

/// One counted connection or request; dropping it gives the place back.
#[derive(Debug)]
pub struct Permit {
    limits: Arc<ConnectionLimits>,
    client: Option<IpAddr>,
    kind: Kind,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut counts = self.limits.lock();
        if self.kind == Kind::Connection {
            counts.total = counts.total.saturating_sub(1);
        }
        if let Some(client) = self.client {
            let map = match self.kind {
                Kind::Connection => &mut counts.connections,
                Kind::Request => &mut counts.requests,
            };
            if let Some(n) = map.get_mut(&client) {
                *n -= 1;
                if *n == 0 {
                    // Keeps the maps as small as the number of clients connected right now.
                    map.remove(&client);
                }
            }
        }
    }
}

impl ConnectionLimits {
    /// At most `max_total` connections, `max_per_client` per client.
    pub fn new(max_total: usize, max_per_client: usize) -> Self {
        Self {
            max_total,
            max_per_client,
            counts: Mutex::new(Counts::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a place for a connection from `peer` (a trusted proxy counts only in the total).
    pub fn connection(self: &Arc<Self>, peer: IpAddr, trusted: bool) -> Result<Permit, Refusal> {
        let mut counts = self.lock();
        if counts.total >= self.max_total {
            return Err(Refusal::Total(self.max_total));
        }
        let client = (!trusted).then(|| client_key(peer));
        if let Some(client) = client {
            let n = counts.connections.entry(client).or_insert(0);
            if *n >= self.max_per_client {
                return Err(Refusal::PerClient(self.max_per_client));
            }
            *n += 1;
        }
        counts.total += 1;
        Ok(Permit {
            limits: Arc::clone(self),
            client,
            kind: Kind::Connection,
        })
    }

    /// Takes a place for a request in progress from `client` (behind a trusted proxy); `Err`
    /// holds the limit.
    pub fn request(self: &Arc<Self>, client: IpAddr) -> Result<Permit, usize> {
        let client = client_key(client);
        let mut counts = self.lock();
        let n = counts.requests.entry(client).or_insert(0);
        if *n >= self.max_per_client {
            return Err(self.max_per_client);
        }
        *n += 1;
        Ok(Permit {
            limits: Arc::clone(self),
            client: Some(client),
            kind: Kind::Request,
        })
    }
}

/// A response body that holds a [`Permit`] until it is sent or dropped.
pub struct HeldBody {
    inner: Body,
    _permit: Permit,
}

impl HeldBody {
    /// Holds `permit` for as long as `inner` lives.
    pub fn new(inner: Body, permit: Permit) -> Self {
        Self {
            inner,
            _permit: permit,
        }
    }
}

impl HttpBody for HeldBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_and_shares() {
        let limits = Arc::new(ConnectionLimits::new(3, 2));
        let a: IpAddr = "10.0.0.1".parse().expect("ip");
        let b: IpAddr = "10.0.0.2".parse().expect("ip");
        let a1 = limits.connection(a, false).expect("first");
        let _a2 = limits.connection(a, false).expect("second");
        assert_eq!(
            limits.connection(a, false).err(),
            Some(Refusal::PerClient(2))
        );
        let _b1 = limits.connection(b, false).expect("other client");
        assert_eq!(limits.connection(b, false).err(), Some(Refusal::Total(3)));
        drop(a1);
        let _b2 = limits.connection(b, false).expect("a place came back");
        // Behind a trusted proxy the share counts requests per forwarded client.
        let r1 = limits.request(a).expect("request");
        let _r2 = limits.request(a).expect("request");
        assert_eq!(limits.request(a).err(), Some(2));
        drop(r1);
        assert!(limits.request(a).is_ok());
    }

    #[test]
    fn ipv6_clients_are_their_64() {
        let one: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let two: IpAddr = "2001:db8:1:2:bbbb::2".parse().expect("ip");
        let other: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(client_key(one), client_key(two));
        assert_ne!(client_key(one), client_key(other));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().expect("ip");
        assert_eq!(
            client_key(mapped),
            "10.0.0.1".parse::<IpAddr>().expect("ip")
        );
    }
}
