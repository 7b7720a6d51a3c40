//! Failure classification, retry policy and user-facing messages for image requests (pure).
//!
//! The rules come from security-reliability.md §4.2 and openai-images-api.md §8. The central
//! distinction is cost: a request OpenAI never processed can be retried freely, one it may have
//! processed may already be billed (OpenAI has no idempotency keys, so a retry can bill twice),
//! and a request it rejected will be rejected again.

use crate::openai::types::ApiError;

/// Retries allowed for a request that was certainly not processed (rate limit, 408/409, no
/// connection).
pub const MAX_RETRIES_NOT_PROCESSED: u32 = 5;
/// Retries allowed for a request that may have been processed (and billed).
pub const MAX_RETRIES_MAYBE_PROCESSED: u32 = 1;
/// The longest server-requested wait we sleep through; longer requests give up with a message.
pub const MAX_RETRY_AFTER_MS: u64 = 120_000;

/// What the client observed for one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observation {
    /// An HTTP response arrived. `error` is the parsed envelope if the body was one.
    Http {
        /// HTTP status code.
        status: u16,
        /// The `{"error":{…}}` envelope, if the body was one.
        error: Option<ApiError>,
        /// Parsed `retry-after-ms` / `retry-after` (see [`parse_retry_after`]).
        retry_after: RetryAfter,
        /// The `x-should-retry` header, if present.
        should_retry: Option<bool>,
        /// What kind of body came back.
        body: BodyKind,
    },
    /// `fetch` failed without a response. `sent: false` means before the request went out (DNS,
    /// refused, TLS, or a CORS failure, which a browser makes indistinguishable): treated as not
    /// processed. `sent: true` means the connection dropped while waiting: maybe processed.
    Network {
        /// Whether the request had been sent.
        sent: bool,
    },
    /// Our own timeout fired after the request was sent.
    Timeout,
    /// The stream/body ended early or was unusable.
    Incomplete(IncompleteKind),
    /// The user cancelled; `in_flight` = the request had been sent.
    Cancelled {
        /// Whether the request had been sent.
        in_flight: bool,
    },
}

/// How a 2xx response body turned out to be unusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IncompleteKind {
    /// The event stream ended without a `completed` event.
    StreamCut,
    /// The JSON body was cut off or malformed.
    TruncatedJson,
    /// The image data could not be decoded (bad base64, not an image).
    BadImage,
    /// The body had an unexpected content type (typically an HTML page from a CDN).
    WrongContentType,
}

/// The kind of body an HTTP response carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyKind {
    /// JSON.
    Json,
    /// An HTML page (proxies, CDNs and captive portals send these).
    Html,
    /// Anything else.
    Other,
    /// No body.
    Empty,
}

/// A server-requested delay, already parsed from the headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct RetryAfter {
    /// Milliseconds to wait; `Some(0)` means the header was present but asked for no wait (or a
    /// past date), `None` means absent or unparseable.
    pub ms: Option<u64>,
}

/// What a failure means for retrying and for the rest of the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureClass {
    /// OpenAI did not process the request: safe to retry with backoff.
    NotProcessed,
    /// OpenAI may have processed (and billed) the request: at most one automatic retry.
    MaybeProcessed,
    /// This frame's request is wrong or was refused: never retried automatically.
    FatalForFrame,
    /// Every request in the batch would fail the same way (key, access, model, billing): stop.
    FatalForBatch,
    /// The user cancelled.
    Cancelled,
}

/// Why the attempt failed, at the level of detail a message needs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reason {
    /// 429 rate limit (not a billing problem).
    RateLimited,
    /// 503 / `server_is_overloaded` / `slow_down`.
    Overloaded,
    /// 5xx or a `server_error`.
    ServerError,
    /// No connection, or the connection dropped.
    Network,
    /// Our timeout fired after sending.
    Timeout,
    /// The event stream ended without the final image.
    StreamCut,
    /// The response was cut off or malformed.
    TruncatedResponse,
    /// The image could not be decoded.
    BadImage,
    /// An HTML page (or other unexpected content) came back instead of the API's answer.
    HtmlErrorPage,
    /// 400/413/422 or another rejection of this particular request.
    InvalidRequest,
    /// Blocked by the safety system.
    Moderation {
        /// `input`, `output` or `unknown`, when reported.
        stage: Option<String>,
        /// Safety categories, when reported.
        categories: Vec<String>,
    },
    /// 401: bad, revoked or missing key.
    InvalidKey,
    /// 403: the organization must be verified to use the model.
    OrgVerification,
    /// 403 for another reason (key permissions, country/region).
    PermissionDenied,
    /// 404: the model does not exist or is not available to this account.
    ModelNotFound,
    /// Out of credits or over a spend limit.
    InsufficientQuota,
    /// The user cancelled.
    Cancelled,
    /// A status without a more specific reason.
    Unknown(u16),
}

/// The result of [`classify`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Classification {
    /// What the failure means for retrying and for the batch.
    pub class: FailureClass,
    /// Why it happened.
    pub reason: Reason,
    /// Whether OpenAI may have charged for the attempt.
    pub may_be_billed: bool,
    /// The server's `x-should-retry` header: `Some(false)` forbids an automatic retry;
    /// `Some(true)` never overrides a fatal class or the one-retry limit for maybe-billed work.
    pub should_retry: Option<bool>,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryDecision {
    /// Retry after this many milliseconds.
    RetryAfterMs(u64),
    /// Do not retry automatically.
    GiveUp(GiveUpWhy),
}

/// Why [`decide_retry`] gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GiveUpWhy {
    /// The failure is fatal for the frame or the batch.
    NotRetryable,
    /// The user cancelled.
    Cancelled,
    /// The server sent `x-should-retry: false`.
    ServerSaidNo,
    /// The retry budget for requests that were not processed is spent.
    RetriesExhausted {
        /// Retries already made.
        retries: u32,
    },
    /// The one automatic retry for possibly-billed work is spent.
    MaybeBilled,
    /// Not sent again: the server keeps the answer of this request under its job id, and
    /// the app asks for it instead (a retry could pay twice).
    Recoverable,
    /// The server asked for a wait longer than [`MAX_RETRY_AFTER_MS`].
    WaitTooLong {
        /// The requested wait in milliseconds.
        ms: u64,
    },
}

impl GiveUpWhy {
    /// A sentence to show after the failure's own message, or `None` when that message already
    /// says everything (fatal failures, cancellation).
    pub fn message(&self) -> Option<String> {
        match self {
            GiveUpWhy::NotRetryable | GiveUpWhy::Cancelled => None,
            GiveUpWhy::ServerSaidNo => {
                Some("OpenAI asked us not to retry this request automatically.".to_owned())
            }
            GiveUpWhy::RetriesExhausted { retries } => Some(format!(
                "It still failed after {retries} automatic {}; try again later.",
                if *retries == 1 { "retry" } else { "retries" }
            )),
            GiveUpWhy::MaybeBilled => Some(
                "It was not retried again automatically because each attempt may be billed."
                    .to_owned(),
            ),
            GiveUpWhy::Recoverable => Some(
                "It is not sent again: Continuity asks the server for its answer (now, and when the connection is back)."
                    .to_owned(),
            ),
            GiveUpWhy::WaitTooLong { ms } => Some(format!(
                "OpenAI asked us to wait {} before trying again, so this frame was paused; try it again after that.",
                human_duration(*ms)
            )),
        }
    }
}

