//! The client behind a trusted reverse proxy: `X-Forwarded-For` read from the right, skipping
//! the trusted proxies themselves. The left end is whatever the client wrote, so it is never
//! believed; only the hop each trusted proxy appended is (security-reliability §2.2 rule 6).

use std::net::IpAddr;

use axum::http::HeaderMap;

/// The address of the client a trusted proxy (`peer`) forwarded this request for, or `None`
/// when the proxy sent no usable `X-Forwarded-For`.
pub fn client_ip(headers: &HeaderMap, peer: IpAddr, trusted: &[IpAddr]) -> Option<IpAddr> {
    if !trusted.contains(&peer) {
        return None;
    }
    // Several headers count as one list, in order (RFC 9110 §5.3).
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.iter().rev() {
        let ip = parse_hop(hop)?;
        if !trusted.contains(&ip) {
            return Some(ip);
        }
    }
    None
}

/// One hop: an address, possibly with a port (`1.2.3.4:5678`, `[2001:db8::1]:80`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    hop.rsplit_once(':')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().expect("value"));
        }
        h
    }

    #[test]
    fn reads_from_the_right_past_trusted_hops() {
        let proxy: IpAddr = "127.0.0.1".parse().expect("ip");
        let inner: IpAddr = "10.0.0.5".parse().expect("ip");
        let trusted = [proxy, inner];
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        // The client spoofs a left-hand entry; the proxy appended the real address.
        assert_eq!(
            client_ip(&headers(&["6.6.6.6, 203.0.113.7"]), proxy, &trusted),
            Some(ip("203.0.113.7"))
        );
        // Two trusted proxies in a row.
        assert_eq!(
            client_ip(&headers(&["203.0.113.7", "10.0.0.5"]), proxy, &trusted),
            Some(ip("203.0.113.7"))
        );
        assert_eq!(
            client_ip(&headers(&["[2001:db8::1]:443"]), proxy, &trusted),
            Some(ip("2001:db8::1"))
        );
        // Not from a trusted proxy, no header, or garbage: no forwarded client.
        assert_eq!(
            client_ip(&headers(&["203.0.113.7"]), ip("8.8.8.8"), &trusted),
            None
        );
        assert_eq!(client_ip(&headers(&[]), proxy, &trusted), None);
        assert_eq!(client_ip(&headers(&["nonsense"]), proxy, &trusted), None);
    }
}
