#!/usr/bin/env bash
# Runs every test layer: lint, native unit/integration tests, browser tests in headless
# Chromium against the fake server, and end-to-end tests of the release dist/ served by
# continuity-server. Installs whatever is missing first (see bootstrap.sh). CI runs exactly this.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/bootstrap.sh --browser
unset OPENAI_API_KEY   # tests never talk to OpenAI
started=$(date +%s)

step "cargo fmt --check, cargo clippy -D warnings"
cargo fmt --all -- --check
cargo clippy --locked --workspace --all-targets -- -D warnings
cargo clippy --locked -p continuity --target wasm32-unknown-unknown --lib --bins --test '*' -- -D warnings

step "native tests (cargo test --workspace)"
cargo test --locked --workspace

step "release build (trunk) and server"
trunk build --release --locked
cargo build --locked --profile server -p continuity-server
SERVER="$ROOT/target/server/continuity-server"

# The browser tests talk to a real fake server on another port (cross-origin, like OpenAI).
FAKE_PORT=${FAKE_PORT:-18787}
"$SERVER" --provider fake --addr "127.0.0.1:$FAKE_PORT" --dist "$ROOT/dist" --fake-latency-ms 30 2>"$ROOT/target/fake-server.log" &
fake_pid=$!
trap 'kill $fake_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$FAKE_PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

step "browser tests (wasm-bindgen-test in headless Chromium)"
CONTINUITY_FAKE_URL="http://127.0.0.1:$FAKE_PORT" CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=90 \
  cargo test --locked -p continuity --target wasm32-unknown-unknown --test '*'

step "end-to-end tests (Playwright + system Chromium against dist/)"
(cd e2e && SERVER_BIN="$SERVER" DIST_DIR="$ROOT/dist" node --test --test-concurrency=1)

step "all test layers passed in $(( $(date +%s) - started )) s"
