#!/usr/bin/env bash
# Benchmarks/senders.sh: what a shared-secret sender costs beside an ES256 one: Stripe
# (HMAC-SHA256) beside Plaid (ES256), on one gate at the defaults (a benchmark, not a test).
#
#   Benchmarks/senders.sh                # ROUNDS=3 DURATION=8 CONNS=32 RATE=500 RATE_DURATION=10
#
# One release gate as users run it: `durability: full`, log level info (one line per
# request), metrics on, SQLite on disk in a temp folder, two providers:
#   plaid   pinned `keys_file: Keys/dev.jwks.json`; webhooks signed with Keys/dev-private.pem
#           (kid hookgate-dev-1), the Plaid fixture with a unique item_id (191-byte body)
#   stripe  `kind: stripe`, one secret ($STRIPE_WEBHOOK_SECRET, default the development
#           secret), `max_age` at its default (300 s); the Stripe payment_intent.succeeded
#           fixture with a unique event id (604-byte body), `Stripe-Signature: t=NOW,v1=HMAC`
# Every request is unique and pre-signed just before its run (`hookgate_bench.py presign
# [--kind stripe]`), so every answer must be `200 accepted`.
#
# Two loads, each provider in turn, the order swapped every round (plaid first in odd
# rounds, stripe first in even ones) so that drift (the store grows, the neighbours come
# and go) does not favour one:
#   saturation  closed loop: wrk -t$THREADS -c$CONNS -d$DURATION with support/replay.lua,
#               which sends each pre-built request once, in order (wraps are counted, and
#               would be duplicates: a broken run). Commits carry many events here.
#   fixed rate  open loop at $RATE/s for $RATE_DURATION s (+2 s warm-up, counted too):
#               support/fixedrate.c. Commits carry one or a few events here, as on most
#               real gates.
# For each run: accepted/s (the /stats `providers.<p>.accepted` delta over the run) and
# CPU µs per webhook (the gate's utime+stime delta / that accepted delta), plus the CPU
# other processes used meanwhile. Prints best and median of each, and stripe/plaid as
# the ratio of medians and the median of the per-round ratios (each round's two runs
# were adjacent in time). Then the crypto alone, from `openssl speed`: one ES256 verify
# and one HMAC-SHA256 of a Stripe-sized message.
#
# Exits non-zero only when something broke (a gate that would not start, a run in which
# not every answer was `200 accepted`), never for a figure.
#
# Knobs: ROUNDS=3 DURATION=8 THREADS=1 CONNS=32 RATE=500 RATE_DURATION=10 RATE_CONNS=8
#   MAX_RATE=15000 (unique requests signed per saturation run: DURATION x MAX_RATE)
#   WARMUP=3 (s of saturation per provider before round 1, not measured)
#   PORT=18580 ADMIN_PORT=19591 WAIT_IDLE=1 WAIT_IDLE_MAX=30 SKIP_BUILD=0 HOOKGATE_BIN= KEEP=0
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8}
THREADS=${THREADS:-1}
CONNS=${CONNS:-32}
RATE=${RATE:-500}
RATE_DURATION=${RATE_DURATION:-10}
RATE_CONNS=${RATE_CONNS:-8}
MAX_RATE=${MAX_RATE:-15000}
WARMUP=${WARMUP:-3}
PORT=${PORT:-18580}
ADMIN_PORT=${ADMIN_PORT:-19591}
# Signed requests wait for the machine to quiet down at most this long (Stripe's t and
# Plaid's iat must stay within 300 s of the gate's clock).
WAIT_IDLE_MAX=${WAIT_IDLE_MAX:-30}
export STRIPE_WEBHOOK_SECRET=${STRIPE_WEBHOOK_SECRET:-whsec_hookgate_development_stripe_secret}

