//! Command-line interface. The long help (`--help`, in `help.rs`) documents forward mode's
//! admission, the connection limits, the fake's fault injection and journal; the README copies
//! it.

mod help;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{
    AccessConfig, ApiKey, Config, FakeConfig, ForwardConfig, Provider, DEFAULT_UPSTREAM,
};
use crate::delivery::{csp, Delivery};
use crate::jobs::local::LocalJobs;
use crate::jobs::{Jobs, Store};
use crate::limits::memory::Memory;
use crate::limits::Counters;
use crate::proxy::batches::ids::Ids;
use crate::proxy::guard::Guard;
pub use crate::tokens::command::run_token_command;
use crate::tokens::{default_secret_path, Budget, Rate, TokenStore, DEFAULT_TOKENS_FILE};
use crate::transport::{self, TransportConfig};
pub use help::AFTER_HELP;

/// Which provider answers the image routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProviderArg {
    /// The built-in fake of the OpenAI Images API.
    Fake,
    /// Forward to the OpenAI API with $OPENAI_API_KEY.
    Openai,
}

/// Serves the Continuity app and answers its image requests with a strict fake of the
/// OpenAI Images API or by forwarding them with the server's key.
#[derive(Debug, Parser)]
#[command(
    name = "continuity-server",
    version,
    after_long_help = AFTER_HELP,
    max_term_width = 100,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// `token ...`: manage forward mode's access tokens instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Directory of the built app (index.html, .wasm, .js, .css); served with an SPA fallback.
    /// If it does not exist the API is still served.
    #[arg(long, value_name = "DIR", default_value = "dist")]
    pub dist: PathBuf,

    /// Address to listen on (port 0 picks a free port; the startup line shows it).
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// Who answers /v1/images/*: `fake` (built-in fake with fault injection) or `openai`
    /// (forward with $OPENAI_API_KEY). Default: openai if OPENAI_API_KEY is set and non-empty,
    /// else fake. `openai` without a key exits with status 2.
    #[arg(long, value_enum, value_name = "PROVIDER")]
    pub provider: Option<ProviderArg>,

    /// Fake mode: total time from request received to response, in ms (generation included;
    /// streams spread their events over it).
    #[arg(
        long,
        value_name = "N",
        env = "CONTINUITY_FAKE_LATENCY_MS",
        default_value_t = 300
    )]
    pub fake_latency_ms: u64,

    /// Forward mode: the upstream origin, fixed at startup (for tests of forward mode).
    #[arg(long, value_name = "URL", default_value = DEFAULT_UPSTREAM, hide_short_help = true)]
    pub upstream: String,

    /// Largest request body accepted on the image routes, in MiB (413 above it).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 64,
        value_parser = clap::value_parser!(u64).range(1..=4096)
    )]
    pub max_body_mb: u64,

    /// Forward mode: a page origin (scheme://host[:port]) allowed to call the image routes
    /// cross-origin, e.g. the public https origin when behind a TLS reverse proxy. Repeatable.
    #[arg(long, value_name = "ORIGIN")]
    pub allow_origin: Vec<String>,

    /// An endpoint the app may call besides this server and https://api.openai.com (a custom
    /// endpoint, a separate proxy), added to the Content-Security-Policy's connect-src, e.g.
    /// https://proxy.example.org. Repeatable.
    #[arg(long, value_name = "SOURCE")]
    pub connect_src: Vec<String>,

    /// Forward mode: also forward image requests that carry no access token (tokens are
    /// required by default, on every address). Prints a warning; refused with a non-loopback
    /// --addr or --allow-origin unless --budget-usd caps the server's daily spend.
    #[arg(long)]
    pub allow_anonymous: bool,

    /// Tokens are required by default; kept so older command lines still start
    /// (`--require-token false` is refused: use --allow-anonymous).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", hide = true)]
    pub require_token: Option<bool>,

    /// Forward mode: the most the server spends per UTC day over every request (tokens and
    /// anonymous), e.g. 20/day; each request's worst case is reserved against it.
    #[arg(long, value_name = "USD/day", value_parser = Budget::parse)]
    pub budget_usd: Option<Budget>,

    /// Forward mode: where the in-memory counters are kept across restarts
    /// (continuity-counters.json). Default: the directory of the tokens file.
    #[arg(long, value_name = "DIR", env = "CONTINUITY_STATE_DIR")]
    pub state_dir: Option<PathBuf>,

    /// Longest time a request body may take to arrive, in seconds (then 408; nothing is sent).
    #[arg(
        long,
        value_name = "S",
        default_value_t = crate::config::BODY_TIMEOUT.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    pub body_timeout_s: u64,

    /// A request head must be complete this many seconds after its first byte (or after the
    /// connection opened); else the connection is closed.
    #[arg(
        long,
        value_name = "S",
        default_value_t = transport::HEADER_TIMEOUT.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..=600)
    )]
    pub header_timeout_s: u64,

    /// A kept-alive connection without a request in progress is closed after this many seconds
    /// (keep it above a reverse proxy's upstream keep-alive); also the longest a response may
    /// wait for the client to read it.
    #[arg(
        long,
        value_name = "S",
        default_value_t = transport::IDLE_TIMEOUT.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    pub idle_timeout_s: u64,

    /// Open connections at most (lowered to what the open-files limit allows); more get 503.
    #[arg(
        long,
        value_name = "N",
        default_value_t = transport::MAX_CONNECTIONS,
        value_parser = positive_count
    )]
    pub max_connections: usize,

    /// Open connections per client address (IPv6: per /64); more get 429. Behind a proxy named
    /// by --trust-forwarded-for: requests in progress per forwarded client.
    #[arg(
        long,
        value_name = "N",
        default_value_t = transport::MAX_CONNECTIONS_PER_IP,
        value_parser = positive_count
    )]
    pub max_connections_per_ip: usize,

    /// The address of a reverse proxy in front of this server, whose X-Forwarded-For names the
    /// client (for the per-client share). Repeatable.
    #[arg(long, value_name = "IP")]
    pub trust_forwarded_for: Vec<std::net::IpAddr>,

    /// Fake mode: a page origin allowed to read the journal (/_fake/*) cross-origin; `*` for
    /// any (test rigs whose pages run elsewhere). Repeatable. Default: own pages only.
    #[arg(long, value_name = "ORIGIN")]
    pub journal_allow_origin: Vec<String>,

    #[command(flatten)]
    pub store: StoreArgs,

    /// Keep the token counters (forward mode), the recoverable jobs and which token owns which
    /// file and batch in Redis (redis://host:port/db, rediss:// for TLS), shared by every
    /// replica given the same URL. Default: in memory and --state-dir. Fake mode: the jobs.
    #[arg(long, value_name = "URL", env = "CONTINUITY_REDIS_URL")]
    pub redis_url: Option<String>,

    /// The most the recoverable jobs (image answers kept 24 h for the X-Continuity-Job they
    /// were sent with) may take, in MiB; the oldest go first. Kept in --state-dir/jobs (fake
    /// mode: in memory unless --state-dir is given) or in Redis with --redis-url.
    #[arg(
        long,
        value_name = "MB",
        default_value_t = crate::jobs::DEFAULT_LIMIT_MB,
        value_parser = clap::value_parser!(u64).range(1..=1_048_576)
    )]
    pub job_store_mb: u64,

    /// How long a finished job is kept, in seconds (tests only; the app relies on 24 h).
    #[arg(long, value_name = "S", default_value_t = crate::jobs::TTL.as_secs(), hide = true)]
    pub job_ttl_s: u64,

    /// Largest upload to POST /v1/files, in MiB (the Files API takes batch files up to 200 MB).
    #[arg(
        long,
        value_name = "MB",
        default_value_t = 200,
        value_parser = clap::value_parser!(u64).range(1..=4096)
    )]
    pub max_file_mb: u64,

    /// Fake mode: seconds a batch takes from creation to completion (a tenth validating, eight
    /// tenths running its lines, a tenth finalizing); fractions allowed.
    #[arg(long, value_name = "S", default_value_t = 5.0, value_parser = batch_seconds)]
    pub fake_batch_seconds: f64,

    /// Forward mode: prefix of the Redis keys.
    #[arg(
        long,
        value_name = "PREFIX",
        default_value = "continuity:",
        hide_short_help = true
    )]
    pub redis_prefix: String,

    /// Forward mode: longest wait for the upstream's answer (and between two reads of it), in
    /// seconds; then 504 upstream_timeout.
    #[arg(
        long,
        value_name = "S",
        default_value_t = 600,
        value_parser = clap::value_parser!(u64).range(1..=3600),
        hide_short_help = true
    )]
    pub upstream_timeout_s: u64,
}

