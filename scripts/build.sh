#!/usr/bin/env bash
# Build the npm package into pkg/ with one command.
#
#   bash scripts/build.sh
#   FEATURES="--no-default-features" PKG_DIR=/tmp/pkg-crypto bash scripts/build.sh
#
# Steps: one release build of crates/chatseal-wasm for wasm32-unknown-unknown,
# then wasm-bindgen (the CLI at the exact version Cargo.lock pins) twice:
#   pkg/web/   --target web     ES module, default export `init`, named exports
#   pkg/node/  --target nodejs  CommonJS, loads the wasm synchronously
# then pkg-template/runtime.js appended to each glue file (the freed-object
# guard on every class, sealStream/openStream, MemoryRecordStore) with the
# flavour's export lines, and each chatseal.d.ts made to compile without
# Symbol.dispose (lib es2022) while keeping `using` typed where it exists;
# then wasm-opt (flags from [package.metadata.wasm-pack.profile.release]
# wasm-opt in Cargo.toml, -Oz if none; plus --strip-debug --strip-producers
# --strip-target-features) on each *_bg.wasm, then pkg-template/* but
# runtime.js (package.json with its version set from crates/chatseal-wasm/Cargo.toml, README.md,
# node/*) into pkg/. Prints raw and gzip -9 sizes of each *_bg.wasm and its JS glue.
#
# Environment:
#   FEATURES         extra cargo args for the wasm build, word-split
#                    (e.g. "--no-default-features" for the crypto-only package;
#                    "--features test-hooks" for the memory-scan test's flavour,
#                    never published)
#   PKG_DIR          output directory (default: <repo>/pkg); replaced atomically
#   WASM_OPT_LEVEL   replaces the -O* flag from Cargo.toml (e.g. -O3), for experiments
#   WASM_OPT=0       skip wasm-opt and keep the name section (CPU profiles with Rust function
#                    names: benches/browser/profile.mjs); never for a published package
#   CHATSEAL_SKIP_SETUP=1   do not run scripts/setup.sh first (test.sh/serve.sh
#                    set it after running setup themselves)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [[ "${CHATSEAL_SKIP_SETUP:-0}" != 1 ]]; then
  bash "$ROOT/scripts/setup.sh" >/dev/null
fi
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"

log() { printf '[build] %s\n' "$*" >&2; }
die() { printf '[build] ERROR: %s\n' "$*" >&2; exit 1; }

CRATE="chatseal"            # the package's file names: chatseal.js, chatseal_bg.wasm
CARGO_PACKAGE="chatseal-wasm"
TARGET="wasm32-unknown-unknown"
PKG_DIR="${PKG_DIR:-$ROOT/pkg}"
read -r -a FEATURE_ARGS <<<"${FEATURES:-}"
SECONDS=0

# --- tool checks --------------------------------------------------------------
WBG_VERSION="$(chatseal_wasm_bindgen_version)"
have_wbg="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
[[ "$have_wbg" == "$WBG_VERSION" ]] ||
  die "wasm-bindgen CLI is '${have_wbg:-missing}', Cargo.lock wants $WBG_VERSION: run bash scripts/setup.sh"
command -v wasm-opt >/dev/null || die "wasm-opt not on PATH (tools/node_modules/.bin): run bash scripts/setup.sh"

# --- 1. cargo build (once) ------------------------------------------------------
# sha2's compact SHA-256 (a loop instead of 64 unrolled rounds): 2 KB gzip smaller, no measurable
# cost (SHA-256 only hashes short inputs here: chain links, HKDF); see BENCHMARKS.md.
# SHA2_UNROLLED=1 keeps the unrolled one (scripts/bench.sh's variant).
if [[ "${SHA2_UNROLLED:-0}" != 1 ]]; then
  export RUSTFLAGS="${RUSTFLAGS:-}${RUSTFLAGS:+ }--cfg sha2_backend_soft=\"compact\""
fi
log "cargo build -p $CARGO_PACKAGE --release --lib --target $TARGET ${FEATURE_ARGS[*]} (RUSTFLAGS=${RUSTFLAGS:-})"
cargo build -p "$CARGO_PACKAGE" --release --lib --target "$TARGET" "${FEATURE_ARGS[@]}"
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"
WASM="$TARGET_DIR/$TARGET/release/${CARGO_PACKAGE//-/_}.wasm"
[[ -f "$WASM" ]] || die "missing $WASM after cargo build"

