//! Memory under an upload flood (issue 20, point 3): 30 multipart edits of 50 MB each, all at
//! once, from one token limited to 4 requests in flight (with a budget, so each admitted body
//! is priced), and the same flood against the fake. The server's peak resident memory (VmHWM)
//! is read from /proc before and after.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Bytes;

/// Peak resident memory of a process, MB.
pub fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(f64::NAN);
    kb * 1024.0 / 1e6
}

/// A 50 MB multipart edit (the image is noise) and its content type.
pub fn upload_body() -> (String, Bytes) {
    let boundary = "continuity-bench-flood";
    let mut body = Vec::with_capacity(50 * 1024 * 1024 + 1024);
    for (name, value) in [
        ("model", "gpt-image-2"),
        ("prompt", "p"),
        ("quality", "low"),
        ("size", "1024x1024"),
    ] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"image[]\"; \
             filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend((0..50 * 1024 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (
        format!("multipart/form-data; boundary={boundary}"),
        Bytes::from(body),
    )
}

/// Sends 30 uploads at once; returns the statuses (0: no answer).
pub async fn flood(server: SocketAddr, token: &str) -> Vec<u16> {
    let (content_type, body) = upload_body();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()
        .expect("client");
    let uploads = (0..30).map(|_| {
        let (client, body, ct) = (client.clone(), body.clone(), content_type.clone());
        let token = token.to_string();
        tokio::spawn(async move {
            let resp = client
                .post(format!("http://{server}/v1/images/edits"))
                .header("content-type", ct)
                .header("x-continuity-client", "1")
                .header("authorization", format!("Bearer {token}"))
                .body(body)
                .send()
                .await;
            match resp {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let _ = resp.bytes().await;
                    status
                }
                Err(_) => 0,
            }
        })
    });
    let mut statuses = Vec::new();
    for task in futures_util::future::join_all(uploads).await {
        statuses.push(task.unwrap_or(0));
    }
    statuses
}

/// "N×200, M×429, …" for a list of statuses.
pub fn describe(statuses: &[u16]) -> String {
    let mut counts = std::collections::BTreeMap::new();
    for s in statuses {
        *counts.entry(*s).or_insert(0) += 1;
    }
    counts
        .iter()
        .map(|(s, n)| {
            if *s == 0 {
                format!("{n}×no answer")
            } else {
                format!("{n}×{s}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}
