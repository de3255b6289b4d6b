#!/usr/bin/env bash
# Benchmarks/ab.sh: two HookGate builds loaded at the same time, for the CPU one change
# saves or costs (a benchmark, not a test).
#
#   Benchmarks/ab.sh OLD_BINARY NEW_BINARY      # ROUNDS=4 DURATION=8 CONNS=16
#
# Why at the same time: on this class of machine (2 shared cores, CPU steal) the CPU a
# webhook costs drifts by ±10 % from one minute to the next, so two builds measured one
# after the other differ by more than most changes do. Loaded at once, both see the same
# machine: two copies of one build measured 1.005 and 1.011 of each other.
#
# Each round starts both gates at the defaults users run (`durability: full`, log level
# info, metrics on) with a fresh database, on ports that swap between rounds; fetches the
# Plaid key from the peers' key server (plaidsim.py keyserver); warms both up for 2 s; then
# drives each with its own wrk (one thread, CONNS connections, the peers' signed.lua) and
# fresh unique webhooks for DURATION s, both at once. Per gate: CPU µs per request
# (utime+stime over the requests it answered), requests and non-2xx answers; then
# NEW/OLD. Prints every round and the median ratio. Exits non-zero only when something
# broke (a gate that did not start, a non-2xx answer or a socket error).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEERS="${PEERS:-$REPO/../shared/peers}"
ROUNDS=${ROUNDS:-4}
DURATION=${DURATION:-8}
CONNS=${CONNS:-16}
PORT_A=${PORT_A:-18380}
PORT_B=${PORT_B:-18480}
KEY_PORT=${KEY_PORT:-18911}
PER_RUN=${PER_RUN:-$((DURATION * 9000))}

