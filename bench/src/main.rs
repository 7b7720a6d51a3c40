//! `continuity-bench`: runs the app's batch scheduler natively against the in-process fake of
//! the OpenAI Images API and prints the makespan of an anchor-first series next to the ideal.
//!
//! A benchmark, not a test: it prints figures and exits 0 whether or not the target is met;
//! it exits non-zero only when the fake or a request fails.
#![forbid(unsafe_code)]

mod api;
mod driver;
mod fake;
mod report;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use continuity_core::scheduler::JobState;

use crate::api::Api;
use crate::fake::Fake;
use crate::report::Row;

/// Command-line flags.
#[derive(Debug, Parser)]
#[command(
    name = "continuity-bench",
    version,
    about = "Benchmarks Continuity's batch scheduler (the same continuity_core::scheduler::Batch the \
             app runs) against the in-process fake OpenAI Images API over real HTTP/1.1 on \
             loopback.",
    long_about = None,
    after_help = "\
Each run is an anchor-first series: the anchor frame is a POST /v1/images/generations (JSON:
gpt-image-2, 1536x864, quality medium, n 1); every other frame waits for it and is a multipart
POST /v1/images/edits carrying the anchor image (decoded from its b64_json) as image[]. Every
response is decoded and checked (PNG of 1536x864), and the fake's journal is checked after each
run. The makespan is the wall time from the first start to the last report to the scheduler.

Ideal makespan = L + ceil((frames - 1) / c) * L. Target: makespan / ideal <= 1.05 (the verdict
uses the median of the runs). Exit status 0 whether or not the target is met; non-zero if the
fake or any request fails.

The fake logs one line per request on stderr; use 2>/dev/null to hide it."
)]
struct Cli {
    /// Fake latency L in ms: total time from request received to response, generation included.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    latency_ms: u64,

    /// Comma-separated maximum concurrencies to measure.
    #[arg(
        long,
        value_name = "C,...",
        value_delimiter = ',',
        default_value = "4,12"
    )]
    concurrency: Vec<usize>,

    /// Runs per concurrency; the table shows the median and every run.
    #[arg(long, value_name = "N", default_value_t = 3)]
    runs: usize,

    /// Frames in the series (the anchor plus frames - 1 dependents).
    #[arg(long, value_name = "N", default_value_t = 12)]
    frames: usize,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: &Cli) -> Result<(), String> {
    if cli.runs == 0 || cli.frames == 0 || cli.concurrency.contains(&0) {
        return Err("--runs, --frames and every --concurrency must be at least 1".into());
    }
    let latency = Duration::from_millis(cli.latency_ms);
    let fake = Fake::start(latency).await?;
    let client = http_client(latency, cli.concurrency.iter().copied().max().unwrap_or(1))?;
    fake.check_health(&client).await?;
    let api = Api::new(client.clone(), &fake.base)?;

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "continuity-bench: the app's scheduler (continuity_core::scheduler::Batch) against the \
         in-process fake at {} over HTTP/1.1",
        fake.base
    );
    println!(
        "latency L = {} ms; {}-frame anchor-first series (1 generation, then {} edits carrying \
         the anchor); {} run(s) per concurrency",
        cli.latency_ms,
        cli.frames,
        cli.frames - 1,
        cli.runs
    );
    println!(
        "machine: {cores} core(s) (std::thread::available_parallelism); the fake renders on \
         the same cores"
    );
    println!("ideal = L + ceil({}/c)·L", cli.frames - 1);
    println!();

    let mut rows = Vec::new();
    for &concurrency in &cli.concurrency {
        let mut runs_ms = Vec::with_capacity(cli.runs);
        for run in 1..=cli.runs {
            fake.clear_journal(&client).await?;
            let result = driver::run_series(&api, cli.frames, concurrency)
                .await
                .map_err(|e| format!("concurrency {concurrency}, run {run}: {e}"))?;
            if let Some((id, state)) = result
                .states
                .iter()
                .find(|(_, s)| !matches!(s, JobState::Done { .. }))
            {
                return Err(format!("{id} finished as {state:?}, not Done"));
            }
            driver::check_journal(&fake.journal(&client).await?, cli.frames)
                .map_err(|e| format!("concurrency {concurrency}, run {run}: {e}"))?;
            let ms = result.makespan.as_secs_f64() * 1000.0;
            println!(
                "c={concurrency:<2} run {run}/{}: {ms:>7.0} ms, {} frames done, ${:.3} by usage",
                cli.runs,
                result.states.len(),
                result.spent_usd
            );
            runs_ms.push(ms);
        }
        rows.push(Row {
            concurrency,
            ideal_ms: report::ideal_ms(cli.latency_ms, cli.frames, concurrency),
            runs_ms,
        });
    }
    println!();
    print!("{}", report::render(&rows));
    Ok(())
}

/// An HTTP/1.1 client whose pool keeps a connection per parallel request (the browser's limit
/// of 6 per host does not apply here).
fn http_client(latency: Duration, parallel: usize) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .http1_only()
        .no_proxy()
        .pool_max_idle_per_host(parallel.max(12))
        // Generous: a request should take about L; this only stops a hung fake.
        .timeout(latency + Duration::from_secs(120))
        .build()
        .map_err(|e| format!("cannot create the HTTP client: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ideal_follows_the_issue_formula() {
        assert_eq!(report::ideal_ms(1000, 12, 4), 4000);
        assert_eq!(report::ideal_ms(1000, 12, 12), 2000);
        assert_eq!(report::ideal_ms(300, 12, 5), 1200);
        assert_eq!(report::median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(report::median(&[4.0, 1.0]), 2.5);
    }

    #[test]
    fn cli_defaults_match_the_issue() {
        let cli = Cli::parse_from(["continuity-bench"]);
        assert_eq!(
            (cli.latency_ms, cli.concurrency, cli.runs, cli.frames),
            (1000, vec![4, 12], 3, 12)
        );
    }

    /// A short series against the real fake: it completes, every job is Done, and the fake saw
    /// one generation then edits carrying the anchor. No timing assertions.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_short_series_completes() {
        let latency = Duration::from_millis(50);
        let fake = Fake::start(latency).await.expect("fake starts");
        let client = http_client(latency, 2).expect("client");
        fake.check_health(&client).await.expect("healthy");
        let api = Api::new(client.clone(), &fake.base).expect("api");
        let result = driver::run_series(&api, 3, 2).await.expect("series runs");
        assert_eq!(result.states.len(), 3);
        assert!(result
            .states
            .iter()
            .all(|(_, s)| matches!(s, JobState::Done { .. })));
        assert!(result.spent_usd > 0.0);
        let journal = fake.journal(&client).await.expect("journal");
        driver::check_journal(&journal, 3).expect("journal matches the plan");
    }
}
