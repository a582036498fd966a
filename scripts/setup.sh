#!/usr/bin/env bash
# Idempotent installer for everything the build and the tests need.
# Installs only what is missing (or at the wrong version); a second run only
# checks and prints versions. Safe to run with no stdin (CI).
#
#   bash scripts/setup.sh
#
# Installs:
#   rustup: target wasm32-unknown-unknown, components clippy + rustfmt
#   apt:    chromium chromium-driver firefox-esr postgresql   (apt-get update only if installing)
#   cargo:  wasm-bindgen-cli == wasm-bindgen in Cargo.lock, wasm-pack, geckodriver
#   npm:    tools/ (binaryen's wasm-opt, typescript, playwright-core, @types/node)
#           via `npm ci`, only when node_modules is missing or package-lock.json changed
#
# It exports nothing; `source scripts/env.sh` for PATH / CHROMEDRIVER / GECKODRIVER.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"

WASM_PACK_VERSION="0.15.1"
GECKODRIVER_VERSION="0.37.1"
APT_PACKAGES=(chromium chromium-driver firefox-esr postgresql)
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"

log() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# One setup at a time on this machine (serve.sh and test.sh may race).
exec 9>"${TMPDIR:-/tmp}/chatseal-setup.lock"
flock 9

SECONDS=0

# ---------------------------------------------------------------- rust ------
command -v rustup >/dev/null || die "rustup not found (expected the machine's Rust toolchain in ~/.cargo/bin)"
command -v cargo >/dev/null || die "cargo not found"

installed_targets="$(rustup target list --installed)"
if ! grep -qx 'wasm32-unknown-unknown' <<<"$installed_targets"; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown >&2
fi
installed_components="$(rustup component list --installed)"
missing_components=()
for c in clippy rustfmt; do
  grep -q "^$c" <<<"$installed_components" || missing_components+=("$c")
done
if ((${#missing_components[@]})); then
  log "rustup component add ${missing_components[*]}"
  rustup component add "${missing_components[@]}" >&2
fi

# ----------------------------------------------------------------- apt ------
missing_apt=()
for p in "${APT_PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)"
  [[ "$status" == "installed" ]] || missing_apt+=("$p")
done
if ((${#missing_apt[@]})); then
  SUDO=()
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null || die "need root (or sudo) to apt-get install ${missing_apt[*]}"
    SUDO=(sudo)
  fi
  log "apt-get install ${missing_apt[*]}"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing_apt[@]}" </dev/null >&2
fi

# --------------------------------------------------------------- cargo ------
# cargo install --locked first (reproducible); if the locked dependency set
# cannot be resolved on this registry (seen for wasm-bindgen-cli 0.2.130: its
# lock pins webpki-roots 1.0.11, which the registry here does not serve), retry
# without --locked.
cargo_install() {
  local crate="$1" version="$2"
  log "cargo install $crate --version $version --locked"
  if ! cargo install "$crate" --version "$version" --locked </dev/null >&2; then
    log "'--locked' install of $crate failed; retrying without --locked"
    cargo install "$crate" --version "$version" </dev/null >&2
  fi
}

# Prints the version a binary reports as its 2nd word ("wasm-pack 0.15.1"), or nothing.
bin_version() {
  [[ -x "$1" ]] || return 0
  "$1" --version 2>/dev/null | head -n1 | awk '{print $2}' || true
}

WBG_VERSION="$(chatseal_wasm_bindgen_version)"
[[ -n "$WBG_VERSION" ]] || die "no wasm-bindgen package in Cargo.lock (run 'cargo generate-lockfile' or a build first)"

if [[ "$(bin_version "$CARGO_BIN/wasm-bindgen")" != "$WBG_VERSION" ||
      "$(bin_version "$CARGO_BIN/wasm-bindgen-test-runner")" != "$WBG_VERSION" ]]; then
  cargo_install wasm-bindgen-cli "$WBG_VERSION"
fi
if [[ "$(bin_version "$CARGO_BIN/wasm-pack")" != "$WASM_PACK_VERSION" ]]; then
  cargo_install wasm-pack "$WASM_PACK_VERSION"
fi
if [[ "$(bin_version "$CARGO_BIN/geckodriver")" != "$GECKODRIVER_VERSION" ]]; then
  cargo_install geckodriver "$GECKODRIVER_VERSION"
fi

# ----------------------------------------------------------------- npm ------
command -v node >/dev/null || die "node not found"
command -v npm >/dev/null || die "npm not found"
TOOLS="$ROOT/tools"
STAMP="$TOOLS/node_modules/.chatseal-lock.sha256"
lock_sum="$(sha256sum "$TOOLS/package-lock.json" | awk '{print $1}')"
if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$lock_sum" || ! -x "$TOOLS/node_modules/.bin/wasm-opt" ]]; then
  log "npm ci in tools/"
  (cd "$TOOLS" && npm ci --no-audit --no-fund --loglevel=error </dev/null >&2)
  echo "$lock_sum" >"$STAMP"
fi

# ------------------------------------------------------------ versions ------
first_line() { "$@" 2>/dev/null | head -n1 || true; }
ver() { # name, command...
  local name="$1"; shift
  local v
  v="$(first_line "$@")"
  [[ -n "$v" ]] || die "$name is not working after setup: $*"
  printf '%-26s %s\n' "$name" "$v"
}
ver rustc rustc --version
ver cargo cargo --version
ver clippy cargo clippy --version
ver rustfmt rustfmt --version
rustup target list --installed | grep -qx wasm32-unknown-unknown || die "wasm32-unknown-unknown target missing"
printf '%-26s %s\n' "rust target" wasm32-unknown-unknown
ver wasm-bindgen "$CARGO_BIN/wasm-bindgen" --version
ver wasm-bindgen-test-runner "$CARGO_BIN/wasm-bindgen-test-runner" --version
ver wasm-pack "$CARGO_BIN/wasm-pack" --version
ver geckodriver "$GECKODRIVER" --version
ver chromedriver "$CHROMEDRIVER" --version
ver chromium "$CHROMIUM_BIN" --version
ver firefox firefox --version
ver node node --version
ver npm npm --version
ver wasm-opt "$TOOLS/node_modules/.bin/wasm-opt" --version
ver tsc "$TOOLS/node_modules/.bin/tsc" --version
printf '%-26s %s\n' playwright-core "$(node -p "require('$TOOLS/node_modules/playwright-core/package.json').version")"
ver python3 python3 --version
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
[[ -x "$PG_BIN/initdb" && -x "$PG_BIN/pg_ctl" ]] || die "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql"
ver postgresql "$PG_BIN/postgres" --version
log "done in ${SECONDS}s"
