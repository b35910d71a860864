#!/usr/bin/env bash
# Serves the built app (dist/, from `trunk build --release`) on 127.0.0.1:8099 and runs the
# Playwright end-to-end tests against it. Exits with node's status.
# Generates the upload fixtures first (`cargo run -p rune-tests --example e2e_fixtures`).
# Env: PORT (default 8099), CHROMIUM (default /usr/bin/chromium).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${PORT:-8099}"
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

python3 -m http.server "$PORT" --bind 127.0.0.1 --directory dist >/dev/null 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$FIXTURES"' EXIT

for _ in $(seq 100); do
  if python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$PORT/', timeout=1)" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$SERVER" 2>/dev/null; then
    echo "error: the web server exited (is port $PORT in use?)" >&2
    exit 1
  fi
  sleep 0.1
done

status=0
FIXTURES="$FIXTURES" BASE_URL="http://127.0.0.1:$PORT/" node --test --test-reporter=spec e2e/app.test.mjs || status=$?
exit "$status"
