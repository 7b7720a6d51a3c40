//! The real binary: startup line, exit code without a key, and log lines that never carry a
//! key, a header value or a prompt.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_continuity-server");

#[test]
fn openai_without_a_key_exits_with_status_2() {
    let output = Command::new(BIN)
        .args(["--provider", "openai", "--addr", "127.0.0.1:0"])
        .env_remove("OPENAI_API_KEY")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("OPENAI_API_KEY"));
}

#[tokio::test]
async fn prints_the_address_and_logs_one_safe_line_per_request() {
    let mut child = Command::new(BIN)
        .args([
            "--addr",
            "127.0.0.1:0",
            "--fake-latency-ms",
            "0",
            "--dist",
            "/nonexistent-continuity-dist",
        ])
        .env_remove("OPENAI_API_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("startup line");
    let prefix = "Continuity server listening on http://";
    assert!(
        line.starts_with(prefix) && line.trim_end().ends_with("/ (provider: fake)"),
        "{line}"
    );
    let addr = line[prefix.len()..]
        .split('/')
        .next()
        .expect("address")
        .to_string();

    let client = reqwest::Client::new();
    let secret = "sk-binary-test-secret";
    let prompt = "a very private prompt";
    let resp = client
        .post(format!(
            "http://{addr}/v1/images/generations?debug=query-secret"
        ))
        .header("authorization", format!("Bearer {secret}"))
        .header("content-type", "application/json")
        .body(json!({"model": "gpt-image-2", "prompt": prompt, "quality": "low"}).to_string())
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);
    let _ = resp.bytes().await;
    let health = client
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .expect("sent");
    assert_eq!(health.status(), 200);
    tokio::time::sleep(Duration::from_millis(100)).await;

    child.kill().expect("kill");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read");
    let _ = child.wait();
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("POST ") || l.starts_with("GET "))
        .collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].starts_with("POST /v1/images/generations 200 "),
        "{}",
        lines[0]
    );
    assert!(lines[0].ends_with("ms"));
    assert!(lines[1].starts_with("GET /healthz 200 "));
    for leak in [secret, prompt, "query-secret", "Bearer"] {
        assert!(!stderr.contains(leak), "log leaks {leak}: {stderr}");
    }
}
