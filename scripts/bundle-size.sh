#!/usr/bin/env bash
# The playground's transfer size: every file of dist/ (from `trunk build --release`), raw and
# gzip -9, split into what the first visit loads (the page) and what the first Run loads (one of
# the two Web Workers with the engine: the SIMD build, or the plain one for browsers without wasm
# SIMD). Models are the user's files and not counted.
# Fails when the first load is over the budget (2.5 MiB gzip; issue "Speed").
# Usage: scripts/bundle-size.sh [DIST]   (default: dist)
set -euo pipefail
DIST="${1:-dist}"
BUDGET=$((2560 * 1024))
[ -f "$DIST/index.html" ] || { echo "error: $DIST/index.html not found; run 'trunk build --release' first" >&2; exit 1; }

page=0; worker=0; simd=0
printf '%-44s %10s %10s  %s\n' "file" "bytes" "gzip" "loaded"
while IFS= read -r -d '' file; do
  name="${file#"$DIST"/}"
  raw=$(stat -c %s "$file")
  gz=$(gzip -9c "$file" | wc -c)
  case "$name" in
    rune-worker-simd*) when="first Run (SIMD)"; simd=$((simd + gz)) ;;
    rune-worker*) when="first Run (no SIMD)"; worker=$((worker + gz)) ;;
    *) when="first visit"; page=$((page + gz)) ;;
  esac
  printf '%-44s %10d %10d  %s\n' "$name" "$raw" "$gz" "$when"
done < <(find "$DIST" -type f -print0 | sort -z)
kib() { awk -v b="$1" 'BEGIN { printf "%.0f KiB", b / 1024 }'; }
echo
echo "first visit (page): $(kib "$page") gzip (budget $(kib "$BUDGET"))"
echo "first Run, SIMD worker + engine: $(kib "$simd") gzip"
echo "first Run, plain worker + engine (browsers without wasm SIMD): $(kib "$worker") gzip"
if [ "$page" -gt "$BUDGET" ]; then
  echo "error: the first load is over the budget" >&2
  exit 1
fi
