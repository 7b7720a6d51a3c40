#!/usr/bin/env bash
# Benchmarks (print figures; they are not tests): the first load (e2e/bench-load.mjs: sizes raw,
# gzip and brotli; cold and second-visit load times in Chromium, unthrottled and with a mobile
# profile), then the batch scheduler against the fake natively (continuity-bench, bench/), then
# the real app in Chromium (e2e/bench.mjs), the data layer in the browser (e2e/bench-data.mjs:
# bytes and time per keystroke, long tasks, reload to thumbnails, memory), then forward mode's
# added latency and throughput (with and without the recoverable-job store, and the store's
# memory and disk per 1,000 jobs), the latency of a budget's reservation in Redis, the idle
# connections held while /healthz stays fast, and memory under a 30 × 50 MB upload flood
# (server/examples/proxy_bench/).
# Usage: ./scripts/bench.sh [latency_ms] [runs]   everything
#        ./scripts/bench.sh load [runs]            only the first-load figures (default 7 runs)
#        ./scripts/bench.sh proxy                  only the proxy figures
#        ./scripts/bench.sh jobs                   only the job store's figures (added latency,
#                                                  memory and disk per 1,000 jobs)
#        ./scripts/bench.sh data                   only the data-layer figures
#        ./scripts/bench.sh export                 only the export/import figures
#        ./scripts/bench.sh worker                 only the pixel worker's figures
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Forward mode against a minimal upstream stub: direct, through the proxy with a token and all
# its limits (counters in memory, then in a Redis started here on a free port), the 401 path,
# a budgeted token against one without a budget in Redis (the reservation's cost), each proxy
# again with a fresh X-Continuity-Job per request and the job store's footprint; then idle
# connections held while /healthz is timed, and the resident memory under an upload flood.
# PROXY_BIN=path compares another build (e.g. one of main) with the same load generator.
proxy_bench() {
  local only=("$@")
  printf '\n== Forward mode: latency the proxy adds and its throughput (2 cores shared by load generator, stub, proxy and Redis)\n'
  cargo build --locked --profile server -p continuity-server --bin continuity-server --example proxy_bench
  local redis_args=()
  if start_redis; then
    trap 'kill $REDIS_PID 2>/dev/null || true' EXIT
    redis_args=(--redis-url "$REDIS_URL")
  else
    echo "(redis-server unavailable: counters in memory only)"
  fi
  target/server/examples/proxy_bench --proxy-bin "${PROXY_BIN:-target/server/continuity-server}" \
    --log-dir "$ROOT/target" "${redis_args[@]}" "${only[@]}"
}

# The data layer in Chromium: a 12×1 and a 48×4 series, 40 characters typed key by key.
data_bench() {
  (cd e2e && SERVER_BIN="$ROOT/target/server/continuity-server" DIST_DIR="$ROOT/dist" node bench-data.mjs)
}

# The first load: sizes, then cold and second-visit timings (7 runs unless given).
load_bench() {
  printf '\n'
  (cd e2e && SERVER_BIN="$ROOT/target/server/continuity-server" DIST_DIR="$ROOT/dist" node bench-load.mjs "${1:-7}")
}

# Exports and import in Chromium: a 12-frame storyboard of 1536×1024 images.
export_bench() {
  (cd e2e && SERVER_BIN="$ROOT/target/server/continuity-server" DIST_DIR="$ROOT/dist" node bench-export.mjs)
}

# The pixel worker in Chromium on 1536×1024 images: leak + heat map, composite, consistency
# score and thumbnail, request → answer, and the longest main-thread task meanwhile.
worker_bench() {
  (cd e2e && SERVER_BIN="$ROOT/target/server/continuity-server" DIST_DIR="$ROOT/dist" node bench-worker.mjs)
}

# One browser benchmark alone: the tools, the release app and the server, then `$@`.
browser_only() {
  source scripts/bootstrap.sh --browser
  trunk build --release --locked >/dev/null
  cargo build --locked --profile server -p continuity-server
  "$@"
  exit 0
}

[ "${1:-}" = load ] && browser_only load_bench "${2:-7}"

[ "${1:-}" = export ] && browser_only export_bench

[ "${1:-}" = worker ] && browser_only worker_bench

[ "${1:-}" = data ] && browser_only data_bench

if [ "${1:-}" = jobs ]; then
  source scripts/bootstrap.sh --redis
  proxy_bench --jobs-only
  exit 0
fi

if [ "${1:-}" = proxy ]; then
  source scripts/bootstrap.sh --redis
  proxy_bench
  exit 0
fi

LATENCY_MS="${1:-1000}"
RUNS="${2:-3}"
source scripts/bootstrap.sh --browser --redis
trunk build --release --locked >/dev/null
cargo build --locked --profile server -p continuity-server -p continuity-bench
for f in dist/*_bg.wasm dist/*.js; do
  printf '%-48s %9d bytes raw %9d bytes gzip\n' "$(basename "$f")" "$(stat -c%s "$f")" "$(gzip -9 -c "$f" | wc -c)"
done
load_bench

printf '\n== Scheduler against the fake, native (HTTP/1.1 on loopback, a connection per request)\n'
# The in-process fake logs one line per request on stderr: keep it out of the figures, and
# show its tail only if the benchmark fails.
BENCH_LOG="$ROOT/target/bench-fake.log"
if ! target/server/continuity-bench --latency-ms "$LATENCY_MS" --runs "$RUNS" 2>"$BENCH_LOG"; then
  echo "continuity-bench failed; the end of its stderr ($BENCH_LOG):" >&2
  tail -n 20 "$BENCH_LOG" >&2
  exit 1
fi

printf '\n== The real app in the browser (HTTP/1.1: at most 6 connections per host)\n'
(cd e2e && SERVER_BIN="$ROOT/target/server/continuity-server" DIST_DIR="$ROOT/dist" node bench.mjs "$LATENCY_MS" "$RUNS")

data_bench
export_bench
worker_bench
proxy_bench