/// Where the access tokens live (shared by the server and `token ...`).
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Forward mode: the access tokens file (created by `token create`).
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "CONTINUITY_TOKENS",
        default_value = DEFAULT_TOKENS_FILE
    )]
    pub tokens: PathBuf,

    /// The secret that keys the token hashes. Default: the tokens file with extension .secret
    /// ($CONTINUITY_TOKEN_SECRET, 64 hex digits, takes precedence).
    #[arg(long, global = true, value_name = "FILE")]
    pub token_secret: Option<PathBuf>,
}

impl StoreArgs {
    /// The secret file in force.
    pub fn secret_path(&self) -> PathBuf {
        self.token_secret
            .clone()
            .unwrap_or_else(|| default_secret_path(&self.tokens))
    }
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create, list or revoke access tokens for forward mode.
    Token {
        /// What to do.
        #[command(subcommand)]
        action: TokenAction,
        /// Where the tokens live.
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// `token` subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Create a token and print it once on stdout.
    Create {
        /// Label shown in logs and `token list` (letters, digits, '.', '_', '-').
        #[arg(long)]
        name: String,
        /// Request rate: N/s, N/min, N/hour or N/day (a bucket of N refilling at N per period).
        #[arg(long, value_parser = Rate::parse)]
        rate: Option<Rate>,
        /// Requests in flight at once.
        #[arg(long)]
        concurrency: Option<u32>,
        /// Spending budget in USD per UTC day, e.g. 5/day, priced with the app's cost rules.
        #[arg(long, value_parser = Budget::parse)]
        budget_usd: Option<Budget>,
    },
    /// List tokens (names, ids, status, limits; never the tokens).
    List,
    /// Revoke a live token by name or id; a running server refuses it within a second.
    Revoke {
        /// Name or id.
        name: String,
    },
}

impl Cli {
    /// Resolves the provider and builds the configuration. `env_key` is `$OPENAI_API_KEY`.
    pub fn into_config(self, env_key: Option<String>) -> Result<Config, String> {
        let key = env_key.and_then(ApiKey::new);
        let choice = self.provider.unwrap_or(if key.is_some() {
            ProviderArg::Openai
        } else {
            ProviderArg::Fake
        });
        let listen_loopback = self.addr.ip().is_loopback();
        let provider = match choice {
            ProviderArg::Fake => {
                if let Some(bad) = (self.journal_allow_origin.iter())
                    .filter(|o| o.as_str() != "*")
                    .find(|o| Guard::new(std::slice::from_ref(o), true).is_err())
                {
                    return Err(format!(
                        "--journal-allow-origin {bad:?} is not an origin like http://127.0.0.1:8000 \
                         (or *)"
                    ));
                }
                Provider::Fake(FakeConfig {
                    latency: Duration::from_millis(self.fake_latency_ms),
                    journal_origins: self.journal_allow_origin.clone(),
                    listen_loopback,
                })
            }
            ProviderArg::Openai => {
                let key = key.ok_or(
                    "--provider openai needs the OPENAI_API_KEY environment variable (it is \
                     unset or empty). Set it, or use --provider fake.",
                )?;
                let timeout = Duration::from_secs(self.upstream_timeout_s);
                let mut forward = ForwardConfig::with_timeout(&self.upstream, key, timeout)?;
                Guard::new(&self.allow_origin, listen_loopback)?;
                if self.require_token == Some(false) {
                    return Err(
                        "tokens are always required now; to forward requests without \
                                one, use --allow-anonymous"
                            .into(),
                    );
                }
                if self.allow_anonymous && self.budget_usd.is_none() {
                    let public = (!listen_loopback).then(|| format!("--addr {}", self.addr));
                    let public = public.or_else(|| {
                        (self.allow_origin.iter())
                            .find(|o| !origin_is_loopback(o))
                            .map(|o| format!("--allow-origin {o}"))
                    });
                    if let Some(public) = public {
                        return Err(format!(
                            "--allow-anonymous with {public} lets anyone on the internet spend \
                             the server's OpenAI key without limit. Give people access tokens \
                             (continuity-server token create), or cap the server's spend with \
                             --budget-usd X/day."
                        ));
                    }
                }
                let tokens = TokenStore::open(self.store.tokens.clone(), self.store.secret_path())?;
                if self.redis_url.is_none() {
                    forward.ids = Arc::new(Ids::load(&self.state_dir())?);
                }
                let counters = if self.redis_url.is_some() {
                    // Connected by the caller (it needs the runtime).
                    Counters::default()
                } else {
                    Counters::Memory(Arc::new(Memory::load(&self.state_dir())?))
                };
                forward.access = AccessConfig {
                    allowed_origins: self.allow_origin.clone(),
                    listen_loopback,
                    allow_anonymous: self.allow_anonymous,
                    global_budget: self.budget_usd,
                    tokens: Arc::new(tokens),
                    counters,
                };
                Provider::OpenAi(forward)
            }
        };
        let job_limit = self.job_store_mb.saturating_mul(1024 * 1024);
        let forward = matches!(provider, Provider::OpenAi(_));
        let ttl = Duration::from_secs(self.job_ttl_s.max(1));
        let jobs = if self.redis_url.is_some() || (!forward && self.state_dir.is_none()) {
            // Redis is connected by the caller (it needs the runtime).
            Jobs::in_memory(job_limit, ttl)
        } else {
            let dir = self.state_dir().join("jobs");
            let store = LocalJobs::open(&dir, job_limit, ttl)?;
            Jobs::new(Store::Local(Arc::new(store)), ttl)
        };
        Ok(Config {
            dist: self.dist.clone(),
            max_body_bytes: (self.max_body_mb as usize).saturating_mul(1024 * 1024),
            provider,
            delivery: Delivery {
                connect_src: (self.connect_src.iter())
                    .map(|s| csp::check_source(s))
                    .collect::<Result<_, _>>()?,
            },
            body_timeout: Duration::from_secs(self.body_timeout_s),
            spool_dir: std::env::temp_dir(),
            jobs: Arc::new(jobs),
            fake_batch: Duration::from_secs_f64(self.fake_batch_seconds),
            max_file_bytes: (self.max_file_mb as usize).saturating_mul(1024 * 1024),
        })
    }

