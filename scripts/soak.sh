#!/usr/bin/env bash
# Proof and load run of the reference backend, on loopback only, bounded in time and count:
#
#   bash scripts/soak.sh [--quick]
#
# Builds the relay, the service end and the soak driver (release), then runs three phases, each
# with its own relay + service processes and a fresh database:
#   A  steady, SQLite (60 s; --quick 20 s): N simulated widgets (native chatseal initiators),
#      each sending turns with unique plaintext and PII canaries and waiting for the sealed answer
#   B  crash, SQLite (45 s; --quick 25 s): kill -9 of the relay at 1/3, of the service end at
#      2/3, each restarted; the widgets resume (resend unacknowledged posts, reconnect with
#      their cursor); every acknowledged turn must be answered exactly once, every chain whole
#   C  steady, PostgreSQL (30 s; --quick 15 s) on a throwaway cluster (127.0.0.1, temp dir)
# During the steady phases it records the machine's load average and the CPU time of the relay,
# the service end and the widgets (per turn), and the relay's posts per SQLite commit.
# Then every canary is searched for in the SQLite files and their WAL, the service stores, the
# Postgres data directory and all relay and service logs (and one planted on purpose must be
# found). Writes RELIABILITY.md and ends with the line
#   soak: acked=<n> lost=0 duplicated=0 canaries=0 rate=<turns/s> p99_ms=<ms>
# (rate and p99 of phase A). Exit status 1 if any zero is not a zero (or a conversation fails
# its audit); the rate is a figure, not a pass/fail threshold.
#
# Environment: SOAK_WIDGETS (default 128), SOAK_TARGET_DIR (cargo target dir, default
# target/soak), SOAK_PHASES (e.g. "B": only those phases, no canary search, no RELIABILITY.md;
# exit 1 on lost/duplicated/wrong/broken turns), SOAK_KEEP=1 (keep the work dir with the logs),
# SOAK_LOG (RUST_LOG of relay and service, default info).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
QUICK=0
[[ "${1:-}" == --quick ]] && QUICK=1
WIDGETS="${SOAK_WIDGETS:-128}"
if ((QUICK)); then SECS_A=20 SECS_B=25 SECS_C=15; else SECS_A=60 SECS_B=45 SECS_C=30; fi

# shellcheck source=scripts/env.sh
[[ -f scripts/env.sh ]] && source scripts/env.sh
# shellcheck source=crates/chatseal-relay/scripts/test-postgres.sh
source crates/chatseal-relay/scripts/test-postgres.sh

export CARGO_TARGET_DIR="${SOAK_TARGET_DIR:-$ROOT/target/soak}"
echo ">> building (release, without LTO) into $CARGO_TARGET_DIR"
CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  cargo build --release --quiet -p chatseal-relay --bins
BIN="$CARGO_TARGET_DIR/release"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/chatseal-soak.XXXXXX")"
RELAY_PID="" SERVICE_PID="" DRIVER_PID=""
cleanup() {
  local p
  for p in "$DRIVER_PID" "$SERVICE_PID" "$RELAY_PID"; do
    [[ -n "$p" ]] && kill -9 "$p" 2>/dev/null || true
  done
  pg_cluster_stop
  [[ "${SOAK_KEEP:-0}" == 1 ]] && echo ">> kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
CANARIES="$WORK/canaries.txt"
: >"$CANARIES"

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

wait_healthy() {
  for _ in $(seq 1 200); do
    python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
      "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "!! relay on port $1 did not become healthy" >&2
  return 1
}

start_relay() { # DIR PORT URL
  RUST_LOG="${SOAK_LOG:-info}" "$BIN/chatseal-relay" serve --database-url "$3" --listen "127.0.0.1:$2" \
    --rate 1000000 --burst 1000000 --max-sockets 4096 --db-connections "${SOAK_DB_CONNECTIONS:-8}" >>"$1/relay.log" 2>&1 &
  RELAY_PID=$!
  wait_healthy "$2"
}

start_service() { # DIR PORT KEY
  RUST_LOG="${SOAK_LOG:-info}" CHATSEAL_SERVICE_API_KEY="$3" "$BIN/chatseal-service" run \
    --relay "http://127.0.0.1:$2" --data-dir "$1/service" --chunks 1 --concurrency 64 >>"$1/service.log" 2>&1 &
  SERVICE_PID=$!
}

CLK_TCK="$(getconf CLK_TCK)"
cpu_secs() { # PID -> user+system CPU seconds so far
  awk -v t="$CLK_TCK" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$1/stat" 2>/dev/null || echo 0
}
load1() { cut -d' ' -f1 /proc/loadavg; }
# CPU seconds of this script's Postgres cluster (postmaster and its children), 0 without one.
postgres_cpu() {
  local pm t=0 p
  pm="$(head -n1 "${PG_DIR:-/nonexistent}/data/postmaster.pid" 2>/dev/null)" || { echo 0; return; }
  for p in "$pm" $(pgrep -P "$pm"); do t="$(awk -v t="$t" -v k="$CLK_TCK" '{ printf "%.2f", t + ($14 + $15) / k }' "/proc/$p/stat" 2>/dev/null || echo "$t")"; done
  echo "$t"
}

# The relay's group-commit counters (SQLite): "batches posts", or "0 0".
write_batches() { # PORT
  python3 - "$1" <<'PY' 2>/dev/null || echo "0 0"
import sys, urllib.request
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=5).read().decode()
get = lambda name: next((float(l.split()[-1]) for l in text.splitlines() if l.startswith(name + " ")), 0)
print(int(get("chatseal_relay_sqlite_write_batches_total")), int(get("chatseal_relay_sqlite_batched_posts_total")))
PY
}

