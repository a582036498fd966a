#!/usr/bin/env bash
# Main command: install what is missing, build the npm package, copy it into www/pkg/, then run
# the reference backend (relay + service end on embedded SQLite, data in target/chatseal-demo/)
# serving the demo on http://127.0.0.1:8080 (HOST=..., PORT=... to change). Ctrl-C stops all.
#
#   bash scripts/serve.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8080}"

bash scripts/setup.sh
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"
CHATSEAL_SKIP_SETUP=1 bash scripts/build.sh
bash scripts/sync-www.sh
[[ -f www/index.html ]] || echo "[serve] warning: www/index.html does not exist yet" >&2

# The dev profile: a release build with LTO of the backend takes many minutes on a small
# machine, and the demo needs none of that speed.
cargo build -q -p chatseal-relay --bin chatseal-relay
echo
echo "  chatseal demo: http://$HOST:$PORT/   (relay + service end on SQLite in target/chatseal-demo/)"
echo
exec cargo run -q -p chatseal-relay --bin chatseal-relay -- demo --listen "$HOST:$PORT" \
  --data-dir "$ROOT/target/chatseal-demo" --www "$ROOT/www"
