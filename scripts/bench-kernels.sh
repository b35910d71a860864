#!/usr/bin/env bash
# Times the engine's wasm SIMD kernels in headless Chromium (the tests marked #[ignore] that print
# timings: qgemm's `pointwise_speed` and `gathered_speed`, qdepthwise's `depthwise_speed`, qint's
# `binary_speed` and `requant_speed`, the importer tests' `speech_speed`), built as the shipped SIMD worker is
# (profile release-worker: opt-level 3, fat LTO, one codegen unit; +simd128; vectorisation differs
# from `--release`), each against a reference measured in the same run. A development tool: a minute or two once built, not part of CI.
# Usage: scripts/bench-kernels.sh [test name filter, default: _speed]
set -euo pipefail
cd "$(dirname "$0")/.."
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export WASM_BINDGEN_USE_BROWSER=1
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
RUSTFLAGS="-C target-feature=+simd128" CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/simd128" \
  cargo test --profile release-worker -p rune-runtime --features tract --target wasm32-unknown-unknown --lib --locked \
  -- --include-ignored --nocapture "${1:-_speed}" 2>&1 | grep -E '^\||^test |panicked|error'
