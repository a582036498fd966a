#!/usr/bin/env bash
# The full check, as CI runs it (`bash .ci/run` execs this):
#
#   bash scripts/test.sh
#
# Runs setup, then every step below in order with a banner each; stops at the
# first failure (non-zero exit) and always prints a summary with elapsed times.
# Each step runs in its own process group under a time limit (STEP_TIMEOUT);
# whatever a step leaves running (a browser, a server) is ended with it.
#   fmt             cargo fmt --all --check
#   clippy-host     cargo clippy --workspace --all-targets -- -D warnings
#   clippy-wasm     cargo clippy for wasm32 of the crates that ship in the package, with and
#                   without the pii feature -- -D warnings
#   layers          cargo tree: the core depends on no wasm, js or PII crate
#   test            cargo test --workspace --all-targets; cargo test --workspace --doc
#   pii-accuracy    cargo test --release -p chatseal-pii --test pii_accuracy -- --nocapture
#   postgres        the relay's suite again against a throwaway PostgreSQL cluster
#   wasm-browsers   wasm-pack test --headless --chrome --firefox   (must show both browsers ran)
#   wasm-bindings   the same in crates/chatseal-wasm (the JS binding layer's browser tests)
#   build           scripts/build.sh -> pkg/
#   build-test-hooks  scripts/build.sh with --features test-hooks -> $CHATSEAL_TEST_PKG (the
#                   memory-scan test's package flavour; never published)
#   size-budget     scripts/size-budget.sh --both: gzip -9 of pkg/web's wasm (+ glue) within budget,
#                   and of a crypto-only build (--no-default-features, one more release build)
#   pack            npm pack pkg/ + npm install of the tarball into /tmp/chatseal-pack,
#                   smoke import()/require() of 'chatseal'; links node_modules/ (see below)
#   tsc             tsc -p tests/ts --strict                     (if tests/ts/tsconfig.json)
#   node-tests      node --test tests/js/                        (if tests/js/)
#   page-tests      node tests/page/*.mjs, one by one, after www/pkg is synced (if tests/page/)
#   consumers       node tests/consumers/run.mjs: the packed tarball in Node ESM/CJS, tsc --strict,
#                   a Vite build, a module worker, a strict-CSP page, the README's esbuild recipe
#   e2e             node tests/e2e/demo.test.mjs: the demo on the real relay in Chromium and Firefox
#                   (screenshots in target/e2e-screenshots/), the README's client example
#
# For the JS steps, <repo>/node_modules/ (git-ignored) gets symlinks so bare
# imports resolve without installs in the test folders:
#   chatseal        -> /tmp/chatseal-pack/node_modules/chatseal (the packed+installed package)
#   playwright-core -> tools/node_modules/playwright-core
#   @types/node     -> tools/node_modules/@types/node
# and these are exported: CHATSEAL_ROOT, CHATSEAL_PACK_DIR (scratch dir with
# node_modules/chatseal), CHATSEAL_TARBALL, CHATSEAL_TEST_PKG, CHROMIUM_BIN.
#
# Options (environment):
#   SKIP_STEPS="fmt clippy-host"   skip named steps, for local iteration (reported as
#                                  skipped; ignored when CI=true)
#   STEP_TIMEOUT=1500              seconds one step may take before it is killed and
#                                  fails (a hung test then fails with a summary instead of
#                                  running into CI's limit)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [[ "${CI:-}" == true && -n "${SKIP_STEPS:-}" ]]; then
  echo "[test] CI=true: ignoring SKIP_STEPS='$SKIP_STEPS'" >&2
  export SKIP_STEPS=""
fi
STEP_TIMEOUT="${STEP_TIMEOUT:-1500}"

T_START=$(date +%s)
PASSED=()
SKIPPED=()
TIMES=()
FAILED=""
CURRENT=""

PACK_DIR="${CHATSEAL_PACK_DIR:-${TMPDIR:-/tmp}/chatseal-pack}"
export CHATSEAL_PACK_DIR="$PACK_DIR"
export CHATSEAL_TEST_PKG="${CHATSEAL_TEST_PKG:-${TMPDIR:-/tmp}/chatseal-pkg-test-hooks}"
export CHATSEAL_SKIP_SETUP=1 # for build.sh: setup runs once, below
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-300}"
export WASM_BINDGEN_TEST_DRIVER_TIMEOUT="${WASM_BINDGEN_TEST_DRIVER_TIMEOUT:-30}"

fmt_secs() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

