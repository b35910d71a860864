#!/usr/bin/env bash
# Installs whatever is missing (scripts/setup.sh), builds the playground and serves it on
# http://127.0.0.1:8089/ (PORT=... to change; ADDRESS=0.0.0.0 to reach it from a phone).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$ROOT/e2e/node_modules/.bin:$PATH"
# Trunk canonicalises its watch-ignore paths at start and exits when one is missing: the editor's
# bundle folder (Trunk.toml [watch]) only appears with the first build's pre_build hook, so a
# fresh clone has none yet.
mkdir -p app/editor/dist
exec trunk serve --release --locked --address "${ADDRESS:-127.0.0.1}" --port "${PORT:-8089}"
