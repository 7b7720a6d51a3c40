//! Load generator for forward mode (security-reliability §5.5 LOAD-01/02): the latency the
//! proxy adds and its throughput, against a minimal upstream stub, direct vs through the real
//! `continuity-server` binary with a required token, a rate limit, a concurrency limit and a
//! daily budget (so every request is authenticated, admitted, priced, reserved, forwarded,
//! scanned for `usage` and settled), with counters in memory and, given `--redis-url`, in
//! Redis. Also the refusal path (a wrong token).
//!
//! With recoverable jobs (issue 21): the same requests, each with a fresh `X-Continuity-Job`,
//! against the job store on disk and in Redis (the latency it adds), and the job store's memory
//! and disk per 1,000 jobs ([`jobs`]).
//!
//! Then the server's resilience (issue 20): how many idle connections it holds while
//! `/healthz` stays fast ([`held`]), its memory under a flood of 30 uploads of 50 MB, in
//! forward mode and in fake mode ([`flood`]), and the latency a budget's reservation adds in
//! Redis (a budgeted token against one without a budget).
//!
//! Prints figures; never passes or fails on them. Run by `scripts/bench.sh proxy`:
//! `cargo run --release -p continuity-server --example proxy_bench -- --proxy-bin PATH`
//! (`--proxy-bin` may be an older build, to compare; `--resilience-only` skips the latency and
//! throughput figures; `--jobs-only` prints only the job store's: the proxy with and without
//! job ids, and the footprint; `scripts/bench.sh jobs`).

mod flood;
mod held;
mod jobs;
mod resilience;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{Request, StatusCode};
use axum::routing::post;
use axum::Router;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

/// What the app sends for one low-quality frame (priced at about $0.006).
pub(crate) const BODY: &str = r#"{"model":"gpt-image-2","prompt":"A lighthouse at dusk, frame 3 of a carousel","quality":"low","size":"1024x1024"}"#;

/// The stub's answer: a small image response with usage, like OpenAI's shape.
pub(crate) const ANSWER: &str = r#"{"created":1,"data":[{"b64_json":"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="}],"output_format":"png","quality":"low","size":"1024x1024","usage":{"input_tokens":12,"input_tokens_details":{"text_tokens":12,"image_tokens":0},"output_tokens":196,"total_tokens":208}}"#;

struct Args {
    proxy_bin: PathBuf,
    redis_url: Option<String>,
    seconds: u64,
    connections: usize,
    samples: usize,
    log_dir: PathBuf,
    /// Only the resilience figures (held connections, upload flood).
    resilience_only: bool,
    /// Only the job store's figures: the latency it adds (proxy with and without job ids), its
    /// memory and disk per 1,000 jobs.
    jobs_only: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        proxy_bin: PathBuf::from("target/server/continuity-server"),
        redis_url: None,
        seconds: 5,
        connections: 32,
        samples: 3000,
        log_dir: std::env::temp_dir(),
        resilience_only: false,
        jobs_only: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--proxy-bin" => args.proxy_bin = PathBuf::from(value()?),
            "--redis-url" => args.redis_url = Some(value()?),
            "--seconds" => args.seconds = value()?.parse().map_err(|_| "--seconds N")?,
            "--connections" => {
                args.connections = value()?.parse().map_err(|_| "--connections N")?
            }
            "--samples" => args.samples = value()?.parse().map_err(|_| "--samples N")?,
            "--log-dir" => args.log_dir = PathBuf::from(value()?),
            "--resilience-only" => args.resilience_only = true,
            "--jobs-only" => args.jobs_only = true,
            other => return Err(format!("unknown flag {other}; see the file's header")),
        }
    }
    Ok(args)
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    addr: SocketAddr,
    token: String,
    /// Send each request with a fresh job id (random prefix, then a counter).
    jobs: Option<(String, u64)>,
    /// The request body.
    body: &'static str,
}

