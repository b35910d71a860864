#!/usr/bin/env bash
# Installs whatever is missing (scripts/setup.sh), then runs every test:
#   formatting, clippy (native and wasm32), the browser-free invariant of compiler/runtime,
#   native tests (unit, fixtures, conformance, zoo, CLI), bounded fuzzing, the release build of
#   the playground, wasm-bindgen tests in headless Chromium, the engine's wasm SIMD kernels in
#   Node, and the Playwright end-to-end suite.
# Usage: scripts/test.sh            (FUZZ_SECONDS=N to change the fuzzing time per target; 0 skips)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$ROOT/e2e/node_modules/.bin:$PATH"
export CHROMEDRIVER=/usr/bin/chromedriver
export CARGO_TERM_COLOR=never
# One-shot builds: incremental caches only cost disk and time here.
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
# The differential tests compare our engine with this reference interpreter (see setup.sh).
export RUNE_REFERENCE_PYTHON="$ROOT/.venv-reference/bin/python"
FUZZ_SECONDS=${FUZZ_SECONDS:-30}

STEP_TIMES=()
step() {
  local name="$1"; shift
  local start=$SECONDS status=0
  printf '\n\033[1m=== %s\033[0m\n' "$name"
  "$@" || status=$?
  STEP_TIMES+=("$(printf '%5ss  %s' $((SECONDS - start)) "$name")")
  if [ "$status" -ne 0 ]; then
    # Said last, on both streams, so that the end of any CI log names the failing step.
    printf '\n=== timings\n'; printf '%s\n' "${STEP_TIMES[@]}"
    # (Not `tee /dev/stderr`: reopening a log file that both streams go to truncates it.)
    local line
    line=$(printf 'FAILED: step "%s" exited with %s after %ss (disk: %s free)' "$name" "$status" \
      $((SECONDS - start)) "$(df -h . | awk 'NR==2 {print $4}')")
    echo "$line"
    echo "$line" >&2
    exit "$status"
  fi
}

no_browser_deps() {
  for crate in rune-compiler rune-runtime; do
    for target in x86_64-unknown-linux-gnu wasm32-unknown-unknown; do
      if cargo tree -p "$crate" --target "$target" -e normal --prefix none | grep -Eq '^(web-sys|js-sys|wasm-bindgen|leptos) '; then
        echo "error: $crate depends on a browser crate for $target:" >&2
        cargo tree -p "$crate" --target "$target" -e normal -i web-sys >&2 || true
        return 1
      fi
    done
  done
  echo "compiler and runtime have no browser dependencies"
}

step "cargo fmt --check" cargo fmt --all -- --check
step "clippy (native)" cargo clippy --workspace --exclude rune-app --all-targets --locked -- -D warnings
step "clippy (wasm32: compiler, runtime, app)" cargo clippy -p rune-compiler -p rune-runtime -p rune-app --target wasm32-unknown-unknown --all-targets --locked -- -D warnings
step "clippy (wasm32: the app's worker, with the tract engine)" cargo clippy -p rune-app --target wasm32-unknown-unknown --features worker --bins --locked -- -D warnings
# The engine's wasm SIMD code (qgemm's `lanes`, behind cfg(target_feature = "simd128")) compiles
# only with +simd128; its own target dir, as scripts/simd-worker.sh uses.
RUSTFLAGS="-C target-feature=+simd128" CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/simd128" \
  step "clippy (wasm32 +simd128: the runtime's SIMD kernels)" cargo clippy -p rune-runtime --features tract --target wasm32-unknown-unknown --locked -- -D warnings
step "no browser dependencies in compiler/runtime" no_browser_deps
step "native tests (all crates; app: its pure logic)" cargo test --workspace --locked -- --show-output
if [ "$FUZZ_SECONDS" -gt 0 ]; then
  step "fuzzing (${FUZZ_SECONDS}s per target)" bash scripts/fuzz.sh "$FUZZ_SECONDS"
fi
step "playground release build (trunk)" trunk build --release --locked
step "bundle size (first load under 2.5 MiB gzip)" bash scripts/bundle-size.sh dist
step "wasm-bindgen tests (headless Chromium)" bash -c 'cd app && wasm-pack test --headless --chrome --mode no-install'
# The engine's SIMD kernels as the SIMD worker runs them: the runtime's wasm-bindgen tests
# (qgemm against TFLite's arithmetic) built with +simd128, run in Node.
RUSTFLAGS="-C target-feature=+simd128" CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/simd128" \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  step "wasm SIMD kernel tests (+simd128, Node)" cargo test -p rune-runtime --features tract --target wasm32-unknown-unknown --lib --locked
step "end-to-end (Playwright + Chromium)" bash scripts/e2e.sh

printf '\n\033[1m=== timings\033[0m\n'
printf '%s\n' "${STEP_TIMES[@]}"
echo "all tests passed"
