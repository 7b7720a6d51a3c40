//! `continuity-server`: command line and startup only; the server lives in the library.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use continuity_server::cli::{run_token_command, Cli, Command};
use continuity_server::jobs::shared::RedisJobs;
use continuity_server::jobs::{Jobs, Store};
use continuity_server::limits::shared::RedisCounters;
use continuity_server::limits::Counters;
use continuity_server::proxy::batches::ids::Ids;
use continuity_server::transport::{self, nofile};
use continuity_server::{build_app, Provider};
use std::sync::Arc;

/// How long in-flight requests may finish after Ctrl-C / SIGTERM.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

#[tokio::main]
async fn main() -> ExitCode {
    let mut cli = Cli::parse();
    if let Some(Command::Token { action, store }) = cli.command.take() {
        return match run_token_command(action, &store) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::from(2)
            }
        };
    }
    let addr = cli.addr;
    let mut limits = cli.transport();
    let redis = cli
        .redis_url
        .clone()
        .map(|url| (url, cli.redis_prefix.clone()));
    let job_store_mb = cli.job_store_mb;
    let job_ttl = Duration::from_secs(cli.job_ttl_s.max(1));
    let env_key = std::env::var("OPENAI_API_KEY").ok();
    let mut config = match cli.into_config(env_key) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };

    // Every connection is a file descriptor: the usual soft limit (1,024) would run out long
    // before the connection cap.
    if let Some((before, after)) = nofile::raise() {
        let carried = nofile::connections_for(after);
        if carried < limits.max_connections {
            eprintln!(
                "note: {after} open files allow about {carried} connections; --max-connections \
                 lowered from {} (raise the hard limit: ulimit -Hn, or LimitNOFILE= in systemd)",
                limits.max_connections
            );
            limits.max_connections = carried.max(1);
        }
        if after > before {
            eprintln!("open files: soft limit raised from {before} to {after}");
        }
    }

    if let Some((url, prefix)) = &redis {
        // Jobs last as long as the longest request could (its mark while it runs).
        let running = config.body_timeout + Duration::from_secs(600 + 60);
        let limit = job_store_mb.saturating_mul(1024 * 1024);
        match RedisJobs::connect(url, prefix, limit, job_ttl, running).await {
            Ok(store) => config.jobs = Arc::new(Jobs::new(Store::Redis(Arc::new(store)), job_ttl)),
            Err(message) => {
                eprintln!("error: {message}");
                return ExitCode::from(1);
            }
        }
        if let Provider::OpenAi(forward) = &mut config.provider {
            match Ids::connect(url, prefix).await {
                Ok(ids) => forward.ids = Arc::new(ids),
                Err(message) => {
                    eprintln!("error: {message}");
                    return ExitCode::from(1);
                }
            }
        }
    }
    if let Provider::OpenAi(forward) = &mut config.provider {
        if let Some((url, prefix)) = redis {
            // A lease outlives the longest request: its body, the upstream's answer, a minute.
            let lease = config.body_timeout + forward.timeout + Duration::from_secs(60);
            match RedisCounters::connect(&url, &prefix, lease).await {
                Ok(counters) => {
                    if let Counters::Redis(r) = &counters {
                        if let Some(warning) = r.persistence_warning().await {
                            eprintln!("{warning}");
                        }
                    }
                    forward.access.counters = counters;
                }
                Err(message) => {
                    eprintln!("error: {message}");
                    return ExitCode::from(1);
                }
            }
        }
    }
    if !config.dist.join("index.html").is_file() {
        eprintln!(
            "note: {} has no index.html, so the app is not served (build it with `trunk build` \
             or pass --dist); the API routes work.",
            config.dist.display()
        );
    }
    let provider = config.provider.name();
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot listen on {addr}: {e}");
            return ExitCode::from(1);
        }
    };
    let bound = listener.local_addr().unwrap_or(addr);
    let mut counters = None;
    if let Provider::OpenAi(forward) = &config.provider {
        let access = &forward.access;
        let live = access.tokens.current().live();
        if access.allow_anonymous {
            eprintln!(
                "warning: --allow-anonymous: image requests without an access token are \
                 forwarded with the server's OpenAI key; anyone who can reach {bound}{} can \
                 spend it{}.",
                if access.allowed_origins.is_empty() {
                    String::new()
                } else {
                    format!(" or {}", access.allowed_origins.join(", "))
                },
                match access.global_budget {
                    Some(budget) => format!(" (up to the server's budget, ${budget})"),
                    None => " without limit".to_string(),
                }
            );
        } else if live == 0 {
            eprintln!(
                "note: tokens are required but {} has none yet, so every image request is \
                 refused; create one with `continuity-server token create --name NAME`.",
                access.tokens.path().display()
            );
        }
        eprintln!(
            "forward mode: tokens {} ({live} live in {}), counters {}{}",
            if access.allow_anonymous {
                "optional (--allow-anonymous)"
            } else {
                "required"
            },
            access.tokens.path().display(),
            match &access.counters {
                Counters::Redis(_) => "in Redis".to_string(),
                Counters::Memory(m) => match m.file() {
                    Some(file) => format!("in memory, kept in {}", file.display()),
                    None => "in memory".to_string(),
                },
            },
            match access.global_budget {
                Some(budget) => format!(", server budget ${budget}"),
                None => String::new(),
            }
        );
        counters = Some(access.counters.clone());
    }
    eprintln!(
        "recoverable jobs: kept {} for 24 h, up to {job_store_mb} MiB",
        config.jobs.describe()
    );
    println!("Continuity server listening on http://{bound}/ (provider: {provider})");
    // Scripts wait for this line; make sure it is not stuck in a pipe buffer.
    let _ = std::io::stdout().flush();

    let app = build_app(config);
    transport::serve(listener, app, limits, shutdown_signal(), SHUTDOWN_GRACE).await;
    if let Some(counters) = counters {
        if let Err(e) = counters.save() {
            eprintln!("error: {e}");
        }
    }
    // Requests still running after the grace period (e.g. the fake's `stall`) end with the
    // process.
    std::process::exit(0);
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    eprintln!("shutting down");
}
