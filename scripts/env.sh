# shellcheck shell=bash
# Source me (do not execute): sets PATH and the WebDriver variables that the
# build and test scripts use. Safe to source more than once.
#
#   source scripts/env.sh
#
# Sets:
#   CHATSEAL_ROOT   repository root
#   PATH            += $CARGO_HOME/bin, tools/node_modules/.bin (wasm-opt, tsc)
#   CHROMEDRIVER    /usr/bin/chromedriver (Debian chromium-driver)
#   GECKODRIVER     $CARGO_HOME/bin/geckodriver (cargo install geckodriver)
#   CHROMIUM_BIN    /usr/bin/chromium (for playwright-core executablePath)
#
# NOTE: wasm-bindgen-test-runner picks GECKODRIVER before CHROMEDRIVER when
# both are set, so `wasm-pack test --chrome --firefox` with both exported runs
# Firefox twice. scripts/test.sh therefore unsets both for that one command and
# passes --chromedriver/--geckodriver instead (see run_wasm_pack_test there).

CHATSEAL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CHATSEAL_ROOT

_chatseal_cargo_home="${CARGO_HOME:-$HOME/.cargo}"

_chatseal_path_prepend() {
  case ":$PATH:" in
    *":$1:"*) ;;
    *) PATH="$1:$PATH" ;;
  esac
}
_chatseal_path_prepend "$CHATSEAL_ROOT/tools/node_modules/.bin"
_chatseal_path_prepend "$_chatseal_cargo_home/bin"
export PATH
unset -f _chatseal_path_prepend

export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export GECKODRIVER="${GECKODRIVER:-$_chatseal_cargo_home/bin/geckodriver}"
export CHROMIUM_BIN="${CHROMIUM_BIN:-/usr/bin/chromium}"
unset _chatseal_cargo_home

# Version of the wasm-bindgen crate locked in Cargo.lock (the CLI must match).
chatseal_wasm_bindgen_version() {
  awk '
    /^\[\[package\]\]/ { name = "" }
    /^name = / { gsub(/"/, "", $3); name = $3 }
    /^version = / && name == "wasm-bindgen" { gsub(/"/, "", $3); print $3; exit }
  ' "$CHATSEAL_ROOT/Cargo.lock"
}

# Crate version from Cargo.toml ([package] version).
chatseal_crate_version() {
  awk '
    /^\[/ { in_pkg = ($0 == "[package]") }
    in_pkg && /^version *= */ { v = $0; sub(/^version *= *"/, "", v); sub(/".*$/, "", v); print v; exit }
  ' "$CHATSEAL_ROOT/Cargo.toml"
}
