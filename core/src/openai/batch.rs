//! The Batch API for images (reference §18): the JSONL input file uploaded through the Files
//! API (`purpose: "batch"`), the batch object and its lifecycle, and the output and error
//! files, whose lines are matched to requests by `custom_id` (they arrive in any order).
//!
//! Pure data: the browser or the server moves the bytes. Every type here ignores unknown
//! fields and tolerates missing ones, like the image types ([`super::types`]).

use std::collections::{HashMap, HashSet};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Most requests one batch input file may hold.
pub const MAX_REQUESTS: usize = 50_000;
/// Largest batch input file, in bytes (200 MB).
pub const MAX_FILE_BYTES: u64 = 200 * 1024 * 1024;
/// The only completion window the API offers.
pub const COMPLETION_WINDOW: &str = "24h";
/// The `purpose` of a batch input file.
pub const PURPOSE_BATCH: &str = "batch";

/// The two image endpoints a batch can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BatchEndpoint {
    /// `/v1/images/generations`
    #[serde(rename = "/v1/images/generations")]
    Generations,
    /// `/v1/images/edits` (in the JSON form: `images: [{file_id | image_url}]`)
    #[serde(rename = "/v1/images/edits")]
    Edits,
}

impl BatchEndpoint {
    /// The path, as the batch's `endpoint` and each line's `url` carry it.
    pub fn path(self) -> &'static str {
        match self {
            BatchEndpoint::Generations => "/v1/images/generations",
            BatchEndpoint::Edits => "/v1/images/edits",
        }
    }

    /// The endpoint of a path, if it is one of the two.
    pub fn from_path(path: &str) -> Option<Self> {
        match path {
            "/v1/images/generations" => Some(BatchEndpoint::Generations),
            "/v1/images/edits" => Some(BatchEndpoint::Edits),
            _ => None,
        }
    }
}

/// One line of a batch input file: `{"custom_id", "method": "POST", "url", "body"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestLine {
    /// The caller's id for the request, unique in the file; the output line carries it back.
    pub custom_id: String,
    /// Always `POST`.
    pub method: String,
    /// The endpoint's path; the same as the batch's `endpoint`.
    pub url: String,
    /// The request body, exactly as the synchronous endpoint takes it (JSON).
    pub body: Value,
}

impl RequestLine {
    /// A `POST` of `body` to `endpoint`.
    pub fn new(custom_id: impl Into<String>, endpoint: BatchEndpoint, body: Value) -> Self {
        Self {
            custom_id: custom_id.into(),
            method: "POST".into(),
            url: endpoint.path().into(),
            body,
        }
    }
}

/// Why a batch input file cannot be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteError {
    /// No request at all.
    Empty,
    /// More than [`MAX_REQUESTS`] requests.
    TooManyRequests(usize),
    /// Larger than [`MAX_FILE_BYTES`].
    TooLarge(u64),
    /// Two lines share a `custom_id` (the id, 1-based line numbers of both).
    DuplicateCustomId(String, usize, usize),
    /// A line's `url` is not the batch's endpoint (1-based line number, its url).
    WrongUrl(usize, String),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Empty => write!(f, "a batch needs at least one request"),
            WriteError::TooManyRequests(n) => write!(
                f,
                "{n} requests; a batch holds at most {MAX_REQUESTS}: split it into several batches"
            ),
            WriteError::TooLarge(bytes) => write!(
                f,
                "the batch file would be {bytes} bytes; the limit is {MAX_FILE_BYTES} (200 MB): \
                 upload reference images once as files and refer to their file_id"
            ),
            WriteError::DuplicateCustomId(id, a, b) => {
                write!(f, "custom_id {id:?} is used on lines {a} and {b}")
            }
            WriteError::WrongUrl(line, url) => write!(
                f,
                "line {line} goes to {url:?}, not to the batch's endpoint"
            ),
        }
    }
}