# On disk (not tmpfs), so durability: full really fsyncs.
WORK="$(mktemp -d /var/tmp/hookgate-senders.XXXXXX)"
# shellcheck source=support/common.sh
source "$REPO/Benchmarks/support/common.sh"
cleanup() {
    local rc=$?
    stop_gate
    if [ "${KEEP:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need wrk python3 curl openssl cc awk
python3 -c 'import cryptography' 2>/dev/null || die "python3 cryptography package missing"
port_free "$PORT" || die "port $PORT is busy"
port_free "$ADMIN_PORT" || die "port $ADMIN_PORT is busy"
build_release
cc -O2 -o "$WORK/fixedrate" "$REPO/Benchmarks/support/fixedrate.c" || die "could not build support/fixedrate.c"
log "binary: $HOOKGATE; work dir: $WORK"

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
    keys_file: $REPO/Keys/dev.jwks.json
  stripe:
    kind: stripe
    secrets: ["\${STRIPE_WEBHOOK_SECRET}"]
YAML
"$HOOKGATE" serve --config "$WORK/gate.yaml" --check >/dev/null || die "configuration $WORK/gate.yaml refused"
start_gate "$WORK/gate.yaml" "$ADMIN_PORT" info "$WORK/gate.log"
log "gate pid $GATE_PID"

BROKEN=""
SEQ=0
presign() { # KIND COUNT -> $WORK/req.0
    SEQ=$((SEQ + 1))
    python3 "$BENCH_PY" presign --kind "$1" --out "$WORK/req" --tag "$(printf 'r%03d' "$SEQ")" --threads "$THREADS" \
        --port "$PORT" --count "$2" 2>>"$WORK/presign.log" || die "presign $1 failed"
}
accepted_total() { stat_value "$ADMIN_PORT" "providers.$1.accepted"; }

# measure KIND MODE: one run; sets R_RATE (accepted/s), R_CPU (µs per webhook), R_ACC, R_ANSWERS, R_FOREIGN.
# Not called in a subshell: it counts SEQ (unique tags) and BROKEN.
measure() {
    local kind=$1 mode=$2 count a0 a1 c0 c1 out secs answers bad foreign
    if [ "$mode" = sat ]; then count=$((DURATION * MAX_RATE)); else count=$(( RATE * (RATE_DURATION + 2) + 100 )); fi
    presign "$kind" "$count"
    wait_idle
    foreign_snapshot run
    a0=$(accepted_total "$kind"); c0=$(cpu_seconds "$GATE_PID")
    if [ "$mode" = sat ]; then
        wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" -s "$BENCH_LUA" "http://127.0.0.1:$PORT" -- "$WORK/req" >"$WORK/out.txt" 2>&1 \
            || { cat "$WORK/out.txt" >&2; die "wrk failed"; }
        out=$(grep '^RESULT ' "$WORK/out.txt") || { cat "$WORK/out.txt" >&2; die "wrk printed no RESULT line"; }
        secs=$(sed -E 's/.* duration_s=([0-9.]+).*/\1/' <<<"$out")
        answers=$(sed -E 's/.* requests=([0-9]+).*/\1/' <<<"$out")
        bad=$(awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                     print v["duplicate"] + v["other200"] + v["non200"] + v["wraps"] + v["socket_errors"] }' <<<"$out")
        [ "$bad" = 0 ] || { log "BROKEN ($kind $mode): $out"; BROKEN+=" $kind/$mode"; }
    else
        "$WORK/fixedrate" --port "$PORT" --rate "$RATE" --duration "$RATE_DURATION" --warmup 2 --connections "$RATE_CONNS" \
            "$WORK/req.0" >"$WORK/out.txt" || die "fixed-rate client failed"
        secs=$((RATE_DURATION + 2))
        out=$(cat "$WORK/out.txt")
        answers=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["measured"])' "$WORK/out.txt")
    fi
    c1=$(cpu_seconds "$GATE_PID"); a1=$(accepted_total "$kind")
    foreign=$(foreign_diff run)
    if [ "$mode" = rate ]; then
        # fixedrate sends (RATE_DURATION + 2) x RATE requests, all of which must be accepted.
        [ $((a1 - a0)) = $((RATE * (RATE_DURATION + 2))) ] || { log "BROKEN ($kind $mode): $((a1 - a0)) accepted: $out"; BROKEN+=" $kind/$mode"; }
    fi
    rm -f "$WORK"/req.*
    R_ACC=$((a1 - a0)); R_ANSWERS=$answers; R_FOREIGN=${foreign%% *}
    R_RATE=$(awk -v n="$R_ACC" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
    R_CPU=$(awk -v n="$R_ACC" -v c0="$c0" -v c1="$c1" 'BEGIN { printf "%.1f", (n > 0) ? (c1 - c0) / n * 1e6 : 0 }')
}

if [ "$WARMUP" -gt 0 ]; then
    for kind in plaid stripe; do
        log "warm-up: $kind, ${WARMUP}s at saturation (not measured)"
        DURATION=$WARMUP measure "$kind" sat
    done
fi

RESULTS="$WORK/results.txt"
: >"$RESULTS"
for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then order="plaid stripe"; else order="stripe plaid"; fi
    for mode in sat rate; do
        for kind in $order; do
            measure "$kind" "$mode"
            log "round $round $mode $kind: $R_RATE accepted/s, $R_CPU µs CPU/webhook ($R_ACC accepted, $R_ANSWERS answers; others ${R_FOREIGN}% of a core)"
            echo "$round $mode $kind $R_RATE $R_CPU $R_ACC $R_FOREIGN" >>"$RESULTS"
        done
    done
done
EVENTS=$(stat_value "$ADMIN_PORT" store.events 2>/dev/null || echo n/a)
RSS=$(peak_rss_mb "$GATE_PID")
stop_gate

log "openssl speed (gate stopped): ecdsap256, HMAC-SHA256 of 615 bytes (\"<t>.\" + the Stripe body)"
wait_idle
VERIFY=$(openssl_verify_per_s 3)
HMAC_KBS=$(openssl speed -seconds 3 -bytes 615 -hmac sha256 2>/dev/null | awk '/^hmac\(sha256\)/ { sub(/k$/, "", $NF); print $NF }')

python3 - "$RESULTS" "$TREE_VERSION" "$VERIFY" "$HMAC_KBS" "$EVENTS" "$RSS" <<PY
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
version, verify, hmac_kbs, events, rss = sys.argv[2], float(sys.argv[3] or 0), float(sys.argv[4] or 0), sys.argv[5], sys.argv[6]
def col(mode, kind, i): return [float(r[i]) for r in rows if r[1] == mode and r[2] == kind]
def per_round(mode, i):
    out = []
    for n in sorted({r[0] for r in rows}, key=int):
        p = [float(r[i]) for r in rows if r[0] == n and r[1] == mode and r[2] == "plaid"]
        s = [float(r[i]) for r in rows if r[0] == n and r[1] == mode and r[2] == "stripe"]
        if p and s and p[0] > 0: out.append(s[0] / p[0])
    return out
print(f"senders: {version}")
print(f"gate: release, durability full, log level info, metrics on, SQLite on disk; {len(set(r[0] for r in rows))} rounds, order swapped each round")
print(f"machine: $(nproc) cores shared with the load generator and with other users' work (the 'others' column: % of one core)")
for mode, title in (("sat", "saturation, closed loop: wrk -t$THREADS -c$CONNS -d${DURATION}s, replay.lua, unique requests"),
                    ("rate", "fixed rate, open loop: fixedrate $RATE/s for ${RATE_DURATION}+2 s, $RATE_CONNS connections")):
    print(f"\n{title}")
    print(f"{'provider':<8} {'accepted/s per round':<24} {'CPU µs/webhook per round':<28} {'best':>7} {'median':>7}   others %")
    for kind in ("plaid", "stripe"):
        rate, cpu, other = col(mode, kind, 3), col(mode, kind, 4), col(mode, kind, 6)
        print(f"{kind:<8} {' '.join(f'{x:.0f}' for x in rate):<24} {' '.join(f'{x:.1f}' for x in cpu):<28} "
              f"{min(cpu):>7.1f} {statistics.median(cpu):>7.1f}   {' '.join(f'{x:.0f}' for x in other)}")
    p, s = col(mode, "plaid", 4), col(mode, "stripe", 4)
    pr = per_round(mode, 4)
    print(f"CPU per webhook, stripe/plaid: {statistics.median(s) / statistics.median(p):.2f} (medians), "
          f"{min(s) / min(p):.2f} (bests), per round {' '.join(f'{x:.2f}' for x in pr)} (median {statistics.median(pr):.2f}); "
          f"plaid - stripe = {statistics.median(p) - statistics.median(s):.1f} µs (medians)")
    if mode == "sat":
        ar = per_round(mode, 3)
        print(f"accepted/s, stripe/plaid: {statistics.median(col(mode, 'stripe', 3)) / statistics.median(col(mode, 'plaid', 3)):.2f} (medians), "
              f"per round {' '.join(f'{x:.2f}' for x in ar)}")
print()
if verify > 0: print(f"crypto alone (openssl speed, one core): ES256 verify {1e6 / verify:.1f} µs; ", end="")
if hmac_kbs > 0: print(f"HMAC-SHA256 of 615 bytes {615 / (hmac_kbs * 1000) * 1e6:.2f} µs", end="")
print()
print(f"gate: {events} events stored at the end, peak RSS {rss} MB")
PY

if [ -n "$BROKEN" ]; then die "runs in which not every answer was 200 accepted:$BROKEN"; fi
