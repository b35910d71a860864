#!/usr/bin/env bash
# Installs whatever is missing (scripts/setup.sh), builds the playground and serves it on
# http://127.0.0.1:8089/ (PORT=... to change; ADDRESS=0.0.0.0 to reach it from a phone).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$ROOT/e2e/node_modules/.bin:$PATH"
exec trunk serve --release --locked --address "${ADDRESS:-127.0.0.1}" --port "${PORT:-8089}"