/// Writes a batch input file for `endpoint`: one JSON object per line, each line ending in
/// `\n` (JSON text never holds a raw line break, so a line is exactly one request). Refuses
/// what the API would refuse at validation: no line, more than 50,000, a file over 200 MB,
/// a repeated `custom_id`, a `url` other than the endpoint.
pub fn write_jsonl(endpoint: BatchEndpoint, lines: &[RequestLine]) -> Result<String, WriteError> {
    if lines.is_empty() {
        return Err(WriteError::Empty);
    }
    if lines.len() > MAX_REQUESTS {
        return Err(WriteError::TooManyRequests(lines.len()));
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if let Some(first) = seen.insert(&line.custom_id, i + 1) {
            return Err(WriteError::DuplicateCustomId(
                line.custom_id.clone(),
                first,
                i + 1,
            ));
        }
        if line.url != endpoint.path() {
            return Err(WriteError::WrongUrl(i + 1, line.url.clone()));
        }
        let text = serde_json::to_string(line).expect("a JSON value always serializes");
        out.push_str(&text);
        out.push('\n');
        if out.len() as u64 > MAX_FILE_BYTES {
            return Err(WriteError::TooLarge(out.len() as u64));
        }
    }
    Ok(out)
}

/// A line of a JSONL file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

/// Reads a JSONL file: one `T` per non-blank line, with its 1-based line number; a line that
/// is not a `T` comes back as a [`LineError`] and the others are still read.
pub fn read_jsonl<T: DeserializeOwned>(text: &str) -> Vec<Result<(usize, T), LineError>> {
    text.split('\n')
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str::<T>(line.trim_end_matches('\r'))
                .map(|value| (i + 1, value))
                .map_err(|e| LineError {
                    line: i + 1,
                    message: e.to_string(),
                })
        })
        .collect()
}

/// The answer to one request, as a line of the output or error file:
/// `{"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputLine {
    /// The batch request's id (`batch_req_…`).
    #[serde(default)]
    pub id: String,
    /// The `custom_id` of the input line.
    pub custom_id: String,
    /// The endpoint's answer (an `ImagesResponse` with `usage`, or an error envelope), if it
    /// ran.
    #[serde(default)]
    pub response: Option<LineResponse>,
    /// Why it did not run (e.g. `batch_expired`), if it did not.
    #[serde(default)]
    pub error: Option<LineFailure>,
}

/// The HTTP answer inside an [`OutputLine`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineResponse {
    /// HTTP status the endpoint answered with.
    pub status_code: u16,
    /// Its `x-request-id`, for OpenAI's support.
    #[serde(default)]
    pub request_id: String,
    /// Its JSON body.
    #[serde(default)]
    pub body: Value,
}

/// A request that never ran (`error` of an [`OutputLine`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineFailure {
    /// Machine-readable code, e.g. `batch_expired`, `batch_cancelled`.
    #[serde(default)]
    pub code: Option<String>,
    /// What happened.
    #[serde(default)]
    pub message: String,
}

/// What became of one request of a batch, from its output or error line.
#[derive(Debug, Clone, PartialEq)]
pub enum LineOutcome<'a> {
    /// 2xx: the `ImagesResponse` body (images and `usage`).
    Succeeded(&'a Value),
    /// The endpoint refused or failed: the status and its error envelope's body.
    Failed(u16, &'a Value),
    /// It never ran (expired, cancelled): the reason.
    NotRun(&'a LineFailure),
}

impl OutputLine {
    /// What became of the request.
    pub fn outcome(&self) -> LineOutcome<'_> {
        match (&self.response, &self.error) {
            (Some(r), _) if (200..300).contains(&r.status_code) => LineOutcome::Succeeded(&r.body),
            (Some(r), _) => LineOutcome::Failed(r.status_code, &r.body),
            (None, Some(e)) => LineOutcome::NotRun(e),
            (None, None) => LineOutcome::Failed(0, &Value::Null),
        }
    }
}

/// The lines of an output and an error file, by `custom_id` (a `custom_id` that appears twice
/// keeps its first line). Requests of the batch with no line at all are in `missing`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Matched {
    /// Each request's line.
    pub by_custom_id: HashMap<String, OutputLine>,
    /// `custom_id`s sent but found in neither file.
    pub missing: Vec<String>,
    /// Lines that could not be read.
    pub unreadable: Vec<LineError>,
}

/// Matches the output and error files of a batch (either may be absent) to the `custom_id`s
/// it was sent with.
pub fn match_lines(sent: &[String], output: Option<&str>, errors: Option<&str>) -> Matched {
    let mut matched = Matched::default();
    for text in [output, errors].into_iter().flatten() {
        for line in read_jsonl::<OutputLine>(text) {
            match line {
                Ok((_, line)) => {
                    matched
                        .by_custom_id
                        .entry(line.custom_id.clone())
                        .or_insert(line);
                }
                Err(e) => matched.unreadable.push(e),
            }
        }
    }
    let unique: HashSet<&String> = sent.iter().collect();
    matched.missing = sent
        .iter()
        .filter(|id| unique.contains(id) && !matched.by_custom_id.contains_key(*id))
        .cloned()
        .collect();
    matched
}