[ $# = 2 ] || { echo "usage: Benchmarks/ab.sh OLD_BINARY NEW_BINARY" >&2; exit 2; }
OLD=$1
NEW=$2

WORK="$(mktemp -d /var/tmp/hookgate-ab.XXXXXX)"
# shellcheck source=support/common.sh
source "$REPO/Benchmarks/support/common.sh"
KEY_PID=""
PIDS=()
# stop PID...: SIGTERM, then waits until each process is gone (they are this shell's children).
stop() {
    local pid
    for pid in "$@"; do kill "$pid" 2>/dev/null || true; done
    for pid in "$@"; do wait "$pid" 2>/dev/null || true; done
}
cleanup() {
    [ ${#PIDS[@]} -gt 0 ] && stop "${PIDS[@]}"
    [ -n "$KEY_PID" ] && kill "$KEY_PID" 2>/dev/null && { wait "$KEY_PID" 2>/dev/null || true; }
    [ "${KEEP:-0}" = 1 ] && log "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

need wrk python3 curl
for binary in "$OLD" "$NEW"; do [ -x "$binary" ] || die "$binary is not executable"; done
for port in "$PORT_A" "$((PORT_A + 1))" "$PORT_B" "$((PORT_B + 1))" "$KEY_PORT"; do
    port_free "$port" || die "port $port is in use"
done
[ -f "$PEERS/plaidsim.py" ] || die "no peers at $PEERS"

export PLAIDSIM_KEY="$WORK/plaidsim-key.pem"
python3 "$PEERS/plaidsim.py" keyserver --port "$KEY_PORT" >"$WORK/keyserver.log" 2>&1 &
KEY_PID=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$KEY_PORT") 2>/dev/null && break; sleep 0.1; done

# serve BINARY NAME PORT: starts a gate (admin on PORT+1) with its own database, in this
# shell (so it can be waited for); sets SERVED to its pid and adds it to PIDS.
serve() {
    local binary=$1 name=$2 port=$3 i pid
    mkdir -p "$WORK/$name"
    cat >"$WORK/$name/gate.yaml" <<YAML
server: {host: 127.0.0.1, port: $port}
admin: {host: 127.0.0.1, port: $((port + 1))}
database: {path: $WORK/$name/gate.sqlite, durability: full}
providers:
  plaid: {key_url: "http://127.0.0.1:$KEY_PORT/webhook_verification_key/get", client_id: bench, secret: bench}
YAML
    "$binary" serve --config "$WORK/$name/gate.yaml" >"$WORK/$name/gate.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    SERVED=$pid
    for i in $(seq 1 300); do
        curl -fsS "http://127.0.0.1:$((port + 1))/readyz" >/dev/null 2>&1 && return 0
        kill -0 "$pid" 2>/dev/null || { tail -20 "$WORK/$name/gate.log" >&2; die "$binary exited during start"; }
        sleep 0.1
    done
    die "$binary not ready after 30 s"
}

# webhooks NAME COUNT OFFSET: fresh unique signed webhooks in wrk's record format.
webhooks() {
    python3 "$PEERS/plaidsim.py" gen -n "$2" -o "$WORK/$1.txt" --offset "$3" >/dev/null
    python3 "$PEERS/records.py" "$WORK/$1.txt" "$WORK/$1.rec"
}

load() { # PORT RECORDS SECONDS OUT
    HOOKS="$2" WRK_THREADS=1 wrk -t1 -c"$CONNS" -d"$3s" -s "$PEERS/signed.lua" "http://127.0.0.1:$1/webhooks/plaid" >"$4" 2>&1
}

# failures OUT: non-2xx answers plus socket errors wrk reported.
failures() { awk '/Non-2xx/ { n += $NF } /Socket errors/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' "$1"; }

RATIOS=()
for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then old_port=$PORT_A; new_port=$PORT_B; else old_port=$PORT_B; new_port=$PORT_A; fi
    rm -rf "$WORK/old" "$WORK/new"
    serve "$OLD" old "$old_port"; OLD_PID=$SERVED
    serve "$NEW" new "$new_port"; NEW_PID=$SERVED
    webhooks warm-old 2000 $((round * 3 * PER_RUN))
    webhooks warm-new 2000 $((round * 3 * PER_RUN + 2000))
    webhooks old "$PER_RUN" $((round * 3 * PER_RUN + PER_RUN))
    webhooks new "$PER_RUN" $((round * 3 * PER_RUN + 2 * PER_RUN))
    load "$old_port" "$WORK/warm-old.rec" 2 "$WORK/warm-old.out" &
    load "$new_port" "$WORK/warm-new.rec" 2 "$WORK/warm-new.out"
    wait $!
    old0=$(cpu_seconds "$OLD_PID"); new0=$(cpu_seconds "$NEW_PID")
    load "$old_port" "$WORK/old.rec" "$DURATION" "$WORK/old.out" &
    load_pid=$!
    load "$new_port" "$WORK/new.rec" "$DURATION" "$WORK/new.out"
    wait "$load_pid"
    old1=$(cpu_seconds "$OLD_PID"); new1=$(cpu_seconds "$NEW_PID")
    old_n=$(awk '/requests in/ { print $1 }' "$WORK/old.out"); new_n=$(awk '/requests in/ { print $1 }' "$WORK/new.out")
    [ "$(failures "$WORK/old.out")" = 0 ] && [ "$(failures "$WORK/new.out")" = 0 ] && [ "${old_n:-0}" -gt 0 ] && [ "${new_n:-0}" -gt 0 ] \
        || { cat "$WORK/old.out" "$WORK/new.out" >&2; die "round $round: non-2xx answers, socket errors or no requests"; }
    line=$(python3 -c "
o = ($old1 - $old0) * 1e6 / $old_n; n = ($new1 - $new0) * 1e6 / $new_n
print(f'{n / o:.3f} round $round: old {o:.1f} µs/request ({$old_n} requests), new {n:.1f} µs/request ({$new_n} requests), new/old {n / o:.3f}')")
    RATIOS+=("${line%% *}")
    log "${line#* }"
    stop "$OLD_PID" "$NEW_PID"
    PIDS=()
done
python3 - "$OLD" "$NEW" "${RATIOS[@]}" <<'PY'
import statistics, sys
old, new, ratios = sys.argv[1], sys.argv[2], [float(x) for x in sys.argv[3:]]
print(f"ab: old {old}, new {new}: CPU per webhook new/old median {statistics.median(ratios):.3f} "
      f"(rounds {', '.join(f'{r:.3f}' for r in ratios)}; durability full, log level info, both loaded at once)")
PY
