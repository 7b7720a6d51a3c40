#!/usr/bin/env bash
# Builds the app in release mode and serves it on http://127.0.0.1:8080 with continuity-server.
# Without OPENAI_API_KEY the server answers image requests with its built-in fake provider;
# with OPENAI_API_KEY set it forwards them to api.openai.com, and image requests need an access
# token: the first run creates one for this machine's app (kept in .continuity/, readable by
# you only) and prints it once, to paste into Settings → This server → Access token. Extra
# arguments go to the server (e.g. --addr 0.0.0.0:8080, --fake-latency-ms 2000; see
# `continuity-server --help`); with --tokens of your own, no local token is made.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/bootstrap.sh
printf '\n== trunk build --release\n' >&2
trunk build --release --locked
printf '\n== cargo build --profile server -p continuity-server\n' >&2
cargo build --locked --profile server -p continuity-server
SERVER=target/server/continuity-server

extra=()
own_tokens=no
for arg in "$@"; do
  case "$arg" in --tokens|--tokens=*|--provider|--provider=*) own_tokens=yes ;; esac
done
key="${OPENAI_API_KEY:-}"
if [ -n "${key// /}" ] && [ "$own_tokens" = no ]; then
  # Forward mode needs a token on every request. The app cannot be handed one automatically
  # without handing it to anyone who can load the page (see README, "Running the proxy"), so
  # this machine's token is made once and shown once.
  STATE="$ROOT/.continuity"
  (umask 077 && mkdir -p "$STATE")
  TOKENS="$STATE/tokens.json"
  if ! "$SERVER" token list --tokens "$TOKENS" 2>/dev/null | grep -qE '^local-app +[0-9a-f]+ +[^ ]+ +live'; then
    token=$("$SERVER" token create --name local-app --tokens "$TOKENS" 2>/dev/null)
    printf '\n== This server needs an access token. Paste this one into the app once\n' >&2
    printf '   (Settings → This server → Access token, "Remember on this device" to keep it):\n\n' >&2
    printf '   %s\n\n' "$token" >&2
    printf '   It is shown only now; to make a new one: %s token revoke local-app --tokens %s\n\n' \
      "$SERVER" "$TOKENS" >&2
  fi
  extra=(--tokens "$TOKENS")
fi
exec "$SERVER" --dist dist "${extra[@]}" "$@"
