#!/usr/bin/env bash
# Size budget of the published package: fails when gzip -9 of the wasm (or of the wasm plus its
# JS glue) in PKG_DIR/web/ exceeds the budget. scripts/test.sh runs it right after
# scripts/build.sh; sizes are deterministic for a given toolchain, so this is a check, not a
# benchmark (speed lives in scripts/bench.sh and BENCHMARKS.md).
#
#   bash scripts/size-budget.sh                 # pkg/ (default features: with PII)
#   bash scripts/size-budget.sh /tmp/pkg-crypto crypto   # a --no-default-features build
#   bash scripts/size-budget.sh --both          # pkg/, then builds the crypto-only package into a
#                                               # scratch dir and checks it (what test.sh runs)
#
# The budgets are the size measured when they were set plus 1 % (builds are deterministic for a
# given toolchain; the margin absorbs a patch-level dependency update). Set 2026-12-03 by the
# performance round (issue 14): PII build wasm 156,043 + glue 9,748 bytes; crypto-only 114,804 +
# 9,656. History: v1 package 108,968 + 8,286 / 74,650 + 7,983; v2 bindings before the round
# 155,323 + 9,770 / 114,424 + 9,681 (budgets then were measured + 5 %: 162,600 / 172,800 and
# 119,800 / 129,900). Raised 2026-12-03 for the PII build only (wasm 157,700 -> 162,800, total
# 167,500 -> 172,600): masking now settles however long a chain of findings is (each revealed by
# masking the one before; found by fuzzing), in linear time, which needs an ordered map of the
# findings and region re-reads: +5,028 bytes gzip (156,094 -> 161,122 wasm; a sorted Vec instead
# would be quadratic on a 4 MiB chain). The goals of issue 14 (75 KB with PII, 45 KB crypto-only, wasm + glue) are
# further away; BENCHMARKS.md says where the bytes are. Lower the budgets whenever the package
# shrinks; raise them only on purpose, in the same commit as the change that needs it, saying why.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ "${1:-}" == --both ]]; then
  # The crypto-only package costs one more release build of the binding crate (dependencies are
  # already built: about a minute), so its size is checked in every test run too.
  bash "$0" "$ROOT/pkg" pii
  crypto_dir="${TMPDIR:-/tmp}/chatseal-pkg-crypto-only"
  FEATURES="--no-default-features" PKG_DIR="$crypto_dir" bash "$ROOT/scripts/build.sh" >&2
  exec bash "$0" "$crypto_dir" crypto
fi
PKG_DIR="${1:-$ROOT/pkg}"
FLAVOUR="${2:-pii}"

case "$FLAVOUR" in
  # bytes of gzip -9:  wasm  wasm+glue
  pii) WASM_BUDGET=162800 TOTAL_BUDGET=172600 GOAL=75000 ;;
  crypto) WASM_BUDGET=116000 TOTAL_BUDGET=125800 GOAL=45000 ;;
  *) echo "[size-budget] unknown flavour '$FLAVOUR' (pii or crypto)" >&2; exit 2 ;;
esac

wasm="$PKG_DIR/web/chatseal_bg.wasm"
glue="$PKG_DIR/web/chatseal.js"
[[ -f "$wasm" && -f "$glue" ]] || { echo "[size-budget] no $wasm / $glue: run scripts/build.sh first" >&2; exit 1; }
gz() { gzip -9 -c "$1" | wc -c; }
wasm_gz=$(gz "$wasm")
glue_gz=$(gz "$glue")
total=$((wasm_gz + glue_gz))

printf '[size-budget] %s build, gzip -9: wasm %d bytes (budget %d), wasm + glue %d bytes (budget %d; goal %d)\n' \
  "$FLAVOUR" "$wasm_gz" "$WASM_BUDGET" "$total" "$TOTAL_BUDGET" "$GOAL"
fail=0
if ((wasm_gz > WASM_BUDGET)); then
  echo "[size-budget] FAIL: chatseal_bg.wasm is $((wasm_gz - WASM_BUDGET)) bytes over its budget" >&2
  fail=1
fi
if ((total > TOTAL_BUDGET)); then
  echo "[size-budget] FAIL: wasm + JS glue is $((total - TOTAL_BUDGET)) bytes over its budget" >&2
  fail=1
fi
((fail == 0)) && echo "[size-budget] ok"
exit "$fail"
