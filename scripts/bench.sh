#!/usr/bin/env bash
# Browser benchmark of chatseal against libsodium-wrappers and noble; writes BENCHMARKS.md.
# Not part of scripts/test.sh (timings are figures, not checks).
#
#   bash scripts/bench.sh              # build, serve, measure in headless Chromium (~6-8 min)
#   bash scripts/bench.sh --quick      # fewer cold-start runs, 100k-turn long session
#   bash scripts/bench.sh --variants   # "what we tried": rebuild + measure each build variant
#                                      # into benches/browser/variants.json (~4 min each;
#                                      # BENCH_VARIANTS="name;name" for some), then the full run
#
# Steps: scripts/setup.sh (unless CHATSEAL_SKIP_SETUP=1); `npm ci` in benches/browser/ (its own
# npm project: libsodium-wrappers, @noble/*, esbuild) when its lockfile changed; the release
# package with PII (scripts/build.sh) and the crypto-only one (FEATURES=--no-default-features)
# into a scratch site; esbuild bundles just the noble functions used; libsodium-wrappers' dist
# files are copied as published; then benches/browser/run.mjs serves the site on 127.0.0.1,
# drives Chromium with playwright-core and renders BENCHMARKS.md (benches/browser/report.mjs).
#
# Environment:
#   BENCH_SITE=DIR        scratch site (default ${TMPDIR:-/tmp}/chatseal-bench-site)
#   BENCH_SKIP_BUILD=1    reuse the packages already in BENCH_SITE
#   BENCH_OUT=FILE        report path (default <repo>/BENCHMARKS.md)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MODE=full
for arg in "$@"; do
  case "$arg" in
    --quick) MODE=quick ;;
    --variants) MODE=variants ;;
    -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "[bench] unknown argument: $arg" >&2; exit 2 ;;
  esac
done

if [[ "${CHATSEAL_SKIP_SETUP:-0}" != 1 ]]; then
  bash "$ROOT/scripts/setup.sh" >/dev/null
fi
export CHATSEAL_SKIP_SETUP=1
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"

log() { printf '[bench] %s\n' "$*" >&2; }
BENCH="$ROOT/benches/browser"
SITE="${BENCH_SITE:-${TMPDIR:-/tmp}/chatseal-bench-site}"
OUT="${BENCH_OUT:-$ROOT/BENCHMARKS.md}"
SECONDS=0

# --- peers: benches/browser's own npm project -------------------------------------
STAMP="$BENCH/node_modules/.chatseal-lock.sha256"
lock_sum="$(sha256sum "$BENCH/package-lock.json" | awk '{print $1}')"
if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$lock_sum" ]]; then
  log "npm ci in benches/browser/"
  (cd "$BENCH" && npm ci --no-audit --no-fund --loglevel=error </dev/null >&2)
  echo "$lock_sum" >"$STAMP"
fi

