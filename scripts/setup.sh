#!/usr/bin/env bash
# Installs whatever is missing on a fresh Debian machine to build, serve and test Rune Playground.
# Idempotent: tools already present at the pinned version are skipped.
# Pinned versions and why: see ../shared/design/toolchain.md and ARCHITECTURE.md ("Toolchain").
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TRUNK_VERSION=0.21.14          # 0.22.x needs rustc >= 1.96.1
WASM_BINDGEN_VERSION=0.2.130   # must equal wasm-bindgen in Cargo.lock
WASM_PACK_VERSION=0.15.1
export PATH="$HOME/.cargo/bin:$ROOT/e2e/node_modules/.bin:$PATH"

log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -q "$2"; }
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3 python3-venv)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs npm)
command -v cc >/dev/null 2>&1 || need_apt+=(build-essential)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "error: cargo not found; install Rust with rustup first" >&2; exit 1
fi
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt

have trunk "$TRUNK_VERSION" || { log "cargo install trunk $TRUNK_VERSION"; cargo install --locked trunk --version "$TRUNK_VERSION"; }
# Not --locked: its lock file pins webpki-roots 1.0.11, which the reachable registry lacks.
have wasm-bindgen "$WASM_BINDGEN_VERSION" || { log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION"; cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"; }
have wasm-pack "$WASM_PACK_VERSION" || { log "cargo install wasm-pack $WASM_PACK_VERSION"; cargo install --locked wasm-pack --version "$WASM_PACK_VERSION"; }

# npm: binaryen (wasm-opt 132; Debian's 108 miscompiles) and playwright-core (drives Debian chromium).
if [ ! -x "$ROOT/e2e/node_modules/.bin/wasm-opt" ] || [ ! -d "$ROOT/e2e/node_modules/playwright-core" ]; then
  log "npm ci (e2e)"
  (cd "$ROOT/e2e" && npm ci --no-audit --no-fund --loglevel=error)
fi
# npm: CodeMirror 6 and esbuild for the editor (app/editor/package-lock.json); Trunk's pre_build
# hook (scripts/build-editor.sh) bundles them into app/editor/dist/rune-editor.js.
if [ ! -x "$ROOT/app/editor/node_modules/.bin/esbuild" ]; then
  log "npm ci (app/editor)"
  (cd "$ROOT/app/editor" && npm ci --no-audit --no-fund --loglevel=error)
fi
# The reference TFLite interpreter (PyPI ai-edge-litert) for the differential tests, in a venv.
VENV="$ROOT/.venv-reference"
if ! "$VENV/bin/python" -c "import ai_edge_litert, numpy" >/dev/null 2>&1; then
  log "python venv with ai-edge-litert (reference interpreter)"
  python3 -m venv "$VENV" 2>/dev/null || { $SUDO apt-get install -y -qq python3-venv >/dev/null && python3 -m venv "$VENV"; }
  "$VENV/bin/pip" install -q --disable-pip-version-check "ai-edge-litert==2.3.0" "numpy<3"
fi
(cd "$ROOT" && cargo fetch --locked >/dev/null 2>&1 || cargo fetch)
log "toolchain ready: $(trunk --version), $(wasm-bindgen --version), wasm-opt $(wasm-opt --version | head -1)"
