//! Recoverable jobs: the contract between the app and `continuity-server` that makes a paid
//! image survive a reload, a crash or a dropped connection.
//!
//! Before sending an image request the app draws a random 128-bit [`JobId`], keeps it with the
//! frame's in-flight record and sends it in the [`JOB_HEADER`] header. The server keeps the
//! finished answer (the final image(s) and `usage`; for a streamed request the `completed`
//! events, never the partial images) under that id and the caller's access token for
//! [`JOB_TTL_SECONDS`]. After a reload the app asks `GET /v1/continuity/jobs/{id}`
//! ([`JobId::path`]) with the same token and gets:
//!
//! - **done**: the answer as the endpoint gave it (its HTTP status; a JSON body with a
//!   `continuity_job` member added, [`JobInfo`]) — an `ImagesResponse` with `data` and
//!   `usage`, or the error envelope of a refusal, which was not billed;
//! - **running** (202): still being answered; ask again after `retry-after` seconds;
//! - **unknown** (404, code `job_not_found`): never seen with this token, expired or evicted —
//!   the app keeps its honest "may have been billed" flag.
//!
//! Every answer carries the status in the [`JOB_STATUS_HEADER`] header too. An id is used
//! once: sending it again is refused (409 `job_id_in_use`) before anything is forwarded, so a
//! retry after a reload cannot pay twice.

use serde::{Deserialize, Serialize};

/// Request header carrying the job id on an image request.
pub const JOB_HEADER: &str = "x-continuity-job";
/// Response header of the job route: `done`, `running` or `unknown`.
pub const JOB_STATUS_HEADER: &str = "x-continuity-job-status";
/// Path prefix of the job route.
pub const JOBS_PATH: &str = "/v1/continuity/jobs/";
/// How long a finished job is kept (unless the store's size bound evicts it first).
pub const JOB_TTL_SECONDS: u64 = 24 * 60 * 60;

/// A job id: 128 random bits as 32 lowercase hexadecimal digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct JobId(String);

impl JobId {
    /// The id of 16 random bytes (the browser's `crypto.getRandomValues`, the server's OS
    /// randomness). Never derive them from anything guessable: the id is what lets a token
    /// read the job.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(32);
        for b in bytes {
            s.push(HEX[usize::from(b >> 4)] as char);
            s.push(HEX[usize::from(b & 15)] as char);
        }
        Self(s)
    }

    /// Parses an id as sent: exactly 32 hexadecimal digits (upper case is folded to lower).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.len() != 32 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "a job id is 32 hexadecimal digits (128 random bits), not {} characters of \
                 this form",
                text.chars().count()
            ));
        }
        Ok(Self(text.to_ascii_lowercase()))
    }

    /// The 32 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path that reads the job back: `/v1/continuity/jobs/<id>`.
    pub fn path(&self) -> String {
        format!("{JOBS_PATH}{}", self.0)
    }
}

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for JobId {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text)
    }
}

impl From<JobId> for String {
    fn from(id: JobId) -> String {
        id.0
    }
}

/// What the server knows of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Answered; the answer is kept.
    Done,
    /// Sent and not answered yet.
    Running,
    /// Not known to the server for this token.
    #[serde(other)]
    Unknown,
}

impl JobStatus {
    /// The wire name (`done`, `running`, `unknown`).
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Done => "done",
            JobStatus::Running => "running",
            JobStatus::Unknown => "unknown",
        }
    }
}

/// The `continuity_job` member of every JSON answer of the job route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobInfo {
    /// The job id.
    pub id: String,
    /// Its status.
    pub status: JobStatus,
    /// Done: the endpoint that answered (`/v1/images/generations` or `/v1/images/edits`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Done: whether the request was streamed (the answer is then built from its
    /// `completed` events: one `data[]` entry per image, their `usage` summed).
    #[serde(default)]
    pub stream: bool,
    /// Done: the HTTP status the endpoint answered with (also the status of this answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// Done: the endpoint's `x-request-id`, for OpenAI's support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Done: when the answer was complete (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<i64>,
    /// Done: until when it is kept (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

/// Reads the `continuity_job` member of a job answer (pass the JSON without its `data`, as
/// for [`super::response::ResponseMeta`]).
pub fn job_info(json: &str) -> Option<JobInfo> {
    #[derive(Deserialize)]
    struct Wrapper {
        continuity_job: JobInfo,
    }
    serde_json::from_str::<Wrapper>(json)
        .ok()
        .map(|w| w.continuity_job)
}

