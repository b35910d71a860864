#!/usr/bin/env bash
# In-browser benchmark: the playground's pipeline worker (ours: the TFLite engine on tract, in
# WebAssembly) against LiteRT.js (@litertjs/core, CPU/XNNPACK wasm) on the same model and image,
# in the same headless Chromium run; see BENCHMARKS.md ("Browser → Speed").
#
# Usage: scripts/bench-browser.sh [DIST]     DIST: the built playground (default: dist, from
#                                            `trunk build --release`); only its worker is used.
# Env: RUNS (default 30 timed runs per side and model), MIN_RUNS (10), BUDGET (25: seconds of
#      timed runs per model, after MIN_RUNS), THREADED=0 skips LiteRT.js's threaded build,
#      CHROMIUM (default /usr/bin/chromium), ZOO (default ../shared/zoo; absent: generated model only),
#      LIVE_SECONDS (10: how long live mode is read per model).
#
# Models: with ../shared/zoo, the tutorial's pipeline on the zoo's MobileNetV2 (uint8) and the
# mushroom photo (as tests/tests/tutorial.rs and e2e/zoo.test.mjs build it) and its person
# detection example (uint8, 96×96 grayscale) on its own Runefile and photo; always the generated
# colour classifier of the "colours" example (cargo run -p rune-tests --example e2e_fixtures) on a
# generated 640×480 PNG. Each `.rune` is built with the `rune` CLI; LiteRT.js gets the same
# `.tflite`, image and labels. When DIST is a whole playground (index.html), live mode is then
# measured in it on each model's `.rune` with Chromium's fake camera (bench/run.mjs --app).
# Prints the tables and writes them to target/bench-browser.md.
# Installs bench/node_modules (npm ci, about 50 MB) when missing. A few minutes in all.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIST="${1:-$ROOT/dist}"
[ -d "$DIST" ] && DIST="$(cd "$DIST" && pwd)" # relative to where the script was started
cd "$ROOT"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
ZOO="${ZOO:-$ROOT/../shared/zoo}"
OUT="$ROOT/target/bench-browser.md"
export PATH="$HOME/.cargo/bin:$PATH"

fail() { echo "error: $*" >&2; exit 1; }
log() { printf '\033[1m[bench]\033[0m %s\n' "$*" >&2; }

for file in rune-worker_loader.js rune-worker.js rune-worker_bg.wasm; do
  [ -f "$DIST/$file" ] || fail "$DIST/$file not found; run 'trunk build --release' first (or pass the built dist folder)"
done
command -v node >/dev/null 2>&1 || fail "node not found; run scripts/setup.sh first"
command -v cargo >/dev/null 2>&1 || fail "cargo not found; run scripts/setup.sh first"
[ -x "$CHROMIUM" ] || fail "Chromium not found at $CHROMIUM; run scripts/setup.sh (or set CHROMIUM)"

if [ ! -d bench/node_modules/@litertjs/core ] || [ ! -d bench/node_modules/playwright-core ]; then
  log "npm ci (bench: @litertjs/core, playwright-core)"
  (cd bench && npm ci --no-audit --no-fund --loglevel=error)
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# The page and the worker, copied: the dist folder may be rebuilt while we measure.
cp bench/index.html bench/bench.mjs "$WORK/"
cp "$DIST"/rune-worker*.js "$DIST"/rune-worker*_bg.wasm "$WORK/"
# The whole playground, for live mode (served on a port of its own).
app=()
if [ -f "$DIST/index.html" ]; then
  cp -r "$DIST" "$WORK/app"
  app=(--app "$WORK/app" --live-seconds "${LIVE_SECONDS:-10}")
fi

log "building the rune CLI and the generated fixtures"
cargo build -q --locked -p rune-cli
RUNE="${CARGO_TARGET_DIR:-$ROOT/target}/debug/rune"
FIXTURES="$WORK/fixtures"
cargo run -q --locked -p rune-tests --example e2e_fixtures -- "$FIXTURES"