# --- the site: pages, peers, packages ------------------------------------------------
assemble_site() {
  mkdir -p "$SITE/sodium"
  cp "$BENCH"/page/* "$SITE/"
  cp "$BENCH/node_modules/libsodium-wrappers/dist/modules-esm/libsodium-wrappers.mjs" \
    "$BENCH/node_modules/libsodium/dist/modules-esm/libsodium.mjs" "$SITE/sodium/"
  "$BENCH/node_modules/.bin/esbuild" "$BENCH/page/noble-entry.mjs" --bundle --minify --format=esm \
    --log-level=warning --outfile="$SITE/noble.js"
}

build_packages() { # builds pkg/ (default features) and pkg-crypto/ into $SITE
  log "release build with PII -> $SITE/pkg"
  PKG_DIR="$SITE/pkg" bash "$ROOT/scripts/build.sh" >&2
  log "crypto-only release build (--no-default-features) -> $SITE/pkg-crypto"
  FEATURES="--no-default-features" PKG_DIR="$SITE/pkg-crypto" bash "$ROOT/scripts/build.sh" >&2
}

mkdir -p "$SITE"
assemble_site

# --- variants ("what we tried") ---------------------------------------------------------
# name | cargo args (features, --config) | RUSTFLAGS | CARGO_PROFILE_RELEASE_OPT_LEVEL | wasm-opt -O level
# (empty: Cargo.toml's). BENCH_VARIANTS="name;name" runs only those; each result replaces the row
# of the same name in benches/browser/variants.json, so rows can be re-measured one at a time.
VARIANTS=(
  'as shipped||||'
  'opt-level z everywhere (before)|||z|'
  'opt-level s|||s|'
  'opt-level 3, wasm-opt -O3|||3|-O3'
  'opt-level 3, wasm-opt -Oz|||3|'
  'opt-level 2, wasm-opt -Oz|||2|'
  'opt-level 3, chatseal crate z, wasm-opt -Oz|--config profile.release.package.chatseal.opt-level="z"||3|'
  'wasm-opt -O3 (opt-level z)||||-O3'
  'chatseal crate at opt-level 3 (dependencies z)|--config profile.release.package.chatseal.opt-level=3|||'
  'crypto crates at opt-level 3 (rest z)|--config profile.release.package.chacha20.opt-level=3 --config profile.release.package.poly1305.opt-level=3 --config profile.release.package.curve25519-dalek.opt-level=3|||'
  'x25519-dalek precomputed-tables|--features x25519-dalek/precomputed-tables|||'
  'simd128||-C target-feature=+simd128||'
  'sha2 compact soft backend||--cfg sha2_backend_soft="compact"||'
)
if [[ "$MODE" == variants ]]; then
  VSITE="$SITE/variant"
  VDIR="${CARGO_TARGET_DIR:-/tmp/target-bench}-variants"
  [[ -f "$BENCH/variants.json" ]] || echo '[]' >"$BENCH/variants.json"
  for v in "${VARIANTS[@]}"; do
    IFS='|' read -r name feats rflags olevel optflags <<<"$v"
    if [[ -n "${BENCH_VARIANTS:-}" && ";$BENCH_VARIANTS;" != *";$name;"* ]]; then continue; fi
    log "variant: $name"
    rm -rf "$VSITE"; mkdir -p "$VSITE"
    cp -R "$SITE"/*.html "$SITE"/*.mjs "$SITE/sodium" "$SITE/noble.js" "$VSITE/"
    (
      export CARGO_TARGET_DIR="$VDIR"
      [[ -n "$rflags" ]] && export RUSTFLAGS="$rflags"
      [[ -n "$olevel" ]] && export CARGO_PROFILE_RELEASE_OPT_LEVEL="$olevel"
      [[ -n "$optflags" ]] && export WASM_OPT_LEVEL="$optflags"
      FEATURES="$feats" PKG_DIR="$VSITE/pkg" bash "$ROOT/scripts/build.sh" >&2
      FEATURES="--no-default-features $feats" PKG_DIR="$VSITE/pkg-crypto" bash "$ROOT/scripts/build.sh" >&2
    )
    node "$BENCH/run.mjs" --site "$VSITE" --variant "$name" --json "$VSITE/result.json" \
      --build "cargo args=[$feats] RUSTFLAGS=[$rflags] opt-level=[${olevel:-Cargo.toml}] wasm-opt=[${optflags:-Cargo.toml}]"
    node "$BENCH/variants.mjs" "$BENCH/variants.json" "$VSITE/result.json" "$name"
  done
  log "variants done in ${SECONDS}s (benches/browser/variants.json)"
fi

# --- the report ------------------------------------------------------------------------
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 || ! -f "$SITE/pkg/web/chatseal.js" ]]; then
  build_packages
fi
RUN_ARGS=(--site "$SITE" --out "$OUT" --json "$SITE/result.json")
[[ "$MODE" == quick ]] && RUN_ARGS+=(--quick)
node "$BENCH/run.mjs" "${RUN_ARGS[@]}"
log "done in ${SECONDS}s: $OUT"
