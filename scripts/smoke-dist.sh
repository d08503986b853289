#!/usr/bin/env bash
# Starts the compiled service (what the image runs) on the embedded default in a temporary data
# directory and waits for discovery, then stops it with SIGTERM and expects a clean exit.
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
DATA_DIR="$data" PORT="$port" ADMIN_PORT="$((port + 1))" HOST=127.0.0.1 LOG_LEVEL=warn node dist/src/main.js >"$data/out.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 30); do
  if curl -sf "http://127.0.0.1:$port/.well-known/openid-configuration" >/dev/null; then
    kill -TERM "$pid"
    wait "$pid"
    echo "dist smoke test: discovery served, clean exit"
    exit 0
  fi
  sleep 1
done
cat "$data/out.log" >&2
echo "dist smoke test: discovery did not answer within 30 s" >&2
exit 1
