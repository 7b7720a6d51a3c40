//! HTTP semantics of static responses: content-coding negotiation (`Accept-Encoding`),
//! validators (`ETag`, `If-None-Match`), byte ranges (`Range`, `If-Range`) and HEAD.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;

/// A content coding the server can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// Brotli (`.br` beside the file).
    Br,
    /// Gzip (`.gz` beside the file, or compressed on the fly for small HTML).
    Gzip,
}

impl Coding {
    /// The `Content-Encoding` token.
    pub fn token(self) -> &'static str {
        match self {
            Coding::Br => "br",
            Coding::Gzip => "gzip",
        }
    }

    /// The extension of a precompressed file.
    pub fn extension(self) -> &'static str {
        match self {
            Coding::Br => "br",
            Coding::Gzip => "gz",
        }
    }
}

/// The codings the client accepts, best first (brotli before gzip). `q=0` refuses a coding,
/// `*` accepts any coding not named.
pub fn accepted_codings(headers: &HeaderMap) -> Vec<Coding> {
    let mut named: Vec<(String, bool)> = Vec::new();
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            if name.is_empty() {
                continue;
            }
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            named.push((name, !refused));
        }
    }
    let lookup = |names: &[&str]| {
        named
            .iter()
            .find(|(n, _)| names.contains(&n.as_str()))
            .map(|(_, ok)| *ok)
    };
    let star = lookup(&["*"]).unwrap_or(false);
    let mut out = Vec::new();
    if lookup(&["br"]).unwrap_or(star) {
        out.push(Coding::Br);
    }
    if lookup(&["gzip", "x-gzip"]).unwrap_or(star) {
        out.push(Coding::Gzip);
    }
    out
}

/// What a `Range` header asks of a body of `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// No usable single range: send the whole body (multi-range requests end up here too).
    Full,
    /// Bytes `start..=end`.
    Part(u64, u64),
    /// A well-formed range that lies outside the body: 416.
    Unsatisfiable,
}

/// Parses `bytes=a-b`, `bytes=a-` or `bytes=-n` against a body of `len` bytes.
pub fn parse_range(value: &str, len: u64) -> RangeRequest {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return RangeRequest::Full;
    };
    if spec.contains(',') {
        return RangeRequest::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Full;
    };
    let number = |s: &str| s.trim().parse::<u64>().ok();
    match (first.trim().is_empty(), number(first), number(last)) {
        // bytes=-n: the last n bytes.
        (true, _, Some(n)) if n > 0 && len > 0 => {
            RangeRequest::Part(len.saturating_sub(n), len - 1)
        }
        (true, _, Some(_)) => RangeRequest::Unsatisfiable,
        (false, Some(start), end) if last.trim().is_empty() || end.is_some() => {
            if end.is_some_and(|e| e < start) {
                return RangeRequest::Full;
            }
            if start >= len {
                return RangeRequest::Unsatisfiable;
            }
            RangeRequest::Part(start, end.unwrap_or(len - 1).min(len - 1))
        }
        _ => RangeRequest::Full,
    }
}

/// Whether `If-None-Match` lists `etag` (weak comparison, as RFC 9110 asks for it).
pub fn none_match(if_none_match: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    if_none_match
        .split(',')
        .any(|t| t.trim() == "*" || bare(t) == bare(etag))
}

/// One representation of a resource, ready to send.
#[derive(Debug, Clone)]
pub struct Representation {
    /// The (possibly encoded) bytes.
    pub body: Bytes,
    /// `Content-Type` of the decoded resource.
    pub content_type: &'static str,
    /// `Content-Encoding`, if encoded.
    pub coding: Option<Coding>,
    /// A strong validator unique to these bytes.
    pub etag: String,
    /// `Cache-Control`.
    pub cache_control: &'static str,
    /// Whether the resource has encoded variants (then `Vary: Accept-Encoding`).
    pub varies: bool,
    /// `Content-Security-Policy`, if any.
    pub csp: Option<HeaderValue>,
}

