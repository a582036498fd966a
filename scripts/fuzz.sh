#!/usr/bin/env bash
# Coverage-guided fuzzing of every entry point an attacker can feed (cargo-fuzz / libFuzzer).
#
#   bash scripts/fuzz.sh [options] [seconds] [target...]
#
#   seconds          how long each target runs (default 60); ignored with --runs
#   target...        which targets (default: all, see TARGETS below)
#   --runs N         run each target for N executions instead of a time
#   --max-len N      longest input libFuzzer tries (default: libFuzzer's own choice)
#   --asan           build with AddressSanitizer (default: no sanitizer; see FUZZING.md)
#   --no-cmin        keep the corpus as the run left it (default: minimize it afterwards)
#
# Each target runs alone (one process, one job), seeded from the committed corpus
# fuzz/corpus/<target>/, which the run extends and then minimizes (set-cover merge, then capped
# at CORPUS_CAP files, smallest first). A crash stops that target; its input is copied to
# fuzz/regressions/<target>/ (committed: the replay tests run it in `cargo test`), and the
# script exits non-zero after the table:
#
#   target / executions / exec/s / seconds / crashes / corpus files
#
# Needs cargo-fuzz (installed here if missing: `cargo install cargo-fuzz --locked`) and a
# nightly toolchain (`rustup toolchain install nightly`); without nightly it falls back to the
# stable toolchain with RUSTC_BOOTSTRAP=1, which accepts the flags cargo-fuzz passes.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=env.sh
source "$ROOT/scripts/env.sh"

TARGETS=(text_form labels inspect import_state rewrap stream open accept handshake pii_scan pii_restore)
CORPUS_CAP="${CORPUS_CAP:-400}"
SECONDS_EACH=60
RUNS=""
MAX_LEN=""
SANITIZER=none
CMIN=1
CHOSEN=()

while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --max-len) MAX_LEN="$2"; shift 2 ;;
    --asan) SANITIZER=address; shift ;;
    --no-cmin) CMIN=0; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    [0-9]*) SECONDS_EACH="$1"; shift ;;
    *)
      if [[ " ${TARGETS[*]} " != *" $1 "* ]]; then
        echo "unknown target: $1 (targets: ${TARGETS[*]})" >&2
        exit 2
      fi
      CHOSEN+=("$1"); shift ;;
  esac
done
[ ${#CHOSEN[@]} -eq 0 ] && CHOSEN=("${TARGETS[@]}")

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

TOOLCHAIN=()
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  TOOLCHAIN=(+nightly)
else
  echo "== no nightly toolchain: using stable with RUSTC_BOOTSTRAP=1" \
    "(or run: rustup toolchain install nightly)"
  export RUSTC_BOOTSTRAP=1
fi

cd "$ROOT/fuzz"
# cargo-fuzz keeps its own target dir (fuzz/target); a CARGO_TARGET_DIR from the caller would
# move it and the binary path below.
unset CARGO_TARGET_DIR
echo "== building ${CHOSEN[*]} (sanitizer: $SANITIZER)"
for t in "${CHOSEN[@]}"; do
  cargo "${TOOLCHAIN[@]}" fuzz build --sanitizer "$SANITIZER" "$t"
done
triple="$(rustc "${TOOLCHAIN[@]}" -vV | sed -n 's/^host: //p')"
BIN="$ROOT/fuzz/target/$triple/release"

count_files() { find "$1" -maxdepth 1 -type f 2>/dev/null | wc -l; }

# Minimizes fuzz/corpus/$1: set-cover merge into a fresh directory, then at most CORPUS_CAP
# files, smallest first.
minimize() {
  local t="$1" tmp
  tmp="$(mktemp -d)"
  "$BIN/$t" -merge=1 -set_cover_merge=1 "$tmp" "corpus/$t" >"logs/$t.cmin.log" 2>&1
  if [ "$(count_files "$tmp")" -gt "$CORPUS_CAP" ]; then
    find "$tmp" -maxdepth 1 -type f -printf '%s %p\n' | sort -n | tail -n +"$((CORPUS_CAP + 1))" \
      | cut -d' ' -f2- | xargs -r rm -f
  fi
  rm -rf "corpus/$t"
  mv "$tmp" "corpus/$t"
}

mkdir -p logs
ROWS=()
FAILED=0
for t in "${CHOSEN[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t" "regressions/$t"
  args=(-print_final_stats=1 -artifact_prefix="artifacts/$t/" -close_fd_mask=1)
  if [ -n "$RUNS" ]; then args+=(-runs="$RUNS"); else args+=(-max_total_time="$SECONDS_EACH"); fi
  [ -n "$MAX_LEN" ] && args+=(-max_len="$MAX_LEN")
  before="$(mktemp)"
  find "artifacts/$t" -maxdepth 1 -type f | sort >"$before"
  if [ -n "$RUNS" ]; then budget="$RUNS runs"; else budget="${SECONDS_EACH}s"; fi
  echo "== $t: $budget (log: fuzz/logs/$t.log)"
  start=$(date +%s)
  status=0
  "$BIN/$t" "${args[@]}" "corpus/$t" >"logs/$t.log" 2>&1 || status=$?
  elapsed=$(( $(date +%s) - start ))
  crashes=0
  while read -r f; do
    [ -z "$f" ] && continue
    crashes=$((crashes + 1))
    cp "$f" "regressions/$t/$(basename "$f")"
    echo "   crash input kept as fuzz/regressions/$t/$(basename "$f")"
  done < <(find "artifacts/$t" -maxdepth 1 -type f | sort | comm -13 "$before" -)
  rm -f "$before"
  if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then
    echo "   $t exited $status without a crash input; see fuzz/logs/$t.log" >&2
    crashes=1
  fi
  [ "$crashes" -gt 0 ] && FAILED=1
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$t.log" | tail -1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "logs/$t.log" | tail -1)"
  [ "$CMIN" -eq 1 ] && minimize "$t"
  ROWS+=("$(printf '%-13s %12s %8s %8s %8s %8s' "$t" "${execs:-?}" "${rate:-?}" "$elapsed" "$crashes" \
    "$(count_files "corpus/$t")")")
done

echo
printf '%-13s %12s %8s %8s %8s %8s\n' target executions exec/s seconds crashes corpus
for r in "${ROWS[@]}"; do echo "$r"; done
if [ "$FAILED" -ne 0 ]; then
  echo "crashes found: inputs are in fuzz/regressions/<target>/ (replayed by cargo test)" >&2
  exit 1
fi