# run_phase NAME DATABASE_URL SECS CRASH(0|1) -> $WORK/NAME/summary.json, $WORK/NAME/window.json
run_phase() {
  local name="$1" url="$2" secs="$3" crash="$4" dir="$WORK/$1" port
  mkdir -p "$dir"
  port="$(free_port)"
  local tenant keys wkey skey pub
  tenant="$("$BIN/chatseal-relay" create-tenant --database-url "$url" "soak-$name" 2>>"$dir/relay.log")"
  wkey="$(json '["widget_key"]' <<<"$tenant")"
  skey="$(json '["service_key"]' <<<"$tenant")"
  keys="$("$BIN/chatseal-service" keys --data-dir "$dir/service" 2>>"$dir/service.log")"
  pub="$(json '["public_key"]' <<<"$keys")"
  start_relay "$dir" "$port" "$url"
  start_service "$dir" "$port" "$skey"
  echo ">> phase $name: $WIDGETS widgets for ${secs}s on ${url%%:*}$( ((crash)) && echo ', with kill -9 of the relay and of the service')"
  "$BIN/chatseal-soak" --relay "http://127.0.0.1:$port" --widget-key="$wkey" --public-key="$pub" \
    --widgets "$WIDGETS" --secs "$secs" --canaries "$CANARIES" >"$dir/summary.json" 2>>"$dir/driver.log" &
  DRIVER_PID=$!
  # What the processes use while the widgets send (steady phases, the first secs - 1 seconds:
  # the driver exits soon after it stops sending): CPU seconds of each, of the Postgres server,
  # the machine's load, the relay's write batches.
  local l0 c0r c0s c0d c0p b0 b1 window=$((secs - 1))
  l0="$(load1)" c0r="$(cpu_secs "$RELAY_PID")" c0s="$(cpu_secs "$SERVICE_PID")" c0d="$(cpu_secs "$DRIVER_PID")"
  c0p="$(postgres_cpu)" b0="$(write_batches "$port")"
  if ((!crash)); then
    sleep "$window"
    b1="$(write_batches "$port")"
    python3 - "$dir/window.json" "$window" "$l0" "$(load1)" "$(cpu_secs "$RELAY_PID")" "$c0r" "$(cpu_secs "$SERVICE_PID")" \
      "$c0s" "$(cpu_secs "$DRIVER_PID")" "$c0d" "$(postgres_cpu)" "$c0p" $b0 $b1 <<'PY'
import json, sys
a = sys.argv
f = lambda i: float(a[i])
json.dump({"secs": f(2), "load_start": f(3), "load_end": f(4), "cpu_relay": f(5) - f(6), "cpu_service": f(7) - f(8),
           "cpu_driver": f(9) - f(10), "cpu_postgres": f(11) - f(12), "batches": f(15) - f(13),
           "batched_posts": f(16) - f(14)}, open(a[1], "w"))
PY
  fi
  if ((crash)); then
    sleep $((secs / 3))
    echo "   kill -9 relay (pid $RELAY_PID) at $((secs / 3))s; restarting"
    kill -9 "$RELAY_PID"; wait "$RELAY_PID" 2>/dev/null || true
    sleep 1
    start_relay "$dir" "$port" "$url"
    sleep $((secs / 3))
    echo "   kill -9 service (pid $SERVICE_PID) at ~$((2 * secs / 3))s; restarting"
    kill -9 "$SERVICE_PID"; wait "$SERVICE_PID" 2>/dev/null || true
    sleep 1
    start_service "$dir" "$port" "$skey"
  fi
  wait "$DRIVER_PID"
  DRIVER_PID=""
  # Killed, not stopped: the SQLite WAL stays on disk for the canary search.
  kill -9 "$SERVICE_PID" "$RELAY_PID" 2>/dev/null || true
  wait "$SERVICE_PID" "$RELAY_PID" 2>/dev/null || true
  SERVICE_PID="" RELAY_PID=""
  [[ -f "$dir/window.json" ]] || echo '{"load_start": '"$l0"', "load_end": '"$(load1)"'}' >"$dir/window.json"
  echo "   $(cat "$dir/summary.json")"
  echo "   window: $(cat "$dir/window.json")"
}

