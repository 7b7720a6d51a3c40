//! The long help after the flag list (`--help`); the README copies it.

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
  In this order (all refusals in OpenAI's error envelope), nothing forwarded before step 5:
  1. Cross-site guard -> 403: on a loopback --addr, Host must be localhost, 127.0.0.1, [::1] or
     an --allow-origin host (host_not_allowed: DNS rebinding); an Origin other than this
     server's own or an --allow-origin (cross_origin_refused); Sec-Fetch-Site cross-site or
     same-site without an --allow-origin (cross_site_refused); no `X-Continuity-Client: 1`
     header (client_header_missing; it makes every cross-origin browser request preflight,
     and OPTIONS from a foreign origin is refused too). Pages on an --allow-origin get CORS.
  2. Admission, from the headers alone (the body is not read yet): an access token
     `Authorization: Bearer ct_...` on any address -> 401 missing_token, invalid_token,
     token_revoked (only --allow-anonymous forwards requests without one); a declared body
     over --max-body-mb -> 413; the server's --budget-usd or the token's budget used up today
     -> 429 budget_exceeded; the token's rate and concurrency -> 429 rate_limit_exceeded with
     retry-after (and retry-after-ms for the rate). One atomic step: a refusal takes nothing.
  3. The body, read within --max-body-mb (413) and --body-timeout-s (408 request_timeout: the
     client was too slow, nothing was sent); past 1 MiB it waits in an unlinked file in $TMPDIR.
  4. Budgets (a token's --budget-usd, the server's --budget-usd): the request's worst case is
     priced with the app's cost rules (size auto at the largest size it can produce, quality
     auto at the highest the model lists, n, partial images, prompt and input images at the
     input rate) and reserved; if it does not fit into what is left today (UTC) -> 429, type
     insufficient_quota, code budget_exceeded, x-should-retry: false. The reservation is then
     settled to the actual cost from the response's usage (upstream errors are refunded; a
     cut-off response keeps it). Requests in flight therefore cannot overspend a budget. A
     request refused here has used its rate unit (its concurrency slot comes back). A
     budgeted request can use only models the server can price (400 model_not_priced).
  5. Forwarded; the answer streams back.
  Counters live in memory, written to --state-dir (continuity-counters.json, every second
  while they change and at shutdown) and read back at start; or in Redis with --redis-url
  (shared by every replica; Redis must persist its data: AOF or RDB, the server warns when it
  does not). Redis unreachable -> 503 limits_unavailable (nothing is forwarded unlimited).
  Upstream hygiene: only content-type and accept are copied from the client; its
  Authorization, cookies, OpenAI-Organization/Project and X-Forwarded-* are dropped. SSE
  streams through. Redirects are not followed (3xx -> 502); an unreachable upstream -> 502; no
  answer within --upstream-timeout-s -> 504 upstream_timeout. Upstream error bodies are passed
  on with key fragments (sk-..., ****abcd) redacted. Response headers: content-type,
  x-request-id, retry-after, retry-after-ms, x-should-retry, x-ratelimit-*,
  openai-processing-ms, plus cache-control: no-store.

CONNECTIONS (every mode)
  --header-timeout-s (10): a request head must be complete within it, counted from its first
  byte (from the accept on a new connection); else the connection is closed (408 when part of a
  head had arrived). --idle-timeout-s (75): a kept-alive connection without a request is
  closed after it; a response the client does not read for that long is abandoned.
  --max-connections (4096, lowered to what the open-files limit carries; that limit is raised
  to its hard maximum at start): more get 503 server_busy. --max-connections-per-ip (256, IPv6
  per /64): more get 429 too_many_connections. Behind a reverse proxy named by
  --trust-forwarded-for, its connections count only in the total and the share applies to each
  client's requests in progress, by the address the proxy appended to X-Forwarded-For.
  Malformed requests get 400, 414 or 431 with a JSON error. Every response carries
  Referrer-Policy: no-referrer and X-Content-Type-Options: nosniff; JSON ones no-store.

ACCESS TOKENS (forward mode)
  continuity-server token create --name alice [--rate 30/min] [--concurrency 4] [--budget-usd 5/day]
      prints the token (ct_ + 43 characters, 256 random bits) on stdout, once.
  continuity-server token list        names, ids, creation, status, limits (never tokens)
  continuity-server token revoke alice
  Stored as HMAC-SHA256 with a server secret in --tokens (default continuity-tokens.json) and
  the secret in the same name with .secret (or $CONTINUITY_TOKEN_SECRET, 64 hex digits);
  both files are written with mode 0600. A running server reloads the file within a second.
  --rate N/s|N/min|N/hour|N/day: a bucket of N requests refilling at N per period.
  Tokens are required in forward mode on every address. --allow-anonymous forwards requests
  without one (with a warning: anyone who can reach the server spends its key); it is refused
  with a non-loopback --addr or --allow-origin unless --budget-usd caps the server's spend.

FAKE MODE (--provider fake)
  Validates like the real API (models, sizes, qualities, formats, parameters per endpoint) and
  answers errors as {\"error\":{\"message\",\"type\",\"param\",\"code\"}}. Images are real PNG/JPEG/
  WebP/GIF/SVG files of the requested size, derived deterministically from the prompt (same
  request -> same bytes); edits are derived from the first input image and composited through
  the mask (mask alpha 255 = pixel kept exactly). Streaming (stream: true) sends partial_images
  partial events per image then one completed event per image, spread over the latency.
  Test headers: x-fake-sse-done: 1 adds `data: [DONE]` before closing; x-fake-sse-crlf: 1 uses
  CRLF line endings. CORS is open (*) on /v1/ like the real API; the journal (/_fake/*) answers
  only the server's own pages (403 for another Origin; on loopback only a loopback Host)
  unless --journal-allow-origin names the page's origin (`*`: any, for test rigs).
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
  value, prompt or body. Refusals are sampled per reason: a burst of 10 lines, then one a
  second, and `refused=<code>: N more not logged` once a second for the rest.
";
