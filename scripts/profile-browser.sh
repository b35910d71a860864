#!/usr/bin/env bash
# Where the pipeline worker spends its time in the browser: the built playground's SIMD worker,
# rebuilt from the same compiled wasm with its function names kept, profiled in headless Chromium
# (DevTools sampling profiler) while live mode runs a model on Chromium's fake camera; see
# BENCHMARKS.md ("Profiling the worker").
#
# Usage: scripts/profile-browser.sh [RUNE]   RUNE: the `.rune` to run (default: the tutorial's
#                                            pipeline on the zoo's MobileNetV2; without
#                                            ../shared/zoo, the generated "colours" example).
# Needs `trunk build --release` first (dist/ and the SIMD worker's wasm in target/simd128).
# Env: SECONDS_PROFILED (10), TOP (25 functions), CHROMIUM, ZOO (default ../shared/zoo).
# Prints the table and writes it to target/profile-browser.md. About a minute.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNE="${1:-}"
[ -n "$RUNE" ] && RUNE="$(cd "$(dirname "$RUNE")" && pwd)/$(basename "$RUNE")"
cd "$ROOT"
ZOO="${ZOO:-$ROOT/../shared/zoo}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
WASM="$TARGET/simd128/wasm32-unknown-unknown/release-worker/rune-worker.wasm"
export PATH="$HOME/.cargo/bin:$ROOT/e2e/node_modules/.bin:$PATH"

fail() { echo "error: $*" >&2; exit 1; }
log() { printf '\033[1m[profile]\033[0m %s\n' "$*" >&2; }

[ -f dist/index.html ] && [ -f "$WASM" ] || fail "dist/ or $WASM not found; run 'trunk build --release' first"
command -v wasm-opt >/dev/null 2>&1 || fail "wasm-opt not found; run scripts/setup.sh first"
if [ ! -d bench/node_modules/playwright-core ]; then
  log "npm ci (bench)"
  (cd bench && npm ci --no-audit --no-fund --loglevel=error)
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cp -r dist "$WORK/app"
# The SIMD worker as scripts/simd-worker.sh makes it, but with the name section kept
# (wasm-bindgen --keep-debug, wasm-opt -g): the same code, readable names in the profile.
log "SIMD worker with function names"
wasm-bindgen --keep-debug --target no-modules --no-typescript --out-dir "$WORK/app" --out-name rune-worker-simd "$WASM"
wasm-opt -O3 -g --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$WORK/app/rune-worker-simd_bg.wasm" -o "$WORK/app/rune-worker-simd_bg.wasm"
size=$(stat -c %s "$WORK/app/rune-worker-simd_bg.wasm")
sed -e "s|__SCRIPT__|rune-worker-simd.js|g" -e "s|__WASM__|rune-worker-simd_bg.wasm|g" -e "s|__SIZE__|$size|g" \
  app/worker-loader.js > "$WORK/app/rune-worker-simd_loader.js"

if [ -z "$RUNE" ]; then
  log "building the rune CLI"
  cargo build -q --locked -p rune-cli
  if [ -f "$ZOO/image/mobilenet/mobilenet_v2_quant.tflite" ]; then
    # The tutorial's pipeline on the zoo's MobileNetV2, as scripts/bench-browser.sh builds it.
    dir="$WORK/mobilenet"
    mkdir -p "$dir"
    sed -e 's/192/224/g' -e 's#\./food\.tflite#./mobilenet_v2_quant.tflite#g' -e 's/2024/1001/g' \
      -e 's#\./aiy_food_V1_labelmap\.csv#./label.txt#g' \
      tests/runefiles/compile-pass/tutorial-food.yml > "$dir/Runefile.yml"
    cp "$ZOO/image/mobilenet/mobilenet_v2_quant.tflite" "$ZOO/image/mobilenet/label.txt" "$dir/"
    "$TARGET/debug/rune" build -q "$dir/Runefile.yml" -o "$dir/model.rune"
    RUNE="$dir/model.rune"
  else
    echo "SKIPPED: the zoo's MobileNetV2 (../shared/zoo is absent); profiling the generated colour classifier" >&2
    cargo run -q --locked -p rune-tests --example e2e_fixtures -- "$WORK/fixtures"
    RUNE="$WORK/fixtures/colours.rune"
  fi
fi

log "profiling $(basename "$RUNE") in headless Chromium"
node bench/profile.mjs --app "$WORK/app" --rune "$RUNE" --out "$TARGET/profile-browser.md" \
  --seconds "${SECONDS_PROFILED:-10}" --top "${TOP:-25}"
