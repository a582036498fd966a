#!/usr/bin/env bash
# Runs the relay's test suite against a throwaway PostgreSQL cluster:
#
#   bash crates/chatseal-relay/scripts/test-postgres.sh [extra cargo test args]
#   bash crates/chatseal-relay/scripts/test-postgres.sh --workspace-build
#
# `--workspace-build` (what scripts/test.sh runs): the relay's test binaries as
# `cargo test --workspace --all-targets` built them, run directly. `cargo test -p chatseal-relay`
# unifies features for that package alone, so it would rebuild every dependency (~4 minutes)
# for a suite that runs in seconds.
#
# initdb + pg_ctl as the postgres user in a temp dir, listening on 127.0.0.1 only on a free
# port; DATABASE_URL points the suite at it; the cluster is stopped and removed on exit, also
# on failure or Ctrl-C. `pg_cluster_start` / `pg_cluster_stop` are reused by scripts/soak.sh.
set -euo pipefail
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)}"
[[ -x "$PG_BIN/initdb" ]] || { echo "!! PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_pg() {
  if [[ "$(id -un)" == postgres ]]; then "$@"; else runuser -u postgres -- "$@"; fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

pg_cluster_start() { # sets PG_DIR, PG_PORT, DATABASE_URL
  PG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/chatseal-pg.XXXXXX")"
  chmod 755 "$PG_DIR"
  mkdir -p "$PG_DIR/data" "$PG_DIR/sock"
  chown -R postgres "$PG_DIR" 2>/dev/null || true
  PG_PORT="$(free_port)"
  as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U chatseal --auth=trust -E UTF8 >"$PG_DIR/initdb.log" 2>&1 ||
    { cat "$PG_DIR/initdb.log" >&2; return 1; }
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR/sock -c fsync=${PG_FSYNC:-on} -c max_connections=200" start >/dev/null
  as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U chatseal chatseal
  DATABASE_URL="postgres://chatseal@127.0.0.1:$PG_PORT/chatseal"
  export PG_DIR PG_PORT DATABASE_URL
}

pg_cluster_stop() {
  [[ -n "${PG_DIR:-}" && -d "$PG_DIR" ]] || return 0
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
  PG_DIR=""
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
  cd "$ROOT"
  trap pg_cluster_stop EXIT
  trap 'exit 130' INT TERM
  pg_cluster_start
  echo ">> throwaway PostgreSQL on 127.0.0.1:$PG_PORT ($PG_DIR)"
  if [[ "${1:-}" == --workspace-build ]]; then
    relay_test_binaries() {
      cargo test --workspace --all-targets --no-run --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"] \
            and "/crates/chatseal-relay" in m.get("manifest_path", ""):
        print(m["executable"])'
    }
    mapfile -t binaries < <(relay_test_binaries)
    ((${#binaries[@]} > 0)) || { echo "!! no relay test binaries found" >&2; exit 1; }
    cd crates/chatseal-relay # where cargo test runs them
    for bin in "${binaries[@]}"; do
      echo ">> $(basename "$bin") on PostgreSQL"
      "$bin"
    done
  else
    cargo test -p chatseal-relay "$@"
  fi
fi