/// Classifies one failed attempt. Total: every observation maps to exactly one class.
///
/// The API error's `code` is consulted first, its `type` second and the HTTP status last; the
/// message text never changes the class or the retry decision (it only picks between the two
/// wordings of a 403, see [`Reason::OrgVerification`]).
pub fn classify(obs: &Observation) -> Classification {
    use FailureClass as C;
    match obs {
        Observation::Http {
            status,
            error,
            should_retry,
            body,
            retry_after: _,
        } => Classification {
            should_retry: *should_retry,
            ..classify_http(*status, error.as_ref(), *body)
        },
        Observation::Network { sent: false } => make(C::NotProcessed, Reason::Network),
        Observation::Network { sent: true } => make(C::MaybeProcessed, Reason::Network),
        Observation::Timeout => make(C::MaybeProcessed, Reason::Timeout),
        Observation::Incomplete(kind) => make(
            C::MaybeProcessed,
            match kind {
                IncompleteKind::StreamCut => Reason::StreamCut,
                IncompleteKind::TruncatedJson => Reason::TruncatedResponse,
                IncompleteKind::BadImage => Reason::BadImage,
                IncompleteKind::WrongContentType => Reason::HtmlErrorPage,
            },
        ),
        Observation::Cancelled { in_flight } => Classification {
            // Aborting a fetch does not cancel or refund the work upstream.
            may_be_billed: *in_flight,
            ..make(C::Cancelled, Reason::Cancelled)
        },
    }
}

/// A classification whose billing flag follows from the class alone.
fn make(class: FailureClass, reason: Reason) -> Classification {
    Classification {
        may_be_billed: class == FailureClass::MaybeProcessed,
        class,
        reason,
        should_retry: None,
    }
}

fn classify_http(status: u16, error: Option<&ApiError>, body: BodyKind) -> Classification {
    if let Some(c) = error.and_then(|e| classify_api_error(status, e)) {
        return c;
    }
    // An HTML page with a 2xx/3xx/5xx status comes from a proxy or CDN in front of OpenAI, which
    // may have forwarded the request. A 4xx page from such a box means it refused the request
    // itself, so the status keeps its meaning (a CDN 429 is still a rate limit, a 413 too large).
    if body == BodyKind::Html && !(400..500).contains(&status) {
        return make(FailureClass::MaybeProcessed, Reason::HtmlErrorPage);
    }
    classify_status(status, error)
}

/// Billing problems: not transient, and every further request in the batch would fail too.
fn is_billing_code(code: &str) -> bool {
    matches!(
        code,
        "insufficient_quota" | "credit_balance_exhausted" | "billing_not_active"
    ) || code.contains("spend_limit")
        || code.contains("billing_hard_limit")
        || code.contains("credit_balance")
}

/// Classification from the API error's `code`, then its `type`; `None` defers to the status.
fn classify_api_error(status: u16, e: &ApiError) -> Option<Classification> {
    use FailureClass as C;
    let code = e.code.as_deref().map(str::to_ascii_lowercase);
    let ty = e.r#type.as_deref().map(str::to_ascii_lowercase);
    let code = code.as_deref().unwrap_or("");
    let ty = ty.as_deref().unwrap_or("");

    // Billing first, from either field: retrying a quota error only burns more requests, and no
    // other code should be able to make it look retryable.
    if is_billing_code(code) || ty == "insufficient_quota" {
        return Some(make(C::FatalForBatch, Reason::InsufficientQuota));
    }
    let by_code = match code {
        "moderation_blocked" | "content_policy_violation" | "content_filter" => Some(moderation(e)),
        "invalid_api_key" | "missing_api_key" | "account_deactivated" => {
            Some(make(C::FatalForBatch, Reason::InvalidKey))
        }
        "model_not_found" => Some(make(C::FatalForBatch, Reason::ModelNotFound)),
        "unsupported_country_region_territory" | "unsupported_country" => {
            Some(make(C::FatalForBatch, Reason::PermissionDenied))
        }
        "rate_limit_exceeded" => Some(make(C::NotProcessed, Reason::RateLimited)),
        "server_is_overloaded" | "slow_down" | "engine_overloaded" => {
            Some(make(C::MaybeProcessed, Reason::Overloaded))
        }
        "server_error" => Some(make(C::MaybeProcessed, Reason::ServerError)),
        c if c.contains("verif") => Some(make(C::FatalForBatch, Reason::OrgVerification)),
        _ => None,
    };
    if by_code.is_some() {
        return by_code;
    }
    match ty {
        // Same prompt and images, same verdict: retrying cannot help.
        "image_generation_user_error" => Some(if e.moderation_details.is_some() {
            moderation(e)
        } else {
            make(C::FatalForFrame, Reason::InvalidRequest)
        }),
        "server_error" => Some(make(
            C::MaybeProcessed,
            if status == 503 {
                Reason::Overloaded
            } else {
                Reason::ServerError
            },
        )),
        "requests" | "tokens" | "rate_limit_error" => {
            Some(make(C::NotProcessed, Reason::RateLimited))
        }
        "authentication_error" => Some(make(C::FatalForBatch, Reason::InvalidKey)),
        // `invalid_request_error` spans 400/401/403/404: the status says which.
        _ => None,
    }
}

fn moderation(e: &ApiError) -> Classification {
    let details = e.moderation_details.clone().unwrap_or_default();
    // An output-stage block means the image was generated before it was withheld, so it may
    // have been charged; an input-stage block stops before generation.
    let billed = details.moderation_stage.as_deref() == Some("output");
    Classification {
        may_be_billed: billed,
        ..make(
            FailureClass::FatalForFrame,
            Reason::Moderation {
                stage: details.moderation_stage,
                categories: details.categories,
            },
        )
    }
}

fn classify_status(status: u16, error: Option<&ApiError>) -> Classification {
    use FailureClass as C;
    match status {
        400 | 413 | 422 => make(C::FatalForFrame, Reason::InvalidRequest),
        401 => make(C::FatalForBatch, Reason::InvalidKey),
        402 => make(C::FatalForBatch, Reason::InsufficientQuota),
        403 => {
            // OpenAI sends this 403 with type invalid_request_error and code null, so only the
            // message tells verification apart from region/permission refusals. Both are
            // FatalForBatch; the text only chooses which advice to show.
            let verification = error.is_some_and(|e| {
                let m = e.message.to_ascii_lowercase();
                m.contains("verif")
            });
            make(
                C::FatalForBatch,
                if verification {
                    Reason::OrgVerification
                } else {
                    Reason::PermissionDenied
                },
            )
        }
        404 => make(C::FatalForBatch, Reason::ModelNotFound),
        408 | 409 => make(C::NotProcessed, Reason::Unknown(status)),
        429 => make(C::NotProcessed, Reason::RateLimited),
        503 => make(C::MaybeProcessed, Reason::Overloaded),
        500 | 502 | 504 | 520..=524 => make(C::MaybeProcessed, Reason::ServerError),
        400..=499 => make(C::FatalForFrame, Reason::Unknown(status)),
        // Unknown 5xx, and any other status reported as a failure (1xx/2xx/3xx with an unusable
        // body): the request reached something that may have forwarded it.
        _ => make(C::MaybeProcessed, Reason::Unknown(status)),
    }
}

