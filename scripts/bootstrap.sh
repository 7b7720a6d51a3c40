#!/usr/bin/env bash
# Installs what the build and the tests need, skipping whatever is already there at the right
# version. Sourced by run.sh, test.sh and bench.sh (it exports PATH).
# Usage: source scripts/bootstrap.sh [--browser] [--redis]
# Nothing is downloaded from GitHub: tools come from crates.io, npm and Debian only.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$ROOT/e2e/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true
TRUNK_VERSION=0.21.14

BOOT_STARTED=${BOOT_STARTED:-$(date +%s)}
# Each step prints the minutes and seconds since the script began, so a slow CI run says where.
step() { local t=$(( $(date +%s) - BOOT_STARTED )); printf '\n== [%d:%02d] %s\n' $((t / 60)) $((t % 60)) "$*" >&2; }

need_browser=0
need_redis=0
for arg in "$@"; do
  [ "$arg" = "--browser" ] && need_browser=1
  [ "$arg" = "--redis" ] && need_redis=1
done

command -v cargo >/dev/null || { echo "Rust (cargo) is required: https://rustup.rs" >&2; exit 1; }
command -v npm >/dev/null || { echo "Node.js 20+ with npm is required." >&2; exit 1; }

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# trunk 0.22 needs rustc >= 1.96.1; 0.21.14 builds on 1.95.
if ! trunk --version 2>/dev/null | grep -qx "trunk $TRUNK_VERSION"; then
  step "cargo install trunk $TRUNK_VERSION (about 7-10 minutes, once)"
  cargo install --locked trunk --version "$TRUNK_VERSION"
fi

# wasm-bindgen-cli must equal the wasm-bindgen in Cargo.lock, or trunk tries GitHub.
# Installed without --locked: its lockfile names a webpki-roots the index lacks.
WBG=$(grep -A1 '^name = "wasm-bindgen"$' "$ROOT/Cargo.lock" | sed -n 's/^version = "\(.*\)"/\1/p')
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $WBG"; then
  step "cargo install wasm-bindgen-cli $WBG (about 2-3 minutes, once)"
  cargo install wasm-bindgen-cli --version "$WBG"
fi

# wasm-split-cli cuts the lazily loaded parts out of the app's wasm (scripts/split.mjs). It is
# the `wasm_split_cli_support` package — not the registry package named `wasm-split-cli`, which
# is another tool. Its version is coupled to leptos' wasm_split_helpers and to wasm-bindgen:
# re-test the lazy parts in a browser after bumping any of the three.
WASM_SPLIT_VERSION=0.2.4
if ! [ -f "${CARGO_HOME:-$HOME/.cargo}/.wasm-split-cli-$WASM_SPLIT_VERSION" ] || ! command -v wasm-split-cli >/dev/null; then
  step "cargo install wasm_split_cli_support $WASM_SPLIT_VERSION (about 2-3 minutes, once)"
  cargo install wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --features build-binary --locked
  touch "${CARGO_HOME:-$HOME/.cargo}/.wasm-split-cli-$WASM_SPLIT_VERSION"
fi

# npm: binaryen 132 (the wasm-opt trunk uses) and playwright-core (no browser download).
if ! [ -x "$ROOT/e2e/node_modules/.bin/wasm-opt" ] || ! [ -d "$ROOT/e2e/node_modules/playwright-core" ] || ! [ -d "$ROOT/e2e/node_modules/axe-core" ] \
   || [ "$ROOT/e2e/package-lock.json" -nt "$ROOT/e2e/node_modules/.package-lock.json" ]; then
  step "npm ci (binaryen, playwright-core)"
  (cd "$ROOT/e2e" && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ "$need_browser" = 1 ] && ! { command -v chromium >/dev/null && command -v chromedriver >/dev/null; }; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    step "apt-get install chromium chromium-driver"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "The browser tests need Chromium and ChromeDriver at /usr/bin/chromium and /usr/bin/chromedriver." >&2
    echo "Install them as root (Debian/Ubuntu: apt-get install chromium chromium-driver) and run again." >&2
    exit 1
  fi
fi

# poppler-utils: the export e2e test opens the storyboard PDF with pdfinfo, an independent reader.
if [ "$need_browser" = 1 ] && ! command -v pdfinfo >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    step "apt-get install poppler-utils"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null
  else
    echo "note: pdfinfo is not installed (Debian/Ubuntu: apt-get install poppler-utils as root);" >&2
    echo "      the export test's PDF check will fail without it." >&2
  fi
fi

# Redis: the shared-counter tests and the proxy benchmark start their own on a free port.
if [ "$need_redis" = 1 ] && ! command -v redis-server >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    step "apt-get install redis-server"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
    # The package's own service is not needed (and may not run without systemd).
    service redis-server stop >/dev/null 2>&1 || true
  else
    echo "note: redis-server is not installed (Debian/Ubuntu: apt-get install redis-server as root);" >&2
    echo "      the tests of limits shared through Redis will be skipped." >&2
  fi
fi

# Starts redis-server on a free loopback port for this script's lifetime; sets REDIS_URL and
# REDIS_PID. Returns 1 if it cannot.
start_redis() {
  command -v redis-server >/dev/null || return 1
  mkdir -p "$ROOT/target"
  local port
  for _ in 1 2 3 4 5; do
    port=$(( 20000 + RANDOM % 20000 ))
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
      >"$ROOT/target/redis-$port.log" 2>&1 &
    REDIS_PID=$!
    for _ in $(seq 1 50); do
      if redis-cli -p "$port" ping >/dev/null 2>&1; then
        REDIS_URL="redis://127.0.0.1:$port/"
        return 0
      fi
      kill -0 "$REDIS_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill "$REDIS_PID" 2>/dev/null || true
  done
  return 1
}

# trunk builds with --offline (Trunk.toml), so fetch crates first (a no-op when cached).
cargo fetch --locked --manifest-path "$ROOT/Cargo.toml" >/dev/null 2>&1 || cargo fetch --locked --manifest-path "$ROOT/Cargo.toml"
