#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 45 s each), seeded from the project's own
# fixtures. Uses cargo-fuzz on the stable toolchain (no sanitizer: the code is safe Rust;
# libFuzzer finds panics, overflows in debug assertions, timeouts and memory blow-ups).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_PER_TARGET=${1:-45}
export PATH="$HOME/.cargo/bin:$PATH"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked cargo-fuzz --version 0.13.2
cd "$ROOT/fuzz"
# cargo-fuzz passes nightly-only flags; RUSTC_BOOTSTRAP lets the stable toolchain accept them.
export RUSTC_BOOTSTRAP=1
FUZZ=(cargo fuzz run --sanitizer none)
CORPUS=$(mktemp -d)
trap 'rm -rf "$CORPUS"' EXIT
TARGETS=(runefile artifact tflite importer capabilities)
for target in "${TARGETS[@]}"; do mkdir -p "$CORPUS/$target"; done
cp "$ROOT"/tests/runefiles/*/*.yml "$CORPUS/runefile/"
# Regression inputs (fuzz/regressions/<target>: hostile inputs and crashers fixed earlier) seed
# libFuzzer here and are replayed natively by tests/tests/fuzz_regressions.rs.
for target in "${TARGETS[@]}"; do
  [ -d "$ROOT/fuzz/regressions/$target" ] && cp "$ROOT/fuzz/regressions/$target"/* "$CORPUS/$target/" 2>/dev/null || true
done
# Seeds: artifacts and models built from the passing fixtures.
(cd "$ROOT" && cargo run -q --locked -p rune-tests --example fuzz_seeds -- "$CORPUS")
cp "$CORPUS/tflite"/* "$CORPUS/importer/"
for target in "${TARGETS[@]}"; do
  echo "fuzzing $target for ${SECONDS_PER_TARGET}s"
  log="$CORPUS/$target.log"
  if ! "${FUZZ[@]}" "$target" "$CORPUS/$target" -- -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 -rss_limit_mb=2048 -timeout=60 -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log"
    # The input, printed too: CI keeps only its log.
    for input in "$ROOT/fuzz/artifacts/$target"/*; do
      [ -f "$input" ] || continue
      echo "input $(basename "$input") ($(stat -c %s "$input") bytes), base64 (first 48 KiB):"
      head -c 49152 "$input" | base64 -w 0; echo
    done
    echo "fuzz target $target failed; the crashing input is in fuzz/artifacts/$target (add it to fuzz/regressions/$target once fixed)" >&2
    exit 1
  fi
  grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || tail -n 3 "$log"
done
echo "fuzzing: no crashes"
