#!/usr/bin/env bash
# Serves the built app (dist/, from `trunk build --release`) on 127.0.0.1:8099 and runs the
# Playwright end-to-end tests against it. Exits with node's status.
# Generates the upload fixtures first (`cargo run -p rune-tests --example e2e_fixtures`), and also
# runs `rune serve` on one of them (on SERVE_PORT) for the tests of served Runes.
# Env: PORT (default 8099), SERVE_PORT (default 8098), CHROMIUM (default /usr/bin/chromium).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${PORT:-8099}"
SERVE_PORT="${SERVE_PORT:-8098}"
cd "$ROOT"
if [ ! -f dist/index.html ]; then
  echo "error: dist/index.html not found; run 'trunk build --release' first" >&2
  exit 1
fi
if [ ! -d e2e/node_modules/playwright-core ]; then
  echo "error: e2e/node_modules missing; run '(cd e2e && npm ci)' first" >&2
  exit 1
fi

# Files the tests upload (generated models), in a temporary folder.
FIXTURES="$(mktemp -d)"
cargo run -q -p rune-tests --example e2e_fixtures -- "$FIXTURES"

# The `rune` CLI, for `rune inspect` on downloads and `rune serve`.
cargo build -q -p rune-cli --locked
RUNE_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/rune"

python3 -m http.server "$PORT" --bind 127.0.0.1 --directory dist >/dev/null 2>&1 &
SERVER=$!
"$RUNE_BIN" serve "$FIXTURES/colours.rune" --dist dist --address 127.0.0.1 --port "$SERVE_PORT" --no-qr >/dev/null &
RUNE_SERVER=$!
trap 'kill "$SERVER" "$RUNE_SERVER" 2>/dev/null || true; rm -rf "$FIXTURES"' EXIT

wait_for() { # URL PID
  for _ in $(seq 100); do
    if python3 -c "import urllib.request,sys; urllib.request.urlopen('$1', timeout=1)" 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$2" 2>/dev/null; then
      echo "error: the web server for $1 exited (is its port in use?)" >&2
      exit 1
    fi
    sleep 0.1
  done
}
wait_for "http://127.0.0.1:$PORT/" "$SERVER"
wait_for "http://127.0.0.1:$SERVE_PORT/" "$RUNE_SERVER"

status=0
FIXTURES="$FIXTURES" BASE_URL="http://127.0.0.1:$PORT/" SERVE_URL="http://127.0.0.1:$SERVE_PORT/" RUNE_BIN="$RUNE_BIN" \
  node --test --test-reporter=spec --test-concurrency=1 e2e/app.test.mjs e2e/rune.test.mjs e2e/zoo.test.mjs || status=$?
exit "$status"
