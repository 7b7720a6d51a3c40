//! HTTP: the only module that calls `fetch`, through `gloo-net` (requests, headers, abort
//! signals); response bodies are read from the raw `Response`, so a multi-megabyte base64
//! body stays a JS string and never becomes a Rust `String`.
//!
//! One [`Call`] per request owns an `AbortController` that fires on the user's cancel signal
//! or on our own timeout (10 minutes by default: gpt-image-2 `high` can take several minutes).
//! The response body can be read whole as a JS string (so multi-megabyte base64 stays in JS)
//! or chunk by chunk for streams. Dropping the `Call` clears its timer and listener.

use gloo_net::http::{Method, RequestBuilder};
use js_sys::{JsString, Reflect, Uint8Array};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, FormData, ReadableStreamDefaultReader, Response};

/// Default time we wait for one image request before giving up (and warning it may be billed).
pub const DEFAULT_TIMEOUT_MS: u64 = 10 * 60 * 1000;

/// A failure seen before or while reading a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetError {
    /// The user cancelled. `after_send`: the request had left the browser.
    Cancelled {
        /// Whether the request had been sent (and so may be billed).
        after_send: bool,
    },
    /// Our timeout fired.
    TimedOut,
    /// The network failed (no connection, DNS, refused, CORS, connection dropped).
    /// `probably_sent` is a heuristic: a failure after a long wait means the server had it.
    Network {
        /// Best guess whether the server received the request.
        probably_sent: bool,
        /// The browser's description.
        detail: String,
    },
}

/// Request body.
pub enum Body {
    /// A JSON document.
    Json(String),
    /// Multipart form; the browser sets the boundary (never set Content-Type by hand).
    Form(FormData),
}

/// The response headers the client needs (readable only if the server exposes them via CORS).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseInfo {
    /// HTTP status.
    pub status: u16,
    /// `content-type`.
    pub content_type: String,
    /// `x-request-id`, for OpenAI support.
    pub request_id: Option<String>,
    /// `retry-after`.
    pub retry_after: Option<String>,
    /// `retry-after-ms`.
    pub retry_after_ms: Option<String>,
    /// `x-should-retry`.
    pub should_retry: Option<String>,
}

/// An in-flight request and, once answered, its response.
pub struct Call {
    controller: AbortController,
    timed_out: Rc<Cell<bool>>,
    cancelled: Rc<Cell<bool>>,
    timer: Option<leptos::prelude::TimeoutHandle>,
    user_signal: Option<AbortSignal>,
    on_user_abort: Option<JsValue>,
    response: Option<Response>,
    reader: Option<ReadableStreamDefaultReader>,
    started_ms: f64,
}

impl Drop for Call {
    fn drop(&mut self) {
        if let Some(timer) = self.timer.take() {
            timer.clear();
        }
        if let (Some(signal), Some(listener)) = (&self.user_signal, &self.on_user_abort) {
            let _ = signal.remove_event_listener_with_callback("abort", listener.unchecked_ref());
        }
        // Abandoning a call (e.g. its frame was deleted) must not leave the socket open.
        if let Some(reader) = &self.reader {
            let _ = reader.cancel();
        }
    }
}

/// Waits longer than this before a network failure counts as "probably sent".
const SENT_HEURISTIC_MS: f64 = 2_000.0;

impl Call {
    /// Sends a POST. `bearer` goes only into the `Authorization` header of this request.
    pub async fn post(
        url: &str,
        bearer: Option<&str>,
        body: Body,
        extra_headers: &[(String, String)],
        user_signal: Option<&AbortSignal>,
        timeout_ms: u64,
    ) -> Result<Call, NetError> {
        Self::send(
            Method::POST,
            url,
            bearer,
            Some(body),
            extra_headers,
            user_signal,
            timeout_ms,
        )
        .await
    }

    /// Sends a GET (batch status, file contents). `bearer` goes only into the
    /// `Authorization` header of this request.
    pub async fn get(
        url: &str,
        bearer: Option<&str>,
        extra_headers: &[(String, String)],
        timeout_ms: u64,
    ) -> Result<Call, NetError> {
        Self::send(
            Method::GET,
            url,
            bearer,
            None,
            extra_headers,
            None,
            timeout_ms,
        )
        .await
    }

