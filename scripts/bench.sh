#!/usr/bin/env bash
# Browser benchmark of chatseal against libsodium-wrappers and noble; writes BENCHMARKS.md.
# Not part of scripts/test.sh (timings are figures, not checks).
#
#   bash scripts/bench.sh              # build, serve, measure in headless Chromium (~10-15 min);
#                                      # writes BENCHMARKS.md and benchmarks.json next to it
#   bash scripts/bench.sh --quick      # fewer cold-start runs, 100k-turn long session
#   bash scripts/bench.sh --variants   # "what we tried": rebuild + measure each build variant
#                                      # into benches/browser/variants.json (~4 min each;
#                                      # BENCH_VARIANTS="name;name" for some), then the full run
#   bash scripts/bench.sh --ab DIR     # the current build (pkg/) against the package in DIR
#                                      # (e.g. a build of another commit), both in one page,
#                                      # interleaved: per figure, time of DIR's / current's
#   bash scripts/bench.sh --profile OP # CPU profile of one operation (seal1k, open1k, seal1m,
#                                      # sealPii, handshake, piiScan, ...) on a build keeping
#                                      # the wasm names (no wasm-opt): self time per function
#   bash scripts/bench.sh --phases     # native instruction counts of a 1 KiB seal and open per
#                                      # phase (callgrind over benches/phases.rs; needs valgrind)
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
#   BENCH_AB_FIGURES=a,b  figures for --ab (seal1k, sealEmpty, sealPii, open1k, seal1m, piiScan,
#                         handshake; default all but sealPii and piiScan)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MODE=full
AB_DIR=""
PROFILE_OP=""
while (($#)); do
  case "$1" in
    --quick) MODE=quick ;;
    --variants) MODE=variants ;;
    --ab) MODE=ab; AB_DIR="$(cd "${2:?--ab needs a package directory}" && pwd)"; shift ;;
    --profile) MODE=profile; PROFILE_OP="${2:?--profile needs an operation}"; shift ;;
    --phases) MODE=phases ;;
    -h | --help) sed -n '2,33p' "$0"; exit 0 ;;
    *) echo "[bench] unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
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

# --- native phases: instruction counts, independent of the machine's load ----------------
if [[ "$MODE" == phases ]]; then
  command -v valgrind >/dev/null || { echo "[bench] --phases needs valgrind (apt-get install valgrind)" >&2; exit 1; }
  exe="$(cargo bench --bench phases --no-run --message-format=json 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const l of s.split("\n")){try{const m=JSON.parse(l);if(m.executable&&m.target&&m.target.name==="phases")console.log(m.executable)}catch{}}})')"
  [[ -x "$exe" ]] || { echo "[bench] could not build benches/phases.rs" >&2; exit 1; }
  out="${TMPDIR:-/tmp}/chatseal-callgrind.out"
  valgrind --tool=callgrind --callgrind-out-file="$out" "$exe" >&2
  turns=10000
  echo "instructions per 1 KiB turn (inclusive; a function that both seal and open call counts both):"
  callgrind_annotate --inclusive=yes "$out" 2>/dev/null |
    grep -E 'phases::(seal|open)_turns|Session::(seal|open)$|kdf::link|keystream_inout|poly1305.*(proc_par_blocks|compute_block|finalize)|Zeroizing|Envelope::parse|Outgoing::encode|getrandom' |
    awk -v n="$turns" '{ gsub(",", "", $1); printf "%10.0f  %s\n", $1 / n, $0 }' | cut -c1-160
  exit 0