summary() {
  local rc=$?
  [[ -n "$CURRENT" && -z "$FAILED" && $rc -ne 0 ]] && FAILED="$CURRENT"
  local total=$(($(date +%s) - T_START))
  echo
  echo "==================================================================="
  echo " chatseal test summary"
  echo "==================================================================="
  local t
  for t in "${TIMES[@]}"; do echo "  $t"; done
  [[ -n "$FAILED" ]] && echo "  FAILED   $FAILED"
  echo "-------------------------------------------------------------------"
  echo "  total elapsed: $(fmt_secs "$total")"
  if [[ -n "$FAILED" ]]; then
    echo "  RESULT: FAILED at step '$FAILED'"
    echo "steps: ${#PASSED[@]} passed, 1 failed, ${#SKIPPED[@]} skipped"
  else
    echo "  RESULT: OK"
    echo "steps: ${#PASSED[@]} passed, 0 failed, ${#SKIPPED[@]} skipped"
  fi
  exit "$rc"
}

banner() {
  echo
  echo "==================================================================="
  echo "== [$(date +%H:%M:%S)] $*"
  echo "==================================================================="
}

# run_step NAME COMMAND...  (a function or a command; runs under set -e in a subshell)
run_step() {
  local name="$1"; shift
  if [[ " ${SKIP_STEPS:-} " == *" $name "* ]]; then
    banner "$name: SKIPPED (SKIP_STEPS)"
    SKIPPED+=("$name")
    TIMES+=("$(printf 'skipped  %-16s (SKIP_STEPS)' "$name")")
    return 0
  fi
  banner "$name: $*"
  CURRENT="$name"
  local t0 rc=0
  t0=$(date +%s)
  # The step runs as `test.sh --run-step FN` under timeout(1), which leads a new
  # process group (pgid = its pid) and kills that group when STEP_TIMEOUT
  # passes. After the step the group is ended anyway, so nothing the step
  # started (e.g. a browser that a failed wasm-bindgen-test-runner left
  # behind) outlives it. It runs in the background so that INT/TERM reach this
  # shell at once (on_signal passes them on).
  timeout --kill-after=60 "$STEP_TIMEOUT" bash "$ROOT/scripts/test.sh" --run-step "$@" &
  STEP_PID=$!
  wait "$STEP_PID" || rc=$?
  kill -TERM -- "-$STEP_PID" 2>/dev/null || true
  STEP_PID=""
  local dt=$(($(date +%s) - t0))
  if ((rc != 0)); then
    FAILED="$name"
    if ((rc == 124 || rc == 137)); then
      echo "!! step '$name' timed out after $(fmt_secs "$dt") (STEP_TIMEOUT=${STEP_TIMEOUT}s): a hung test?" >&2
    else
      echo "!! step '$name' failed (exit $rc) after $(fmt_secs "$dt")" >&2
    fi
    exit "$rc"
  fi
  PASSED+=("$name")
  TIMES+=("$(printf 'ok       %-16s %s' "$name" "$(fmt_secs "$dt")")")
  CURRENT=""
}

skip_step() { # NAME REASON
  banner "$1: SKIPPED ($2)"
  SKIPPED+=("$1")
  TIMES+=("$(printf 'skipped  %-16s (%s)' "$1" "$2")")
}

# ------------------------------------------------------------------ steps --

do_setup() {
  bash scripts/setup.sh
}

WASM_CRATES=(-p chatseal -p chatseal-pii -p chatseal-wasm)
do_fmt() { cargo fmt --all --check; }
do_clippy_host() { cargo clippy --workspace --all-targets -- -D warnings; }
do_clippy_wasm() {
  cargo clippy "${WASM_CRATES[@]}" --lib --target wasm32-unknown-unknown -- -D warnings
  cargo clippy -p chatseal-wasm --no-default-features --lib --target wasm32-unknown-unknown -- -D warnings
  cargo clippy -p chatseal-wasm --all-targets --features test-hooks --target wasm32-unknown-unknown -- -D warnings
}
# The layering rule of the workspace, checked: the protocol core knows nothing of wasm or PII.
do_layers() {
  local deps
  deps="$(cargo tree -p chatseal -e normal --prefix none --target all | awk '{print $1}' | sort -u)"
  if grep -Ex 'wasm-bindgen|js-sys|web-sys|serde-wasm-bindgen|chatseal-pii|chatseal-wasm' <<<"$deps"; then
    echo "!! the core crate chatseal depends on the crates above" >&2
    return 1
  fi
  echo ">> cargo tree -p chatseal: $(wc -l <<<"$deps") crates, none of wasm-bindgen, js-sys, chatseal-pii"
}
do_test() {
  cargo test --workspace --all-targets
  cargo test --workspace --doc
  # The vector files again with their case counts shown (about a second).
  echo ">> vector cases run:"
  cargo test --quiet -p chatseal --test 'primitives_*' --test vectors_chatseal -- --nocapture 2>&1 |
    grep -oE '(wycheproof [a-z0-9_]+\.json: [0-9]+ cases.*|chatseal vectors: .*)' ||
    { echo "!! no vector counts printed" >&2; return 1; }
}
do_pii_accuracy() { cargo test --release -p chatseal-pii --test pii_accuracy -- --nocapture; }
do_postgres() { bash crates/chatseal-relay/scripts/test-postgres.sh --workspace-build; }

