//! Access tokens (issue 8; security-reliability §2.4 PRX-01): missing, wrong and revoked
//! tokens get 401 in OpenAI's envelope and nothing reaches the upstream; the token lifecycle
//! through the real binary, with a running server picking up a revocation; logs that carry
//! the token's name and never the token, key or prompt.

use std::time::{Duration, Instant};

use continuity_server::tokens::{Limits, TokenFile};
use continuity_server::AccessConfig;
use serde_json::json;

use crate::common::{self, expect_error, json, scratch_dir};
use crate::stub::{
    forward_config_with, spawn_forward, start_upstream, token_command, tokens_in, CLIENT,
    SERVER_KEY,
};

const GEN: &str = "/v1/images/generations";

#[tokio::test]
async fn missing_wrong_and_revoked_tokens_are_401() {
    let upstream = start_upstream().await;
    let dir = scratch_dir("access-401");
    let (tokens, issued) = tokens_in(
        &dir,
        &[("alice", Limits::default()), ("bob", Limits::default())],
    );
    let revoked = continuity_server::tokens::command::revoke(&dir.join("tokens.json"), "bob")
        .expect("revoke");
    assert_eq!(revoked.name, "bob");
    tokens.reload_if_changed().expect("reload");
    let access = AccessConfig {
        tokens,
        ..AccessConfig::default()
    };
    let server = common::start(forward_config_with(&upstream.url, 1024 * 1024, access)).await;
    let body = json!({"model": "gpt-image-2", "prompt": "p"});
    let alice = format!("Bearer {}", issued[0]);
    let bob = format!("Bearer {}", issued[1]);
    let mut wrong = issued[0].clone();
    wrong.replace_range(5..6, if &wrong[5..6] == "x" { "y" } else { "x" });
    let wrong = format!("Bearer {wrong}");
    let cases = [
        (vec![CLIENT], "missing_token"),
        (
            vec![CLIENT, ("authorization", wrong.as_str())],
            "invalid_token",
        ),
        (
            vec![CLIENT, ("authorization", "Bearer sk-an-openai-key")],
            "invalid_token",
        ),
        (
            vec![CLIENT, ("authorization", issued[0].as_str())],
            "invalid_token",
        ),
        (
            vec![CLIENT, ("authorization", bob.as_str())],
            "token_revoked",
        ),
    ];
    for (headers, code) in &cases {
        let resp = server.post_json(GEN, &body, headers).await;
        assert_eq!(
            resp.headers()["www-authenticate"],
            "Bearer realm=\"continuity-server\""
        );
        let err = expect_error(resp, 401).await;
        assert_eq!(err["code"], *code, "{headers:?}");
        assert_eq!(err["type"], "invalid_request_error");
        assert!(
            !err.to_string().contains(&issued[0][3..]),
            "no token in messages"
        );
    }
    assert_eq!(upstream.count(), 0, "nothing reached the upstream");
    let resp = server
        .post_json(GEN, &body, &[CLIENT, ("authorization", &alice)])
        .await;
    assert_eq!(resp.status(), 200);
    let lowercase = alice.replacen("Bearer", "bearer", 1);
    let resp = server
        .post_json(GEN, &body, &[CLIENT, ("authorization", &lowercase)])
        .await;
    assert_eq!(resp.status(), 200, "the scheme is case-insensitive");
    assert_eq!(upstream.count(), 2);
    let config = json(
        server
            .client
            .get(server.url("/api/config"))
            .send()
            .await
            .expect("config"),
    )
    .await;
    assert_eq!(config["token_required"], true);
}

/// With `--allow-anonymous` a request may come without a token (the guard still holds), but
/// a token it presents must be valid.
#[tokio::test]
async fn allow_anonymous_forwards_tokenless_requests() {
    let upstream = start_upstream().await;
    let dir = scratch_dir("access-optional");
    let (tokens, _) = tokens_in(&dir, &[("alice", Limits::default())]);
    let access = AccessConfig {
        allow_anonymous: true,
        tokens,
        ..AccessConfig::default()
    };
    let server = common::start(forward_config_with(&upstream.url, 1024 * 1024, access)).await;
    let body = json!({"model": "gpt-image-2", "prompt": "p"});
    assert_eq!(server.post_json(GEN, &body, &[CLIENT]).await.status(), 200);
    let resp = server
        .post_json(GEN, &body, &[CLIENT, ("authorization", "Bearer ct_nope")])
        .await;
    assert_eq!(expect_error(resp, 401).await["code"], "invalid_token");
    assert_eq!(upstream.count(), 1);
}