/// 16 random hex digits.
pub(crate) fn random_hex() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Conn {
    async fn open(addr: SocketAddr, token: &str) -> Result<Self, String> {
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect {addr}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(conn);
        Ok(Self {
            sender,
            addr,
            token: token.to_string(),
            jobs: None,
            body: BODY,
        })
    }

    /// The same connection, sending a fresh job id with every request.
    fn with_jobs(mut self) -> Self {
        self.jobs = Some((random_hex(), 0));
        self
    }

    /// One request; returns its status after reading the whole body.
    async fn request(&mut self) -> Result<StatusCode, String> {
        self.sender.ready().await.map_err(|e| e.to_string())?;
        let mut req = Request::post("/v1/images/generations")
            .header("host", self.addr.to_string())
            .header("content-type", "application/json")
            .header("x-continuity-client", "1")
            .header("authorization", format!("Bearer {}", self.token));
        if let Some((prefix, n)) = &mut self.jobs {
            *n += 1;
            req = req.header("x-continuity-job", format!("{prefix}{n:016x}"));
        }
        let req = req
            .body(Full::new(Bytes::from_static(self.body.as_bytes())))
            .map_err(|e| e.to_string())?;
        let resp = self
            .sender
            .send_request(req)
            .await
            .map_err(|e| e.to_string())?;
        let status = resp.status();
        resp.into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?;
        Ok(status)
    }
}

/// p50 and p99 in ms of latencies in µs.
pub(crate) fn percentiles(mut us: Vec<u32>) -> (f64, f64) {
    us.sort_unstable();
    let at = |q: f64| f64::from(us[((us.len() - 1) as f64 * q).round() as usize]) / 1000.0;
    (at(0.50), at(0.99))
}

/// Sequential requests on one connection: the latency without queueing.
async fn latency(
    addr: SocketAddr,
    token: &str,
    samples: usize,
    want: StatusCode,
    jobs: bool,
) -> Result<(f64, f64), String> {
    let mut conn = Conn::open(addr, token).await?;
    if jobs {
        conn = conn.with_jobs();
    }
    for _ in 0..samples / 10 {
        conn.request().await?;
    }
    let mut us = Vec::with_capacity(samples);
    for _ in 0..samples {
        let started = Instant::now();
        let status = conn.request().await?;
        if status != want {
            return Err(format!("{addr}: status {status}, expected {want}"));
        }
        us.push(started.elapsed().as_micros().min(u32::MAX as u128) as u32);
    }
    Ok(percentiles(us))
}

/// `connections` closed loops for `seconds`: requests per second and latency under load.
async fn throughput(
    addr: SocketAddr,
    token: &str,
    connections: usize,
    seconds: u64,
    want: StatusCode,
    jobs: bool,
) -> Result<(f64, f64, f64), String> {
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let mut conn = Conn::open(addr, token).await?;
        if jobs {
            conn = conn.with_jobs();
        }
        let stop = Arc::clone(&stop);
        tasks.push(tokio::spawn(async move {
            let mut us = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let status = conn.request().await?;
                if status != want {
                    return Err(format!("status {status}, expected {want}"));
                }
                us.push(started.elapsed().as_micros().min(u32::MAX as u128) as u32);
            }
            Ok::<_, String>(us)
        }));
    }
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.map_err(|e| e.to_string())??);
    }
    let rps = all.len() as f64 / started.elapsed().as_secs_f64();
    let (p50, p99) = percentiles(all);
    Ok((rps, p50, p99))
}

async fn start_stub() -> Result<SocketAddr, String> {
    // Reads each body to its end (the upload flood sends 50 MB ones), then answers.
    let big = jobs::big_answer();
    let answer = move |body: axum::body::Body| {
        let big = big.clone();
        async move {
            let mut stream = body.into_data_stream();
            let mut head = Vec::new();
            while let Some(Ok(chunk)) = futures_util::StreamExt::next(&mut stream).await {
                if head.len() < 256 {
                    head.extend_from_slice(&chunk[..chunk.len().min(256)]);
                }
            }
            // A request whose prompt is `big` gets an answer the size of a real image's.
            let answer = if memchr::memmem::find(&head, b"\"prompt\":\"big").is_some() {
                big
            } else {
                Bytes::from_static(ANSWER.as_bytes())
            };
            ([("content-type", "application/json")], answer)
        }
    };
    let app = Router::new()
        .route("/v1/images/generations", post(answer.clone()))
        .route("/v1/images/edits", post(answer));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(addr)
}