# wasm-bindgen-test-runner looks for GECKODRIVER before CHROMEDRIVER in the
# environment, so with both exported the "Chrome" pass would run Firefox again.
# Unset both and let wasm-pack set the right one per browser from the flags.
# WASM_BINDGEN_USE_BROWSER=1: test binaries without
# wasm_bindgen_test_configure!(run_in_browser) run in the browsers too, instead
# of being skipped as "node.js only".
# CARGO_PROFILE_DEV_DEBUG=0 (this step only): no DWARF in the wasm test
# binaries (~1.7 MB instead of ~12-21 MB each, so wasm-bindgen and the browsers
# load them faster); browser stack traces keep function names (name section).
# A test that times out makes the runner exit without closing its browser
# (which keeps spinning); run_step ends such leftovers with the step's process group.
do_wasm_browsers() { # [CRATE_DIR]: the crate to test (default: the root crate)
  local log rc=0
  log="$(mktemp "${TMPDIR:-/tmp}/chatseal-wasm-pack-test.XXXXXX")"
  (cd "${1:-.}" && env -u CHROMEDRIVER -u GECKODRIVER WASM_BINDGEN_USE_BROWSER=1 \
    CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-0}" \
    wasm-pack --log-level warn test --headless --chrome --firefox \
    --chromedriver "$CHROMEDRIVER" --geckodriver "$GECKODRIVER") 2>&1 | tee "$log" || rc=$?
  local chrome firefox
  chrome=$(grep -c 'Running headless tests in Chrome' "$log" || true)
  firefox=$(grep -c 'Running headless tests in Firefox' "$log" || true)
  echo
  echo ">> wasm test binaries run in Chrome: $chrome, in Firefox: $firefox"
  if ((rc != 0)); then
    # shellcheck disable=SC2016
    if grep -Eq 'timed out|missing field `chunk`|Failed to detect test as having been run' "$log"; then
      echo "!! a browser test did not finish within WASM_BINDGEN_TEST_TIMEOUT=${WASM_BINDGEN_TEST_TIMEOUT}s:" >&2
      echo "!! a hanging or very slow #[wasm_bindgen_test] (its binary is the last 'Running' line above)" >&2
    fi
    return "$rc"
  fi
  if ((chrome == 0 || firefox == 0)); then
    echo "!! expected wasm-bindgen tests to run in both Chrome and Firefox;" >&2
    echo "!! are there any #[wasm_bindgen_test] tests for wasm32?" >&2
    return 1
  fi
  rm -f "$log"
}

do_build() { bash scripts/build.sh; }
do_build_test_hooks() { FEATURES="--features test-hooks" PKG_DIR="$CHATSEAL_TEST_PKG" bash scripts/build.sh; }

