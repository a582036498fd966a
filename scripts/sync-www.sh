#!/usr/bin/env bash
# Copy the built package (pkg/) into www/pkg/ so the demo page can load
# ./pkg/web/chatseal.js. www/pkg/ is git-ignored. Run scripts/build.sh first.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[[ -f "$ROOT/pkg/web/chatseal.js" ]] || { echo "[sync-www] no pkg/web/chatseal.js: run bash scripts/build.sh" >&2; exit 1; }
mkdir -p "$ROOT/www"
rm -rf "$ROOT/www/pkg"
cp -R "$ROOT/pkg" "$ROOT/www/pkg"
echo "[sync-www] pkg/ -> www/pkg/" >&2
