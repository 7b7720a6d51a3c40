//! Command-line interface. The long help (`--help`) documents the fake's fault injection
//! and journal; the README copies it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use crate::config::{ApiKey, Config, FakeConfig, ForwardConfig, Provider, DEFAULT_UPSTREAM};

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
  Only content-type and accept are copied from the client; its Authorization, cookies,
  OpenAI-Organization/Project and X-Forwarded-* are dropped. Bodies and SSE stream through.
  Redirects are not followed (3xx -> 502); an unreachable upstream -> 502. Response headers:
  content-type, x-request-id, retry-after, retry-after-ms, x-ratelimit-*, openai-processing-ms,
  plus cache-control: no-store. No CORS: the app must be served from this same origin.
  There is no client authentication: keep the default loopback --addr or put an
  authenticating reverse proxy in front.

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
    html_error          502 text/html Cloudflare-like error page
    bad_image           200 well-formed JSON whose b64_json is not an image
    echo                succeed normally (marks a request in the journal)
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
  One line per request on stderr: METHOD PATH STATUS DURATIONms (499 = client went away).
";

/// Serves the Continuity app and answers its image requests with a strict fake of the
/// OpenAI Images API or by forwarding them with the server's key.
#[derive(Debug, Parser)]
#[command(name = "continuity-server", version, after_long_help = AFTER_HELP, max_term_width = 100)]
pub struct Cli {
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
                Provider::OpenAi(ForwardConfig::new(&self.upstream, key)?)
            }
        };
        Ok(Config {
            dist: self.dist,
            max_body_bytes: (self.max_body_mb as usize).saturating_mul(1024 * 1024),
            provider,
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
        ] {
            assert!(help.contains(flag), "--help lacks {flag}");
        }
    }
}
