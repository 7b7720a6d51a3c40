#!/usr/bin/env bash
# Builds the app in release mode and serves it on http://127.0.0.1:8080 with continuity-server.
# Without OPENAI_API_KEY the server answers image requests with its built-in fake provider;
# with OPENAI_API_KEY set it forwards them to api.openai.com. Extra arguments go to the server
# (e.g. --addr 0.0.0.0:8080, --fake-latency-ms 2000; see `continuity-server --help`).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/bootstrap.sh
printf '\n== trunk build --release\n' >&2
trunk build --release --locked
printf '\n== cargo build --profile server -p continuity-server\n' >&2
cargo build --locked --profile server -p continuity-server
exec target/server/continuity-server --dist dist "$@"
