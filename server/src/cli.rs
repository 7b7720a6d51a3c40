//! Command-line interface. The long help (`--help`) documents the fake's fault injection
//! and journal; the README copies it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{
    AccessConfig, ApiKey, Config, FakeConfig, ForwardConfig, Provider, DEFAULT_UPSTREAM,
};
use crate::delivery::{csp, Delivery};
use crate::proxy::guard::Guard;
pub use crate::tokens::command::run_token_command;
use crate::tokens::{default_secret_path, Budget, Rate, TokenStore, DEFAULT_TOKENS_FILE};

/// Which provider answers the image routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProviderArg {
    /// The built-in fake of the OpenAI Images API.
    Fake,
    /// Forward to the OpenAI API with $OPENAI_API_KEY.
    Openai,
}

/// Text after the flag list of `--help`.
pub const AFTER_HELP: &str = "\
ROUTES
  GET  /healthz                 ok
  GET  /api/config              {\"provider\":\"fake\"|\"openai\",\"images_base\":\"/v1\",\"version\":...}
  POST /v1/images/generations   fake or forwarded (OPTIONS answers the preflight)
  POST /v1/images/edits         fake or forwarded (multipart image[] + mask, or JSON images[])
  GET|DELETE /_fake/requests    fake mode only: the request journal (DELETE also resets the
                                fault attempt counters)
  anything else under /v1/, /api/, /_fake/ -> 404 in OpenAI's error envelope
  any other GET -> a file from --dist, else index.html (SPA fallback)

FORWARD MODE (--provider openai)
  Only the two image routes reach the upstream, with Authorization: Bearer $OPENAI_API_KEY.
  Before anything is read or forwarded, in this order (all refusals in OpenAI's error envelope):
  1. Cross-site guard -> 403: on a loopback --addr, Host must be localhost, 127.0.0.1, [::1] or
     an --allow-origin host (host_not_allowed: DNS rebinding); an Origin other than this
     server's own or an --allow-origin (cross_origin_refused); Sec-Fetch-Site cross-site or
     same-site without an --allow-origin (cross_site_refused); no `X-Continuity-Client: 1`
     header (client_header_missing; it makes every cross-origin browser request preflight,
     and OPTIONS from a foreign origin is refused too). Pages on an --allow-origin get CORS.
  2. Access token -> 401: `Authorization: Bearer ct_...` (token create). missing_token (when
     tokens are required), invalid_token, token_revoked. Without --require-token (the default
     on a loopback --addr) a request may come without a token; a token it sends must be valid.
  3. Token limits, one atomic step (all or nothing): a budgeted token's body is first read and
     priced with the app's cost rules; if the estimate does not fit into what is left of the
     budget today (UTC) -> 429, type insufficient_quota, code budget_exceeded,
     x-should-retry: false. Rate and concurrency -> 429 rate_limit_exceeded with retry-after
     (and retry-after-ms for the rate). The estimate is charged, then replaced by the actual
     cost from the response's usage (upstream errors are refunded). A budgeted token can use
     only models the server can price (400 model_not_priced).
  Counters live in memory, or in Redis with --redis-url (shared by every replica).
  Redis unreachable -> 503 limits_unavailable (nothing is forwarded unlimited).
  Upstream hygiene: only content-type and accept are copied from the client; its
  Authorization, cookies, OpenAI-Organization/Project and X-Forwarded-* are dropped. Bodies
  and SSE stream through. Redirects are not followed (3xx -> 502); an unreachable upstream ->
  502; no answer within --upstream-timeout-s -> 504 upstream_timeout. Response headers:
  content-type, x-request-id, retry-after, retry-after-ms, x-should-retry, x-ratelimit-*,
  openai-processing-ms, plus cache-control: no-store.

ACCESS TOKENS (forward mode)
  continuity-server token create --name alice [--rate 30/min] [--concurrency 4] [--budget-usd 5/day]
      prints the token (ct_ + 43 characters, 256 random bits) on stdout, once.
  continuity-server token list        names, ids, creation, status, limits (never tokens)
  continuity-server token revoke alice
  Stored as HMAC-SHA256 with a server secret in --tokens (default continuity-tokens.json) and
  the secret in the same name with .secret (or $CONTINUITY_TOKEN_SECRET, 64 hex digits);
  both files are written with mode 0600. A running server reloads the file within a second.
  --rate N/s|N/min|N/hour|N/day: a bucket of N requests refilling at N per period.

FAKE MODE (--provider fake)
  Validates like the real API (models, sizes, qualities, formats, parameters per endpoint) and
  answers errors as {\"error\":{\"message\",\"type\",\"param\",\"code\"}}. Images are real PNG/JPEG/
  WebP/GIF/SVG files of the requested size, derived deterministically from the prompt (same
  request -> same bytes); edits are derived from the first input image and composited through
  the mask (mask alpha 255 = pixel kept exactly). Streaming (stream: true) sends partial_images
  partial events per image then one completed event per image, spread over the latency.
  Test headers: x-fake-sse-done: 1 adds `data: [DONE]` before closing; x-fake-sse-crlf: 1 uses
  CRLF line endings. CORS is open (*) like the real API.
  Models: gpt-image-2 (+ -2026-04-21), gpt-image-2.5-sunburst / -flare (+ -2026-09-08),
  gpt-image-2.6-sunburst / -flare, gpt-image-1.5 (+ -2025-12-16), gpt-image-1-mini,
  chatgpt-image-latest. gpt-image-1, dall-e-2, dall-e-3 and unknown ids -> 404 model_not_found
  (generations without `model` default to dall-e-2, hence 404; edits default to gpt-image-1.5).
  Free WIDTHxHEIGHT sizes: gpt-image-2 and the 2.5 models; xhigh/max qualities: the 2.5 models
  only. gpt-image-2.6-* and the 1.x models take 1024x1024, 1536x1024, 1024x1536 or auto and
  low/medium/high/auto (the reference documents nothing more for 2.6; anything else -> 400).
  GIF and SVG output need gpt-image-2 or newer. Usage: the gpt-image-2 output-token formula
  (auto billed as high; xhigh/max extrapolated with q=192/384), the 1.x table for 1.x models,
  +100 per partial image; input text ceil(chars/4); input images by the gpt-image-1 tile rule
  (+4160/6240 at high fidelity, always for gpt-image-2 and newer).

FAULT INJECTION (fake mode)
  Per request, by header `x-fake-fault: <spec>` or a marker `[[fault:<spec>]]` anywhere in the
  prompt (the header wins).
  Grammar:  <name>[:<times>][,<key>=<value>]*
    <times>  fail only the first N attempts of the same request (same endpoint, spec and
             prompt), then answer normally; without it the fault always applies.
  Examples: rate_limit:1,retry_after=3   rate_limit:2,retry_after_ms=250   server_error:1
  Names:
    rate_limit          429 requests/rate_limit_exceeded; retry-after: <s> (retry_after=,
                        default 1); retry-after-ms only with retry_after_ms=; x-ratelimit-*
    insufficient_quota  429 insufficient_quota, no retry-after (code= overrides error.code)
    moderation          400 image_generation_user_error/moderation_blocked, with
                        moderation_details (stage=input|output, default input;
                        categories=a+b, default violence)
    org_verification    403 \"Your organization must be verified to use the model ...\"
    invalid_key         401 invalid_api_key
    model_not_found     404 model_not_found
    server_error        500 server_error
    overloaded          503 server_error/server_is_overloaded
    stall               never answer (held until the client disconnects, at most 1 hour);
                        ms=<n> answers normally after n ms instead
    stream_cut          stream: the first image's partials, then close without completed;
                        otherwise a 200 JSON body cut off mid-transfer (connection aborted)
    truncated_json      200 application/json with the body cut roughly in half
    html_error          502 text/html Cloudflare-like error page; status=<code> another status
                        (status=200: a network sign-in page, as captive portals send)
    bad_image           200 well-formed JSON whose b64_json is not an image
    echo                succeed normally (marks a request in the journal)
    concurrency_limit   at most max=<n> (default 4) requests carrying the same spec in flight
                        at once; each beyond gets 429 requests/rate_limit_exceeded with
                        retry-after (retry_after=, retry_after_ms= as for rate_limit) and
                        x-ratelimit-limit-requests: <n>. A place is held until the response
                        has been sent; ms=<n> makes accepted requests take n ms more.
                        group=<label> only keeps specs apart. No :<times>.
  Error faults answer at once; the others after the normal latency. A bad spec -> 400
  invalid_fault_spec.

JOURNAL (GET /_fake/requests, newest last, at most 1000 entries)
  [{\"seq\", \"endpoint\": \"generations\"|\"edits\", \"content_type\", \"authorization_present\": bool,
    \"params\": {every non-file field as received},
    \"images\": [{\"field\", \"filename\", \"content_type\", \"bytes\", \"sha256\", \"width\", \"height\"}],
    \"mask\": {same shape}|null, \"status\": <HTTP status, null while a stall holds>,
    \"fault\": <fault name applied to this attempt>|null}]
  The Authorization value is never stored or logged.

LOGGING
  One line per request on stderr: METHOD PATH STATUS DURATIONms (499 = client went away), then
  in forward mode token=<name> and refused=<code> when they apply. Never a token, key, header
  value, prompt or body.
";

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

    /// Forward mode: require an access token on every image request. Default: true when --addr
    /// is not a loopback address, false on loopback (where the cross-site guard still holds).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub require_token: Option<bool>,

    #[command(flatten)]
    pub store: StoreArgs,

    /// Forward mode: keep the token counters in Redis (redis://host:port/db, rediss:// for
    /// TLS), shared by every replica given the same URL. Default: in memory.
    #[arg(long, value_name = "URL", env = "CONTINUITY_REDIS_URL")]
    pub redis_url: Option<String>,

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
        let provider = match choice {
            ProviderArg::Fake => Provider::Fake(FakeConfig {
                latency: Duration::from_millis(self.fake_latency_ms),
            }),
            ProviderArg::Openai => {
                let key = key.ok_or(
                    "--provider openai needs the OPENAI_API_KEY environment variable (it is \
                     unset or empty). Set it, or use --provider fake.",
                )?;
                let timeout = Duration::from_secs(self.upstream_timeout_s);
                let mut forward = ForwardConfig::with_timeout(&self.upstream, key, timeout)?;
                let listen_loopback = self.addr.ip().is_loopback();
                Guard::new(&self.allow_origin, listen_loopback)?;
                let tokens = TokenStore::open(self.store.tokens.clone(), self.store.secret_path())?;
                forward.access = AccessConfig {
                    allowed_origins: self.allow_origin,
                    listen_loopback,
                    require_token: self.require_token.unwrap_or(!listen_loopback),
                    tokens: Arc::new(tokens),
                    counters: Default::default(),
                };
                Provider::OpenAi(forward)
            }
        };
        Ok(Config {
            dist: self.dist,
            max_body_bytes: (self.max_body_mb as usize).saturating_mul(1024 * 1024),
            provider,
            delivery: Delivery {
                connect_src: (self.connect_src.iter())
                    .map(|s| csp::check_source(s))
                    .collect::<Result<_, _>>()?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::faults::FAULT_NAMES;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("continuity-server").chain(args.iter().copied()))
            .expect("valid arguments")
    }

    #[test]
    fn defaults() {
        let cli = parse(&[]);
        assert_eq!(cli.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(cli.dist, PathBuf::from("dist"));
        assert_eq!(cli.max_body_mb, 64);
        let config = cli.into_config(None).expect("fake needs no key");
        assert_eq!(config.provider.name(), "fake");
        assert_eq!(config.max_body_bytes, 64 * 1024 * 1024);
    }

    #[test]
    fn provider_follows_the_key() {
        let config = parse(&[])
            .into_config(Some("sk-x".into()))
            .expect("key present");
        assert_eq!(config.provider.name(), "openai");
        let config = parse(&[])
            .into_config(Some(" ".into()))
            .expect("blank key = none");
        assert_eq!(config.provider.name(), "fake");
        let err = parse(&["--provider", "openai"])
            .into_config(None)
            .expect_err("no key");
        assert!(err.contains("OPENAI_API_KEY"));
        let config = parse(&["--provider", "fake"])
            .into_config(Some("sk-x".into()))
            .expect("ok");
        assert_eq!(config.provider.name(), "fake");
    }

    #[test]
    fn command_line_is_consistent() {
        Cli::command().debug_assert();
        let cli = parse(&[
            "token", "create", "--name", "a", "--tokens", "t.json", "--rate", "3/min",
        ]);
        match cli.command {
            Some(Command::Token {
                action: TokenAction::Create { name, rate, .. },
                store,
            }) => {
                assert_eq!(name, "a");
                assert_eq!(rate, Rate::parse("3/min").ok());
                assert_eq!(store.tokens, PathBuf::from("t.json"));
                assert_eq!(store.secret_path(), PathBuf::from("t.secret"));
            }
            other => panic!("{other:?}"),
        }
        assert!(Cli::try_parse_from([
            "continuity-server",
            "token",
            "create",
            "--name",
            "a",
            "--rate",
            "3/week"
        ])
        .is_err());
    }

    #[test]
    fn tokens_are_required_off_loopback() {
        let forward = |args: &[&str]| match parse(args)
            .into_config(Some("sk-x".into()))
            .expect("ok")
            .provider
        {
            Provider::OpenAi(f) => f.access,
            Provider::Fake(_) => panic!("forward mode"),
        };
        let dir = std::env::temp_dir().join(format!("continuity-cli-test-{}", std::process::id()));
        let tokens = dir.join("none.json");
        let tokens = tokens.to_str().expect("utf-8");
        assert!(!forward(&["--tokens", tokens]).require_token);
        assert!(forward(&["--tokens", tokens, "--addr", "0.0.0.0:8080"]).require_token);
        assert!(forward(&["--tokens", tokens, "--require-token"]).require_token);
        assert!(
            !forward(&[
                "--tokens",
                tokens,
                "--addr",
                "0.0.0.0:8080",
                "--require-token",
                "false"
            ])
            .require_token
        );
        let err = parse(&["--tokens", tokens, "--allow-origin", "nope"])
            .into_config(Some("sk-x".into()))
            .expect_err("bad origin");
        assert!(err.contains("--allow-origin"));
    }

    #[test]
    fn help_documents_every_fault() {
        let help = Cli::command().render_long_help().to_string();
        for (name, _) in FAULT_NAMES {
            assert!(help.contains(name), "--help lacks {name}");
        }
        for flag in [
            "--dist",
            "--addr",
            "--provider",
            "--fake-latency-ms",
            "--upstream",
            "--max-body-mb",
            "--allow-origin",
            "--connect-src",
            "--require-token",
            "--tokens",
            "--redis-url",
            "--upstream-timeout-s",
            "X-Continuity-Client",
            "budget_exceeded",
            "token create",
        ] {
            assert!(help.contains(flag), "--help lacks {flag}");
        }
    }
}
