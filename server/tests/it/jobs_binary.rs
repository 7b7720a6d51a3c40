//! Recoverable jobs through the real binary: in forward mode a job belongs to the access token
//! that sent it (another token, or none, gets nothing), survives a restart on disk, expires,
//! and the store keeps within `--job-store-mb`; with `--redis-url` a replica that did not
//! forward the request answers for it. The Redis store itself against a real `redis-server`.

use std::time::Duration;

use serde_json::{json, Value};

use crate::jobs::new_job_id;
use crate::shared_limits::{fresh_prefix, redis_url, skip};
use crate::stub::{spawn_fake, spawn_forward, start_upstream, token_command, Process, CLIENT};

const GEN: &str = "/v1/images/generations";

async fn send(server: &Process, token: Option<&str>, id: &str, prompt: &str) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .post(server.url(GEN))
        .header("content-type", "application/json")
        .header(CLIENT.0, CLIENT.1)
        .header("x-continuity-job", id)
        .body(
            json!({"model": "gpt-image-2", "prompt": prompt, "quality": "low", "size": "1024x1024"})
                .to_string(),
        );
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    req.send().await.expect("sent")
}

/// [`send`] with the answer read to its end: the job is stored before its body ends, so only
/// then is reading it back certain to find it (the app reads its answers whole).
async fn send_whole(server: &Process, token: Option<&str>, id: &str, prompt: &str) -> u16 {
    let resp = send(server, token, id, prompt).await;
    let status = resp.status().as_u16();
    resp.bytes().await.expect("the whole answer");
    status
}

async fn read(server: &Process, token: Option<&str>, id: &str) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .get(server.url(&format!("/v1/continuity/jobs/{id}")))
        .header(CLIENT.0, CLIENT.1);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    req.send().await.expect("read")
}

fn create(dir: &std::path::Path, name: &str) -> String {
    let (status, token, err) = token_command(dir, &["create", "--name", name]);
    assert_eq!(status, 0, "{err}");
    token.trim().to_string()
}

async fn body(resp: reqwest::Response) -> Value {
    crate::common::json(resp).await
}

#[tokio::test]
async fn a_job_belongs_to_its_token_and_survives_a_restart() {
    let upstream = start_upstream().await;
    let dir = crate::common::scratch_dir("jobs-forward");
    let alice = create(&dir, "alice");
    let bob = create(&dir, "bob");
    let tokens = dir.join("tokens.json");
    let args = [
        "--tokens",
        tokens.to_str().expect("utf-8"),
        "--state-dir",
        dir.to_str().expect("utf-8"),
    ];
    let server = spawn_forward(&upstream.url, &args);
    let id = new_job_id();
    let resp = send(
        &server,
        Some(&alice),
        &id,
        "a secret prompt about lighthouses",
    )
    .await;
    assert_eq!(resp.status(), 200);
    let answered = body(resp).await;

    let resp = read(&server, Some(&alice), &id).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-continuity-job-status"], "done");
    assert_eq!(resp.headers()["x-request-id"], "req_upstream");
    let kept = body(resp).await;
    assert_eq!(kept["data"], answered["data"]);
    assert_eq!(kept["usage"], answered["usage"]);
    assert_eq!(kept["continuity_job"]["request_id"], "req_upstream");

    let resp = read(&server, Some(&bob), &id).await;
    assert_eq!(resp.status(), 404, "another token gets nothing");
    assert_eq!(resp.headers()["x-continuity-job-status"], "unknown");
    assert_eq!(body(resp).await["error"]["code"], "job_not_found");
    let resp = read(&server, None, &id).await;
    assert_eq!(resp.status(), 401);
    assert_eq!(body(resp).await["error"]["code"], "missing_token");
    let resp = read(&server, Some("ct_not_a_token"), &id).await;
    assert_eq!(resp.status(), 401);
    // Used once, even across tokens' attempts to reuse it: bob's use of the id is his own.
    let resp = send(&server, Some(&alice), &id, "again").await;
    assert_eq!(resp.status(), 409);
    assert_eq!(upstream.count(), 1, "the repeat was not forwarded");
    // A request refused before it was sent keeps its id free: no token, nothing kept.
    let fresh = new_job_id();
    assert_eq!(send(&server, None, &fresh, "p").await.status(), 401);
    assert_eq!(read(&server, Some(&alice), &fresh).await.status(), 404);

    // On disk: a new process on the same state directory answers for it.
    let logs = server.terminate();
    assert!(!logs.contains("lighthouses"), "a prompt was logged: {logs}");
    assert!(
        !logs.contains(&alice) && !logs.contains(&bob),
        "a token was logged"
    );
    let files = std::fs::read_dir(dir.join("jobs"))
        .expect("jobs dir")
        .count();
    assert_eq!(files, 1, "one job file");
    let again = spawn_forward(&upstream.url, &args);
    let resp = read(&again, Some(&alice), &id).await;
    assert_eq!(resp.status(), 200, "{}", again.output());
    assert_eq!(body(resp).await["data"], answered["data"]);
    assert_eq!(read(&again, Some(&bob), &id).await.status(), 404);
}