/// Parses the `retry-after-ms` and `retry-after` headers like the official SDKs:
/// `retry-after-ms` (milliseconds) wins if it is a number; `retry-after` may be seconds (possibly
/// fractional) or an HTTP-date, measured against `now_unix_ms`. Negative values and past dates
/// give `Some(0)`; absent or unparseable headers give `None`. Limits are applied by
/// [`decide_retry`], not here.
pub fn parse_retry_after(
    retry_after_ms: Option<&str>,
    retry_after: Option<&str>,
    now_unix_ms: u64,
) -> RetryAfter {
    if let Some(ms) = retry_after_ms.and_then(parse_number) {
        return RetryAfter {
            ms: Some(to_ms(ms)),
        };
    }
    let Some(value) = retry_after else {
        return RetryAfter::default();
    };
    if let Some(secs) = parse_number(value) {
        return RetryAfter {
            ms: Some(to_ms(secs * 1000.0)),
        };
    }
    let now = i64::try_from(now_unix_ms).unwrap_or(i64::MAX);
    RetryAfter {
        ms: parse_http_date(value).map(|at| u64::try_from(at.saturating_sub(now)).unwrap_or(0)),
    }
}

/// A finite decimal number, or `None`.
fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    // f64::from_str also accepts "inf" and "NaN"; header values must be plain numbers.
    if !s
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Milliseconds rounded up (a 0.1 ms request still means "wait"), clamped to `[0, u64::MAX]`.
fn to_ms(ms: f64) -> u64 {
    if ms <= 0.0 {
        0
    } else {
        // `as` saturates for huge values.
        ms.ceil() as u64
    }
}