PHASES="${SOAK_PHASES:-ABC}"
[[ "$PHASES" == *A* ]] && run_phase A "sqlite://$WORK/A/relay.db" "$SECS_A" 0
[[ "$PHASES" == *B* ]] && run_phase B "sqlite://$WORK/B/relay.db" "$SECS_B" 1
if [[ "$PHASES" == *C* ]]; then
  PG_FSYNC=on pg_cluster_start
  run_phase C "$DATABASE_URL" "$SECS_C" 0
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
fi
if [[ "$PHASES" != ABC ]]; then
  echo ">> SOAK_PHASES=$PHASES: partial run, no canary search, RELIABILITY.md not written"
  rc=0
  for p in $(echo "$PHASES" | grep -o .); do
    python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); sys.exit(0 if s["lost"]+s["duplicated"]+s["wrong_answers"]+s["audit_bad"]==0 else 1)' \
      "$WORK/$p/summary.json" || { echo "!! phase $p: lost, duplicated, wrong or broken turns" >&2; rc=1; }
  done
  exit "$rc"
fi

echo ">> searching $(wc -l <"$CANARIES") canaries in databases, WAL, service stores, Postgres data, logs"
SEARCH=("$WORK/A" "$WORK/B" "$WORK/C" "$PG_DIR")
ls "$WORK"/A/relay.db* "$WORK"/B/relay.db* "$WORK"/*/service/service.db* "$WORK"/*/*.log >"$WORK/searched.txt"
FOUND="$(grep -r -a -F -o -f "$CANARIES" "${SEARCH[@]}" --exclude=canaries.txt 2>/dev/null | wc -l || true)"
PLANTED="$WORK/planted.bin"
cp "$WORK/A/relay.db" "$PLANTED"
tail -n1 "$CANARIES" >>"$PLANTED"
PLANTED_FOUND="$(grep -a -F -o -f "$CANARIES" "$PLANTED" | wc -l || true)"
rm -f "$PLANTED"
[[ "$PLANTED_FOUND" == 1 ]] || { echo "!! the search did not find the planted canary ($PLANTED_FOUND)" >&2; exit 1; }
echo "   found: $FOUND (planted one found: yes)"

PYRC=0
python3 - "$WORK" "$FOUND" "$QUICK" "$(wc -l <"$CANARIES")" "$(nproc)" >"$WORK/final.txt" <<'PY' || PYRC=$?
import json, sys, datetime
work, found, quick, n_canaries, cores = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", int(sys.argv[4]), sys.argv[5]
phases = {p: json.load(open(f"{work}/{p}/summary.json")) for p in "ABC"}
windows = {p: json.load(open(f"{work}/{p}/window.json")) for p in "ABC"}
names = {"A": "steady, SQLite", "B": "kill -9 relay + service, SQLite", "C": "steady, PostgreSQL"}
acked = sum(s["acked"] for s in phases.values())
lost = sum(s["lost"] + s["wrong_answers"] for s in phases.values())
dup = sum(s["duplicated"] for s in phases.values())
bad = sum(s["audit_bad"] for s in phases.values())
a = phases["A"]
rows = "\n".join(
    f"| {p} | {names[p]} | {s['secs']} | {s['widgets']} | {s['acked']} | {s['rate']} | {s['p50_ms']:.1f} | {s['p99_ms']:.1f} | {s['lost']} | {s['duplicated']} | {s['resent']} | {s['reconnects']} | {s['conversations']} | {s['audit_bad']} | {windows[p]['load_start']:.2f} → {windows[p]['load_end']:.2f} |"
    for p, s in phases.items())
