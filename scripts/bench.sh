#!/usr/bin/env bash
# Benchmarks (print figures; they are not tests): the batch scheduler against the fake, and the
# release bundle size. Usage: ./scripts/bench.sh [latency_ms] [runs]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/bootstrap.sh --browser
trunk build --release --locked >/dev/null
cargo build --locked --profile server -p continuity-server
for f in dist/*_bg.wasm dist/*.js; do
  printf '%-48s %9d bytes raw %9d bytes gzip\n' "$(basename "$f")" "$(stat -c%s "$f")" "$(gzip -9 -c "$f" | wc -c)"
done
(cd e2e && SERVER_BIN="$ROOT/target/server/continuity-server" DIST_DIR="$ROOT/dist" node bench.mjs "${1:-1000}" "${2:-3}")