    /// Where the in-memory counters are kept: `--state-dir`, else the tokens file's directory.
    pub fn state_dir(&self) -> PathBuf {
        self.state_dir.clone().unwrap_or_else(|| {
            self.store
                .tokens
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), PathBuf::from)
        })
    }

    /// The listener's limits.
    pub fn transport(&self) -> TransportConfig {
        TransportConfig {
            header_timeout: Duration::from_secs(self.header_timeout_s),
            idle_timeout: Duration::from_secs(self.idle_timeout_s),
            max_connections: self.max_connections,
            max_per_ip: self.max_connections_per_ip,
            trusted_proxies: self.trust_forwarded_for.clone(),
        }
    }
}

/// Seconds from 0.1 to one day.
fn batch_seconds(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(s) if (0.1..=86_400.0).contains(&s) => Ok(s),
        _ => Err(format!("{text:?}: expected seconds from 0.1 to 86400")),
    }
}

/// A count from 1 to 1,000,000.
fn positive_count(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
        _ => Err(format!("{text:?}: expected a number from 1 to 1000000")),
    }
}

/// Whether an origin's host is a loopback name (a page only this machine can open).
fn origin_is_loopback(origin: &str) -> bool {
    let url = reqwest::Url::parse(origin.trim()).ok();
    url.as_ref().and_then(|u| u.host_str()).is_some_and(|host| {
        host == "localhost"
            || (host.trim_start_matches('[').trim_end_matches(']'))
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    })
}