/// A running proxy process.
struct Proxy {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_proxy(
    args: &Args,
    stub: SocketAddr,
    tokens: &Path,
    redis: Option<&str>,
    log: &Path,
) -> Result<Proxy, String> {
    start_server(
        args,
        &[
            "--provider",
            "openai",
            "--upstream",
            &format!("http://{stub}"),
        ],
        tokens,
        redis,
        log,
    )
}

/// Starts the server binary with `mode` arguments, under the usual soft limit of 1,024 open
/// files (as a fresh shell or service has it).
fn start_server(
    args: &Args,
    mode: &[&str],
    tokens: &Path,
    redis: Option<&str>,
    log: &Path,
) -> Result<Proxy, String> {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -Sn 1024 && exec \"$0\" \"$@\"")
        .arg(&args.proxy_bin)
        .args(mode);
    cmd.args(["--addr", "127.0.0.1:0", "--require-token"])
        .arg("--state-dir")
        .arg(log.with_extension("state"))
        .args(["--dist", "/nonexistent"])
        .arg("--tokens")
        .arg(tokens)
        .env("OPENAI_API_KEY", "sk-bench-not-a-real-key")
        .env_remove("CONTINUITY_REDIS_URL")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?);
    if let Some(url) = redis {
        // A fresh prefix per run: no counters of an earlier run.
        let prefix = format!("continuity-bench-{}:", std::process::id());
        cmd.args(["--redis-url", url, "--redis-prefix", &prefix]);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("{}: {e}", args.proxy_bin.display()))?;
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().ok_or("stdout")?),
        &mut line,
    )
    .map_err(|e| e.to_string())?;
    let addr = line
        .strip_prefix("Continuity server listening on http://")
        .and_then(|rest| rest.split('/').next())
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| format!("the proxy did not start (see {}): {line:?}", log.display()))?;
    Ok(Proxy { child, addr })
}