/// Create, list, use, revoke (while the server runs), re-create: through the real binary.
#[tokio::test]
async fn token_lifecycle_through_the_binary() {
    let upstream = start_upstream().await;
    let dir = scratch_dir("access-lifecycle");
    let (status, token, note) = token_command(
        &dir,
        &[
            "create",
            "--name",
            "alice",
            "--rate",
            "30/min",
            "--budget-usd",
            "5/day",
        ],
    );
    assert_eq!(status, 0, "{note}");
    let token = token.trim().to_string();
    assert!(token.starts_with("ct_") && token.len() == 46, "{token}");
    assert!(
        note.contains("alice") && note.contains("30/min") && note.contains("$5.00/day"),
        "{note}"
    );
    assert!(!note.contains(&token), "stderr never repeats the token");
    let file_text = std::fs::read_to_string(dir.join("tokens.json")).expect("file");
    assert!(
        !file_text.contains(&token[3..]),
        "the file holds only a hash"
    );
    #[cfg(unix)]
    for file in ["tokens.json", "tokens.secret"] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join(file))
            .expect("exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{file} is private: {mode:o}");
    }
    let (status, _, err) = token_command(&dir, &["create", "--name", "alice"]);
    assert_eq!(status, 2, "a live name is unique");
    assert!(err.contains("alice"));
    let (status, _, err) = token_command(&dir, &["create", "--name", "bad name"]);
    assert_eq!(status, 2, "{err}");

    let tokens = dir.join("tokens.json");
    let server = spawn_forward(
        &upstream.url,
        &["--tokens", tokens.to_str().expect("utf-8")],
    );
    let client = reqwest::Client::new();
    let prompt = "a very private prompt 7f3a";
    let send = || {
        client
            .post(server.url(GEN))
            .header("content-type", "application/json")
            .header(CLIENT.0, CLIENT.1)
            .header("authorization", format!("Bearer {token}"))
            .body(json!({"model": "gpt-image-2", "prompt": prompt, "quality": "low"}).to_string())
            .send()
    };
    assert_eq!(send().await.expect("sent").status(), 200);

    let (status, _, _) = token_command(&dir, &["revoke", "alice"]);
    assert_eq!(status, 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let resp = send().await.expect("sent");
        if resp.status() == 401 {
            assert_eq!(expect_error(resp, 401).await["code"], "token_revoked");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "revocation not picked up in 10 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, list, _) = token_command(&dir, &["list"]);
    assert!(list.contains("alice") && list.contains("revoked"), "{list}");
    assert!(!list.contains(&token[3..]));
    let file = TokenFile::load(&tokens).expect("file");
    assert!(
        !list.contains(&file.tokens[0].hash),
        "list never shows hashes"
    );

    // The name is free again; the new token works at once-ish, the old one stays dead.
    let (status, new_token, _) = token_command(&dir, &["create", "--name", "alice"]);
    assert_eq!(status, 0);
    assert_ne!(new_token.trim(), token);
    let (_, list, _) = token_command(&dir, &["list"]);
    assert_eq!(list.matches("alice").count(), 2, "{list}");

    let log = server.stop();
    assert!(log.contains("POST /v1/images/generations 200 "), "{log}");
    assert!(log.contains(" token=alice"), "{log}");
    assert!(log.contains("refused=token_revoked"), "{log}");
    for secret in [
        &token[3..],
        new_token.trim(),
        SERVER_KEY,
        prompt,
        "iVBORw0KGgo",
    ] {
        assert!(!log.contains(secret), "log leaks {secret:?}:\n{log}");
    }
}
