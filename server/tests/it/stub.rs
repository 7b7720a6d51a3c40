//! A recording stand-in for the OpenAI upstream on 127.0.0.1, and helpers to start forward
//! mode against it (in-process, or as the real binary). Most assertions are "the upstream saw
//! N requests" (security-reliability §2.4).
//!
//! The stub's answer depends on markers in the request body:
//! `redirect-me` → 302; `stall-me` → silent for 30 s; `slow-me` → 200 after 1.5 s;
//! `fail-400` → 400 envelope; `fail-401` → 401 naming the masked key (as OpenAI does) and the
//! server's whole key; `"stream":true` → two SSE events 600 ms apart, the second with
//! usage; `usage-output=N` → usage with N output tokens (default 196, gpt-image-2 low 1024²).
//! Every JSON success carries `usage` with 10 text input tokens.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use continuity_server::tokens::command::{self, CreateArgs};
use continuity_server::tokens::{Limits, TokenStore};
use continuity_server::{AccessConfig, ApiKey, Config, ForwardConfig, Provider};
use serde_json::json;

use crate::common::sha256_hex;

/// The key the server attaches upstream.
pub const SERVER_KEY: &str = "sk-server-side-key-0123456789";

/// One request the upstream saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub headers: HeaderMap,
    pub body_sha256: String,
}

/// A running stub.
pub struct Upstream {
    pub url: String,
    log: Arc<Mutex<Vec<Seen>>>,
}

impl Upstream {
    pub fn seen(&self) -> Vec<Seen> {
        self.log.lock().expect("lock").clone()
    }

    pub fn count(&self) -> usize {
        self.log.lock().expect("lock").len()
    }
}

fn usage(output: u64) -> serde_json::Value {
    json!({"input_tokens": 10, "input_tokens_details": {"text_tokens": 10, "image_tokens": 0},
           "output_tokens": output, "total_tokens": 10 + output})
}