# --- 2. wasm-bindgen twice, into a staging dir ------------------------------------
STAGE="$(mktemp -d "${PKG_DIR%/}.staging.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
for flavour in web:web node:nodejs; do
  dir="${flavour%%:*}" target="${flavour#*:}"
  log "wasm-bindgen --target $target -> $(basename "$PKG_DIR")/$dir/"
  wasm-bindgen --target "$target" --out-dir "$STAGE/$dir" --out-name "$CRATE" "$WASM"
done
# pkg/ is "type": "module"; the nodejs flavour is CommonJS, so mark its folder.
printf '{\n  "type": "commonjs"\n}\n' >"$STAGE/node/package.json"

# --- 2b. the runtime and the typings ---------------------------------------------
# runtime.js is plain declarations; after it, each flavour guards its classes and exports the
# helpers its own way (ES module: `export`; CommonJS: `exports.X =`, which Node's ESM import of
# CommonJS detects as named exports).
classes="$(grep -oE '^export class [A-Za-z]+' "$STAGE/web/$CRATE.js" | awk '{print $3}' | paste -sd, -)"
[[ -n "$classes" ]] || die "no exported classes found in the web glue"
helpers=(sealStream openStream MemoryRecordStore)
{
  cat pkg-template/runtime.js
  printf '\nchatsealGuard([%s]);\nexport { %s };\n' "$classes" "$(IFS=,; echo "${helpers[*]}" | sed 's/,/, /g')"
} >>"$STAGE/web/$CRATE.js"
{
  cat pkg-template/runtime.js
  printf '\nchatsealGuard([%s]);\n' "$classes"
  for h in "${helpers[@]}"; do printf 'exports.%s = %s;\n' "$h" "$h"; done
} >>"$STAGE/node/$CRATE.js"
# The glue repeats every doc comment of the Rust exports as JSDoc; the typings carry them, so the
# JS drops them (about 5 KB gzip). Only whole-line /** ... */ blocks go; each file must still parse.
for js in "$STAGE"/*/"$CRATE.js"; do
  python3 - "$js" <<'PY'
import re, sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
open(path, "w", encoding="utf-8").write(re.sub(r"^[ \t]*/\*\*(?:(?!\*/).)*?\*/[ \t]*\n", "", text, flags=re.S | re.M))
PY
done
node --check "$STAGE/node/$CRATE.js" || die "node glue does not parse after stripping comments"
cp "$STAGE/web/$CRATE.js" "$STAGE/web/check.mjs" && node --check "$STAGE/web/check.mjs" && rm "$STAGE/web/check.mjs" ||
  die "web glue does not parse after stripping comments"
# wasm-bindgen declares `[Symbol.dispose](): void` on every class, which does not compile with
# lib es2022 (no Symbol.dispose). Replace it by an interface that has the member exactly when
# the program's lib declares Symbol.dispose, so `using` stays typed there.
for dts in "$STAGE"/*/"$CRATE.d.ts"; do
  grep -q '\[Symbol.dispose\](): void;' "$dts" || die "$dts: no [Symbol.dispose] member to replace"
  sed -i '/\[Symbol.dispose\](): void;/d' "$dts"
  {
    printf '\n/** `[Symbol.dispose]()` (the same as `free()`) where the lib declares Symbol.dispose. */\n'
    printf 'type ChatsealDisposeKey = SymbolConstructor extends { readonly dispose: infer K extends symbol } ? K : never;\n'
    printf '/** See `ChatsealDisposeKey`. */\n'
    printf 'export type ChatsealDisposable = { [K in ChatsealDisposeKey]: () => void };\n'
    for c in ${classes//,/ }; do
      [[ "$c" == KeyringShare ]] && continue
      printf 'export interface %s extends ChatsealDisposable {}\n' "$c"
    done
  } >>"$dts"
done

