//! The fake OpenAI Images API, started in-process on an ephemeral loopback port.

use std::path::PathBuf;
use std::time::Duration;

use continuity_server::{build_app, Config, FakeConfig, Provider};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Largest request body the fake accepts (the server's default, 64 MiB).
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// A running fake server; it stops when dropped.
pub struct Fake {
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub base: String,
    server: JoinHandle<()>,
}

impl Fake {
    /// Starts `build_app` in fake mode with the given latency (total time from request
    /// received to response, rendering included) on `127.0.0.1:0`.
    pub async fn start(latency: Duration) -> Result<Self, String> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("cannot bind 127.0.0.1:0 for the fake: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("cannot read the fake's address: {e}"))?;
        // No app is served: only the API routes matter here.
        let mut config = Config::new(
            PathBuf::from("/nonexistent-continuity-bench-dist"),
            Provider::Fake(FakeConfig {
                latency,
                ..FakeConfig::default()
            }),
        );
        config.max_body_bytes = MAX_BODY_BYTES;
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, build_app(config)).await {
                eprintln!("error: the fake server stopped: {e}");
            }
        });
        Ok(Self {
            base: format!("http://{addr}"),
            server,
        })
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Checks that the fake answers `GET /healthz`.
    pub async fn check_health(&self, client: &reqwest::Client) -> Result<(), String> {
        let response = client
            .get(self.url("/healthz"))
            .send()
            .await
            .map_err(|e| format!("the fake does not answer /healthz: {e}"))?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(format!(
                "the fake's /healthz answered {}",
                response.status()
            ));
        }
        Ok(())
    }

    /// Empties the request journal (`DELETE /_fake/requests`).
    pub async fn clear_journal(&self, client: &reqwest::Client) -> Result<(), String> {
        let response = client
            .delete(self.url("/_fake/requests"))
            .send()
            .await
            .map_err(|e| format!("cannot clear the fake's journal: {e}"))?;
        if !response.status().is_success() {
            return Err(format!(
                "clearing the fake's journal answered {}",
                response.status()
            ));
        }
        Ok(())
    }

    /// The request journal (`GET /_fake/requests`), oldest first.
    pub async fn journal(&self, client: &reqwest::Client) -> Result<Vec<Value>, String> {
        let response = client
            .get(self.url("/_fake/requests"))
            .send()
            .await
            .map_err(|e| format!("cannot read the fake's journal: {e}"))?;
        match response.json::<Value>().await {
            Ok(Value::Array(entries)) => Ok(entries),
            Ok(other) => Err(format!("the fake's journal is not an array: {other}")),
            Err(e) => Err(format!("the fake's journal is not JSON: {e}")),
        }
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.server.abort();
    }
}