do_pack() {
  rm -rf "$PACK_DIR"
  mkdir -p "$PACK_DIR"
  (cd pkg && npm pack --pack-destination "$PACK_DIR" --loglevel=warn) | tee "$PACK_DIR/.pack-name"
  local tarball
  tarball="$PACK_DIR/$(tail -n1 "$PACK_DIR/.pack-name")"
  [[ -f "$tarball" ]] || { echo "!! npm pack produced no tarball" >&2; return 1; }
  echo "$tarball" >"$PACK_DIR/.tarball"
  printf '{ "name": "chatseal-pack-scratch", "private": true }\n' >"$PACK_DIR/package.json"
  (cd "$PACK_DIR" && npm install --no-audit --no-fund --loglevel=warn "$tarball")
  echo ">> tarball contents:"
  tar -tzf "$tarball" | sed 's/^/   /'
  # Smoke: ESM import and CommonJS require of the installed package in Node.
  (cd "$PACK_DIR" && node --input-type=module -e "
    const m = await import('chatseal');
    const names = Object.keys(m).filter((k) => k !== 'default');
    if (!names.length) throw new Error('import(\"chatseal\") has no named exports');
    console.log('>> import(\"chatseal\") ok:', names.join(', '));
  ")
  (cd "$PACK_DIR" && node -e "
    const m = require('chatseal');
    if (!Object.keys(m).length) throw new Error('require(\"chatseal\") exports nothing');
    console.log('>> require(\"chatseal\") ok');
  ")
  link_node_modules
}

link_node_modules() {
  mkdir -p node_modules/@types
  ln -sfn "$PACK_DIR/node_modules/chatseal" node_modules/chatseal
  ln -sfn ../tools/node_modules/playwright-core node_modules/playwright-core
  ln -sfn ../../tools/node_modules/@types/node node_modules/@types/node
  echo ">> node_modules/: chatseal -> $PACK_DIR/node_modules/chatseal, playwright-core, @types/node -> tools/"
}

do_tsc() { tsc -p tests/ts --strict; }
no_tsconfig() { echo "!! tests/ts exists but has no tsconfig.json" >&2; return 1; }

do_node_tests() {
  local log
  log="$(mktemp "${TMPDIR:-/tmp}/chatseal-node-test.XXXXXX")"
  node --test tests/js/ 2>&1 | tee "$log"
  # Node 20 runs only files named like *.test.mjs / test-*.js / *_test.js (or in a
  # test/ folder) when given a directory; zero tests means none matched.
  if grep -Eq '^# tests 0$' "$log"; then
    echo "!! node --test ran 0 tests in tests/js/ (name files *.test.mjs / *.test.js)" >&2
    return 1
  fi
  rm -f "$log"
}

do_page_tests() {
  bash scripts/sync-www.sh
  local f n=0
  for f in tests/page/*.mjs; do
    [[ -e "$f" ]] || continue
    n=$((n + 1))
    echo ">> node $f"
    node "$f"
  done
  ((n > 0)) || { echo "!! tests/page/ has no *.mjs files" >&2; return 1; }
  echo ">> $n page test file(s) passed"
}

do_consumers() { node tests/consumers/run.mjs; }
do_e2e() { node tests/e2e/demo.test.mjs; }

# ---------------------------------------------------------------- run it --

# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"

# One step, as run by run_step: `test.sh --run-step FUNCTION [ARGS...]`.
if [[ "${1:-}" == --run-step ]]; then
  shift
  "$@"
  exit 0
fi

STEP_PID=""
on_signal() {
  trap - INT TERM
  if [[ -n "$STEP_PID" ]]; then
    kill -TERM "$STEP_PID" 2>/dev/null || true # timeout passes it to the step's group
    wait "$STEP_PID" 2>/dev/null || true
    kill -TERM -- "-$STEP_PID" 2>/dev/null || true
  fi
  FAILED="${CURRENT:-interrupted}"
  exit 130
}
trap on_signal INT TERM
trap summary EXIT

export CHATSEAL_TARBALL="" # set after the pack step

run_step setup do_setup
run_step fmt do_fmt
run_step clippy-host do_clippy_host
run_step clippy-wasm do_clippy_wasm
run_step layers do_layers
run_step test do_test
run_step pii-accuracy do_pii_accuracy
run_step postgres do_postgres
run_step wasm-browsers do_wasm_browsers
run_step wasm-bindings do_wasm_browsers crates/chatseal-wasm
run_step build do_build
run_step build-test-hooks do_build_test_hooks
run_step size-budget bash scripts/size-budget.sh --both
run_step pack do_pack
CHATSEAL_TARBALL="$(cat "$PACK_DIR/.tarball" 2>/dev/null || true)"
export CHATSEAL_TARBALL

if [[ -f tests/ts/tsconfig.json ]]; then
  run_step tsc do_tsc
elif [[ -d tests/ts ]]; then
  run_step tsc no_tsconfig
else
  skip_step tsc "no tests/ts/"
fi

if [[ -d tests/js ]]; then
  run_step node-tests do_node_tests
else
  skip_step node-tests "no tests/js/"
fi

if [[ -d tests/page ]]; then
  run_step page-tests do_page_tests
else
  skip_step page-tests "no tests/page/"
fi

if [[ -f tests/consumers/run.mjs ]]; then
  run_step consumers do_consumers
else
  skip_step consumers "no tests/consumers/"
fi

if [[ -f tests/e2e/demo.test.mjs ]]; then
  run_step e2e do_e2e
else
  skip_step e2e "no tests/e2e/"
fi
