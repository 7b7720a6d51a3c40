//! Twelve concurrent requests are not serialised (rendering runs on blocking threads).

use std::time::{Duration, Instant};

use serde_json::json;

use crate::common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_concurrent_generations_overlap() {
    let latency = Duration::from_millis(1500);
    let server = common::start(common::fake_config(latency.as_millis() as u64)).await;
    let started = Instant::now();
    let requests = (0..12).map(|i| {
        let client = server.client.clone();
        let url = server.url("/v1/images/generations");
        let body = json!({"model": "gpt-image-2", "prompt": format!("frame {i}"), "size": "1024x1024", "quality": "low"});
        tokio::spawn(async move {
            let resp = client.post(url).header("content-type", "application/json").body(body.to_string()).send().await?;
            let status = resp.status();
            resp.bytes().await.map(|_| status)
        })
    });
    for handle in futures_util::future::join_all(requests).await {
        assert_eq!(handle.expect("task").expect("response"), 200);
    }
    let elapsed = started.elapsed();
    // Serialised, twelve requests would take at least 12 × 1.5 s = 18 s. The bound leaves
    // room for rendering on a busy 2-core machine (other test binaries run beside this one).
    assert!(elapsed < latency * 10, "12 requests took {elapsed:?}");
}
