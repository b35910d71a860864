#!/usr/bin/env bash
# Bundles the CodeMirror editor (app/editor/editor.js + its npm dependencies) into
# app/editor/dist/rune-editor.js, which app/index.html loads before the wasm. Trunk runs it as a
# pre_build hook (Trunk.toml). Installs the pinned packages (npm ci) when node_modules is missing
# or older than package-lock.json, and runs esbuild only when the bundle is older than its sources.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/app/editor"
OUT="$DIR/dist/rune-editor.js"
cd "$DIR"

if [ ! -x node_modules/.bin/esbuild ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "error: npm not found (needed once to install the editor's packages); run scripts/setup.sh" >&2
    exit 1
  fi
  echo "[build-editor] npm ci (app/editor)" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

stale=0
if [ ! -f "$OUT" ]; then
  stale=1
else
  for source in editor.js package.json package-lock.json; do
    [ "$source" -nt "$OUT" ] && stale=1
  done
fi
if [ "$stale" -eq 1 ]; then
  echo "[build-editor] esbuild -> app/editor/dist/rune-editor.js" >&2
  mkdir -p dist
  # Minified into a temporary file first, so an interrupted build never leaves half a bundle.
  node_modules/.bin/esbuild editor.js --bundle --minify --format=iife --target=es2020 \
    --legal-comments=none --log-level=warning --outfile=dist/rune-editor.tmp.js
  mv dist/rune-editor.tmp.js "$OUT"
fi
