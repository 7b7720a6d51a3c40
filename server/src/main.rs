//! `continuity-server`: command line and startup only; the server lives in the library.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use axum::serve::ListenerExt as _;
use clap::Parser;
use continuity_server::cli::{run_token_command, Cli, Command};
use continuity_server::limits::shared::RedisCounters;
use continuity_server::{build_app, Provider};

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
    let redis = cli
        .redis_url
        .clone()
        .map(|url| (url, cli.redis_prefix.clone()));
    let env_key = std::env::var("OPENAI_API_KEY").ok();
    let mut config = match cli.into_config(env_key) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    if let Provider::OpenAi(forward) = &mut config.provider {
        if let Some((url, prefix)) = redis {
            // A lease outlives the longest request: upstream timeout plus a minute.
            let lease = forward.timeout + Duration::from_secs(60);
            match RedisCounters::connect(&url, &prefix, lease).await {
                Ok(counters) => forward.access.counters = counters,
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
    if let Provider::OpenAi(forward) = &config.provider {
        let access = &forward.access;
        let live = access.tokens.current().live();
        if !access.require_token && !bound.ip().is_loopback() {
            eprintln!(
                "warning: forward mode on a non-loopback address without --require-token: \
                 anyone who can reach {bound} can spend the server's OpenAI key."
            );
        }
        if access.require_token && live == 0 {
            eprintln!(
                "note: tokens are required but {} has none yet, so every image request is \
                 refused; create one with `continuity-server token create --name NAME`.",
                access.tokens.path().display()
            );
        }
        eprintln!(
            "forward mode: tokens {} ({live} live in {}), counters {}",
            if access.require_token {
                "required"
            } else {
                "optional"
            },
            access.tokens.path().display(),
            match access.counters {
                continuity_server::limits::Counters::Redis(_) => "in Redis",
                continuity_server::limits::Counters::Memory(_) => "in memory",
            }
        );
    }
    println!("Continuity server listening on http://{bound}/ (provider: {provider})");
    // Scripts wait for this line; make sure it is not stuck in a pipe buffer.
    let _ = std::io::stdout().flush();

    let app = build_app(config);
    // TCP_NODELAY: a streamed response's last bytes (written after the budget is settled)
    // must not wait for the client's delayed ACK (Nagle's algorithm: up to 40 ms).
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
    {
        eprintln!("error: server failed: {e}");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// Resolves on Ctrl-C or SIGTERM; a stuck request (e.g. the `stall` fault) cannot hold the
/// process longer than [`SHUTDOWN_GRACE`].
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
    tokio::spawn(async {
        tokio::time::sleep(SHUTDOWN_GRACE).await;
        std::process::exit(0);
    });
}
