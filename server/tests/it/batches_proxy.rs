//! Forward mode's Files and Batches routes against a recording upstream (the fake's own
//! Files and Batches, behind a layer that records what reaches it): the same guard and token
//! rules as the image routes, a token sees only its own files and batches (another token's
//! attempts never reach the upstream), a batch's worst case at the batch rate is counted
//! against the token's budget when it is created, and given back when the batch fails
//! validation.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use continuity_server::tokens::{Budget, Limits};
use continuity_server::AccessConfig;
use serde_json::{json, Value};

use crate::batches::gen_line;
use crate::common::{self, json, Multipart, Server};
use crate::stub::{forward_config_with, tokens_in, CLIENT, SERVER_KEY};

/// What reached the upstream: method, path and the `Authorization` it carried.
type Seen = Arc<Mutex<Vec<(String, String, String)>>>;

async fn record(State(seen): State<Seen>, req: Request, next: Next) -> Response {
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    seen.lock()
        .expect("lock")
        .push((req.method().to_string(), req.uri().path().to_string(), auth));
    next.run(req).await
}

/// The fake (batches of 600 ms) behind a recording layer.
async fn recording_upstream() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let mut config = common::fake_config(0);
    config.fake_batch = Duration::from_millis(600);
    let app = continuity_server::build_app(config)
        .layer(middleware::from_fn_with_state(Arc::clone(&seen), record));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (format!("http://{addr}"), seen)
}

struct Rig {
    proxy: Server,
    seen: Seen,
    tokens: Vec<String>,
}

impl Rig {
    async fn start(limits: &[(&str, Limits)]) -> Self {
        let (upstream, seen) = recording_upstream().await;
        let dir = common::scratch_dir("batches-proxy");
        let (store, tokens) = tokens_in(&dir, limits);
        let access = AccessConfig {
            tokens: store,
            ..AccessConfig::default()
        };
        let proxy = common::start(forward_config_with(&upstream, 64 * 1024 * 1024, access)).await;
        Self {
            proxy,
            seen,
            tokens,
        }
    }

