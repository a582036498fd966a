#!/usr/bin/env bash
# Main command: install what is missing, build the package, copy it into
# www/pkg/ and serve www/ on http://127.0.0.1:8080 (PORT=... to change).
#
#   bash scripts/serve.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8080}"

bash scripts/setup.sh
CHATSEAL_SKIP_SETUP=1 bash scripts/build.sh
bash scripts/sync-www.sh
[[ -f www/index.html ]] || echo "[serve] warning: www/index.html does not exist yet" >&2

echo
echo "  chatseal demo: http://$HOST:$PORT/"
echo
exec python3 scripts/lib/serve.py --dir "$ROOT/www" --host "$HOST" --port "$PORT"
