#!/usr/bin/env bash
# Trunk post_build hook (Trunk.toml): adds the SIMD variant of the pipeline worker to the build.
#
# Trunk builds the page and the plain worker (`rune-worker*`, WebAssembly MVP + the features every
# browser has). tract-linalg only uses its wasm kernels when compiled with `+simd128`, which the
# whole crate graph must be built with, so this hook builds the worker a second time with it, in
# its own target folder, and writes `rune-worker-simd.js`, `rune-worker-simd_bg.wasm` and
# `rune-worker-simd_loader.js` next to the others (and both workers' loaders). The page picks the
# SIMD worker when `WebAssembly.validate` accepts a SIMD probe (app/src/runner.rs), else the plain
# one.
#
# Release builds only: `trunk serve` / plain `trunk build` get a SIMD loader that loads the plain
# worker, so development stays one build.
# Env (from Trunk): TRUNK_STAGING_DIR, TRUNK_PROFILE; tools from PATH (scripts/setup.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${TRUNK_STAGING_DIR:?run by trunk (Trunk.toml [[hooks]])}"

# Both workers start through app/worker-loader.js (download progress for the page, a message when
# the engine cannot be loaded), in place of Trunk's loader shim: $1 loader, $2 script, $3 wasm.
write_loader() {
  local size
  size=$(stat -c %s "$OUT/$3")
  sed -e "s|__SCRIPT__|$2|g" -e "s|__WASM__|$3|g" -e "s|__SIZE__|$size|g" "$ROOT/app/worker-loader.js" > "$OUT/$1"
}
write_loader rune-worker_loader.js rune-worker.js rune-worker_bg.wasm

if [ "${TRUNK_PROFILE:-debug}" != "release" ]; then
  # Development build: no SIMD variant; its loader loads the plain worker.
  write_loader rune-worker-simd_loader.js rune-worker.js rune-worker_bg.wasm
  exit 0
fi

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/simd128"
echo "[simd-worker] cargo build (release-worker, +simd128) into $TARGET_DIR"
(cd "$ROOT" && RUSTFLAGS="-C target-feature=+simd128" CARGO_TARGET_DIR="$TARGET_DIR" \
  cargo build --locked --offline --profile release-worker --target wasm32-unknown-unknown \
  -p rune-app --bin rune-worker --features worker)
WASM="$TARGET_DIR/wasm32-unknown-unknown/release-worker/rune-worker.wasm"
wasm-bindgen --target no-modules --no-typescript --out-dir "$OUT" --out-name rune-worker-simd "$WASM"
wasm-opt -O3 --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$OUT/rune-worker-simd_bg.wasm" -o "$OUT/rune-worker-simd_bg.wasm"
write_loader rune-worker-simd_loader.js rune-worker-simd.js rune-worker-simd_bg.wasm
echo "[simd-worker] $(stat -c %s "$OUT/rune-worker-simd_bg.wasm") bytes"