# --- 3. wasm-opt ----------------------------------------------------------------
mapfile -t OPT_FLAGS < <(python3 - "$ROOT/Cargo.toml" <<'PY'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    meta = tomllib.load(f).get("package", {}).get("metadata", {})
flags = meta.get("wasm-pack", {}).get("profile", {}).get("release", {}).get("wasm-opt", ["-Oz"])
if flags is True or not isinstance(flags, list):
    flags = ["-Oz"]
if not any(str(f).startswith("-O") for f in flags):
    flags = ["-Oz"] + flags
print("\n".join(str(f) for f in flags))
PY
)
# WASM_OPT_LEVEL (e.g. -O3) replaces the -O* entries of those flags: for scripts/bench.sh's variants.
if [[ -n "${WASM_OPT_LEVEL:-}" ]]; then
  kept=()
  for f in "${OPT_FLAGS[@]}"; do [[ "$f" == -O* ]] || kept+=("$f"); done
  OPT_FLAGS=("$WASM_OPT_LEVEL" "${kept[@]}")
fi
# Drop custom sections browsers never read (names/DWARF, producers,
# target_features): about 250 bytes raw on the skeleton, no behaviour change.
OPT_FLAGS+=(--strip-debug --strip-producers --strip-target-features)
for wasm in "$STAGE"/*/*_bg.wasm; do
  [[ "${WASM_OPT:-1}" == 0 ]] && { log "WASM_OPT=0: no wasm-opt, names kept (profiling build)"; continue; }
  log "wasm-opt ${OPT_FLAGS[*]} $(basename "$(dirname "$wasm")")/$(basename "$wasm")"
  wasm-opt "$wasm" -o "$wasm.opt" "${OPT_FLAGS[@]}"
  mv "$wasm.opt" "$wasm"
done

# --- 4. package template ------------------------------------------------------------
[[ -f pkg-template/package.json ]] || die "pkg-template/package.json is missing"
shopt -s nullglob dotglob
for f in pkg-template/*; do
  [[ "$(basename "$f")" == runtime.js ]] && continue # appended to the glue above
  cp -R "$f" "$STAGE/"
done
shopt -u nullglob dotglob
if [[ ! -f "$STAGE/README.md" && -f README.md ]]; then
  log "pkg-template/README.md missing: using the repository README.md"
  cp README.md "$STAGE/README.md"
fi
# The package's version is the binding crate's (what `version()` returns).
CRATE_VERSION="$(awk '/^\[/ { p = ($0 == "[package]") } p && /^version *= */ { v = $0; sub(/^version *= *"/, "", v); sub(/".*$/, "", v); print v; exit }' crates/chatseal-wasm/Cargo.toml)"
node - "$STAGE/package.json" "$CRATE_VERSION" <<'JS'
const fs = require('node:fs');
const [file, version] = process.argv.slice(2);
const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
if (pkg.version !== version) {
  console.error(`[build] package.json version ${pkg.version} -> ${version} (from Cargo.toml)`);
  pkg.version = version;
}
fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + '\n');
JS

# --- 5. smoke: the Node flavour loads and instantiates ----------------------------------
node -e 'const m = require(process.argv[1]); if (!Object.keys(m).length) { console.error("[build] node flavour exports nothing"); process.exit(1); }' \
  "$STAGE/node/$CRATE.js"

# --- 6. publish the staging dir as PKG_DIR ---------------------------------------
rm -rf "$PKG_DIR"
mv "$STAGE" "$PKG_DIR"
chmod 755 "$PKG_DIR"
trap - EXIT

# --- 7. sizes ------------------------------------------------------------------
printf '\n%-6s %-22s %10s %10s\n' flavour file raw gzip-9
for dir in web node; do
  for f in "$PKG_DIR/$dir/${CRATE}_bg.wasm" "$PKG_DIR/$dir/$CRATE.js"; do
    raw=$(wc -c <"$f")
    gz=$(gzip -9 -c "$f" | wc -c)
    printf '%-6s %-22s %10d %10d\n' "$dir" "$(basename "$f")" "$raw" "$gz"
  done
done
printf '\n'
log "built $PKG_DIR (version $CRATE_VERSION${FEATURES:+, FEATURES=$FEATURES}) in ${SECONDS}s"
