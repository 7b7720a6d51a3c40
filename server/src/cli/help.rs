//! The long help after the flag list (`--help`); the README copies it.

/// Text after the flag list of `--help`.
pub const AFTER_HELP: &str = "\
ROUTES
  GET  /healthz                 ok
  GET  /api/config              {\"provider\":\"fake\"|\"openai\",\"images_base\":\"/v1\",\"version\":...}
  POST /v1/images/generations   fake or forwarded (OPTIONS answers the preflight)
  POST /v1/images/edits         fake or forwarded (multipart image[] + mask, or JSON images[])
  GET  /v1/continuity/jobs/{id} a recoverable job read back (see RECOVERABLE JOBS)
  POST /v1/files                fake or forwarded: multipart `file` + `purpose` (batch, vision,
                                user_data), up to --max-file-mb
  GET  /v1/files/{id}/content   fake or forwarded
  POST /v1/batches              fake or forwarded: {input_file_id, endpoint, completion_window}
  GET  /v1/batches/{id}         fake or forwarded
  POST /v1/batches/{id}/cancel  fake or forwarded
  GET  /v1/models, /v1/models/{id}  fake mode only: the models with their shutdown_date
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

RECOVERABLE JOBS (every mode)
  An image request carrying `X-Continuity-Job: <32 hex digits>` (128 random bits the app draws
  for each attempt) is marked running and handled to its end even if the client goes away (a
  reload, a crash, a dropped network). Its answer streams to the client and is kept for 24 h:
  a JSON answer whole; a streamed one as the ImagesResponse of its completed events (final
  images, usage summed; partial images are never kept). The job is stored before the client's
  body ends. `GET /v1/continuity/jobs/{id}` with the same owner answers:
    done      the endpoint's status and body, with \"continuity_job\": {id, status, endpoint,
              stream, http_status, request_id, finished_at, expires_at} added to a JSON body;
    running   202 {\"continuity_job\": {\"id\", \"status\": \"running\"}}, retry-after: 2;
    unknown   404 job_not_found (never sent by this owner, expired, evicted).
  Every answer carries `X-Continuity-Job-Status: done|running|unknown`. An id is used once: a
  request with an id already running or kept is refused with 409 job_id_in_use and nothing is
  sent (a retry after a reload cannot pay twice); a malformed id gets 400 invalid_job_id. A
  request this server refused before sending it (401, 403, 429...) or an answer cut off is not
  kept and its id stays free. Owner: forward mode, the access token (anonymous requests under
  --allow-anonymous share one owner); reading needs the guard's headers and the token, but no
  rate or concurrency unit. Fake mode: whatever Authorization the request carried (hashed; none
  is the anonymous owner). Jobs are stored under a hash of owner and id: another token cannot
  learn that a job exists. Bounded by --job-store-mb (oldest first out); kept in
  --state-dir/jobs (one file per job, mode 0600; read back at start; fake mode: in memory
  unless --state-dir is given) or in Redis with --redis-url (any replica answers). Only a job's
  id and status are ever logged.

FILES AND BATCHES (reference: Batch API for images)
  Forward mode: the five routes above and no others, through the same guard and admission as
  the image routes (token, rate, concurrency, a budget already used up); uploads within
  --max-file-mb. A token sees only its own files and batches: the server records each file and
  batch id the upstream hands out (its output and error files when it reads the batch) with its
  token (--state-dir/continuity-batches.json or Redis, 30 days); any other id gets the API's 404
  and is not forwarded. An uploaded batch file is priced as it passes: each line's worst case
  (as for an image request) at the batch rate (50 %). Creating a batch with a budgeted token
  reserves that price before the upstream hears of it (429 budget_exceeded if it does not fit;
  400 batch_not_priced for a file this server could not price, 400 mismatched_endpoint when its
  lines go elsewhere); the reservation is kept (the budget errs on the side of spending less),
  and given back when the upstream refuses the batch or the server sees it fail validation.
  Fake mode: Files in memory (no owners: the fake has no keys). A batch goes validating ->
  in_progress -> finalizing -> completed in --fake-batch-seconds, request_counts growing as lines
  finish (in another order than the file's: match by custom_id). Validation, per line: a JSON
  object, custom_id unique, method POST, url the batch's endpoint, a body the endpoint accepts
  (the fake's own validation; JSON edits' images[] file_id resolved from uploaded files; no
  stream), at most 50,000 lines; any bad line -> failed with errors.data[] {code, message
  (\"Line N: ...\"), param (\"body.size\"), line}. Output and error files (purpose batch_output):
  {\"id\",\"custom_id\",\"response\":{\"status_code\",\"request_id\",\"body\"},\"error\"} with usage in the
  body; lines that never ran have response null and error {code: batch_expired|batch_cancelled}.
  Cancel: cancelling at once, then cancelled; a finished batch -> 409. Faults: batch_expired
  (done=<n>) and batch_failed, in x-fake-fault on POST /v1/batches or a [[fault:...]] marker in
  any line's prompt; an error fault marker in one line's prompt fails that line alone.

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
  Free WIDTHxHEIGHT sizes: gpt-image-2 and the 2.5 models; gpt-image-2.6-* and the 1.x models
  take 1024x1024, 1536x1024, 1024x1536 or auto. Qualities low/medium/high/auto everywhere,
  xhigh/max on the 2.5 and 2.6 models. complexity (low/medium/high): 2.6 only. markup (an
  edit's transparent PNG of marks, the first image's size, never with mask): 2.5 and 2.6.
  background transparent: PNG or WebP only, on every model but 2.6 (\"Transparent background is
  not supported for this model\"). Anything else -> 400 naming the parameter.
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
    batch_expired       a batch's window closes after done=<n> of its lines (default half):
                        status expired, the rest in the error file (batch_expired)
    batch_failed        a batch fails validation (status failed)
    schema_break        POST /v1/responses: 200 whose answer breaks the request's json_schema
    refusal             POST /v1/responses: 200 whose message is a refusal
  Error faults answer at once; the others after the normal latency. A bad spec -> 400
  invalid_fault_spec.

TEXT CALLS (POST /v1/responses, both modes)
  Fake mode validates as the real endpoint: a text model (gpt-5, gpt-5-mini, ...; image models
  refused at the top level), input as a string or messages of input_text / input_image parts
  (base64 data URLs or file ids), text.format json_schema with strict: every object lists all
  its properties in required and has additionalProperties false (else 400
  invalid_json_schema). Answers by the schema's name: continuity_brief_plan (one frame per
  sentence or bullet of the brief, up to the asked count), continuity_describe_images (the
  images' dominant colours), continuity_check_result (the asked text read back, one character
  changed when the image was drawn from a prompt with [[typo]]); any other schema gets its
  simplest value. usage is reported; max_output_tokens cuts an answer (status incomplete).
  Forward mode: the image routes' guard, token, rate and budget rules; a budgeted call
  reserves its worst case at the catalogue's text rates and is settled from its usage.

JOURNAL (GET /_fake/requests, newest last, at most 1000 entries)
  [{\"seq\", \"endpoint\": \"generations\"|\"edits\"|\"responses\", \"content_type\", \"authorization_present\": bool,
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
