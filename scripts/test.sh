#!/usr/bin/env bash
# Runs every test layer: lint, native unit/integration tests, browser tests in headless
# Chromium against the fake server, and end-to-end tests of the release dist/ served by
# continuity-server. Installs whatever is missing first (see bootstrap.sh). CI runs exactly this.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/bootstrap.sh --browser --redis
unset OPENAI_API_KEY CONTINUITY_REDIS_URL CONTINUITY_TOKENS CONTINUITY_TOKEN_SECRET   # tests never talk to OpenAI
started=$(date +%s)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

# Limits shared by replicas are tested through a real Redis; where one can be started the
# tests must run (CONTINUITY_REQUIRE_REDIS=1 turns their skip into a failure).
if start_redis; then
  pids+=("$REDIS_PID")
  export CONTINUITY_TEST_REDIS_URL="$REDIS_URL" CONTINUITY_REQUIRE_REDIS=1
  step "redis-server for the shared-limit tests on $REDIS_URL"
elif [ "${CI:-}" = true ]; then
  echo "CI needs redis-server for the shared-limit tests, and it could not be started." >&2
  exit 1
else
  step "no redis-server: the shared-limit tests will be skipped"
fi

step "cargo fmt --check, cargo clippy -D warnings"
cargo fmt --all -- --check
cargo clippy --locked --workspace --all-targets -- -D warnings
cargo clippy --locked -p continuity --target wasm32-unknown-unknown --lib --bins --test '*' -- -D warnings
# The release build's lazily loaded parts (src/parts.rs with the `split` feature, as Trunk builds it).
cargo clippy --locked -p continuity --target wasm32-unknown-unknown --features split --lib --bins -- -D warnings

step "native tests (cargo test --workspace)"
cargo test --locked --workspace

# The release build spends minutes in single-threaded steps (whole-program LTO, wasm-opt), so
# the browser tests are compiled beside it; trunk gets its own target directory so the two
# cargo runs do not wait for each other's lock.
step "release build (trunk), with the browser tests compiled beside it"
CARGO_TARGET_DIR="$ROOT/target/trunk" trunk build --release --locked &
trunk_pid=$!
pids+=("$trunk_pid")
cargo test --locked -p continuity --target wasm32-unknown-unknown --test '*' --no-run
wait "$trunk_pid"
# The tests serve dist/ with the dev build of the server that `cargo test --workspace` linked
# for the server's own tests (its image codecs are optimised even in dev, see Cargo.toml): an
# optimised build would add minutes for no difference the tests can see. Deployments use
# `--profile server` (run.sh).
SERVER="$ROOT/target/debug/continuity-server"
[ -x "$SERVER" ] || cargo build --locked -p continuity-server

step "bundle budgets (gzip size of the main wasm, the first load and every module loaded later)"
node scripts/size-check.mjs "$ROOT/dist"

# The browser tests talk to a real fake server on another port (cross-origin, like OpenAI),
# and read its journal from their own page's origin, which only --journal-allow-origin opens.
FAKE_PORT=${FAKE_PORT:-18787}
"$SERVER" --provider fake --addr "127.0.0.1:$FAKE_PORT" --dist "$ROOT/dist" --fake-latency-ms 30 \
  --journal-allow-origin '*' 2>"$ROOT/target/fake-server.log" &
pids+=($!)
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$FAKE_PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

step "browser tests (wasm-bindgen-test in headless Chromium)"
CONTINUITY_FAKE_URL="http://127.0.0.1:$FAKE_PORT" CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=90 \
  cargo test --locked -p continuity --target wasm32-unknown-unknown --test '*'

step "end-to-end tests (Playwright + system Chromium against dist/)"
(cd e2e && SERVER_BIN="$SERVER" DIST_DIR="$ROOT/dist" node --test --test-concurrency=1)

# The Rust and e2e tests grep the logs they capture; the long-running fake's log is checked
# here: no bearer value, key, access token, prompt or base64 PNG may ever be logged.
step "server logs hold no secret, prompt or image bytes"
if grep -nE 'Bearer|sk-[A-Za-z0-9_-]{8,}|ct_[A-Za-z0-9_-]{43}|"prompt"|iVBORw0KGgo' "$ROOT/target/fake-server.log"; then
  echo "target/fake-server.log leaks the lines above" >&2
  exit 1
fi

step "all test layers passed in $(( $(date +%s) - started )) s"
