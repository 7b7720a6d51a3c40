//! One finished job as it is kept: a metadata line (JSON) and the answer's body, and the
//! answer the job route gives for it.

use axum::body::Body;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use continuity_core::openai::jobs::{JobId, JobInfo, JobStatus, JOB_STATUS_HEADER};
use serde::{Deserialize, Serialize};

/// Format version of the metadata line.
const VERSION: u32 = 1;

/// What is kept besides the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// Format version.
    pub v: u32,
    /// HTTP status the endpoint answered with.
    pub http_status: u16,
    /// The body's content type (`application/json` for everything built from a stream).
    pub content_type: Option<String>,
    /// `/v1/images/generations` or `/v1/images/edits`.
    pub endpoint: String,
    /// Whether the request was streamed.
    pub stream: bool,
    /// The endpoint's `x-request-id`.
    pub request_id: Option<String>,
    /// When the answer was complete, Unix seconds.
    pub finished_at: i64,
}

/// A finished job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Its metadata.
    pub meta: Meta,
    /// The answer's body: the endpoint's JSON, or for a stream the `ImagesResponse` built from
    /// its `completed` events.
    pub body: Bytes,
}

impl Record {
    /// A record of an answer finished now.
    pub fn new(
        http_status: u16,
        content_type: Option<String>,
        endpoint: &str,
        stream: bool,
        request_id: Option<String>,
        body: Bytes,
    ) -> Self {
        Self {
            meta: Meta {
                v: VERSION,
                http_status,
                content_type,
                endpoint: endpoint.to_string(),
                stream,
                request_id,
                finished_at: crate::clock::unix_seconds() as i64,
            },
            body,
        }
    }

    /// The stored form: the metadata as one JSON line, then the body.
    pub fn encode(&self) -> Vec<u8> {
        let meta = serde_json::to_vec(&self.meta).expect("metadata serializes");
        let mut out = Vec::with_capacity(meta.len() + 1 + self.body.len());
        out.extend_from_slice(&meta);
        out.push(b'\n');
        out.extend_from_slice(&self.body);
        out
    }

    /// Reads the stored form back.
    pub fn decode(bytes: Bytes) -> Result<Self, String> {
        let line = bytes
            .iter()
            .position(|b| *b == b'\n')
            .ok_or("no metadata line")?;
        let meta: Meta = serde_json::from_slice(&bytes[..line])
            .map_err(|e| format!("unreadable metadata: {e}"))?;
        if meta.v != VERSION {
            return Err(format!("unknown format version {}", meta.v));
        }
        Ok(Self {
            meta,
            body: bytes.slice(line + 1..),
        })
    }

    /// Reads only the metadata line of a stored job (at start, to rebuild the index).
    pub fn decode_meta(head: &[u8]) -> Option<Meta> {
        let line = head.iter().position(|b| *b == b'\n')?;
        serde_json::from_slice(&head[..line]).ok()
    }

    /// The job route's answer: the endpoint's status and body, with `continuity_job` added to
    /// a JSON object body, and the status header.
    pub fn answer(&self, id: &JobId, ttl_s: u64) -> Response {
        let info = JobInfo {
            id: id.to_string(),
            status: JobStatus::Done,
            endpoint: Some(self.meta.endpoint.clone()),
            stream: self.meta.stream,
            http_status: Some(self.meta.http_status),
            request_id: self.meta.request_id.clone(),
            finished_at: Some(self.meta.finished_at),
            expires_at: Some(self.meta.finished_at + ttl_s as i64),
        };
        let body = with_member(&self.body, &info);
        let mut response = Response::new(Body::from(body));
        *response.status_mut() =
            StatusCode::from_u16(self.meta.http_status).unwrap_or(StatusCode::OK);
        let h = response.headers_mut();
        if let Some(ct) = self
            .meta
            .content_type
            .as_deref()
            .and_then(|ct| HeaderValue::from_str(ct).ok())
        {
            h.insert(header::CONTENT_TYPE, ct);
        }
        if let Some(id) = self
            .meta
            .request_id
            .as_deref()
            .and_then(|v| HeaderValue::from_str(v).ok())
        {
            h.insert(HeaderName::from_static("x-request-id"), id);
        }
        status_header(&mut response, JobStatus::Done);
        response
    }
}

/// Sets the job status header.
pub fn status_header(response: &mut Response, status: JobStatus) {
    response.headers_mut().insert(
        HeaderName::from_static(JOB_STATUS_HEADER),
        HeaderValue::from_static(status.as_str()),
    );
}

/// `body` with `"continuity_job": info` as the first member, if it is a JSON object (the
/// member is spliced in after the opening brace: no reparsing of megabytes of base64).
/// Anything else is returned unchanged.
fn with_member(body: &Bytes, info: &JobInfo) -> Bytes {
    let Some(open) = body.iter().position(|b| !b.is_ascii_whitespace()) else {
        return body.clone();
    };
    if body[open] != b'{' {
        return body.clone();
    }
    let rest = &body[open + 1..];
    let empty = rest
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'}');
    let member = serde_json::to_string(info).expect("job info serializes");
    let mut out = Vec::with_capacity(body.len() + member.len() + 20);
    out.extend_from_slice(b"{\"continuity_job\":");
    out.extend_from_slice(member.as_bytes());
    if !empty {
        out.push(b',');
    }
    out.extend_from_slice(rest);
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn records_round_trip() {
        let r = Record::new(
            200,
            Some("application/json".into()),
            "/v1/images/generations",
            true,
            Some("req_1".into()),
            Bytes::from_static(b"{\"created\":1,\"data\":[]}\n"),
        );
        let bytes = Bytes::from(r.encode());
        assert_eq!(Record::decode(bytes.clone()).unwrap(), r);
        assert_eq!(Record::decode_meta(&bytes[..]).unwrap(), r.meta);
        assert!(Record::decode(Bytes::from_static(b"no line")).is_err());
    }

    #[test]
    fn the_job_member_is_spliced_into_json_objects() {
        let id = JobId::from_bytes([7; 16]);
        let info = JobInfo {
            id: id.to_string(),
            status: JobStatus::Done,
            endpoint: None,
            stream: false,
            http_status: Some(200),
            request_id: None,
            finished_at: None,
            expires_at: None,
        };
        for body in [
            &b"{\"created\":1,\"data\":[{\"b64_json\":\"AAAA\"}]}"[..],
            b"  {\n}",
        ] {
            let out = with_member(&Bytes::copy_from_slice(body), &info);
            let v: Value = serde_json::from_slice(&out).unwrap();
            assert_eq!(v["continuity_job"]["status"], "done");
            let mut original: Value = serde_json::from_slice(body).unwrap();
            original["continuity_job"] = json!(info);
            assert_eq!(v, original);
        }
        let html = Bytes::from_static(b"<html>502</html>");
        assert_eq!(with_member(&html, &info), html);
    }
}