def cpu_row(p):
    w, s = windows[p], phases[p]
    turns = max(s["rate"] * w["secs"], 1)
    ms = lambda k: f"{w[k] * 1000 / turns:.3f}"
    batch = f"{w['batched_posts'] / w['batches']:.1f}" if w.get("batches") else "n/a (no group commit)"
    total = sum(w[k] for k in ("cpu_relay", "cpu_service", "cpu_driver", "cpu_postgres"))
    db = ms("cpu_postgres") if w["cpu_postgres"] > 0 else "(in the relay)"
    return (f"| {p} | {ms('cpu_relay')} | {db} | {ms('cpu_service')} | {ms('cpu_driver')} | {total * 1000 / turns:.3f} | "
            f"{total / w['secs'] / int(cores) * 100:.0f}% | {batch} |")
cpu_rows = "\n".join(cpu_row(p) for p in "AC" if "cpu_relay" in windows[p])
line = f"soak: acked={acked} lost={lost} duplicated={dup} canaries={found} rate={a['rate']} p99_ms={a['p99_ms']:.1f}"
doc = f"""# Reliability of the reference backend

Produced by `bash scripts/soak.sh{' --quick' if quick else ''}` on {datetime.date.today().isoformat()} ({cores} cores, loopback only).
Each phase starts its own `chatseal-relay serve` and `chatseal-service run` processes (release build,
built-in responder, one stream chunk per answer) and `chatseal-soak`: simulated widgets, each a
native chatseal initiator pinned to the service key, sending a turn with a unique plaintext canary
and a unique e-mail canary, waiting for the sealed answer, checking it word for word, 25 turns per
conversation (the last one a close), then a new conversation. A turn counts as *acked* when the
relay answered its post with 2xx; *lost* when its answer never arrived (or was wrong); *duplicated*
when an envelope was delivered twice or did not open. After each phase every conversation is
audited by the relay (`chatseal::audit`): *audit bad* counts verdicts other than complete/unfinished.
*load* is the machine's 1-minute load average when the widgets started and when they stopped
(other work on the machine competes for the same cores: compare the CPU figures below).

| phase | what | s | widgets | acked | turns/s | p50 ms | p99 ms | lost | duplicated | resent | reconnects | conversations | audit bad | load |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
{rows}

CPU time per turn while the widgets sent (steady phases; user + system, from `/proc`; the
PostgreSQL server's processes counted apart), the share of the machine all of them used
together, and the posts per SQLite write transaction (group commit):

| phase | relay ms/turn | database server ms/turn | service end ms/turn | widgets ms/turn | all ms/turn | share of {cores} cores | posts per commit |
| --- | --- | --- | --- | --- | --- | --- | --- |
{cpu_rows}

Latency is from the widget's post to the last chunk of the answer arriving on its live socket
(closed loop: every widget waits for its answer before the next turn). Phase B kills the relay
(`kill -9`) a third of the way in and the service end two thirds in; both restart a second later.
Widgets resend posts that got no answer (the relay answers a byte-identical resend with 200 and
stores nothing), reconnect their live socket with their cursor; the service end re-posts its
outbox and answers the turns it had opened but not answered. Its latency figures include the
outages. A reply stored while its poster was being killed is announced all the same (the relay
stores and announces a post in a task of its own), and a re-posted reply is announced again (a
relay without both once lost one answer here: stored, never delivered to the widget's open socket).

Throughput target (issue 12): at least 1,000 turns/s sustained for 60 s on SQLite on this machine:
**{'met' if a['rate'] >= 1000 else 'not met'}** ({a['rate']} turns/s in phase A, relay, service end and all widgets sharing
{cores} cores with the machine's other work: load {windows['A']['load_start']:.2f} → {windows['A']['load_end']:.2f}).

Canaries: {n_canaries} unique strings were searched for (`grep -a -F`) in the SQLite databases
with their `-wal`/`-shm` files (the processes were killed, so the WAL was not checkpointed away),
the service stores, the PostgreSQL data directory, and every relay, service and driver log:
**{found} found**. The search was shown to work by planting one canary into a copy of a database
file: it was found.

{line}
"""
open(f"{work}/RELIABILITY.md", "w").write(doc)
print(line)
ok = lost == 0 and dup == 0 and found == 0 and bad == 0
sys.exit(0 if ok else 3)
PY
rc=0
((PYRC == 0)) || rc=1
cp "$WORK/RELIABILITY.md" "$ROOT/RELIABILITY.md"
tail -n1 "$WORK/final.txt" | grep -q '^soak:' || rc=1
grep -q 'lost=0 duplicated=0 canaries=0' "$WORK/final.txt" || rc=1
for p in A B C; do
  grep -q '"audit_bad":0' "$WORK/$p/summary.json" || { echo "!! phase $p: conversations failed the audit" >&2; rc=1; }
done
echo ">> RELIABILITY.md written"
cat "$WORK/final.txt"
exit "$rc"