async fn handler(
    State(log): State<Arc<Mutex<Vec<Seen>>>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    log.lock().expect("lock").push(Seen {
        path: uri.path().to_string(),
        headers: headers.clone(),
        body_sha256: sha256_hex(&body),
    });
    let text = String::from_utf8_lossy(&body);
    if text.contains("redirect-me") {
        return (
            StatusCode::FOUND,
            [("location", "http://127.0.0.1:9/steal")],
            "",
        )
            .into_response();
    }
    if text.contains("stall-me") {
        tokio::time::sleep(Duration::from_secs(30)).await;
    }
    if text.contains("slow-me") {
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    if text.contains("fail-401") {
        let error = json!({"error": {"message": format!("Incorrect API key provided: sk-proj-****abcd. Also {SERVER_KEY} in full, and a masked ****wxyz."), "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}});
        return (
            StatusCode::UNAUTHORIZED,
            [("content-type", "application/json")],
            error.to_string(),
        )
            .into_response();
    }
    if text.contains("fail-400") {
        let error = json!({"error": {"message": "bad", "type": "invalid_request_error", "param": null, "code": "invalid_value"}});
        return (
            StatusCode::BAD_REQUEST,
            [("content-type", "application/json")],
            error.to_string(),
        )
            .into_response();
    }
    let output = text
        .split("usage-output=")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(196);
    if text.contains("\"stream\":true") {
        // Two events 600 ms apart: the proxy must deliver the first before the second exists.
        let completed = json!({"type": "image_generation.completed", "b64_json": "AAAA", "usage": usage(output)});
        let stream = futures_util::stream::unfold(0u8, move |i| {
            let completed = completed.clone();
            async move {
                match i {
                    0 => Some((Ok::<_, std::io::Error>(Bytes::from("event: image_generation.partial_image\ndata: {\"type\":\"image_generation.partial_image\"}\n\n")), 1)),
                    1 => {
                        tokio::time::sleep(Duration::from_millis(600)).await;
                        Some((Ok(Bytes::from(format!("event: image_generation.completed\ndata: {completed}\n\n"))), 2))
                    }
                    _ => None,
                }
            }
        });
        let mut response = Response::new(Body::from_stream(stream));
        response
            .headers_mut()
            .insert("content-type", "text/event-stream".parse().expect("value"));
        return response;
    }
    (
        StatusCode::OK,
        [
            ("content-type", "application/json"),
            ("x-request-id", "req_upstream"),
            ("x-ratelimit-remaining-requests", "4"),
            ("openai-processing-ms", "1234"),
            ("set-cookie", "__cf_bm=tracking; path=/"),
            ("server", "cloudflare"),
            ("x-internal-debug", "leak"),
        ],
        json!({"created": 1, "data": [{"b64_json": "iVBORw0KGgoAAAANSUhEUg=="}],
               "echo_content_type": headers.get("content-type").and_then(|v| v.to_str().ok()),
               "usage": usage(output)})
        .to_string(),
    )
        .into_response()
}

/// Starts the stub on an ephemeral loopback port.
pub async fn start_upstream() -> Upstream {
    let log: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let app = Router::new()
        .fallback(post(handler))
        .with_state(Arc::clone(&log));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    Upstream {
        url: format!("http://{addr}"),
        log,
    }
}

/// Forward mode against `upstream` that also forwards requests without a token
/// (`--allow-anonymous`, loopback): for the tests of forwarding itself.
pub fn forward_config(upstream: &str, max_body_bytes: usize) -> Config {
    let access = AccessConfig {
        allow_anonymous: true,
        ..AccessConfig::default()
    };
    forward_config_with(upstream, max_body_bytes, access)
}

/// Forward mode with the given access rules.
pub fn forward_config_with(upstream: &str, max_body_bytes: usize, access: AccessConfig) -> Config {
    let mut forward =
        ForwardConfig::new(upstream, ApiKey::new(SERVER_KEY).expect("key")).expect("config");
    forward.access = access;
    let mut config = Config::new(
        "/nonexistent-continuity-dist".into(),
        Provider::OpenAi(forward),
    );
    config.max_body_bytes = max_body_bytes;
    config
}

/// The header every request of the app carries.
pub const CLIENT: (&str, &str) = ("x-continuity-client", "1");

/// A fresh tokens file in `dir` with the given tokens (name, limits); returns the store and
/// the tokens in order.
pub fn tokens_in(dir: &Path, tokens: &[(&str, Limits)]) -> (Arc<TokenStore>, Vec<String>) {
    let file = dir.join("tokens.json");
    let secret = dir.join("tokens.secret");
    let created = tokens
        .iter()
        .map(|(name, limits)| {
            let args = CreateArgs {
                name: name.to_string(),
                rate: limits.rate,
                concurrency: limits.concurrency,
                budget: limits.budget,
            };
            command::create(&file, &secret, &args).expect("create").0
        })
        .collect();
    let store = TokenStore::open(file, secret).expect("open");
    (Arc::new(store), created)
}

/// The real binary, running; its stdout and stderr are collected.
pub struct Process {
    pub child: Child,
    pub addr: String,
    pub output: Arc<Mutex<String>>,
}

impl Process {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Everything the process printed so far.
    pub fn output(&self) -> String {
        self.output.lock().expect("lock").clone()
    }

    /// Whether the process printed `needle` within `timeout` (its stderr is collected by a
    /// thread, so a line printed before the startup line may arrive a moment after it).
    pub fn printed(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        while !self.output().contains(needle) {
            if std::time::Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        true
    }

    /// The process id (for /proc and signals).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM (a graceful stop) and waits for the process to end.
    pub fn terminate(mut self) -> String {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(50));
        self.output()
    }

    /// Stops it and returns everything it printed.
    pub fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(50));
        self.output()
    }
}

impl Drop for Process {
    /// A test that fails midway must not leave its server running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Path of the binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_continuity-server");

/// Starts the binary in forward mode against `upstream` with `args`, and waits for its
/// startup line.
pub fn spawn_forward(upstream: &str, args: &[&str]) -> Process {
    let mut command = Command::new(BIN);
    command
        .args([
            "--provider",
            "openai",
            "--addr",
            "127.0.0.1:0",
            "--upstream",
            upstream,
        ])
        .args(["--dist", "/nonexistent-continuity-dist"])
        .args(args)
        .env("OPENAI_API_KEY", SERVER_KEY);
    spawn(command)
}

/// Starts the binary in fake mode with `args`; `soft_nofile` first lowers the open-files soft
/// limit it starts with (as a fresh shell or service has it).
pub fn spawn_fake(args: &[&str], soft_nofile: Option<u64>) -> Process {
    let mut command = match soft_nofile {
        Some(soft) => {
            let mut c = Command::new("sh");
            c.arg("-c")
                .arg(format!("ulimit -Sn {soft} && exec \"$0\" \"$@\""))
                .arg(BIN);
            c
        }
        None => Command::new(BIN),
    };
    command
        .args(["--provider", "fake", "--addr", "127.0.0.1:0"])
        .args(["--dist", "/nonexistent-continuity-dist"])
        .args(args)
        .env_remove("OPENAI_API_KEY");
    spawn(command)
}

/// Runs `command` (the binary) and waits for its startup line.
pub fn spawn(mut command: Command) -> Process {
    let mut child = command
        .env_remove("CONTINUITY_TOKEN_SECRET")
        .env_remove("CONTINUITY_REDIS_URL")
        .env_remove("CONTINUITY_TOKENS")
        .env_remove("CONTINUITY_STATE_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let output = Arc::new(Mutex::new(String::new()));
    let stderr = child.stderr.take().expect("stderr");
    let sink = Arc::clone(&output);
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stderr);
        let mut line = String::new();
        while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
            sink.lock().expect("lock").push_str(&line);
            line.clear();
        }
    });
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("startup line");
    let prefix = "Continuity server listening on http://";
    let Some(rest) = line.strip_prefix(prefix) else {
        let _ = child.kill();
        std::thread::sleep(Duration::from_millis(100));
        panic!(
            "no startup line: {line:?}; stderr: {}",
            output.lock().expect("lock")
        );
    };
    let addr = rest.split('/').next().expect("address").to_string();
    output.lock().expect("lock").push_str(&line);
    let sink = Arc::clone(&output);
    std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = stdout.read_to_string(&mut rest);
        sink.lock().expect("lock").push_str(&rest);
    });
    Process {
        child,
        addr,
        output,
    }
}

/// Runs `continuity-server token ...` with the tokens file in `dir`; returns (status, stdout,
/// stderr).
pub fn token_command(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .arg("token")
        .args(args)
        .arg("--tokens")
        .arg(dir.join("tokens.json"))
        .env_remove("CONTINUITY_TOKEN_SECRET")
        .env_remove("CONTINUITY_TOKENS")
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