#[tokio::test]
async fn jobs_expire() {
    let upstream = start_upstream().await;
    let dir = crate::common::scratch_dir("jobs-expiry");
    let alice = create(&dir, "alice");
    let tokens = dir.join("tokens.json");
    let server = spawn_forward(
        &upstream.url,
        &[
            "--tokens",
            tokens.to_str().expect("utf-8"),
            "--state-dir",
            dir.to_str().expect("utf-8"),
            "--job-ttl-s",
            "1",
        ],
    );
    let id = new_job_id();
    assert_eq!(send_whole(&server, Some(&alice), &id, "p").await, 200);
    let resp = read(&server, Some(&alice), &id).await;
    assert_eq!(resp.status(), 200);
    assert!(body(resp).await["continuity_job"]["expires_at"]
        .as_i64()
        .is_some());
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let resp = read(&server, Some(&alice), &id).await;
    assert_eq!(resp.status(), 404, "expired");
    assert_eq!(resp.headers()["x-continuity-job-status"], "unknown");
    assert_eq!(
        std::fs::read_dir(dir.join("jobs"))
            .expect("jobs dir")
            .count(),
        0,
        "its file is gone"
    );
}

/// Fake mode with a state directory and a 1 MiB bound: the oldest jobs leave first and the
/// directory never holds more than the bound.
#[tokio::test]
async fn the_store_keeps_within_its_bound() {
    let dir = crate::common::scratch_dir("jobs-bound");
    let server = spawn_fake(
        &[
            "--fake-latency-ms",
            "0",
            "--state-dir",
            dir.to_str().expect("utf-8"),
            "--job-store-mb",
            "1",
        ],
        None,
    );
    let first = new_job_id();
    assert_eq!(send_whole(&server, Some("k"), &first, "job 0").await, 200);
    let size = std::fs::read_dir(dir.join("jobs"))
        .expect("jobs dir")
        .flatten()
        .map(|e| e.metadata().expect("meta").len())
        .sum::<u64>();
    assert!(size > 1000, "a job holds its image ({size} bytes)");
    let count = (1024 * 1024 / size) as usize + 2;
    let mut ids = vec![first];
    for i in 1..count {
        let id = new_job_id();
        assert_eq!(
            send_whole(&server, Some("k"), &id, &format!("job {i}")).await,
            200
        );
        ids.push(id);
    }
    assert_eq!(
        read(&server, Some("k"), &ids[0]).await.status(),
        404,
        "oldest out"
    );
    assert_eq!(
        read(&server, Some("k"), &ids[count - 1]).await.status(),
        200
    );
    let on_disk: u64 = std::fs::read_dir(dir.join("jobs"))
        .expect("jobs dir")
        .flatten()
        .map(|e| e.metadata().expect("meta").len())
        .sum();
    assert!(on_disk <= 1024 * 1024, "{on_disk} bytes on disk");
    assert!(
        on_disk > 1024 * 1024 - 2 * size,
        "the bound is used, not emptied"
    );
}