/// A batch's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchStatus {
    /// The input file is being checked.
    Validating,
    /// The input file was refused (see `errors`); nothing ran.
    Failed,
    /// Requests are running.
    InProgress,
    /// The output files are being written.
    Finalizing,
    /// Done: every request has an output or error line.
    Completed,
    /// The 24 h window closed first: finished requests are in the output file, the others in
    /// the error file (`batch_expired`).
    Expired,
    /// A cancel was asked for; running requests finish.
    Cancelling,
    /// Cancelled: what finished is in the output file.
    Cancelled,
    /// A status this build does not know.
    #[serde(other)]
    Unknown,
}

impl BatchStatus {
    /// Whether the batch will not change any more (its files can be downloaded).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            BatchStatus::Failed
                | BatchStatus::Completed
                | BatchStatus::Expired
                | BatchStatus::Cancelled
        )
    }
}

/// `request_counts` of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RequestCounts {
    /// Requests in the input file.
    pub total: u64,
    /// Requests answered successfully.
    pub completed: u64,
    /// Requests that failed (or did not run).
    pub failed: u64,
}

/// One validation error of a failed batch (`errors.data[]`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BatchError {
    /// Machine-readable code.
    pub code: Option<String>,
    /// What is wrong.
    pub message: Option<String>,
    /// The parameter at fault.
    pub param: Option<String>,
    /// The 1-based line of the input file.
    pub line: Option<u64>,
}

/// `errors` of a batch: `{"object": "list", "data": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BatchErrors {
    /// Always `list`.
    pub object: String,
    /// The errors.
    pub data: Vec<BatchError>,
}

/// The batch object (`POST /v1/batches`, `GET /v1/batches/{id}`, `POST …/cancel`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    /// `batch_…`.
    pub id: String,
    /// Always `batch`.
    #[serde(default)]
    pub object: String,
    /// The endpoint its requests go to.
    #[serde(default)]
    pub endpoint: String,
    /// Validation errors (status `failed`).
    #[serde(default)]
    pub errors: Option<BatchErrors>,
    /// The JSONL file it runs.
    #[serde(default)]
    pub input_file_id: String,
    /// `24h`.
    #[serde(default)]
    pub completion_window: String,
    /// Its state.
    pub status: BatchStatus,
    /// The answers of the requests that succeeded (once finished).
    #[serde(default)]
    pub output_file_id: Option<String>,
    /// The answers of the requests that failed or did not run (once finished).
    #[serde(default)]
    pub error_file_id: Option<String>,
    /// Unix seconds.
    #[serde(default)]
    pub created_at: i64,
    /// Unix seconds, when it started running.
    #[serde(default)]
    pub in_progress_at: Option<i64>,
    /// Unix seconds, when the window closes.
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// Unix seconds.
    #[serde(default)]
    pub finalizing_at: Option<i64>,
    /// Unix seconds.
    #[serde(default)]
    pub completed_at: Option<i64>,
    /// Unix seconds.
    #[serde(default)]
    pub failed_at: Option<i64>,
    /// Unix seconds.
    #[serde(default)]
    pub expired_at: Option<i64>,
    /// Unix seconds.
    #[serde(default)]
    pub cancelling_at: Option<i64>,
    /// Unix seconds.
    #[serde(default)]
    pub cancelled_at: Option<i64>,
    /// Progress.
    #[serde(default)]
    pub request_counts: RequestCounts,
    /// Up to 16 string pairs given at creation.
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
}

/// The body of `POST /v1/batches`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateBatch {
    /// The uploaded JSONL file (`purpose: "batch"`).
    pub input_file_id: String,
    /// Where every line goes.
    pub endpoint: BatchEndpoint,
    /// Always [`COMPLETION_WINDOW`].
    pub completion_window: String,
    /// Optional string pairs (at most 16).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
}

impl CreateBatch {
    /// A batch of `input_file_id` for `endpoint`, within 24 h.
    pub fn new(input_file_id: impl Into<String>, endpoint: BatchEndpoint) -> Self {
        Self {
            input_file_id: input_file_id.into(),
            endpoint,
            completion_window: COMPLETION_WINDOW.into(),
            metadata: None,
        }
    }
}