fn create_token(args: &Args, dir: &Path, name: &str, limits: &[&str]) -> Result<String, String> {
    let out = Command::new(&args.proxy_bin)
        .args(["token", "create", "--name", name])
        .args(limits)
        .arg("--tokens")
        .arg(dir.join("tokens.json"))
        .env_remove("CONTINUITY_TOKEN_SECRET")
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

struct Row {
    label: String,
    p50: f64,
    p99: f64,
    rps: f64,
    load_p50: f64,
    load_p99: f64,
}

async fn measure(
    label: &str,
    addr: SocketAddr,
    token: &str,
    args: &Args,
    want: StatusCode,
) -> Result<Row, String> {
    measure_jobs(label, addr, token, args, want, false).await
}

/// [`measure`], each request with a fresh job id when `jobs`.
async fn measure_jobs(
    label: &str,
    addr: SocketAddr,
    token: &str,
    args: &Args,
    want: StatusCode,
    jobs: bool,
) -> Result<Row, String> {
    let (p50, p99) = latency(addr, token, args.samples, want, jobs).await?;
    let (rps, load_p50, load_p99) =
        throughput(addr, token, args.connections, args.seconds, want, jobs).await?;
    Ok(Row {
        label: label.into(),
        p50,
        p99,
        rps,
        load_p50,
        load_p99,
    })
}

async fn run(args: Args) -> Result<(), String> {
    let dir = args
        .log_dir
        .join(format!("continuity-proxy-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let unlimited = ["--rate", "1000000/s", "--concurrency", "4096"];
    let token = create_token(
        &args,
        &dir,
        "bench",
        &[&unlimited[..], &["--budget-usd", "1000000/day"]].concat(),
    )?;
    let unbudgeted = create_token(&args, &dir, "bench-nobudget", &unlimited)?;
    let flooder = create_token(
        &args,
        &dir,
        "flood",
        &["--concurrency", "4", "--budget-usd", "1000/day"],
    )?;
    let tokens = dir.join("tokens.json");
    let stub = start_stub().await?;
    if args.resilience_only {
        return resilience::run(&args, stub, &tokens, &flooder, &dir).await;
    }
    println!(
        "Requests: POST /v1/images/generations (gpt-image-2, low, 1024x1024; {} B) answered by a stub \
         ({} B with usage). Latency: {} sequential requests on one keep-alive connection. \
         Throughput: {} connections for {} s. Proxy: token required with rate, concurrency and \
         budget limits. Proxy logs: {}",
        BODY.len(), ANSWER.len(), args.samples, args.connections, args.seconds, dir.display()
    );
    let mut rows =
        vec![measure("upstream stub, direct", stub, &token, &args, StatusCode::OK).await?];
    let mut targets = vec![("proxy, counters in memory", None)];
    if let Some(url) = &args.redis_url {
        targets.push(("proxy, counters in Redis", Some(url.as_str())));
    }
    for (label, redis) in targets {
        let log = dir.join(format!(
            "proxy-{}.log",
            if redis.is_some() { "redis" } else { "memory" }
        ));
        let proxy = start_proxy(&args, stub, &tokens, redis, &log)?;
        rows.push(measure(label, proxy.addr, &token, &args, StatusCode::OK).await?);
        let with_jobs = if redis.is_some() {
            "proxy, Redis, + job store in Redis"
        } else {
            "proxy, memory, + job store on disk"
        };
        rows.push(measure_jobs(with_jobs, proxy.addr, &token, &args, StatusCode::OK, true).await?);
        if args.jobs_only {
            continue;
        }
        if redis.is_some() {
            rows.push(
                measure(
                    "proxy, Redis, token without budget",
                    proxy.addr,
                    &unbudgeted,
                    &args,
                    StatusCode::OK,
                )
                .await?,
            );
        }
        if redis.is_none() {
            let wrong = "ct_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
            rows.push(
                measure(
                    "proxy, refusing a wrong token (401)",
                    proxy.addr,
                    wrong,
                    &args,
                    StatusCode::UNAUTHORIZED,
                )
                .await?,
            );
        }
    }
    // Other work on the machine shows up in the tails: say how busy it was.
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "\nLoad average at the end (1, 5, 15 min): {} on {} CPUs",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "{:<38} {:>9} {:>9} | {:>9} {:>12} {:>12}",
        "", "p50 ms", "p99 ms", "req/s", "p50 ms load", "p99 ms load"
    );
    for r in &rows {
        println!(
            "{:<38} {:>9.3} {:>9.3} | {:>9.0} {:>12.3} {:>12.3}",
            r.label, r.p50, r.p99, r.rps, r.load_p50, r.load_p99
        );
    }
    println!();
    let direct = &rows[0];
    for r in rows
        .iter()
        .skip(1)
        .filter(|r| !r.label.contains("refusing"))
    {
        println!(
            "added by the {}: p50 {:+.3} ms, p99 {:+.3} ms (one connection); throughput {:.0} req/s \
             (targets: <= 2 ms p99 added, >= 2,000 req/s)",
            r.label, r.p50 - direct.p50, r.p99 - direct.p99, r.rps
        );
    }
    let find = |label: &str| rows.iter().find(|r| r.label == label);
    for (without, with) in [
        (
            "proxy, counters in memory",
            "proxy, memory, + job store on disk",
        ),
        (
            "proxy, counters in Redis",
            "proxy, Redis, + job store in Redis",
        ),
    ] {
        if let (Some(a), Some(b)) = (find(without), find(with)) {
            println!(
                "added by the {} (same proxy, each request with a fresh job id): p50 {:+.3} ms, p99 {:+.3} ms (one connection); p50 {:+.3} \
                 ms, p99 {:+.3} ms under load; {:.0} vs {:.0} req/s",
                with.rsplit("+ ").next().unwrap_or(with),
                b.p50 - a.p50,
                b.p99 - a.p99,
                b.load_p50 - a.load_p50,
                b.load_p99 - a.load_p99,
                b.rps,
                a.rps
            );
        }
    }
    if let (Some(with), Some(without)) = (
        find("proxy, counters in Redis"),
        find("proxy, Redis, token without budget"),
    ) {
        println!(
            "the budget's reservation in Redis (budgeted token vs one without a budget): p50 \
             {:+.3} ms, p99 {:+.3} ms (one connection); p50 {:+.3} ms, p99 {:+.3} ms under load",
            with.p50 - without.p50,
            with.p99 - without.p99,
            with.load_p50 - without.load_p50,
            with.load_p99 - without.load_p99
        );
    }

    jobs::footprint(&args, stub, &tokens, &token, &dir).await?;
    if args.jobs_only {
        return Ok(());
    }
    resilience::run(&args, stub, &tokens, &flooder, &dir).await
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::process::ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