/// Two replicas on one Redis: the job sent through one is read back through the other, by
/// its token only.
#[tokio::test]
async fn another_replica_answers_through_redis() {
    let Some((url, _guard)) = redis_url() else {
        return skip("no $CONTINUITY_TEST_REDIS_URL and no redis-server binary");
    };
    let upstream = start_upstream().await;
    let dir = crate::common::scratch_dir("jobs-redis");
    let alice = create(&dir, "alice");
    let bob = create(&dir, "bob");
    let tokens = dir.join("tokens.json");
    let prefix = fresh_prefix();
    let args = [
        "--tokens",
        tokens.to_str().expect("utf-8"),
        "--redis-url",
        &url,
        "--redis-prefix",
        &prefix,
    ];
    let a = spawn_forward(&upstream.url, &args);
    let b = spawn_forward(&upstream.url, &args);
    assert!(
        a.printed("recoverable jobs: kept in Redis", Duration::from_secs(2)),
        "{}",
        a.output()
    );
    let id = new_job_id();
    assert_eq!(send_whole(&a, Some(&alice), &id, "p").await, 200);
    let resp = read(&b, Some(&alice), &id).await;
    assert_eq!(resp.status(), 200, "{}", b.output());
    assert_eq!(body(resp).await["usage"]["output_tokens"], 196);
    assert_eq!(read(&b, Some(&bob), &id).await.status(), 404);
    // The id is taken on every replica.
    assert_eq!(send(&b, Some(&alice), &id, "p").await.status(), 409);
    assert_eq!(upstream.count(), 1);
}

/// The Redis store on its own: used once, running then done, the bound evicting the oldest
/// first, expiry by Redis itself.
#[tokio::test]
async fn the_redis_store_bounds_and_expires() {
    use continuity_core::openai::jobs::JobId;
    use continuity_server::jobs::record::Record;
    use continuity_server::jobs::shared::RedisJobs;
    use continuity_server::jobs::{Begin, Found, Jobs, Owner, Store, Stored};
    use std::sync::Arc;

    let Some((url, _guard)) = redis_url() else {
        return skip("no $CONTINUITY_TEST_REDIS_URL and no redis-server binary");
    };
    let record = |n: usize| {
        Record::new(
            200,
            Some("application/json".into()),
            GEN,
            false,
            None,
            bytes::Bytes::from(vec![b'x'; n]),
        )
    };
    let one = record(10_000).encode().len() as u64;
    let ttl = Duration::from_secs(2);
    let store = RedisJobs::connect(&url, &fresh_prefix(), 3 * one, ttl, Duration::from_secs(60))
        .await
        .expect("redis");
    let jobs = Jobs::new(Store::Redis(Arc::new(store)), ttl);
    let owner = Owner::token("alice");
    let ids: Vec<JobId> = (0..4)
        .map(|_| JobId::parse(&new_job_id()).expect("id"))
        .collect();
    assert_eq!(jobs.begin(&owner, &ids[0]).await, Ok(Begin::Started));
    assert_eq!(jobs.begin(&owner, &ids[0]).await, Ok(Begin::InUse));
    assert_eq!(jobs.read(&owner, &ids[0]).await, Ok(Found::Running));
    assert_eq!(
        jobs.read(&Owner::token("bob"), &ids[0]).await,
        Ok(Found::Unknown),
        "another owner"
    );
    for id in &ids {
        let _ = jobs.begin(&owner, id).await;
        assert_eq!(
            jobs.finish(&owner, id, &record(10_000)).await,
            Ok(Stored::Kept)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(jobs.usage().await.expect("usage"), (3, 3 * one));
    assert_eq!(
        jobs.read(&owner, &ids[0]).await,
        Ok(Found::Unknown),
        "oldest out"
    );
    assert!(matches!(
        jobs.read(&owner, &ids[3]).await,
        Ok(Found::Done(_))
    ));
    assert_eq!(
        jobs.begin(&owner, &ids[3]).await,
        Ok(Begin::InUse),
        "done is in use"
    );
    let huge = JobId::parse(&new_job_id()).expect("id");
    let _ = jobs.begin(&owner, &huge).await;
    assert_eq!(
        jobs.finish(&owner, &huge, &record(40_000)).await,
        Ok(Stored::TooLarge)
    );
    assert_eq!(jobs.read(&owner, &huge).await, Ok(Found::Unknown));
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(
        jobs.read(&owner, &ids[3]).await,
        Ok(Found::Unknown),
        "expired"
    );
    // The next store drops the expired entries from the bound's count.
    let last = JobId::parse(&new_job_id()).expect("id");
    let _ = jobs.begin(&owner, &last).await;
    assert_eq!(
        jobs.finish(&owner, &last, &record(10)).await,
        Ok(Stored::Kept)
    );
    assert_eq!(jobs.usage().await.expect("usage").0, 1);
}
