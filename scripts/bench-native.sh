#!/usr/bin/env bash
# Native benchmark of our model engine (the tract importer) against the reference TensorFlow Lite
# interpreter (ai-edge-litert), measured in the same run; see BENCHMARKS.md.
# Installs what is missing (scripts/setup.sh: the reference's venv among others), builds the bench
# (release profile), then runs tests/benches/models.rs: per model, criterion's medians of both
# sides and their ratio. The table is printed and written to target/criterion/summary.md.
# Usage: scripts/bench-native.sh [CRITERION ARGS...]   e.g. scripts/bench-native.sh mobilenet
#   RUNE_REFERENCE_RESOLVER=builtin|ref times the reference without XNNPACK (default: xnnpack).
# About 1.5 minutes of measuring on 2 cores, after the build (a few minutes when it is not cached).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
export RUNE_REFERENCE_PYTHON="${RUNE_REFERENCE_PYTHON:-$ROOT/.venv-reference/bin/python}"

start=$SECONDS
cargo bench --locked -p rune-tests --bench models --no-run
built=$SECONDS
cargo bench --locked -p rune-tests --bench models -- "$@"
printf '\n[bench] build %ss, measuring %ss\n' "$((built - start))" "$((SECONDS - built))"