/// What one answer of the job route means for the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobReply {
    /// Answered: `http_status` is the endpoint's (2xx: images and usage; otherwise the error
    /// envelope of a refusal, which was not billed).
    Done {
        /// The endpoint's HTTP status.
        http_status: u16,
        /// The endpoint's `x-request-id`.
        request_id: Option<String>,
    },
    /// Still being answered: ask again later.
    Running,
    /// Not known for this token (never seen, expired, evicted).
    Unknown,
}

/// Reads an answer of the job route from its HTTP status, its [`JOB_STATUS_HEADER`] and its
/// `continuity_job` member (any of which may be missing: a server without the route answers
/// 404 without either, which is "unknown").
pub fn job_reply(
    http_status: u16,
    status_header: Option<&str>,
    info: Option<&JobInfo>,
) -> JobReply {
    let status = info.map(|i| i.status).or(match status_header {
        Some(h) if h.eq_ignore_ascii_case("done") => Some(JobStatus::Done),
        Some(h) if h.eq_ignore_ascii_case("running") => Some(JobStatus::Running),
        Some(_) => Some(JobStatus::Unknown),
        None => None,
    });
    match status {
        Some(JobStatus::Done) => JobReply::Done {
            http_status: info.and_then(|i| i.http_status).unwrap_or(http_status),
            request_id: info.and_then(|i| i.request_id.clone()),
        },
        Some(JobStatus::Running) => JobReply::Running,
        Some(JobStatus::Unknown) => JobReply::Unknown,
        // No job member and no header: only a 202 means anything but "unknown".
        None if http_status == 202 => JobReply::Running,
        None => JobReply::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_read_from_the_member_the_header_or_the_status() {
        let done = job_info(
            r#"{"continuity_job":{"id":"x","status":"done","http_status":400,"request_id":"req_9"}}"#,
        );
        assert_eq!(
            job_reply(400, Some("done"), done.as_ref()),
            JobReply::Done {
                http_status: 400,
                request_id: Some("req_9".into())
            }
        );
        assert_eq!(job_reply(202, Some("running"), None), JobReply::Running);
        assert_eq!(job_reply(202, None, None), JobReply::Running);
        assert_eq!(job_reply(404, Some("unknown"), None), JobReply::Unknown);
        // A server without the route (an older one, a static host's 404 page).
        assert_eq!(job_reply(404, None, None), JobReply::Unknown);
        assert_eq!(
            job_reply(200, Some("DONE"), None),
            JobReply::Done {
                http_status: 200,
                request_id: None
            }
        );
    }

    #[test]
    fn ids_are_128_bits_in_hex() {
        let id = JobId::from_bytes([0xab; 16]);
        assert_eq!(id.as_str(), "ab".repeat(16));
        assert_eq!(
            id.path(),
            format!("/v1/continuity/jobs/{}", "ab".repeat(16))
        );
        assert_eq!(JobId::parse(&"AB".repeat(16)).unwrap(), id);
        for bad in [
            "",
            "abc",
            &"g".repeat(32),
            &"a".repeat(33),
            "../../etc/passwd",
        ] {
            assert!(JobId::parse(bad).is_err(), "{bad:?}");
        }
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<JobId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<JobId>("\"nope\"").is_err());
    }

    #[test]
    fn job_info_reads_every_status() {
        let done = job_info(
            r#"{"created":1,"usage":{"output_tokens":196},"continuity_job":{"id":"x","status":"done","stream":true,"http_status":200,"request_id":"req_1","finished_at":5,"expires_at":86405}}"#,
        )
        .unwrap();
        assert_eq!(done.status, JobStatus::Done);
        assert!(done.stream);
        assert_eq!(done.request_id.as_deref(), Some("req_1"));
        let running = job_info(r#"{"continuity_job":{"id":"x","status":"running"}}"#).unwrap();
        assert_eq!(running.status, JobStatus::Running);
        let unknown = job_info(
            r#"{"error":{"message":"m","type":"invalid_request_error","param":null,"code":"job_not_found"},"continuity_job":{"id":"x","status":"unknown"}}"#,
        )
        .unwrap();
        assert_eq!(unknown.status, JobStatus::Unknown);
        assert!(job_info(r#"{"created":1}"#).is_none());
    }
}