    async fn send(
        method: Method,
        url: &str,
        bearer: Option<&str>,
        body: Option<Body>,
        extra_headers: &[(String, String)],
        user_signal: Option<&AbortSignal>,
        timeout_ms: u64,
    ) -> Result<Call, NetError> {
        let controller =
            AbortController::new().map_err(|_| network("AbortController unavailable", false))?;
        let mut call = Call {
            controller,
            timed_out: Rc::new(Cell::new(false)),
            cancelled: Rc::new(Cell::new(false)),
            timer: None,
            user_signal: user_signal.cloned(),
            on_user_abort: None,
            response: None,
            reader: None,
            started_ms: js_sys::Date::now(),
        };
        if user_signal.is_some_and(|s| s.aborted()) {
            return Err(NetError::Cancelled { after_send: false });
        }
        call.arm(timeout_ms);

        let mut builder = RequestBuilder::new(url)
            .method(method)
            .abort_signal(Some(&call.controller.signal()));
        if let Some(key) = bearer.filter(|k| !k.is_empty()) {
            builder = builder.header("Authorization", &format!("Bearer {key}"));
        }
        for (name, value) in extra_headers {
            builder = builder.header(name, value);
        }
        let request = match &body {
            Some(Body::Json(json)) => builder
                .header("Content-Type", "application/json")
                .body(JsValue::from_str(json)),
            // Multipart: the browser sets the boundary (never set Content-Type by hand).
            Some(Body::Form(form)) => builder.body(form.clone()),
            None => builder.build(),
        }
        .map_err(|e| network(&gloo_detail(e), false))?;
        match request.send().await {
            Ok(r) => {
                call.response = Some(web_sys::Response::from(r));
                Ok(call)
            }
            Err(e) => Err(call.failure_with(gloo_detail(e))),
        }
    }

    /// Links the user's cancel signal and our timeout to this call's controller.
    fn arm(&mut self, timeout_ms: u64) {
        let controller = self.controller.clone();
        let timed_out = self.timed_out.clone();
        self.timer = leptos::prelude::set_timeout_with_handle(
            move || {
                timed_out.set(true);
                controller.abort();
            },
            std::time::Duration::from_millis(timeout_ms),
        )
        .ok();
        if let Some(signal) = &self.user_signal {
            let controller = self.controller.clone();
            let cancelled = self.cancelled.clone();
            let on_abort = Closure::once_into_js(move || {
                cancelled.set(true);
                controller.abort();
            });
            let _ = signal.add_event_listener_with_callback("abort", on_abort.unchecked_ref());
            self.on_user_abort = Some(on_abort);
        }
    }

    /// Maps a rejected promise to the reason the call ended.
    fn failure(&self, error: JsValue) -> NetError {
        let detail = Reflect::get(&error, &"message".into())
            .ok()
            .and_then(|m| m.as_string())
            .unwrap_or_else(|| "network error".into());
        self.failure_with(detail)
    }

    /// The reason the call ended, given the browser's description of the failure.
    fn failure_with(&self, detail: String) -> NetError {
        if self.cancelled.get() {
            return NetError::Cancelled { after_send: true };
        }
        if self.timed_out.get() {
            return NetError::TimedOut;
        }
        let waited = js_sys::Date::now() - self.started_ms;
        network(
            &detail,
            waited > SENT_HEURISTIC_MS || self.response.is_some(),
        )
    }

    /// Status and the headers the client reads.
    pub fn info(&self) -> ResponseInfo {
        let Some(r) = &self.response else {
            return ResponseInfo::default();
        };
        let h = r.headers();
        let get = |name: &str| h.get(name).ok().flatten();
        ResponseInfo {
            status: r.status(),
            content_type: get("content-type").unwrap_or_default(),
            request_id: get("x-request-id"),
            retry_after: get("retry-after"),
            retry_after_ms: get("retry-after-ms"),
            should_retry: get("x-should-retry"),
        }
    }