models=()
# The zoo's MobileNetV2 (uint8) in the tutorial's pipeline: IMAGE 224×224 → model →
# most_confident_indices (3) → label → SERIAL.
if [ -f "$ZOO/image/mobilenet/mobilenet_v2_quant.tflite" ]; then
  dir="$WORK/mobilenet"
  mkdir -p "$dir"
  sed -e 's/192/224/g' -e 's#\./food\.tflite#./mobilenet_v2_quant.tflite#g' -e 's/2024/1001/g' \
    -e 's#\./aiy_food_V1_labelmap\.csv#./label.txt#g' \
    tests/runefiles/compile-pass/tutorial-food.yml > "$dir/Runefile.yml"
  cp "$ZOO/image/mobilenet/mobilenet_v2_quant.tflite" "$ZOO/image/mobilenet/label.txt" "$dir/"
  cp "$ZOO/image/mushroom/mushroom.jpeg" "$dir/"
  "$RUNE" build -q "$dir/Runefile.yml" -o "$dir/mobilenet.rune"
  models+=('{"name": "mobilenet_v2_quant", "title": "zoo `image/mobilenet/mobilenet_v2_quant.tflite` (uint8 MobileNetV2, 224×224)", "rune": "mobilenet/mobilenet.rune", "tflite": "mobilenet/mobilenet_v2_quant.tflite", "labels": "mobilenet/label.txt", "image": "mobilenet/mushroom.jpeg", "imageType": "image/jpeg"}')
else
  echo "SKIPPED: the zoo's MobileNetV2 (../shared/zoo is absent); only the generated colour classifier is measured" >&2
fi
# The zoo's person detection example (uint8 MobileNetV1, 96×96 grayscale) on its photo: IMAGE →
# model → most_confident_indices (1) → label → SERIAL, its own Runefile.
if [ -f "$ZOO/examples/person_detection/model.tflite" ]; then
  dir="$WORK/person_detection"
  mkdir -p "$dir"
  cp "$ZOO/examples/person_detection/Runefile.yml" "$ZOO/examples/person_detection/model.tflite" "$ZOO/examples/person_detection/image.png" "$dir/"
  printf 'unknown\nperson_prob\nnot_person_prob\n' > "$dir/labels.txt" # the Runefile's wordlist
  "$RUNE" build -q "$dir/Runefile.yml" -o "$dir/person_detection.rune"
  models+=('{"name": "person_detection", "title": "zoo `examples/person_detection/model.tflite` (uint8 MobileNetV1 0.25, 96×96 grayscale)", "rune": "person_detection/person_detection.rune", "tflite": "person_detection/model.tflite", "labels": "person_detection/labels.txt", "image": "person_detection/image.png", "imageType": "image/png"}')
fi
# The generated colour classifier (u8[1, 32, 32, 3] → u8[1, 4]) of the "colours" example.
dir="$WORK/colours"
mkdir -p "$dir"
cp "$FIXTURES/colours.rune" "$FIXTURES/colours.tflite" "$dir/"
printf 'background\nred\ngreen\nblue\n' > "$dir/labels.txt" # the example's inline LABELS
node bench/run.mjs make-png "$dir/photo.png"
models+=('{"name": "colours", "title": "generated colour classifier (`colours` example, 32×32 → 4)", "rune": "colours/colours.rune", "tflite": "colours/colours.tflite", "labels": "colours/labels.txt", "image": "colours/photo.png", "imageType": "image/png"}')

(IFS=,; printf '[%s]\n' "${models[*]}") > "$WORK/models.json"

log "measuring in headless Chromium ($CHROMIUM)"
threaded=()
[ "${THREADED:-1}" = 0 ] && threaded=(--no-threaded)
CHROMIUM="$CHROMIUM" node bench/run.mjs --work "$WORK" --out "$OUT" \
  --runs "${RUNS:-30}" --min-runs "${MIN_RUNS:-10}" --budget "${BUDGET:-25}" "${threaded[@]}" "${app[@]}"
