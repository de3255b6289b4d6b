#!/usr/bin/env bash
# Benchmarks/versus-node.sh: HookGate against the Node peer (../shared/peers/peer_node.js),
# side by side in one run (a benchmark, not a test).
#
#   Benchmarks/versus-node.sh            # ROUNDS=3 DURATION=8 CONNS=32 THREADS=2
#
# Both servers verify Plaid webhooks whose key they fetch from the peers' key server
# (plaidsim.py keyserver) and are driven by the peers' own wrk script (signed.lua) with
# fresh unique webhooks every run (plaidsim.py gen). HookGate runs at the defaults users
# run: `durability: full`, log level info (one line per request), metrics on; the Node
# peer stores nothing. The servers are measured alternately, ROUNDS times each; for each
# run: accepted/s (HookGate: its /stats accepted delta over the run; Node: wrk's 2xx
# count) and CPU µs per request (utime+stime of the server's processes before and after,
# over the requests it answered). Then `openssl speed ecdsap256` (one core) for the cost
# of one ES256 verify, and the ratios the performance issue sets as goals. Prints the
# best and median run of each. Exits non-zero only when something broke.
#
# PROFILE=FILE also records the gate with `perf record -g` (1999 Hz) during each of its
# runs, the last one kept in FILE (the recording costs the gate some CPU: read the
# shares, not the rates, of such a run), for example:
#   PROFILE=/tmp/gate.perf ROUNDS=1 Benchmarks/versus-node.sh
#   perf report -i /tmp/gate.perf --no-children --sort comm,dso -g none
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEERS="${PEERS:-$REPO/../shared/peers}"
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
PORT=${PORT:-18180}
ADMIN_PORT=${ADMIN_PORT:-19191}
NODE_PORT=${NODE_PORT:-18904}
KEY_PORT=${KEY_PORT:-18901}
PER_RUN=${PER_RUN:-$((DURATION * 22000))}

