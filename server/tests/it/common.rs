//! Helpers shared by the integration tests: start the app on 127.0.0.1:0, build multipart
//! bodies and PNGs, decode responses.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine as _;
use continuity_server::{build_app, Config, FakeConfig, Provider};
use image::RgbaImage;
use serde_json::Value;

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// POSTs a JSON body to the generations endpoint.
    pub async fn generate(&self, body: Value) -> reqwest::Response {
        self.post_json("/v1/images/generations", &body, &[]).await
    }

    pub async fn post_json(
        &self,
        path: &str,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body.to_string());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.expect("request sent")
    }

    pub async fn post_multipart(
        &self,
        path: &str,
        form: Multipart,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let (content_type, body) = form.finish();
        let mut req = self
            .client
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.expect("request sent")
    }

    pub async fn journal(&self) -> Vec<Value> {
        let resp = self
            .client
            .get(self.url("/_fake/requests"))
            .send()
            .await
            .expect("journal");
        assert_eq!(resp.status(), 200);
        match json(resp).await {
            Value::Array(entries) => entries,
            other => panic!("journal is not an array: {other}"),
        }
    }
}

/// Starts `build_app(config)` on an ephemeral loopback port.
pub async fn start(config: Config) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(listener, build_app(config))
            .await
            .expect("serve");
    });
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client");
    Server { addr, client }
}

/// A fake-mode config with the given latency and no app directory.
pub fn fake_config(latency_ms: u64) -> Config {
    Config::new(
        PathBuf::from("/nonexistent-continuity-dist"),
        Provider::Fake(FakeConfig {
            latency: Duration::from_millis(latency_ms),
            ..FakeConfig::default()
        }),
    )
}

/// Starts a fake server with a small latency.
pub async fn fake() -> Server {
    start(fake_config(20)).await
}

pub async fn json(resp: reqwest::Response) -> Value {
    let bytes = resp.bytes().await.expect("body");
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)))
}

/// Asserts an OpenAI error envelope and returns its `error` object.
pub async fn expect_error(resp: reqwest::Response, status: u16) -> Value {
    assert_eq!(resp.status().as_u16(), status, "unexpected status");
    let body = json(resp).await;
    let error = body["error"].clone();
    for key in ["message", "type", "param", "code"] {
        assert!(error.get(key).is_some(), "envelope lacks {key}: {body}");
    }
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    error
}

pub fn b64decode(s: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s.as_str().expect("b64 string"))
        .expect("valid base64")
}

/// Decodes `data[i].b64_json` of a response body.
pub fn image_at(body: &Value, i: usize) -> image::DynamicImage {
    image::load_from_memory(&b64decode(&body["data"][i]["b64_json"])).expect("decodable image")
}

pub fn png(img: &RgbaImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

pub fn rgb_png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 77]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

/// A deterministic, busy test picture.
pub fn picture(w: u32, h: u32, seed: u8) -> RgbaImage {
    RgbaImage::from_fn(w, h, |x, y| {
        image::Rgba([
            (x * 7 + u32::from(seed)) as u8,
            (y * 5) as u8,
            ((x ^ y) as u8).wrapping_add(seed),
            255,
        ])
    })
}

pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A hand-built multipart/form-data body (so tests control field names exactly).
pub struct Multipart {
    boundary: String,
    body: Vec<u8>,
}

impl Multipart {
    pub fn new() -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        Self {
            boundary: format!("----continuity-test-{}", N.fetch_add(1, Ordering::Relaxed)),
            body: Vec::new(),
        }
    }

    pub fn text(mut self, name: &str, value: &str) -> Self {
        self.body.extend_from_slice(
            format!(
                "--{}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n",
                self.boundary
            )
            .as_bytes(),
        );
        self
    }

    pub fn file(mut self, name: &str, filename: &str, content_type: &str, data: &[u8]) -> Self {
        self.body.extend_from_slice(
            format!(
                "--{}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
                 Content-Type: {content_type}\r\n\r\n",
                self.boundary
            )
            .as_bytes(),
        );
        self.body.extend_from_slice(data);
        self.body.extend_from_slice(b"\r\n");
        self
    }

    pub fn finish(mut self) -> (String, Vec<u8>) {
        self.body
            .extend_from_slice(format!("--{}--\r\n", self.boundary).as_bytes());
        (
            format!("multipart/form-data; boundary={}", self.boundary),
            self.body,
        )
    }
}

/// Splits an SSE body into `(event name, data)` pairs; `[DONE]` comes back as data.
pub fn sse_events(text: &str) -> Vec<(Option<String>, String)> {
    text.replace("\r\n", "\n")
        .split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let mut event = None;
            let mut data = Vec::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event: ") {
                    event = Some(v.to_string());
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data.push(v.to_string());
                }
            }
            (event, data.join("\n"))
        })
        .collect()
}

/// A unique scratch directory under the system temp dir.
pub fn scratch_dir(name: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "continuity-server-test-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}