    fn forwarded(&self) -> usize {
        self.seen.lock().expect("lock").len()
    }

    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: usize,
    ) -> reqwest::RequestBuilder {
        self.proxy
            .client
            .request(method, self.proxy.url(path))
            .header(CLIENT.0, CLIENT.1)
            .header("authorization", format!("Bearer {}", self.tokens[token]))
    }

    async fn upload(&self, token: usize, purpose: &str, bytes: &[u8]) -> reqwest::Response {
        let (content_type, body) = Multipart::new()
            .text("purpose", purpose)
            .file("file", "batch.jsonl", "application/octet-stream", bytes)
            .finish();
        self.request(reqwest::Method::POST, "/v1/files", token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("upload")
    }

    async fn create(&self, token: usize, file_id: &str) -> reqwest::Response {
        self.request(reqwest::Method::POST, "/v1/batches", token)
            .header("content-type", "application/json")
            .body(
                json!({"input_file_id": file_id, "endpoint": "/v1/images/generations",
                       "completion_window": "24h"})
                .to_string(),
            )
            .send()
            .await
            .expect("create")
    }

    async fn get(&self, token: usize, path: &str) -> reqwest::Response {
        self.request(reqwest::Method::GET, path, token)
            .send()
            .await
            .expect("get")
    }

    async fn cancel(&self, token: usize, id: &str) -> reqwest::Response {
        self.request(
            reqwest::Method::POST,
            &format!("/v1/batches/{id}/cancel"),
            token,
        )
        .send()
        .await
        .expect("cancel")
    }

    async fn wait_done(&self, token: usize, id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let batch = json(self.get(token, &format!("/v1/batches/{id}")).await).await;
            let status = batch["status"].as_str().unwrap_or("").to_string();
            if ["completed", "failed", "expired", "cancelled"].contains(&status.as_str()) {
                return batch;
            }
            assert!(Instant::now() < deadline, "{batch}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn three_lines() -> String {
    (1..=3)
        .map(|i| gen_line(&format!("f{i}"), "a fox") + "\n")
        .collect()
}

fn budget(usd: &str) -> Limits {
    Limits {
        budget: Some(Budget::parse(usd).expect("budget")),
        ..Limits::default()
    }
}

#[tokio::test]
async fn a_token_sees_only_its_own_files_and_batches() {
    let rig = Rig::start(&[("alice", Limits::default()), ("bob", Limits::default())]).await;
    let (alice, bob) = (0, 1);
    let resp = rig.upload(alice, "batch", three_lines().as_bytes()).await;
    assert_eq!(resp.status(), 200);
    let file = json(resp).await;
    let file_id = file["id"].as_str().expect("id").to_string();
    let content = format!("/v1/files/{file_id}/content");
    assert_eq!(
        rig.get(alice, &content).await.text().await.unwrap(),
        three_lines()
    );
    let before = rig.forwarded();

    // Bob cannot read alice's file, nor build a batch on it.
    let err = json(rig.get(bob, &content).await).await;
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("No such File object"));
    assert_eq!(rig.create(bob, &file_id).await.status(), 404);
    assert_eq!(
        rig.forwarded(),
        before,
        "bob's attempts never reached the upstream"
    );

    let resp = rig.create(alice, &file_id).await;
    assert_eq!(resp.status(), 200);
    let batch_id = json(resp).await["id"].as_str().unwrap().to_string();
    let done = rig.wait_done(alice, &batch_id).await;
    assert_eq!(done["status"], "completed");
    let output = done["output_file_id"].as_str().expect("output").to_string();
    let out = rig.get(alice, &format!("/v1/files/{output}/content")).await;
    assert_eq!(out.status(), 200);
    let lines: Vec<Value> = out
        .text()
        .await
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert!(lines
        .iter()
        .all(|l| l["response"]["body"]["usage"]["output_tokens"] == 196));

    let before = rig.forwarded();
    assert_eq!(
        rig.get(bob, &format!("/v1/batches/{batch_id}"))
            .await
            .status(),
        404
    );
    assert_eq!(rig.cancel(bob, &batch_id).await.status(), 404);
    assert_eq!(
        rig.get(bob, &format!("/v1/files/{output}/content"))
            .await
            .status(),
        404
    );
    assert_eq!(rig.forwarded(), before);

    // The upstream saw the server's key, never a token, and only the five fixed routes.
    for (method, path, auth) in rig.seen.lock().unwrap().iter() {
        assert_eq!(auth, &format!("Bearer {SERVER_KEY}"), "{method} {path}");
        assert!(
            path == "/v1/files"
                || path == "/v1/batches"
                || path.starts_with("/v1/batches/batch_")
                || (path.starts_with("/v1/files/file-") && path.ends_with("/content")),
            "{method} {path}"
        );
    }
    // The guard and the token rules are the image routes' ones.
    let resp = rig
        .proxy
        .client
        .get(rig.proxy.url(&format!("/v1/batches/{batch_id}")))
        .header("authorization", format!("Bearer {}", rig.tokens[alice]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403, "no X-Continuity-Client");
    let resp = rig
        .proxy
        .client
        .get(rig.proxy.url(&format!("/v1/batches/{batch_id}")))
        .header(CLIENT.0, CLIENT.1)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401, "no token");
    let resp = rig.get(alice, "/v1/batches").await;
    assert_eq!(resp.status(), 404, "no batch listing route");
    let resp = rig.get(alice, "/v1/files/../batches/x").await;
    assert_eq!(resp.status(), 404);
}

/// Three low 1024² lines cost at most ≈ $0.0089 at the batch rate: a $0.012 budget takes one
/// such batch, not two; the reservation is made when the batch is created, before the
/// upstream hears of it. A batch that fails validation gives its reservation back.
#[tokio::test]
async fn a_batch_is_counted_against_the_budget_when_it_is_created() {
    let rig = Rig::start(&[
        ("alice", budget("0.012/day")),
        ("carol", budget("0.012/day")),
    ])
    .await;
    let (alice, carol) = (0, 1);
    let file = json(rig.upload(alice, "batch", three_lines().as_bytes()).await).await;
    let file_id = file["id"].as_str().unwrap().to_string();
    assert_eq!(rig.create(alice, &file_id).await.status(), 200);
    let before = rig.forwarded();
    let resp = rig.create(alice, &file_id).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["x-should-retry"], "false");
    let err = json(resp).await;
    assert_eq!(err["error"]["code"], "budget_exceeded");
    assert_eq!(
        rig.forwarded(),
        before,
        "refused before the upstream heard of it"
    );

    // A file that cannot be priced cannot start a budgeted batch.
    let file = json(rig.upload(alice, "batch", b"not jsonl").await).await;
    let resp = rig.create(alice, file["id"].as_str().unwrap()).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(json(resp).await["error"]["code"], "batch_not_priced");

    // Carol's batch fails validation: once the server has seen it fail, her budget is whole
    // again and a valid batch fits.
    let bad = three_lines().replace("1024x1024", "1000x1000");
    let file = json(rig.upload(carol, "batch", bad.as_bytes()).await).await;
    let resp = rig.create(carol, file["id"].as_str().unwrap()).await;
    assert_eq!(resp.status(), 200);
    let failed_id = json(resp).await["id"].as_str().unwrap().to_string();
    let good = json(rig.upload(carol, "batch", three_lines().as_bytes()).await).await;
    let good_id = good["id"].as_str().unwrap().to_string();
    assert_eq!(
        rig.create(carol, &good_id).await.status(),
        429,
        "still reserved"
    );
    let failed = rig.wait_done(carol, &failed_id).await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(
        rig.create(carol, &good_id).await.status(),
        200,
        "given back"
    );
}