    /// One response header (readable only if the server exposes it via CORS).
    pub fn header(&self, name: &str) -> Option<String> {
        self.response
            .as_ref()
            .and_then(|r| r.headers().get(name).ok().flatten())
    }

    /// The whole body as a JS string (it stays in JS memory).
    pub async fn text(&mut self) -> Result<JsString, NetError> {
        let response = self
            .response
            .as_ref()
            .ok_or_else(|| network("no response", true))?;
        let promise = response.text().map_err(|e| self.failure(e))?;
        match JsFuture::from(promise).await {
            Ok(v) => Ok(v.unchecked_into()),
            Err(e) => Err(self.failure(e)),
        }
    }

    /// The next chunk of a streamed body, or `None` at its end.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, NetError> {
        if self.reader.is_none() {
            let body = self
                .response
                .as_ref()
                .and_then(|r| r.body())
                .ok_or_else(|| network("empty body", true))?;
            let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
            self.reader = Some(reader);
        }
        let reader = self.reader.as_ref().expect("set above");
        match JsFuture::from(reader.read()).await {
            Ok(result) => {
                let done = Reflect::get(&result, &"done".into())
                    .ok()
                    .and_then(|d| d.as_bool())
                    .unwrap_or(true);
                if done {
                    self.reader = None;
                    return Ok(None);
                }
                let value = Reflect::get(&result, &"value".into())
                    .map_err(|_| network("bad chunk", true))?;
                Ok(Some(value.unchecked_into::<Uint8Array>().to_vec()))
            }
            Err(e) => Err(self.failure(e)),
        }
    }
}

fn network(detail: &str, probably_sent: bool) -> NetError {
    NetError::Network {
        probably_sent,
        detail: detail.to_string(),
    }
}

/// The browser's words for a failed request, from gloo-net's error.
fn gloo_detail(error: gloo_net::Error) -> String {
    match error {
        gloo_net::Error::JsError(e) => e.message,
        other => other.to_string(),
    }
}

/// Fetches a small JSON document with GET from an API endpoint (e.g. `GET /v1/models`);
/// `bearer` goes only into the `Authorization` header of this request. `None` on any failure.
pub async fn get_api_text(
    url: &str,
    bearer: Option<&str>,
    extra_headers: &[(String, String)],
) -> Option<String> {
    let mut builder = RequestBuilder::new(url).method(Method::GET);
    if let Some(key) = bearer.filter(|k| !k.is_empty()) {
        builder = builder.header("Authorization", &format!("Bearer {key}"));
    }
    for (name, value) in extra_headers {
        builder = builder.header(name, value);
    }
    let response = builder.build().ok()?.send().await.ok()?;
    if !response.ok() {
        return None;
    }
    response.text().await.ok()
}

/// What a GET of a small document found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// A 2xx answer and its text.
    Text(String),
    /// An answer that was not 2xx (or whose body could not be read).
    NotOk,
    /// No answer at all: the network is down, or the request was refused before leaving.
    NoAnswer,
}

/// Fetches a small JSON document with GET (config and catalogue files). Plain `fetch`, not
/// gloo-net: the first screen asks for its config with it, and gloo-net's request builder and
/// body streams are not first-screen code.
pub async fn get_document(url: &str) -> Fetched {
    let Some(window) = web_sys::window() else {
        return Fetched::NoAnswer;
    };
    let Some(response) = JsFuture::from(window.fetch_with_str(url))
        .await
        .ok()
        .and_then(|r| r.dyn_into::<Response>().ok())
    else {
        return Fetched::NoAnswer;
    };
    if !response.ok() {
        return Fetched::NotOk;
    }
    let Some(text) = response.text().ok() else {
        return Fetched::NotOk;
    };
    match JsFuture::from(text).await.ok().and_then(|t| t.as_string()) {
        Some(text) => Fetched::Text(text),
        None => Fetched::NotOk,
    }
}

/// [`get_document`]'s text; `None` on any failure.
pub async fn get_text(url: &str) -> Option<String> {
    match get_document(url).await {
        Fetched::Text(text) => Some(text),
        Fetched::NotOk | Fetched::NoAnswer => None,
    }
}
