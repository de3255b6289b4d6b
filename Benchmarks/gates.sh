#!/usr/bin/env bash
# Benchmarks/gates.sh: one gate on SQLite versus one, two and three gates on one PostgreSQL
# (a benchmark, not a test), all on this machine.
#
#   Benchmarks/gates.sh            # ROUNDS=2 DURATION=8 CONNS=32; HOOKGATE_BIN / SKIP_BUILD as elsewhere
#
# Every gate runs at the defaults users run (durability full, log level info, metrics on)
# and verifies Plaid webhooks whose key it fetches from the peers' key server (plaidsim.py
# keyserver); load is the peers' wrk script (signed.lua) with fresh unique webhooks. With N
# gates, N wrk processes (CONNS/N connections each) drive one gate each at the same time,
# as an upstream spreading load would. PostgreSQL is a throwaway cluster started here
# (Tests/postgres-cluster.sh: default settings, fsync on), a fresh database per setup.
# Per run: accepted/s (the gates' /stats accepted deltas, summed), CPU µs per accepted
# webhook of the gates and of PostgreSQL's processes, and bytes of WAL PostgreSQL wrote
# per accepted webhook. Prints the median of ROUNDS runs.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEERS="${PEERS:-$REPO/../shared/peers}"
ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-8}
CONNS=${CONNS:-32}
BASE_PORT=${BASE_PORT:-18300}
KEY_PORT=${KEY_PORT:-18391}
PER_RUN=${PER_RUN:-$((DURATION * 9000))}