/// Answers a GET or HEAD for `rep`: 304 when `If-None-Match` matches, 206/416 for a byte
/// range (ranges count the bytes sent, i.e. the encoded ones), else 200. HEAD gets the same
/// status and headers; the HTTP layer drops the body and keeps its length.
pub fn respond(request: &HeaderMap, rep: Representation) -> Response {
    let len = rep.body.len() as u64;
    let mut builder = Response::builder();
    let headers = builder.headers_mut().expect("fresh builder");
    if let Ok(etag) = HeaderValue::from_str(&rep.etag) {
        headers.insert(header::ETAG, etag);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(rep.cache_control),
    );
    if rep.varies {
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if let Some(csp) = rep.csp {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let header_str = |name: header::HeaderName| request.get(name).and_then(|v| v.to_str().ok());
    if header_str(header::IF_NONE_MATCH).is_some_and(|v| none_match(v, &rep.etag)) {
        return finish(builder.status(StatusCode::NOT_MODIFIED), Body::empty());
    }
    let headers = builder.headers_mut().expect("fresh builder");
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(rep.content_type),
    );
    if let Some(coding) = rep.coding {
        headers.insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static(coding.token()),
        );
    }
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    // If-Range: the range applies only to the representation the client already has part of.
    let range_applies = header_str(header::IF_RANGE).is_none_or(|v| v.trim() == rep.etag);
    let range = match header_str(header::RANGE) {
        Some(value) if range_applies => parse_range(value, len),
        _ => RangeRequest::Full,
    };
    match range {
        RangeRequest::Full => finish(builder.status(StatusCode::OK), Body::from(rep.body)),
        RangeRequest::Part(start, end) => {
            let content_range = format!("bytes {start}-{end}/{len}");
            let part = rep.body.slice(start as usize..=end as usize);
            finish(
                builder
                    .status(StatusCode::PARTIAL_CONTENT)
                    .header(header::CONTENT_RANGE, content_range),
                Body::from(part),
            )
        }
        RangeRequest::Unsatisfiable => finish(
            builder
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(header::CONTENT_RANGE, format!("bytes */{len}")),
            Body::empty(),
        ),
    }
}

fn finish(builder: axum::http::response::Builder, body: Body) -> Response {
    builder.body(body).unwrap_or_else(|_| {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        response
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Vec<Coding> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, value.parse().expect("value"));
        accepted_codings(&headers)
    }

    #[test]
    fn codings_follow_accept_encoding() {
        use Coding::*;
        assert_eq!(accept("gzip, deflate, br, zstd"), vec![Br, Gzip]);
        assert_eq!(accept("gzip"), vec![Gzip]);
        assert_eq!(accept("br;q=0, gzip;q=0.5"), vec![Gzip]);
        assert_eq!(accept("*"), vec![Br, Gzip]);
        assert_eq!(accept("*;q=0"), vec![]);
        assert_eq!(accept("*, br;q=0"), vec![Gzip]);
        assert_eq!(accept("identity"), vec![]);
        assert_eq!(accepted_codings(&HeaderMap::new()), vec![]);
    }

    #[test]
    fn ranges() {
        use RangeRequest::*;
        assert_eq!(parse_range("bytes=0-3", 10), Part(0, 3));
        assert_eq!(parse_range("bytes=4-", 10), Part(4, 9));
        assert_eq!(parse_range("bytes=-3", 10), Part(7, 9));
        assert_eq!(parse_range("bytes=-30", 10), Part(0, 9));
        assert_eq!(parse_range("bytes=5-100", 10), Part(5, 9));
        assert_eq!(parse_range("bytes=10-", 10), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 10), Unsatisfiable);
        assert_eq!(parse_range("bytes=0-1,4-5", 10), Full);
        assert_eq!(parse_range("bytes=5-2", 10), Full);
        assert_eq!(parse_range("items=0-1", 10), Full);
        assert_eq!(parse_range("bytes=x-1", 10), Full);
        assert_eq!(parse_range("bytes=0-0", 0), Unsatisfiable);
    }

    #[test]
    fn validators() {
        assert!(none_match("\"a\"", "\"a\""));
        assert!(none_match("W/\"a\", \"b\"", "\"a\""));
        assert!(none_match("*", "\"a\""));
        assert!(!none_match("\"b\"", "\"a\""));
    }
}