/// Parses an HTTP-date (IMF-fixdate, RFC 850 or asctime form, RFC 9110 §5.6.7) into Unix
/// milliseconds. Also accepts `UTC`/`Z`/numeric offsets, which some servers send.
fn parse_http_date(s: &str) -> Option<i64> {
    let cleaned = s.replace(',', " ");
    let mut toks: Vec<&str> = cleaned.split_whitespace().collect();
    if toks
        .first()
        .is_some_and(|t| t.bytes().all(|b| b.is_ascii_alphabetic()) && month(t).is_none())
    {
        toks.remove(0); // weekday name; its value is not checked
    }
    let (day, mon, year, time, zone) = match toks.as_slice() {
        // RFC 850: 06-Nov-94 08:49:37 GMT
        [dmy, time, rest @ ..] if dmy.contains('-') && rest.len() <= 1 => {
            let mut parts = dmy.split('-');
            let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
            if parts.next().is_some() {
                return None;
            }
            (d, m, y, *time, rest.first().copied())
        }
        // asctime: Nov  6 08:49:37 1994
        [mon, day, time, year] if month(mon).is_some() => (*day, *mon, *year, *time, None),
        // IMF-fixdate: 06 Nov 1994 08:49:37 GMT
        [day, mon, year, time, rest @ ..] if rest.len() <= 1 => {
            (*day, *mon, *year, *time, rest.first().copied())
        }
        _ => return None,
    };
    let day: u32 = parse_digits(day, 1, 2)?;
    let month = month(mon)?;
    let mut year: i64 = parse_digits(year, 2, 4)?;
    if year < 100 {
        // RFC 850 two-digit years: 70–99 are 19xx, the rest 20xx.
        year += if year >= 70 { 1900 } else { 2000 };
    }
    if !(1970..=9999).contains(&year) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let mut hms = time.split(':');
    let (h, m, sec) = (hms.next()?, hms.next()?, hms.next()?);
    if hms.next().is_some() {
        return None;
    }
    let (h, m, sec): (i64, i64, i64) = (
        parse_digits(h, 1, 2)?,
        parse_digits(m, 2, 2)?,
        parse_digits(sec, 2, 2)?,
    );
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let offset_secs = match zone {
        None => 0,
        Some(z)
            if ["GMT", "UTC", "UT", "Z"]
                .iter()
                .any(|g| z.eq_ignore_ascii_case(g)) =>
        {
            0
        }
        Some(z) => {
            let (sign, digits) = match z.as_bytes().first()? {
                b'+' => (1, &z[1..]),
                b'-' => (-1, &z[1..]),
                _ => return None,
            };
            let hhmm: i64 = parse_digits(digits, 4, 4)?;
            sign * ((hhmm / 100) * 3600 + (hhmm % 100) * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    Some((days * 86_400 + h * 3600 + m * 60 + sec - offset_secs) * 1000)
}

/// ASCII digits only, with a length in `[min, max]`.
fn parse_digits<T: std::str::FromStr>(s: &str, min: usize, max: usize) -> Option<T> {
    if s.len() < min || s.len() > max || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn month(s: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = s.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|m| *m == lower)
        .map(|i| i as u32 + 1)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The SDKs' default backoff before retry number `retries_so_far + 1`:
/// `min(0.5 · 2^retries_so_far, 8)` seconds, reduced by up to 25 % with `jitter` in `[0, 1)`
/// (values outside are clamped, NaN counts as 0) so parallel frames do not retry in lockstep.
pub fn backoff_ms(retries_so_far: u32, jitter: f64) -> u64 {
    let full = (500u64 << retries_so_far.min(5)).min(8_000);
    let jitter = if jitter.is_nan() {
        0.0
    } else {
        jitter.clamp(0.0, 1.0)
    };
    (full as f64 * (1.0 - 0.25 * jitter)).floor() as u64
}

/// Retry decision after a failure classified as `c`, given the server-requested delay, the
/// retries already spent on this frame in this class, and a jitter value in `[0, 1)`.
///
/// Fatal and cancelled failures are never retried. Work that was not processed is retried up
/// to [`MAX_RETRIES_NOT_PROCESSED`] times, work that may have been billed at most
/// [`MAX_RETRIES_MAYBE_PROCESSED`] time. A server delay in `(0, 120 s]` is honoured exactly; a
/// longer one gives up (the caller shows [`GiveUpWhy::message`]); otherwise [`backoff_ms`].
pub fn decide_retry(
    c: &Classification,
    retry_after: &RetryAfter,
    retries_so_far: u32,
    jitter: f64,
) -> RetryDecision {
    let limit = match c.class {
        FailureClass::NotProcessed => MAX_RETRIES_NOT_PROCESSED,
        FailureClass::MaybeProcessed => MAX_RETRIES_MAYBE_PROCESSED,
        FailureClass::Cancelled => return RetryDecision::GiveUp(GiveUpWhy::Cancelled),
        FailureClass::FatalForFrame | FailureClass::FatalForBatch => {
            return RetryDecision::GiveUp(GiveUpWhy::NotRetryable)
        }
    };
    if c.should_retry == Some(false) {
        return RetryDecision::GiveUp(GiveUpWhy::ServerSaidNo);
    }
    if retries_so_far >= limit {
        return RetryDecision::GiveUp(if c.class == FailureClass::MaybeProcessed {
            GiveUpWhy::MaybeBilled
        } else {
            GiveUpWhy::RetriesExhausted {
                retries: retries_so_far,
            }
        });
    }
    match retry_after.ms {
        Some(ms) if ms > MAX_RETRY_AFTER_MS => RetryDecision::GiveUp(GiveUpWhy::WaitTooLong { ms }),
        Some(ms) if ms > 0 => RetryDecision::RetryAfterMs(ms),
        _ => RetryDecision::RetryAfterMs(backoff_ms(retries_so_far, jitter)),
    }
}

/// A message a person understands: what happened and what to do. `model` is the model id used;
/// `api_message` is OpenAI's own message, quoted only where it helps (with anything that looks
/// like a key removed) and never for key errors.
pub fn user_message(c: &Classification, model: &str, api_message: Option<&str>) -> String {
    let model_name = if model.trim().is_empty() {
        "the selected model"
    } else {
        model.trim()
    };
    let said = clean_api_message(api_message)
        .map(|m| format!(" OpenAI said: \u{201c}{m}\u{201d}"))
        .unwrap_or_default();
    let maybe_billed = c.may_be_billed;
    match &c.reason {
        Reason::RateLimited => format!(
            "OpenAI's rate limit for your account was reached for {model_name}, so the request was not processed or billed. It is safe to try again; if this keeps happening, generate fewer frames at once."
        ),
        Reason::Overloaded => "OpenAI is overloaded right now, and the request may have been billed. Try again in a few minutes.".to_owned(),
        Reason::ServerError => "OpenAI had a server error, and the image may have been billed even though none arrived. Try again in a few minutes.".to_owned(),
        Reason::Network if maybe_billed => "The connection to OpenAI dropped while waiting for the image, so it may have been billed. Check your connection and try again.".to_owned(),
        Reason::Network => "Could not reach OpenAI. Check your connection; if you use OpenAI directly, a browser extension or network filter may block api.openai.com.".to_owned(),
        Reason::Timeout => "OpenAI took too long to answer, so Continuity stopped waiting. The image may have been billed; OpenAI does not cancel work when we stop waiting.".to_owned(),
        Reason::StreamCut => "The connection closed before the finished image arrived, so it may have been billed. Try the frame again.".to_owned(),
        Reason::TruncatedResponse => "OpenAI's answer was cut off before it was complete, so the image may have been billed. Try the frame again.".to_owned(),
        Reason::BadImage => "The image OpenAI sent could not be opened, and it may have been billed. Try the frame again.".to_owned(),
        Reason::HtmlErrorPage => "A web page came back instead of the image, usually from a proxy or network service between you and OpenAI. The request may have been billed; try again in a few minutes.".to_owned(),
        Reason::InvalidRequest => {
            if said.is_empty() {
                format!(
                    "OpenAI rejected the request for this frame, for example because of a setting {model_name} does not support or images that are too large. Change the frame's settings or references and try again."
                )
            } else {
                format!(
                    "OpenAI rejected the request for this frame.{said} Change the frame's settings, prompt or references and try again."
                )
            }
        }
        Reason::Moderation { stage, categories } => {
            let what = match stage.as_deref() {
                Some("input") => "your prompt or reference images",
                Some("output") => "the generated image",
                _ => "this request",
            };
            let cats = if categories.is_empty() {
                String::new()
            } else {
                format!(" (categories: {})", categories.join(", ").replace('-', " "))
            };
            format!(
                "OpenAI's safety system blocked {what}{cats}. Rewording the prompt or changing the reference images usually helps; the same request would be blocked again."
            )
        }
        Reason::InvalidKey => "OpenAI did not accept the API key. Check the key in Settings; nothing more will be sent in this batch.".to_owned(),
        Reason::OrgVerification => format!(
            "Your OpenAI organization must be verified to use {model_name}. Verify it at platform.openai.com → Settings → Organization → General; access can take up to 15 minutes to arrive."
        ),
        Reason::PermissionDenied => format!(
            "OpenAI refused access to {model_name}.{said} The key may lack permission for this model or project, or your country or region may not be supported; nothing more will be sent in this batch."
        ),
        Reason::ModelNotFound => match retired_on(model_name) {
            Some(date) => format!(
                "{model_name} was shut down on {date} and can no longer be used. Choose gpt-image-2 or another current model under Model, beside the series style."
            ),
            None => format!(
                "The model {model_name} is not available to your OpenAI account or no longer exists. Choose another model under Model, beside the series style."
            ),
        },
        Reason::InsufficientQuota => "Your OpenAI account has no quota left (out of credits, or over its spend limit). Add credits or raise the limit, then retry; nothing more will be sent in this batch.".to_owned(),
        Reason::Cancelled if maybe_billed => "You cancelled this frame while OpenAI was working on it; it may still be billed.".to_owned(),
        Reason::Cancelled => "You cancelled this frame before it was sent; nothing was billed.".to_owned(),
        Reason::Unknown(status) => match c.class {
            FailureClass::NotProcessed => format!(
                "OpenAI could not take the request right now (HTTP {status}), so it was not processed. It is safe to try again."
            ),
            FailureClass::FatalForFrame => format!(
                "OpenAI rejected the request for this frame (HTTP {status}).{said} Change the frame's settings and try again."
            ),
            FailureClass::FatalForBatch => format!(
                "OpenAI refused the request (HTTP {status}).{said} Nothing more will be sent in this batch."
            ),
            FailureClass::MaybeProcessed | FailureClass::Cancelled => format!(
                "OpenAI answered with an unexpected error (HTTP {status}), and the image may have been billed. Try again in a few minutes."
            ),
        },
    }
}

/// Shutdown dates of retired models (openai-images-api.md §14, §17), for a helpful 404 message.
fn retired_on(model: &str) -> Option<&'static str> {
    let gpt_image_1 = model == "gpt-image-1"
        || model
            .strip_prefix("gpt-image-1-")
            .is_some_and(|rest| rest.starts_with(|ch: char| ch.is_ascii_digit()));
    if gpt_image_1 {
        Some("2026-10-23")
    } else if model.starts_with("dall-e-") {
        Some("2026-05-12")
    } else {
        None
    }
}

/// OpenAI's message made safe to show: whitespace collapsed, anything that looks like a key or
/// token removed (401 messages quote a masked key), and at most 300 characters.
fn clean_api_message(msg: Option<&str>) -> Option<String> {
    let words: Vec<String> = msg?
        .split_whitespace()
        .map(|w| {
            let looks_like_token = w.len() >= 32
                && w.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'*'));
            if w.contains("sk-") || w.contains("sk_") || looks_like_token {
                "[hidden]".to_owned()
            } else {
                w.to_owned()
            }
        })
        .collect();
    let joined = words.join(" ");
    let joined = joined.trim_end_matches('.').trim();
    if joined.is_empty() {
        return None;
    }
    const MAX: usize = 300;
    Some(if joined.chars().count() > MAX {
        format!("{}…", joined.chars().take(MAX).collect::<String>())
    } else {
        joined.to_owned()
    })
}

/// "45 seconds", "3 minutes", "27 hours", "2 days": rounded up, for wait times.
fn human_duration(ms: u64) -> String {
    let secs = ms.div_ceil(1000);
    let (n, unit) = if secs < 120 {
        (secs, "second")
    } else if secs < 120 * 60 {
        (secs.div_ceil(60), "minute")
    } else if secs < 48 * 3600 {
        (secs.div_ceil(3600), "hour")
    } else {
        (secs.div_ceil(86_400), "day")
    };
    format!("about {n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openai::types::{parse_error_envelope, ModerationDetails};
    use proptest::prelude::*;
    use FailureClass as C;

    fn err(ty: Option<&str>, code: Option<&str>) -> ApiError {
        ApiError {
            message: "m".into(),
            r#type: ty.map(Into::into),
            code: code.map(Into::into),
            ..ApiError::default()
        }
    }

    fn http(status: u16, error: Option<ApiError>) -> Observation {
        Observation::Http {
            status,
            error,
            retry_after: RetryAfter::default(),
            should_retry: None,
            body: BodyKind::Json,
        }
    }

    fn http_body(status: u16, body: BodyKind) -> Observation {
        Observation::Http {
            status,
            error: None,
            retry_after: RetryAfter::default(),
            should_retry: None,
            body,
        }
    }

    fn moderation_err(stage: &str, cats: &[&str]) -> ApiError {
        ApiError {
            message: "Your request was rejected by the safety system.".into(),
            r#type: Some("image_generation_user_error".into()),
            code: Some("moderation_blocked".into()),
            param: None,
            moderation_details: Some(ModerationDetails {
                moderation_stage: Some(stage.into()),
                categories: cats.iter().map(|c| c.to_string()).collect(),
            }),
        }
    }

    /// security-reliability.md §4.2, openai-images-api.md §8 and the brief's lists.
    #[rustfmt::skip] // one row per line reads as the table it is
    #[test]
    fn classification_table() {
        let verify_403 = ApiError {
            message: "Your organization must be verified to use the model `gpt-image-2`. Please go to: https://platform.openai.com/settings/organization/general and click on Verify Organization.".into(),
            r#type: Some("invalid_request_error".into()),
            ..ApiError::default()
        };
        let region_403 = ApiError {
            message: "Country, region, or territory not supported".into(),
            r#type: Some("request_forbidden".into()),
            code: Some("unsupported_country_region_territory".into()),
            ..ApiError::default()
        };
        let ier = Some("invalid_request_error");
        let rows: Vec<(&str, Observation, C, Reason, bool)> = vec![
            ("DNS/refused/TLS before send", Observation::Network { sent: false }, C::NotProcessed, Reason::Network, false),
            ("401", http(401, Some(err(ier, Some("invalid_api_key")))), C::FatalForBatch, Reason::InvalidKey, false),
            ("401 bare", http_body(401, BodyKind::Empty), C::FatalForBatch, Reason::InvalidKey, false),
            ("403 org verification", http(403, Some(verify_403)), C::FatalForBatch, Reason::OrgVerification, false),
            ("403 region", http(403, Some(region_403)), C::FatalForBatch, Reason::PermissionDenied, false),
            ("403 bare", http_body(403, BodyKind::Empty), C::FatalForBatch, Reason::PermissionDenied, false),
            ("400 invalid_request", http(400, Some(err(ier, Some("invalid_value")))), C::FatalForFrame, Reason::InvalidRequest, false),
            ("400 unknown_parameter", http(400, Some(err(ier, Some("unknown_parameter")))), C::FatalForFrame, Reason::InvalidRequest, false),
            ("400 moderation input", http(400, Some(moderation_err("input", &["violence"]))), C::FatalForFrame, Reason::Moderation { stage: Some("input".into()), categories: vec!["violence".into()] }, false),
            ("400 moderation output", http(400, Some(moderation_err("output", &[]))), C::FatalForFrame, Reason::Moderation { stage: Some("output".into()), categories: vec![] }, true),
            ("400 moderation code only", http(400, Some(err(None, Some("moderation_blocked")))), C::FatalForFrame, Reason::Moderation { stage: None, categories: vec![] }, false),
            ("400 user_error invalid_value", http(400, Some(err(Some("image_generation_user_error"), Some("invalid_value")))), C::FatalForFrame, Reason::InvalidRequest, false),
            ("400 user_error no code", http(400, Some(err(Some("image_generation_user_error"), None))), C::FatalForFrame, Reason::InvalidRequest, false),
            ("413", http_body(413, BodyKind::Html), C::FatalForFrame, Reason::InvalidRequest, false),
            ("422", http_body(422, BodyKind::Json), C::FatalForFrame, Reason::InvalidRequest, false),
            ("404 model", http(404, Some(err(ier, Some("model_not_found")))), C::FatalForBatch, Reason::ModelNotFound, false),
            ("404 bare", http_body(404, BodyKind::Empty), C::FatalForBatch, Reason::ModelNotFound, false),
            ("429 rate limit", http(429, Some(err(Some("requests"), Some("rate_limit_exceeded")))), C::NotProcessed, Reason::RateLimited, false),
            ("429 tokens", http(429, Some(err(Some("tokens"), None))), C::NotProcessed, Reason::RateLimited, false),
            ("429 bare", http_body(429, BodyKind::Empty), C::NotProcessed, Reason::RateLimited, false),
            ("429 CDN page", http_body(429, BodyKind::Html), C::NotProcessed, Reason::RateLimited, false),
            ("429 insufficient_quota", http(429, Some(err(Some("insufficient_quota"), Some("insufficient_quota")))), C::FatalForBatch, Reason::InsufficientQuota, false),
            ("429 credit_balance_exhausted", http(429, Some(err(Some("insufficient_quota"), Some("credit_balance_exhausted")))), C::FatalForBatch, Reason::InsufficientQuota, false),
            ("429 org spend limit", http(429, Some(err(Some("insufficient_quota"), Some("organization_spend_limit_exceeded")))), C::FatalForBatch, Reason::InsufficientQuota, false),
            ("429 project spend limit", http(429, Some(err(None, Some("project_spend_limit_exceeded")))), C::FatalForBatch, Reason::InsufficientQuota, false),
            ("429 quota type, rate code", http(429, Some(err(Some("insufficient_quota"), Some("rate_limit_exceeded")))), C::FatalForBatch, Reason::InsufficientQuota, false),
            ("400 billing_hard_limit_reached", http(400, Some(err(ier, Some("billing_hard_limit_reached")))), C::FatalForBatch, Reason::InsufficientQuota, false),
            ("402", http_body(402, BodyKind::Empty), C::FatalForBatch, Reason::InsufficientQuota, false),
            ("408", http_body(408, BodyKind::Empty), C::NotProcessed, Reason::Unknown(408), false),
            ("409", http_body(409, BodyKind::Json), C::NotProcessed, Reason::Unknown(409), false),
            ("500", http(500, Some(err(Some("server_error"), None))), C::MaybeProcessed, Reason::ServerError, true),
            ("500 bare", http_body(500, BodyKind::Empty), C::MaybeProcessed, Reason::ServerError, true),
            ("502 HTML page", http_body(502, BodyKind::Html), C::MaybeProcessed, Reason::HtmlErrorPage, true),
            ("502 text", http_body(502, BodyKind::Other), C::MaybeProcessed, Reason::ServerError, true),
            ("503 overloaded", http(503, Some(err(Some("server_error"), Some("server_is_overloaded")))), C::MaybeProcessed, Reason::Overloaded, true),
            ("503 slow_down", http(503, Some(err(None, Some("slow_down")))), C::MaybeProcessed, Reason::Overloaded, true),
            ("503 bare", http_body(503, BodyKind::Empty), C::MaybeProcessed, Reason::Overloaded, true),
            ("504", http_body(504, BodyKind::Empty), C::MaybeProcessed, Reason::ServerError, true),
            ("520", http_body(520, BodyKind::Other), C::MaybeProcessed, Reason::ServerError, true),
            ("524 HTML page", http_body(524, BodyKind::Html), C::MaybeProcessed, Reason::HtmlErrorPage, true),
            ("507 unknown 5xx", http_body(507, BodyKind::Empty), C::MaybeProcessed, Reason::Unknown(507), true),
            ("418 unknown 4xx", http_body(418, BodyKind::Empty), C::FatalForFrame, Reason::Unknown(418), false),
            ("200 HTML page (RTY-12)", http_body(200, BodyKind::Html), C::MaybeProcessed, Reason::HtmlErrorPage, true),
            ("200 error envelope", http(200, Some(err(Some("server_error"), Some("server_error")))), C::MaybeProcessed, Reason::ServerError, true),
            ("timeout after send (RTY-08)", Observation::Timeout, C::MaybeProcessed, Reason::Timeout, true),
            ("reset while waiting", Observation::Network { sent: true }, C::MaybeProcessed, Reason::Network, true),
            ("stream cut (RTY-11)", Observation::Incomplete(IncompleteKind::StreamCut), C::MaybeProcessed, Reason::StreamCut, true),
            ("truncated JSON (RTY-10)", Observation::Incomplete(IncompleteKind::TruncatedJson), C::MaybeProcessed, Reason::TruncatedResponse, true),
            ("bad image (RTY-10)", Observation::Incomplete(IncompleteKind::BadImage), C::MaybeProcessed, Reason::BadImage, true),
            ("wrong content type", Observation::Incomplete(IncompleteKind::WrongContentType), C::MaybeProcessed, Reason::HtmlErrorPage, true),
            ("cancel in flight", Observation::Cancelled { in_flight: true }, C::Cancelled, Reason::Cancelled, true),
            ("cancel queued", Observation::Cancelled { in_flight: false }, C::Cancelled, Reason::Cancelled, false),
        ];
        for (name, obs, class, reason, billed) in rows {
            let c = classify(&obs);
            assert_eq!((c.class, &c.reason, c.may_be_billed), (class, &reason, billed), "{name}");
        }
    }

    #[test]
    fn real_bodies_classify() {
        let quota = parse_error_envelope(
            r#"{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#,
        );
        assert_eq!(
            classify(&http(429, quota)).reason,
            Reason::InsufficientQuota
        );
        let key = parse_error_envelope(
            r#"{"error":{"message":"Incorrect API key provided: sk-proj-****abcd. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#,
        );
        assert_eq!(classify(&http(401, key)).reason, Reason::InvalidKey);
    }

    #[test]
    fn x_should_retry() {
        let obs = |status, should_retry, error| Observation::Http {
            status,
            error,
            retry_after: RetryAfter::default(),
            should_retry,
            body: BodyKind::Json,
        };
        let no = classify(&obs(429, Some(false), None));
        assert_eq!(
            no.class,
            C::NotProcessed,
            "the class is kept; only the retry is forbidden"
        );
        assert_eq!(
            decide_retry(&no, &RetryAfter::default(), 0, 0.0),
            RetryDecision::GiveUp(GiveUpWhy::ServerSaidNo)
        );
        assert_eq!(
            decide_retry(
                &classify(&obs(500, Some(false), None)),
                &RetryAfter::default(),
                0,
                0.0
            ),
            RetryDecision::GiveUp(GiveUpWhy::ServerSaidNo)
        );
        // `true` never overrides a fatal class or the maybe-billed limit.
        let quota = classify(&obs(
            429,
            Some(true),
            Some(err(Some("insufficient_quota"), None)),
        ));
        assert_eq!(
            decide_retry(&quota, &RetryAfter::default(), 0, 0.0),
            RetryDecision::GiveUp(GiveUpWhy::NotRetryable)
        );
        let server = classify(&obs(500, Some(true), None));
        assert!(matches!(
            decide_retry(&server, &RetryAfter::default(), 0, 0.0),
            RetryDecision::RetryAfterMs(_)
        ));
        assert_eq!(
            decide_retry(&server, &RetryAfter::default(), 1, 0.0),
            RetryDecision::GiveUp(GiveUpWhy::MaybeBilled)
        );
    }

    #[test]
    fn retry_budgets() {
        let rate = classify(&http(429, None));
        for n in 0..MAX_RETRIES_NOT_PROCESSED {
            assert!(matches!(
                decide_retry(&rate, &RetryAfter::default(), n, 0.5),
                RetryDecision::RetryAfterMs(_)
            ));
        }
        assert_eq!(
            decide_retry(&rate, &RetryAfter::default(), 5, 0.5),
            RetryDecision::GiveUp(GiveUpWhy::RetriesExhausted { retries: 5 })
        );
        let timeout = classify(&Observation::Timeout);
        assert!(matches!(
            decide_retry(&timeout, &RetryAfter::default(), 0, 0.5),
            RetryDecision::RetryAfterMs(_)
        ));
        assert_eq!(
            decide_retry(&timeout, &RetryAfter::default(), 1, 0.5),
            RetryDecision::GiveUp(GiveUpWhy::MaybeBilled)
        );
        let cancelled = classify(&Observation::Cancelled { in_flight: true });
        assert_eq!(
            decide_retry(&cancelled, &RetryAfter::default(), 0, 0.5),
            RetryDecision::GiveUp(GiveUpWhy::Cancelled)
        );
        let moderation = classify(&http(400, Some(moderation_err("input", &[]))));
        assert_eq!(
            decide_retry(&moderation, &RetryAfter { ms: Some(10) }, 0, 0.5),
            RetryDecision::GiveUp(GiveUpWhy::NotRetryable)
        );
    }

    #[test]
    fn retry_after_rules() {
        let rate = classify(&http(429, None));
        // RTY-01: retry-after: 3 → wait 3 s.
        let ra = parse_retry_after(None, Some("3"), 0);
        assert_eq!(
            decide_retry(&rate, &ra, 0, 0.9),
            RetryDecision::RetryAfterMs(3000)
        );
        // RTY-02: retry-after-ms: 250 honoured exactly.
        let ra = parse_retry_after(Some("250"), Some("7"), 0);
        assert_eq!(ra.ms, Some(250));
        assert_eq!(
            decide_retry(&rate, &ra, 0, 0.9),
            RetryDecision::RetryAfterMs(250)
        );
        // RTY-03: retry-after: 99999 → give up with a message, never a 27 h sleep.
        let ra = parse_retry_after(None, Some("99999"), 0);
        let d = decide_retry(&rate, &ra, 0, 0.0);
        assert_eq!(
            d,
            RetryDecision::GiveUp(GiveUpWhy::WaitTooLong { ms: 99_999_000 })
        );
        let RetryDecision::GiveUp(why) = d else {
            unreachable!()
        };
        let msg = why.message().unwrap();
        assert!(msg.contains("about 28 hours"), "{msg}");
        // Exactly 120 s is still honoured; a hair more is not.
        assert_eq!(
            decide_retry(&rate, &RetryAfter { ms: Some(120_000) }, 0, 0.0),
            RetryDecision::RetryAfterMs(120_000)
        );
        assert!(matches!(
            decide_retry(&rate, &RetryAfter { ms: Some(120_001) }, 0, 0.0),
            RetryDecision::GiveUp(GiveUpWhy::WaitTooLong { .. })
        ));
        // Zero falls back to the default backoff.
        assert_eq!(
            decide_retry(&rate, &RetryAfter { ms: Some(0) }, 2, 0.0),
            RetryDecision::RetryAfterMs(2000)
        );
        // Maybe-processed work honours the header too, but only once.
        let server = classify(&http(503, None));
        assert_eq!(
            decide_retry(&server, &RetryAfter { ms: Some(5000) }, 0, 0.0),
            RetryDecision::RetryAfterMs(5000)
        );
    }

    #[test]
    fn parse_retry_after_forms() {
        let now = 784_111_777_000; // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_retry_after(None, None, now).ms, None);
        assert_eq!(parse_retry_after(Some("1.5"), None, now).ms, Some(2));
        assert_eq!(parse_retry_after(Some(" 20 "), None, now).ms, Some(20));
        assert_eq!(parse_retry_after(Some("-5"), None, now).ms, Some(0));
        assert_eq!(
            parse_retry_after(Some("abc"), Some("2"), now).ms,
            Some(2000),
            "bad -ms falls back"
        );
        assert_eq!(parse_retry_after(Some("inf"), None, now).ms, None);
        assert_eq!(parse_retry_after(None, Some("NaN"), now).ms, None);
        assert_eq!(parse_retry_after(None, Some("0.25"), now).ms, Some(250));
        assert_eq!(parse_retry_after(None, Some("1e400"), now).ms, None);
        assert_eq!(
            parse_retry_after(None, Some("1e30"), now).ms,
            Some(u64::MAX)
        );
        // HTTP-dates, 30 s in the future in all three RFC 9110 forms and with variants.
        for date in [
            "Sun, 06 Nov 1994 08:50:07 GMT",
            "Sunday, 06-Nov-94 08:50:07 GMT",
            "Sun Nov  6 08:50:07 1994",
            "06 Nov 1994 08:50:07 GMT",
            "sun, 06 nov 1994 08:50:07 utc",
            "Sun, 06 Nov 1994 09:50:07 +0100",
        ] {
            assert_eq!(
                parse_retry_after(None, Some(date), now).ms,
                Some(30_000),
                "{date}"
            );
        }
        // Past dates mean "no wait".
        assert_eq!(
            parse_retry_after(None, Some("Sun, 06 Nov 1994 08:00:00 GMT"), now).ms,
            Some(0)
        );
        // Far future (RTY-03 as a date): parsed, then refused by decide_retry.
        let ra = parse_retry_after(None, Some("Wed, 21 Oct 2099 07:28:00 GMT"), now);
        assert!(ra.ms.unwrap() > MAX_RETRY_AFTER_MS);
        // A realistic present-day date.
        let noon: u64 = 1_795_003_200_000; // 2026-11-18T12:00:00Z
        assert_eq!(
            parse_http_date("Wed, 18 Nov 2026 12:00:00 GMT"),
            Some(noon as i64)
        );
        let ra = parse_retry_after(None, Some("Wed, 18 Nov 2026 12:00:05 GMT"), noon);
        assert_eq!(ra.ms, Some(5000));
        for bad in [
            "",
            "soon",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 29 Feb 1995 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 06 Nov 1994 08:49:37 PST",
            "06-Nov 08:49:37",
            "Sun, 06 Nov 1994 08:49:37 GMT extra",
        ] {
            assert_eq!(parse_retry_after(None, Some(bad), now).ms, None, "{bad:?}");
        }
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2000 00:00:00 GMT"),
            Some(951_782_400_000)
        );
        assert_eq!(
            parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT"),
            Some(253_402_300_799_000)
        );
    }

    #[test]
    fn backoff_schedule() {
        // RTY-04 with jitter 0: 0.5, 1, 2, 4, 8 s.
        let rate = classify(&http(429, None));
        let delays: Vec<_> = (0..5)
            .map(|n| decide_retry(&rate, &RetryAfter::default(), n, 0.0))
            .collect();
        assert_eq!(
            delays,
            [500, 1000, 2000, 4000, 8000]
                .map(RetryDecision::RetryAfterMs)
                .to_vec()
        );
        assert_eq!(backoff_ms(9, 0.0), 8000);
        assert_eq!(backoff_ms(u32::MAX, 0.0), 8000);
        assert_eq!(backoff_ms(0, 0.999_999), 375);
        assert_eq!(backoff_ms(0, f64::NAN), 500);
        assert_eq!(backoff_ms(0, -3.0), 500);
        assert_eq!(backoff_ms(0, 7.0), 375);
    }

    proptest! {
        /// RTY-04 / PROP-04: every delay lies within [(1 − 0.25)·d, d], d = min(0.5·2^n, 8) s.
        #[test]
        fn backoff_within_bounds(n in 0u32..40, jitter in 0.0f64..1.0) {
            let d = (0.5 * 2f64.powi(n.min(30) as i32)).min(8.0) * 1000.0;
            let got = backoff_ms(n, jitter) as f64;
            prop_assert!(got >= 0.75 * d && got <= d, "n={} jitter={} got={} d={}", n, jitter, got, d);
            let rate = classify(&http(429, None));
            match decide_retry(&rate, &RetryAfter::default(), n, jitter) {
                RetryDecision::RetryAfterMs(ms) => {
                    prop_assert!(n < MAX_RETRIES_NOT_PROCESSED);
                    prop_assert_eq!(ms, backoff_ms(n, jitter));
                }
                RetryDecision::GiveUp(_) => prop_assert!(n >= MAX_RETRIES_NOT_PROCESSED),
            }
        }

        #[test]
        fn retry_after_header_never_panics(ms in ".{0,30}", ra in ".{0,40}", now in any::<u64>()) {
            let r = parse_retry_after(Some(&ms), Some(&ra), now);
            let rate = classify(&http(429, None));
            if let RetryDecision::RetryAfterMs(d) = decide_retry(&rate, &r, 0, 0.5) {
                prop_assert!(d <= MAX_RETRY_AFTER_MS);
            }
        }
    }

    fn all_errors() -> Vec<Option<ApiError>> {
        let types = [
            None,
            Some("invalid_request_error"),
            Some("image_generation_user_error"),
            Some("insufficient_quota"),
            Some("server_error"),
            Some("requests"),
            Some("tokens"),
            Some("authentication_error"),
            Some("something_new"),
        ];
        let codes = [
            None,
            Some("invalid_value"),
            Some("unknown_parameter"),
            Some("moderation_blocked"),
            Some("invalid_api_key"),
            Some("model_not_found"),
            Some("rate_limit_exceeded"),
            Some("insufficient_quota"),
            Some("credit_balance_exhausted"),
            Some("organization_spend_limit_exceeded"),
            Some("project_spend_limit_exceeded"),
            Some("billing_hard_limit_reached"),
            Some("server_is_overloaded"),
            Some("slow_down"),
            Some("server_error"),
            Some("unsupported_country_region_territory"),
            Some("brand_new_code"),
        ];
        let mut out = vec![None];
        for ty in types {
            for code in codes {
                out.push(Some(err(ty, code)));
            }
        }
        out.push(Some(moderation_err("output", &["sexual"])));
        out.push(Some(ApiError {
            message: "Your organization must be verified".into(),
            ..ApiError::default()
        }));
        out
    }

    fn is_billing(e: &Option<ApiError>) -> bool {
        e.as_ref().is_some_and(|e| {
            e.r#type.as_deref() == Some("insufficient_quota")
                || e.code.as_deref().is_some_and(|c| {
                    c == "insufficient_quota"
                        || c.contains("credit_balance")
                        || c.contains("spend_limit")
                        || c.contains("billing")
                })
        })
    }

    /// RTY-16 / PROP-05: total over status × error × x-should-retry × body, and every
    /// classification's retry decisions over retry-after × retries so far × jitter.
    #[test]
    fn exhaustive_classifier_properties() {
        let errors = all_errors();
        let retry_afters = [None, Some(0), Some(250), Some(200_000)];
        let mut count = 0u64;
        for status in 100u16..=599 {
            for error in &errors {
                for should_retry in [None, Some(true), Some(false)] {
                    for body in [
                        BodyKind::Json,
                        BodyKind::Html,
                        BodyKind::Other,
                        BodyKind::Empty,
                    ] {
                        let obs = Observation::Http {
                            status,
                            error: error.clone(),
                            retry_after: RetryAfter::default(),
                            should_retry,
                            body,
                        };
                        let c = classify(&obs);
                        count += 1;
                        check_classification(status, error, should_retry, &c);
                        for ra in retry_afters {
                            let retry_after = RetryAfter { ms: ra };
                            for n in [0, 1, 4, 5, 9] {
                                let d = decide_retry(&c, &retry_after, n, 0.5);
                                let retried = matches!(d, RetryDecision::RetryAfterMs(_));
                                let ctx = || {
                                    format!("{status} {error:?} {should_retry:?} {body:?} {ra:?} n={n} -> {c:?} {d:?}")
                                };
                                if let RetryDecision::RetryAfterMs(ms) = d {
                                    assert!(ms > 0 && ms <= MAX_RETRY_AFTER_MS, "{}", ctx());
                                }
                                let never = matches!(
                                    c.class,
                                    C::FatalForFrame | C::FatalForBatch | C::Cancelled
                                ) || is_billing(error)
                                    || should_retry == Some(false)
                                    || ra == Some(200_000)
                                    || n >= MAX_RETRIES_NOT_PROCESSED
                                    || (c.class == C::MaybeProcessed && n >= 1);
                                if never {
                                    assert!(!retried, "{}", ctx());
                                } else {
                                    assert!(retried, "{}", ctx());
                                }
                            }
                        }
                        if should_retry.is_none() {
                            let m = user_message(
                                &c,
                                "gpt-image-2",
                                Some("Key sk-proj-abcdef1234 was wrong."),
                            );
                            assert!(!m.is_empty() && !m.contains("sk-proj"), "{m}");
                        }
                    }
                }
            }
        }
        assert!(count > 900_000, "{count}");
    }

    fn check_classification(
        status: u16,
        error: &Option<ApiError>,
        should_retry: Option<bool>,
        c: &Classification,
    ) {
        let ctx = || format!("{status} {error:?} {should_retry:?} -> {c:?}");
        assert_eq!(c.should_retry, should_retry);
        assert_ne!(c.class, C::Cancelled, "{}", ctx());
        if is_billing(error) {
            assert_eq!(
                (c.class, &c.reason),
                (C::FatalForBatch, &Reason::InsufficientQuota),
                "{}",
                ctx()
            );
        }
        let moderated = error
            .as_ref()
            .is_some_and(|e| e.code.as_deref() == Some("moderation_blocked"));
        if moderated && !is_billing(error) {
            assert_eq!(c.class, C::FatalForFrame, "{}", ctx());
        }
        match c.class {
            C::NotProcessed | C::FatalForBatch => assert!(!c.may_be_billed, "{}", ctx()),
            C::MaybeProcessed => assert!(c.may_be_billed, "{}", ctx()),
            C::FatalForFrame | C::Cancelled => {}
        }
        if (500..600).contains(&status) && error.is_none() {
            assert_eq!(c.class, C::MaybeProcessed, "{}", ctx());
        }
        if (400..500).contains(&status) && error.is_none() && ![408, 409, 429].contains(&status) {
            assert!(
                matches!(c.class, C::FatalForFrame | C::FatalForBatch),
                "{}",
                ctx()
            );
        }
    }

    fn msg(obs: Observation, model: &str, api: Option<&str>) -> String {
        user_message(&classify(&obs), model, api)
    }

    #[test]
    fn messages_mention_the_right_things() {
        let verify = ApiError {
            message: "Your organization must be verified to use the model `gpt-image-2`.".into(),
            ..ApiError::default()
        };
        let m = msg(
            http(403, Some(verify.clone())),
            "gpt-image-2",
            Some(&verify.message),
        );
        assert!(
            m.contains("verified") && m.contains("gpt-image-2") && m.contains("15 minutes"),
            "{m}"
        );
        assert!(m.contains("Settings → Organization → General"), "{m}");

        let m = msg(
            http(
                400,
                Some(moderation_err("input", &["violence", "self-harm"])),
            ),
            "gpt-image-2",
            None,
        );
        assert!(
            m.contains("your prompt or reference images")
                && m.contains("violence, self harm")
                && m.contains("Reword"),
            "{m}"
        );
        let m = msg(
            http(400, Some(moderation_err("output", &[]))),
            "gpt-image-2",
            None,
        );
        assert!(
            m.contains("the generated image") && !m.contains("categories"),
            "{m}"
        );

        let m = msg(
            http(
                429,
                Some(err(Some("insufficient_quota"), Some("insufficient_quota"))),
            ),
            "gpt-image-2",
            None,
        );
        assert_eq!(m, "Your OpenAI account has no quota left (out of credits, or over its spend limit). Add credits or raise the limit, then retry; nothing more will be sent in this batch.");

        let m = msg(
            http(
                429,
                Some(err(Some("requests"), Some("rate_limit_exceeded"))),
            ),
            "gpt-image-2",
            None,
        );
        assert!(m.contains("rate limit"), "{m}");
        assert!(msg(http(503, None), "m", None).contains("overloaded"));
        assert!(msg(http(500, None), "m", None).contains("may have been billed"));
        let m = msg(Observation::Timeout, "m", None);
        assert!(
            m.contains("may have been billed")
                && m.contains("OpenAI does not cancel work when we stop waiting"),
            "{m}"
        );
        assert!(msg(
            Observation::Incomplete(IncompleteKind::StreamCut),
            "m",
            None
        )
        .contains("connection closed"));

        let m = msg(
            http(401, None),
            "gpt-image-2",
            Some("Incorrect API key provided: sk-proj-****abcd."),
        );
        assert!(
            m.contains("check the key in Settings") || m.contains("Check the key in Settings"),
            "{m}"
        );
        assert!(!m.contains("sk-"), "{m}");

        let m = msg(
            http(404, Some(err(None, Some("model_not_found")))),
            "gpt-image-1",
            None,
        );
        assert!(m.contains("gpt-image-1") && m.contains("2026-10-23"), "{m}");
        let m = msg(http(404, None), "gpt-image-1.5", None);
        assert!(
            !m.contains("2026-10-23") && m.contains("gpt-image-1.5"),
            "{m}"
        );
        assert!(!msg(http(404, None), "gpt-image-1-mini", None).contains("2026-10-23"));

        let m = msg(Observation::Network { sent: false }, "m", None);
        assert!(
            m.contains("check your connection") || m.contains("Check your connection"),
            "{m}"
        );
        assert!(
            m.contains("browser extension or network filter") && m.contains("api.openai.com"),
            "{m}"
        );

        let api = "Invalid size '1000x1000'. Both edges must be multiples of 16.";
        let m = msg(
            http(
                400,
                Some(err(Some("invalid_request_error"), Some("invalid_value"))),
            ),
            "gpt-image-2",
            Some(api),
        );
        assert!(
            m.contains("Invalid size '1000x1000'. Both edges must be multiples of 16"),
            "{m}"
        );
        assert!(!m.contains(".."), "{m}");

        assert!(msg(Observation::Cancelled { in_flight: true }, "m", None)
            .contains("may still be billed"));
        assert!(msg(Observation::Cancelled { in_flight: false }, "m", None)
            .contains("nothing was billed"));
        assert!(msg(http_body(408, BodyKind::Empty), "m", None).contains("not processed"));
        assert!(msg(http_body(200, BodyKind::Html), "m", None).contains("web page"));

        let m = msg(
            http(
                403,
                Some(err(
                    Some("request_forbidden"),
                    Some("unsupported_country_region_territory"),
                )),
            ),
            "gpt-image-2",
            Some("Country, region, or territory not supported"),
        );
        assert!(m.contains("region") && m.contains("gpt-image-2"), "{m}");
    }

    #[test]
    fn messages_are_short_and_clean() {
        let long = "x ".repeat(1000);
        let token = "Bearer abcdefghijklmnopqrstuvwxyz0123456789ABCD";
        let m = msg(
            http(400, None),
            "gpt-image-2",
            Some(&format!("{token} {long}")),
        );
        assert!(m.chars().count() < 500, "{m}");
        assert!(
            !m.contains("abcdefghijklmnopqrstuvwxyz0123456789ABCD"),
            "{m}"
        );
        let m = msg(http(400, None), "", Some("   "));
        assert!(m.contains("the selected model"), "{m}");
        assert_eq!(human_duration(1), "about 1 second");
        assert_eq!(human_duration(150_000), "about 3 minutes");
        assert_eq!(human_duration(3 * 86_400_000), "about 3 days");
    }
}