WORK="$(mktemp -d /var/tmp/hookgate-gates.XXXXXX)"
# shellcheck source=support/common.sh
source "$REPO/Benchmarks/support/common.sh"
KEY_PID=""
PIDS=()
PG_DIR="$(mktemp -d /tmp/hookgate-gates-pg.XXXXXX)"   # /tmp: the postgres user must reach it
stop_all() {
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    PIDS=()
}
cleanup() {
    stop_all
    [ -n "$KEY_PID" ] && kill "$KEY_PID" 2>/dev/null && { wait "$KEY_PID" 2>/dev/null || true; }
    bash "$REPO/Tests/postgres-cluster.sh" stop "$PG_DIR" >/dev/null 2>&1 || true
    [ "${KEEP:-0}" = 1 ] && log "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

need wrk openssl python3 curl
[ -f "$PEERS/signed.lua" ] || die "no peers at $PEERS"
for port in "$KEY_PORT" $(seq "$BASE_PORT" $((BASE_PORT + 5))) $(seq $((BASE_PORT + 10)) $((BASE_PORT + 15))); do
    port_free "$port" || die "port $port is in use"
done
build_release

export PLAIDSIM_KEY="$WORK/plaidsim-key.pem"
python3 "$PEERS/plaidsim.py" keyserver --port "$KEY_PORT" >"$WORK/keyserver.log" 2>&1 &
KEY_PID=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$KEY_PORT") 2>/dev/null && break; sleep 0.1; done

mkdir -p "$PG_DIR"
eval "$(bash "$REPO/Tests/postgres-cluster.sh" start "$PG_DIR")" || die "cannot start PostgreSQL"
POSTMASTER=$(head -1 "$HOOKGATE_TEST_PGDATA/postmaster.pid")
PG_VERSION=$(psql "$HOOKGATE_TEST_DATABASE_URL" -Atc "SHOW server_version")

# CPU seconds of PostgreSQL: the postmaster and every backend it forked.
pg_cpu() {
    local total=0 p
    for p in "$POSTMASTER" $(pgrep -P "$POSTMASTER" || true); do
        [ -r "/proc/$p/stat" ] && total=$(python3 -c "print($total + $(cpu_seconds "$p"))")
    done
    echo "$total"
}
gates_cpu() {
    local total=0 p
    for p in "${PIDS[@]}"; do total=$(python3 -c "print($total + $(cpu_seconds "$p"))"); done
    echo "$total"
}

# setup NAME GATES DATABASE_LINES: starts GATES gates sharing DATABASE_LINES.
setup() {
    local gates=$2 database=$3 n
    for n in $(seq 0 $((gates - 1))); do
        cat >"$WORK/gate$n.yaml" <<YAML
server:
  host: 127.0.0.1
  port: $((BASE_PORT + n))
admin:
  host: 127.0.0.1
  port: $((BASE_PORT + 10 + n))
database:
$database
  durability: full
providers:
  plaid:
    key_url: http://127.0.0.1:$KEY_PORT/webhook_verification_key/get
    client_id: bench
    secret: bench
YAML
        "$HOOKGATE" serve --config "$WORK/gate$n.yaml" --log-level info >>"$WORK/gate$n-$1.log" 2>&1 &
        PIDS+=($!)
    done
    for n in $(seq 0 $((gates - 1))); do
        for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$((BASE_PORT + 10 + n))/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
        curl -fsS "http://127.0.0.1:$((BASE_PORT + 10 + n))/readyz" >/dev/null || die "gate $n of $1 not ready"
    done
}

accepted_sum() {
    local total=0 n
    for n in $(seq 0 $(($1 - 1))); do total=$((total + $(stat_value $((BASE_PORT + 10 + n)) providers.plaid.accepted))); done
    echo "$total"
}

# The server's WAL position (bytes since the cluster's start).
wal_bytes() { psql "$HOOKGATE_TEST_DATABASE_URL" -Atc "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint"; }

# measure GATES ROUND: one run; prints "rate gate_us pg_us accepted answered wal_bytes_per_webhook".
measure() {
    local gates=$1 round=$2 n pids=() before after g0 g1 p0 p1 w0 w1 answered=0
    for n in $(seq 0 $((gates - 1))); do
        python3 "$PEERS/plaidsim.py" gen -n $((PER_RUN / gates + 1)) -o "$WORK/h$n.txt" --offset $(( (round * 10 + n) * PER_RUN )) >/dev/null
        python3 "$PEERS/records.py" "$WORK/h$n.txt" "$WORK/h$n.rec"
    done
    before=$(accepted_sum "$gates"); g0=$(gates_cpu); p0=$(pg_cpu); w0=$(wal_bytes)
    for n in $(seq 0 $((gates - 1))); do
        HOOKS="$WORK/h$n.rec" WRK_THREADS=1 wrk -t1 -c$((CONNS / gates)) -d"${DURATION}s" -s "$PEERS/signed.lua" \
            "http://127.0.0.1:$((BASE_PORT + n))/webhooks/plaid" >"$WORK/wrk$n.txt" 2>&1 &
        pids+=($!)
    done
    for n in "${pids[@]}"; do wait "$n"; done
    after=$(accepted_sum "$gates"); g1=$(gates_cpu); p1=$(pg_cpu); w1=$(wal_bytes)
    for n in $(seq 0 $((gates - 1))); do answered=$((answered + $(awk '/requests in/ { print $1 }' "$WORK/wrk$n.txt"))); done
    python3 -c "ok = $after - $before; print(f'{ok / $DURATION:.0f} {($g1 - $g0) * 1e6 / max(ok, 1):.0f} {($p1 - $p0) * 1e6 / max(ok, 1):.0f} {ok} $answered {($w1 - $w0) / max(ok, 1):.0f}')"
}

RESULTS=()
run_setup() {
    local name=$1 gates=$2 database=$3 round line rates=() gate_us=() pg_us=() wal=()
    setup "$name" "$gates" "$database"
    for round in $(seq 1 "$ROUNDS"); do
        line=$(measure "$gates" "$round")
        read -r rate g p ok answered w <<<"$line"
        log "$name round $round: $rate accepted/s ($ok of $answered), gates $g µs CPU/webhook, PostgreSQL $p µs, WAL $w bytes/webhook"
        rates+=("$rate"); gate_us+=("$g"); pg_us+=("$p"); wal+=("$w")
    done
    stop_all
    RESULTS+=("$name|$(printf '%s ' "${rates[@]}")|$(printf '%s ' "${gate_us[@]}")|$(printf '%s ' "${pg_us[@]}")|$(printf '%s ' "${wal[@]}")")
}

run_setup "SQLite, 1 gate" 1 "  path: $WORK/gate.sqlite"
for gates in 1 2 3; do
    database="hg_bench_$gates"
    psql "$HOOKGATE_TEST_DATABASE_URL" -qc "CREATE DATABASE $database"
    run_setup "PostgreSQL, $gates gate$([ "$gates" = 1 ] || echo s)" "$gates" "  url: ${HOOKGATE_TEST_DATABASE_URL%/postgres}/$database?sslmode=disable"
done

python3 - "$TREE_VERSION" "$PG_VERSION" "${RESULTS[@]}" <<PY
import statistics, sys
version, pg = sys.argv[1], sys.argv[2]
print(f"gates: {version}; PostgreSQL {pg} (throwaway cluster, defaults, fsync on); $ROUNDS rounds of ${DURATION}s each, wrk $CONNS connections in all")
print(f"{'setup':<22} {'accepted/s':>10} {'gates µs/webhook':>17} {'PostgreSQL µs/webhook':>22} {'total µs/webhook':>17} {'WAL bytes/webhook':>18}")
for entry in sys.argv[3:]:
    name, rates, gates, pgs, wals = entry.split("|")
    on_pg = name.startswith("PostgreSQL")
    rate = statistics.median(float(x) for x in rates.split())
    g = statistics.median(float(x) for x in gates.split())
    p = statistics.median(float(x) for x in pgs.split()) if on_pg else 0
    w = f"{statistics.median(float(x) for x in wals.split()):.0f}" if on_pg else "-"
    print(f"{name:<22} {rate:>10.0f} {g:>17.0f} {p:>22.0f} {g + p:>17.0f} {w:>18}")
PY
