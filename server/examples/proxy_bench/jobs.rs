//! The job store's footprint (issue 21): the proxy's resident memory (VmRSS) and the store's
//! bytes (files in `--state-dir/jobs`, or Redis's `used_memory`) before and after 1,000
//! requests with a fresh `X-Continuity-Job` each — once with the stub's small answer, once
//! with answers of 512 KiB (a small image; a 1024² PNG is 1.5–3 MB of base64).

use std::net::SocketAddr;
use std::path::Path;

use axum::body::Bytes;

use super::{random_hex, start_proxy, Args, Conn};

/// A generation whose answer is [`big_answer`].
const BIG_BODY: &str =
    r#"{"model":"gpt-image-2","prompt":"big","quality":"low","size":"1024x1024"}"#;
/// Bytes of base64 in the big answer.
const BIG_IMAGE: usize = 512 * 1024;

/// An image answer with 512 KiB of base64 and usage.
pub fn big_answer() -> Bytes {
    let b64 = "QUJD".repeat(BIG_IMAGE / 4);
    Bytes::from(format!(
        r#"{{"created":1,"data":[{{"b64_json":"{b64}"}}],"output_format":"png","quality":"low","size":"1024x1024","usage":{{"input_tokens":12,"input_tokens_details":{{"text_tokens":12,"image_tokens":0}},"output_tokens":196,"total_tokens":208}}}}"#
    ))
}

/// Resident memory of a process, bytes.
fn rss(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(f64::NAN);
    kb * 1024.0
}

/// Bytes of the files in `dir` (their lengths) and the blocks they take.
fn dir_bytes(dir: &Path) -> (u64, u64) {
    let mut len = 0;
    let mut blocks = 0;
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if let Ok(m) = entry.metadata() {
            len += m.len();
            blocks += std::os::unix::fs::MetadataExt::blocks(&m) * 512;
        }
    }
    (len, blocks)
}

/// Redis's `used_memory`, bytes.
fn redis_memory(url: &str) -> f64 {
    let info: String = redis::Client::open(url)
        .and_then(|c| c.get_connection())
        .and_then(|mut c| redis::cmd("INFO").arg("memory").query(&mut c))
        .unwrap_or_default();
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(f64::NAN)
}

async fn send(
    addr: SocketAddr,
    token: &str,
    n: usize,
    jobs: bool,
    body: &'static str,
) -> Result<(), String> {
    let mut conn = Conn::open(addr, token).await?;
    conn.body = body;
    if jobs {
        conn.jobs = Some((random_hex(), 0));
    }
    for _ in 0..n {
        let status = conn.request().await?;
        if !status.is_success() {
            return Err(format!("status {status}"));
        }
    }
    Ok(())
}

const MB: f64 = 1024.0 * 1024.0;

/// Prints the footprint per 1,000 jobs on disk and, with `--redis-url`, in Redis.
pub async fn footprint(
    args: &Args,
    stub: SocketAddr,
    tokens: &Path,
    token: &str,
    dir: &Path,
) -> Result<(), String> {
    println!(
        "\n== The job store per 1,000 jobs: the proxy's resident memory (VmRSS) and the store's \
         bytes, after 1,000 warm-up requests without a job id"
    );
    let mut targets = vec![("on disk", None)];
    if let Some(url) = &args.redis_url {
        targets.push(("in Redis", Some(url.as_str())));
    }
    for (label, redis) in targets {
        let log = dir.join(format!("proxy-jobs-{}.log", label.replace(' ', "-")));
        let jobs_dir = log.with_extension("state").join("jobs");
        let proxy = start_proxy(args, stub, tokens, redis, &log)?;
        let pid = proxy.child.id();
        send(proxy.addr, token, 1000, false, super::BODY).await?;
        let store = || match redis {
            Some(url) => (redis_memory(url), f64::NAN),
            None => {
                let (len, blocks) = dir_bytes(&jobs_dir);
                (len as f64, blocks as f64)
            }
        };
        let (rss0, (store0, blocks0)) = (rss(pid), store());
        send(proxy.addr, token, 1000, true, super::BODY).await?;
        let (rss1, (store1, blocks1)) = (rss(pid), store());
        send(proxy.addr, token, 1000, true, BIG_BODY).await?;
        let (rss2, (store2, blocks2)) = (rss(pid), store());
        let what = if redis.is_some() {
            "Redis used_memory"
        } else {
            "files (blocks on disk)"
        };
        println!(
            "job store {label}, answers of {} B: proxy memory {:+.2} MB, {what} {:+.2} MB{} per \
             1,000 jobs ({:.0} B per job)",
            super::ANSWER.len(),
            (rss1 - rss0) / MB,
            (store1 - store0) / MB,
            if redis.is_none() {
                format!(" ({:.2} MB)", (blocks1 - blocks0) / MB)
            } else {
                String::new()
            },
            (store1 - store0) / 1000.0
        );
        let big = big_answer().len();
        println!(
            "job store {label}, answers of {big} B: proxy memory {:+.2} MB, {what} {:+.2} MB{} per \
             1,000 jobs ({:.0} B per job beyond the answer)",
            (rss2 - rss1) / MB,
            (store2 - store1) / MB,
            if redis.is_none() {
                format!(" ({:.2} MB)", (blocks2 - blocks1) / MB)
            } else {
                String::new()
            },
            (store2 - store1) / 1000.0 - big as f64
        );
        drop(proxy);
    }
    Ok(())
}