fi

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
# (Per-package opt levels in Cargo.toml win over CARGO_PROFILE_RELEASE_OPT_LEVEL, so variants of
# them use --config.) SHA2_UNROLLED=1 drops build.sh's compact SHA-256.
ALL3='--config profile.release.package.chatseal.opt-level=3 --config profile.release.package.chatseal-wasm.opt-level=3 --config profile.release.package.chatseal-pii.opt-level=3 --config profile.release.package.serde-wasm-bindgen.opt-level=3'
VARIANTS=(
  'as shipped||||'
  'chatseal core at opt-level 3 (AEAD crate 3, bindings z)|--config profile.release.package.chatseal.opt-level=3|||'
  'AEAD crate at opt-level z (as the core)|--config profile.release.package.chatseal-aead.opt-level="z"|||'
  'bindings at opt-level 3|--config profile.release.package.chatseal-wasm.opt-level=3|||'
  'every crate at opt-level 3|'"$ALL3"'|||'
  'simd128||-C target-feature=+simd128||'
  'SHA-256 unrolled (not compact)|||SHA2_UNROLLED|'
  'wasm-opt -O3||||-O3'
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
      if [[ "$olevel" == SHA2_UNROLLED ]]; then export SHA2_UNROLLED=1; olevel=""; fi
      [[ -n "$olevel" ]] && export CARGO_PROFILE_RELEASE_OPT_LEVEL="$olevel"
      [[ -n "$optflags" ]] && export WASM_OPT_LEVEL="$optflags"
      FEATURES="$feats" PKG_DIR="$VSITE/pkg" bash "$ROOT/scripts/build.sh" >&2
      FEATURES="--no-default-features $feats" PKG_DIR="$VSITE/pkg-crypto" bash "$ROOT/scripts/build.sh" >&2
    )
    node "$BENCH/run.mjs" --site "$VSITE" --variant "$name" --json "$VSITE/result.json" \
      --build "cargo args=[$feats] RUSTFLAGS=[$rflags] $([[ "$olevel" == SHA2_UNROLLED ]] && echo "SHA2_UNROLLED=1 opt-level=[Cargo.toml]" || echo "opt-level=[${olevel:-Cargo.toml}]") wasm-opt=[${optflags:-Cargo.toml}]"
    node "$BENCH/variants.mjs" "$BENCH/variants.json" "$VSITE/result.json" "$name"
  done
  log "variants done in ${SECONDS}s (benches/browser/variants.json)"
fi

# --- A/B and profiles ---------------------------------------------------------------------
if [[ "$MODE" == ab || "$MODE" == profile ]]; then
  if [[ "${BENCH_SKIP_BUILD:-0}" != 1 || ! -f "$SITE/pkg/web/chatseal.js" ]]; then
    if [[ "$MODE" == profile ]]; then
      log "profiling build (WASM_OPT=0: wasm names kept) -> $SITE/pkg"
      WASM_OPT=0 PKG_DIR="$SITE/pkg" bash "$ROOT/scripts/build.sh" >&2
    else
      log "release build with PII -> $SITE/pkg"
      PKG_DIR="$SITE/pkg" bash "$ROOT/scripts/build.sh" >&2
    fi
  fi
  log "load: $(uptime)"
  if [[ "$MODE" == profile ]]; then
    node "$BENCH/profile.mjs" --site "$SITE" --op "$PROFILE_OP"
  else
    rm -rf "$SITE/pkg-b" && cp -R "$AB_DIR" "$SITE/pkg-b"
    node "$BENCH/run.mjs" --site "$SITE" --figures ab --json "$SITE/ab.json" ${BENCH_AB_FIGURES:+--ab-figures "$BENCH_AB_FIGURES"}
    node -e '
      const r = require(process.argv[1]).speed.ab;
      console.log("figure       current        other   other/current (same rounds; < 1: other is faster)");
      for (const [f, v] of Object.entries(r)) if (v.a) console.log(f.padEnd(10), v.a.medianUs.toFixed(2).padStart(10), "µs", v.b.medianUs.toFixed(2).padStart(10), "µs", v.b.pairedRatio.toFixed(3).padStart(8));
    ' "$SITE/ab.json"
  fi
  exit 0
fi

# --- the report ------------------------------------------------------------------------
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 || ! -f "$SITE/pkg/web/chatseal.js" ]]; then
  build_packages
fi
RUN_ARGS=(--site "$SITE" --out "$OUT" --json "$SITE/result.json")
[[ "$MODE" == quick ]] && RUN_ARGS+=(--quick)
node "$BENCH/run.mjs" "${RUN_ARGS[@]}"
log "done in ${SECONDS}s: $OUT"