WORK="$(mktemp -d /var/tmp/hookgate-versus.XXXXXX)"
# shellcheck source=support/common.sh
source "$REPO/Benchmarks/support/common.sh"
KEY_PID=""
NODE_PID=""
cleanup() {
    stop_gate
    [ -n "$NODE_PID" ] && kill "$NODE_PID" 2>/dev/null && { wait "$NODE_PID" 2>/dev/null || true; }
    [ -n "$KEY_PID" ] && kill "$KEY_PID" 2>/dev/null && { wait "$KEY_PID" 2>/dev/null || true; }
    [ "${KEEP:-0}" = 1 ] && log "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

need wrk node openssl python3 curl
[ -n "${PROFILE:-}" ] && need perf
for port in "$PORT" "$ADMIN_PORT" "$NODE_PORT" "$KEY_PORT"; do
    port_free "$port" || die "port $port is in use (a peer or key server left from an earlier run?)"
done
[ -f "$PEERS/peer_node.js" ] || die "no peers at $PEERS"
build_release

export PLAIDSIM_KEY="$WORK/plaidsim-key.pem"
python3 "$PEERS/plaidsim.py" keyserver --port "$KEY_PORT" >"$WORK/keyserver.log" 2>&1 &
KEY_PID=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$KEY_PORT") 2>/dev/null && break; sleep 0.1; done

cat >"$WORK/gate.yaml" <<YAML
server:
  host: 127.0.0.1
  port: $PORT
admin:
  host: 127.0.0.1
  port: $ADMIN_PORT
database:
  path: $WORK/gate.sqlite
  durability: full
providers:
  plaid:
    key_url: http://127.0.0.1:$KEY_PORT/webhook_verification_key/get
    client_id: bench
    secret: bench
YAML
start_gate "$WORK/gate.yaml" "$ADMIN_PORT" info "$WORK/gate.log"
PORT=$NODE_PORT KEY_SERVER="http://127.0.0.1:$KEY_PORT" node "$PEERS/peer_node.js" >"$WORK/node.log" 2>&1 &
NODE_PID=$!
sleep 1

# CPU seconds of a process and its children (Node's cluster workers).
tree_cpu() {
    local total=0 p
    for p in "$1" $(pgrep -P "$1" || true); do
        total=$(python3 -c "print($total + $(cpu_seconds "$p"))")
    done
    echo "$total"
}

accepted_total() { stat_value "$ADMIN_PORT" providers.plaid.accepted; }

# run NAME PORT PID: one wrk run with fresh webhooks; prints "rate cpu_us_per_request".
run() {
    local name=$1 port=$2 pid=$3 n=$4
    python3 "$PEERS/plaidsim.py" gen -n "$PER_RUN" -o "$WORK/h-$name-$n.txt" --offset $((n * PER_RUN)) >/dev/null
    python3 "$PEERS/records.py" "$WORK/h-$name-$n.txt" "$WORK/h-$name-$n.rec"
    local before_cpu before_ok out after_cpu answered ok
    before_cpu=$(tree_cpu "$pid")
    [ "$name" = hookgate ] && before_ok=$(accepted_total)
    local recorder=""
    if [ "$name" = hookgate ] && [ -n "${PROFILE:-}" ]; then
        perf record -F 1999 -g -p "$pid" -o "$PROFILE" -- sleep "$((DURATION - 1))" >/dev/null 2>&1 &
        recorder=$!
    fi
    out=$(HOOKS="$WORK/h-$name-$n.rec" WRK_THREADS=$THREADS wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" -s "$PEERS/signed.lua" "http://127.0.0.1:$port/webhooks/plaid" 2>&1)
    after_cpu=$(tree_cpu "$pid")
    [ -n "$recorder" ] && { wait "$recorder" || true; }
    answered=$(printf '%s\n' "$out" | awk '/requests in/ { print $1 }')
    if [ "$name" = hookgate ]; then
        ok=$(( $(accepted_total) - before_ok ))
    else
        local non2xx
        non2xx=$(printf '%s\n' "$out" | awk '/Non-2xx/ { print $NF; found = 1 } END { if (!found) print 0 }')
        ok=$(( answered - non2xx ))
    fi
    rm -f "$WORK/h-$name-$n.txt" "$WORK/h-$name-$n.rec"
    python3 -c "print(f'{$ok / $DURATION:.0f} {($after_cpu - $before_cpu) * 1e6 / max($answered, 1):.1f} {$answered} {$ok}')"
}

declare -a GATE_RATES GATE_CPU NODE_RATES NODE_CPU
for round in $(seq 1 "$ROUNDS"); do
    read -r rate cpu answered ok < <(run hookgate "$PORT" "$GATE_PID" "$round")
    log "round $round hookgate: $rate accepted/s, $cpu µs CPU/request ($ok of $answered accepted)"
    GATE_RATES+=("$rate"); GATE_CPU+=("$cpu")
    read -r rate cpu answered ok < <(run node "$NODE_PORT" "$NODE_PID" "$((round + 100))")
    log "round $round node:     $rate accepted/s, $cpu µs CPU/request ($ok of $answered 2xx)"
    NODE_RATES+=("$rate"); NODE_CPU+=("$cpu")
done
GATE_RSS=$(peak_rss_mb "$GATE_PID")
stop_gate

VERIFY=$(openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/256 bits ecdsa/ { print $NF }' | tail -1)

python3 - "$VERIFY" "$GATE_RSS" "$TREE_VERSION" <<PY
import statistics, sys
verify_per_s, rss, version = float(sys.argv[1]), sys.argv[2], sys.argv[3]
g_rate = [float(x) for x in "${GATE_RATES[*]}".split()]; g_cpu = [float(x) for x in "${GATE_CPU[*]}".split()]
n_rate = [float(x) for x in "${NODE_RATES[*]}".split()]; n_cpu = [float(x) for x in "${NODE_CPU[*]}".split()]
verify_us = 1e6 / verify_per_s
print(f"versus-node: {version}, {len(g_rate)} rounds each, wrk -t$THREADS -c$CONNS -d${DURATION}s, HookGate at durability full, log level info")
print(f"{'server':<10} {'accepted/s (best, median)':<28} {'CPU µs/request (best, median)':<32}")
print(f"{'hookgate':<10} {max(g_rate):>8.0f} {statistics.median(g_rate):>8.0f}{'':<11} {min(g_cpu):>8.1f} {statistics.median(g_cpu):>8.1f}")
print(f"{'node':<10} {max(n_rate):>8.0f} {statistics.median(n_rate):>8.0f}{'':<11} {min(n_cpu):>8.1f} {statistics.median(n_cpu):>8.1f}")
print(f"ES256 verify (openssl speed ecdsap256, one core): {verify_per_s:.0f}/s = {verify_us:.1f} µs")
print(f"ratio accepted/s hookgate/node (median): {statistics.median(g_rate) / statistics.median(n_rate):.2f}   (goal >= 1.0)")
print(f"ratio CPU per webhook / one verify (median): {statistics.median(g_cpu) / verify_us:.2f}   (goal <= 1.5)")
print(f"node CPU per webhook / one verify (median): {statistics.median(n_cpu) / verify_us:.2f}")
print(f"hookgate peak RSS: {rss} MB   (goal <= 80)")
PY