/// A file object (`POST /v1/files`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileObject {
    /// `file-…`.
    pub id: String,
    /// Always `file`.
    #[serde(default)]
    pub object: String,
    /// Size in bytes.
    #[serde(default)]
    pub bytes: u64,
    /// Unix seconds.
    #[serde(default)]
    pub created_at: i64,
    /// The uploaded name.
    #[serde(default)]
    pub filename: String,
    /// `batch`, `batch_output`, `vision`, `user_data`, …
    #[serde(default)]
    pub purpose: String,
}

/// An image of a JSON edit (`images[]`, `mask`): exactly one of a `file_id` from the Files API
/// or an `image_url` (an https URL or a data URL of at most 20,971,520 characters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ImageRef {
    /// `{"file_id": "file-…"}`
    File {
        /// The uploaded file.
        file_id: String,
    },
    /// `{"image_url": "data:image/png;base64,…"}`
    Url {
        /// The URL or data URL.
        image_url: String,
    },
}

/// Longest `image_url` the API takes, in characters.
pub const MAX_IMAGE_URL_CHARS: usize = 20_971_520;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn line(id: &str) -> RequestLine {
        RequestLine::new(
            id,
            BatchEndpoint::Edits,
            json!({"model": "gpt-image-2", "prompt": "frame\nwith a line break and \"quotes\"",
                   "images": [{"file_id": "file-anchor"}, {"image_url": "data:image/png;base64,iVBO"}],
                   "size": "1536x864", "quality": "medium"}),
        )
    }

    /// The reference's line format (§18): `{"custom_id", "method": "POST", "url", "body"}`,
    /// one per line; written and read back unchanged.
    #[test]
    fn input_lines_round_trip_in_openais_format() {
        let lines = vec![line("frame-2"), line("frame-3")];
        let text = write_jsonl(BatchEndpoint::Edits, &lines).unwrap();
        assert_eq!(text.matches('\n').count(), 2, "one line per request");
        assert!(text.ends_with('\n'));
        let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(first["method"], "POST");
        assert_eq!(first["url"], "/v1/images/edits");
        assert_eq!(first["custom_id"], "frame-2");
        assert_eq!(
            first["body"]["images"][0],
            json!({"file_id": "file-anchor"})
        );
        let back: Vec<RequestLine> = read_jsonl(&text)
            .into_iter()
            .map(|r| r.unwrap().1)
            .collect();
        assert_eq!(back, lines);
    }

    #[test]
    fn the_writer_refuses_what_validation_would() {
        assert_eq!(
            write_jsonl(BatchEndpoint::Edits, &[]),
            Err(WriteError::Empty)
        );
        let twice = vec![line("a"), line("b"), line("a")];
        assert_eq!(
            write_jsonl(BatchEndpoint::Edits, &twice),
            Err(WriteError::DuplicateCustomId("a".into(), 1, 3))
        );
        assert_eq!(
            write_jsonl(BatchEndpoint::Generations, &[line("a")]),
            Err(WriteError::WrongUrl(1, "/v1/images/edits".into()))
        );
        let many: Vec<RequestLine> = (0..=MAX_REQUESTS)
            .map(|i| RequestLine::new(i.to_string(), BatchEndpoint::Generations, json!({})))
            .collect();
        assert_eq!(
            write_jsonl(BatchEndpoint::Generations, &many),
            Err(WriteError::TooManyRequests(MAX_REQUESTS + 1))
        );
        let big = "x".repeat(MAX_IMAGE_URL_CHARS);
        let heavy: Vec<RequestLine> = (0..11)
            .map(|i| {
                RequestLine::new(
                    i.to_string(),
                    BatchEndpoint::Edits,
                    json!({"images": [{"image_url": big}]}),
                )
            })
            .collect();
        assert!(matches!(
            write_jsonl(BatchEndpoint::Edits, &heavy),
            Err(WriteError::TooLarge(_))
        ));
    }

    #[test]
    fn the_reader_names_bad_lines_and_keeps_the_rest() {
        let text = "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/images/generations\",\"body\":{}}\r\n\n\
                    not json\n{\"custom_id\":\"b\",\"method\":\"POST\",\"url\":\"/v1/images/generations\",\"body\":{}}";
        let read = read_jsonl::<RequestLine>(text);
        assert_eq!(read.len(), 3);
        assert_eq!(read[0].as_ref().unwrap().0, 1);
        assert_eq!(read[1].as_ref().unwrap_err().line, 3);
        assert_eq!(read[2].as_ref().unwrap().1.custom_id, "b");
    }

    /// Output and error lines as the reference gives them (§18), in any order, matched by
    /// `custom_id`; an expired request has `response: null` and an `error`.
    #[test]
    fn output_lines_are_matched_by_custom_id() {
        let output = r#"{"id":"batch_req_2","custom_id":"frame-3","response":{"status_code":200,"request_id":"req_b","body":{"created":1,"data":[{"b64_json":"AAAA"}],"usage":{"input_tokens":5,"output_tokens":1372,"total_tokens":1377}}},"error":null}
{"id":"batch_req_1","custom_id":"frame-2","response":{"status_code":200,"request_id":"req_a","body":{"created":1,"data":[{"b64_json":"BBBB"}],"usage":{"input_tokens":5,"output_tokens":1372,"total_tokens":1377}}},"error":null}
"#;
        let errors = r#"{"id":"batch_req_3","custom_id":"frame-4","response":{"status_code":400,"request_id":"req_c","body":{"error":{"message":"blocked","type":"image_generation_user_error","param":null,"code":"moderation_blocked"}}},"error":null}
{"id":"batch_req_4","custom_id":"frame-5","response":null,"error":{"code":"batch_expired","message":"This request could not be executed before the completion window expired."}}
"#;
        let sent: Vec<String> = ["frame-2", "frame-3", "frame-4", "frame-5", "frame-6"]
            .iter()
            .map(ToString::to_string)
            .collect();
        let m = match_lines(&sent, Some(output), Some(errors));
        assert_eq!(m.missing, vec!["frame-6".to_string()]);
        assert!(m.unreadable.is_empty());
        match m.by_custom_id["frame-2"].outcome() {
            LineOutcome::Succeeded(body) => {
                assert_eq!(body["data"][0]["b64_json"], "BBBB");
                let usage: crate::openai::types::Usage =
                    serde_json::from_value(body["usage"].clone()).unwrap();
                assert_eq!(usage.output_tokens, 1372);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            m.by_custom_id["frame-3"]
                .response
                .as_ref()
                .unwrap()
                .request_id,
            "req_b"
        );
        assert!(matches!(
            m.by_custom_id["frame-4"].outcome(),
            LineOutcome::Failed(400, body) if body["error"]["code"] == "moderation_blocked"
        ));
        assert!(matches!(
            m.by_custom_id["frame-5"].outcome(),
            LineOutcome::NotRun(f) if f.code.as_deref() == Some("batch_expired")
        ));
    }

    #[test]
    fn batch_objects_parse_with_unknown_values() {
        let b: Batch = serde_json::from_str(
            r#"{"id":"batch_1","object":"batch","endpoint":"/v1/images/edits","errors":null,
                "input_file_id":"file-1","completion_window":"24h","status":"in_progress",
                "output_file_id":null,"error_file_id":null,"created_at":1,"in_progress_at":2,
                "expires_at":86401,"request_counts":{"total":11,"completed":4,"failed":0},
                "metadata":{"series":"s1"},"new_field":true}"#,
        )
        .unwrap();
        assert_eq!(b.status, BatchStatus::InProgress);
        assert!(!b.status.is_terminal());
        assert_eq!(b.request_counts.total, 11);
        let failed: Batch = serde_json::from_str(
            r#"{"id":"batch_2","status":"failed","errors":{"object":"list","data":[{"code":"invalid_request","message":"bad","param":"body.size","line":3}]}}"#,
        )
        .unwrap();
        assert!(failed.status.is_terminal());
        assert_eq!(failed.errors.unwrap().data[0].line, Some(3));
        let odd: Batch = serde_json::from_str(r#"{"id":"b","status":"paused"}"#).unwrap();
        assert_eq!(odd.status, BatchStatus::Unknown);
        let create =
            serde_json::to_value(CreateBatch::new("file-9", BatchEndpoint::Generations)).unwrap();
        assert_eq!(
            create,
            json!({"input_file_id": "file-9", "endpoint": "/v1/images/generations", "completion_window": "24h"})
        );
        let refs: Vec<ImageRef> =
            serde_json::from_value(json!([{"file_id": "file-1"}, {"image_url": "data:x"}]))
                .unwrap();
        assert_eq!(
            refs[0],
            ImageRef::File {
                file_id: "file-1".into()
            }
        );
    }
}
