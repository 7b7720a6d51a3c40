//! Forward mode's `POST /v1/responses` (issue 22) against a recording upstream (the fake):
//! the image routes' cross-site guard and token rules, the server's key upstream, and a text
//! call's worst case reserved against the token's budget before it is sent, then settled to
//! its `usage`.

use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use continuity_core::brief::planner;
use continuity_core::text_models::{worst_case_usd, TextCallSize, TextCatalogue};
use continuity_server::tokens::{Budget, Limits};
use continuity_server::AccessConfig;

use crate::common::{self, expect_error, json, Server};
use crate::stub::{forward_config_with, tokens_in, CLIENT, SERVER_KEY};

type Seen = Arc<Mutex<Vec<(String, String)>>>;

async fn record(State(seen): State<Seen>, req: Request, next: Next) -> Response {
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    seen.lock()
        .expect("lock")
        .push((req.uri().path().to_string(), auth));
    next.run(req).await
}

struct Rig {
    proxy: Server,
    seen: Seen,
    tokens: Vec<String>,
}

impl Rig {
    async fn start(limits: &[(&str, Limits)]) -> Self {
        let seen: Seen = Arc::default();
        let app = continuity_server::build_app(common::fake_config(0))
            .layer(middleware::from_fn_with_state(Arc::clone(&seen), record));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        let dir = common::scratch_dir("responses-proxy");
        let (store, tokens) = tokens_in(&dir, limits);
        let access = AccessConfig {
            tokens: store,
            ..AccessConfig::default()
        };
        let upstream = format!("http://{addr}");
        let proxy = common::start(forward_config_with(&upstream, 16 * 1024 * 1024, access)).await;
        Self {
            proxy,
            seen,
            tokens,
        }
    }

    fn forwarded(&self) -> usize {
        self.seen.lock().expect("lock").len()
    }

    async fn plan(&self, token: Option<usize>, client: bool, frames: usize) -> reqwest::Response {
        let request = planner::request("gpt-5-mini", "A fox. A lantern. A river.", frames).unwrap();
        let mut req = self
            .proxy
            .client
            .post(self.proxy.url("/v1/responses"))
            .header("content-type", "application/json")
            .body(request.to_json());
        if client {
            req = req.header(CLIENT.0, CLIENT.1);
        }
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {}", self.tokens[t]));
        }
        req.send().await.expect("sent")
    }
}

/// The worst case the server reserves for a plan of `frames` frames: the core's rule.
fn worst(frames: usize) -> f64 {
    let request = planner::request("gpt-5-mini", "A fox. A lantern. A river.", frames).unwrap();
    let catalogue = TextCatalogue::builtin();
    worst_case_usd(
        catalogue.get("gpt-5-mini").unwrap(),
        &TextCallSize::of(&request),
    )
}

#[tokio::test]
async fn text_calls_pass_the_guard_and_token_rules_with_the_servers_key() {
    let rig = Rig::start(&[("alice", Limits::default())]).await;
    let resp = rig.plan(Some(0), false, 3).await;
    assert_eq!(resp.status(), 403, "no X-Continuity-Client");
    assert_eq!(rig.plan(None, true, 3).await.status(), 401, "no token");
    assert_eq!(rig.forwarded(), 0, "refusals never reach the upstream");

    let resp = rig.plan(Some(0), true, 3).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let body = json(resp).await;
    assert_eq!(body["object"], "response");
    let seen = rig.seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [("/v1/responses".to_string(), format!("Bearer {SERVER_KEY}"))]
    );

    // The upstream's refusal passes through in OpenAI's envelope.
    let resp = rig
        .proxy
        .client
        .post(rig.proxy.url("/v1/responses"))
        .header(CLIENT.0, CLIENT.1)
        .header("authorization", format!("Bearer {}", rig.tokens[0]))
        .header("content-type", "application/json")
        .body(r#"{"model":"gpt-5-mini","input":"hi","text":{"format":{"type":"json_schema","name":"x","schema":{"type":"object","properties":{}},"strict":true}}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(expect_error(resp, 400).await["code"], "invalid_json_schema");
}

/// A budget that takes one 1-frame plan's worst case but not a 3-frame plan's: the bigger
/// call is refused before the upstream hears of it; the small one is settled to its usage
/// (far below its worst case), so a second small one fits too.
#[tokio::test]
async fn a_text_calls_worst_case_counts_against_the_budget() {
    let (one, three) = (worst(1), worst(3));
    assert!(three > one * 1.2);
    let budget = one * 1.2;
    assert!(budget < three);
    let limits = Limits {
        budget: Some(Budget::parse(&format!("{budget:.6}/day")).expect("budget")),
        ..Limits::default()
    };
    let rig = Rig::start(&[("alice", limits)]).await;
    let resp = rig.plan(Some(0), true, 3).await;
    assert_eq!(expect_error(resp, 429).await["code"], "budget_exceeded");
    assert_eq!(rig.forwarded(), 0, "refused before it was sent");
    for _ in 0..2 {
        assert_eq!(rig.plan(Some(0), true, 1).await.status(), 200);
    }
    assert_eq!(rig.forwarded(), 2);
    // A model the catalogue cannot price cannot spend a budget.
    let resp = rig
        .proxy
        .client
        .post(rig.proxy.url("/v1/responses"))
        .header(CLIENT.0, CLIENT.1)
        .header("authorization", format!("Bearer {}", rig.tokens[0]))
        .header("content-type", "application/json")
        .body(r#"{"model":"gpt-9","input":"hi"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(expect_error(resp, 400).await["code"], "model_not_priced");
}
