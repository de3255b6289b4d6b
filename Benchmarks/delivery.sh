#!/usr/bin/env bash
# Benchmarks/delivery.sh: fan-out benchmark (a benchmark, not a test).
#
#   Benchmarks/delivery.sh
#
# 1. deliveries/s from a backlog: $BACKLOG events, each with one pending delivery to
#    handler "sink" (http://127.0.0.1:$SINK_PORT/hooks, an nginx on loopback answering
#    `return 200`), are inserted straight into the SQLite file with the gate stopped;
#    then the gate starts and we time until /stats deliveries.succeeded == $BACKLOG.
#    The rate is reported two ways: from the /stats polling (gate ready -> all
#    succeeded) and from the attempts table (first attempt start -> last attempt end).
# 2. intake throughput (the max-throughput wrk run of Benchmarks/intake.sh) with no
#    handler vs one HTTP handler ("*" -> the nginx sink, deliveries running during the
#    run), alternating $ROUNDS rounds, best of each, and the difference.
# The gate runs the release build (scratch path .build-bench), durability full,
# --log-level warning, pinned dev keys. Prints a summary block with every figure and
# its target; exits non-zero only when something broke, never for a missed target.
#
# Knobs (environment): BACKLOG=100000 DELIVERY_TIMEOUT=900 HANDLER_CONCURRENCY= (gate
#   default 16 when empty) DURATION=10 THREADS=1 CONNS=64 ROUNDS=2 PORT=18081
#   ADMIN_PORT=19092 SINK_PORT=18090 SKIP_BUILD=0 KEEP=0
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BACKLOG=${BACKLOG:-100000}
DELIVERY_TIMEOUT=${DELIVERY_TIMEOUT:-900}
HANDLER_CONCURRENCY=${HANDLER_CONCURRENCY:-}
DURATION=${DURATION:-10}
THREADS=${THREADS:-1}
CONNS=${CONNS:-64}
ROUNDS=${ROUNDS:-2}
PORT=${PORT:-18081}
ADMIN_PORT=${ADMIN_PORT:-19092}
SINK_PORT=${SINK_PORT:-18090}
MAX_BODIES=${MAX_BODIES:-$((DURATION * 40000))}

WORK="$(mktemp -d /var/tmp/hookgate-delivery.XXXXXX)"
# shellcheck source=support/common.sh
source "$REPO/Benchmarks/support/common.sh"
NGINX_PID=""

stop_nginx() {
    [ -n "$NGINX_PID" ] || return 0
    kill -QUIT "$NGINX_PID" 2>/dev/null || true
    local i
    for i in $(seq 1 50); do kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$NGINX_PID" 2>/dev/null && kill -KILL "$NGINX_PID" 2>/dev/null || true
    wait "$NGINX_PID" 2>/dev/null || true
    NGINX_PID=""
}

cleanup() {
    local rc=$?
    stop_gate
    stop_nginx
    if [ "${KEEP:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need swift wrk nginx python3 curl awk
python3 -c 'import cryptography' 2>/dev/null || die "python3 cryptography package missing"
for p in "$PORT" "$ADMIN_PORT" "$SINK_PORT"; do port_free "$p" || die "port $p is busy"; done
build_release
log "binary: $HOOKGATE; work dir: $WORK"

# ---------------------------------------------------------------- the sink
start_nginx() {
    mkdir -p "$WORK/nginx"
    cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/client_body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 120s;
    server {
        listen 127.0.0.1:$SINK_PORT;
        location /hooks { return 200; }
        location = /nginx_status { stub_status; }
        location / { return 404; }
    }
}
CONF
    nginx -e "$WORK/nginx/error.log" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' &
    NGINX_PID=$!
    local i
    for i in $(seq 1 50); do
        curl -fsS "http://127.0.0.1:$SINK_PORT/nginx_status" >/dev/null 2>&1 && return 0
        kill -0 "$NGINX_PID" 2>/dev/null || { cat "$WORK/nginx/error.log" >&2; NGINX_PID=""; die "nginx exited"; }
        sleep 0.1
    done
    die "nginx not answering on $SINK_PORT"
}
sink_requests() { curl -fsS "http://127.0.0.1:$SINK_PORT/nginx_status" | awk 'NR == 3 { print $3 }'; }
# CPU seconds of nginx master + workers
nginx_cpu_seconds() {
    local total=0 p
    for p in $NGINX_PID $(pgrep -P "$NGINX_PID" || true); do total=$(awk -v t="$total" -v c="$(cpu_seconds "$p")" 'BEGIN { print t + c }'); done
    echo "$total"
}

start_nginx
log "nginx sink pid $NGINX_PID on 127.0.0.1:$SINK_PORT"
SINK_URL="http://127.0.0.1:$SINK_PORT/hooks"

# ---------------------------------------------------------------- 1: backlog
mkdir -p "$WORK/backlog"
write_config "$WORK/backlog/config.yaml" "$PORT" "$ADMIN_PORT" "$WORK/backlog/hookgate.sqlite" "$SINK_URL" "$HANDLER_CONCURRENCY"
start_gate "$WORK/backlog/config.yaml" "$ADMIN_PORT" warning "$WORK/backlog/gate.log"   # creates and migrates the file
stop_gate
log "seeding $BACKLOG events + $BACKLOG pending deliveries (gate stopped)"
python3 "$BENCH_PY" seed --db "$WORK/backlog/hookgate.sqlite" --tag bdlv --count "$BACKLOG" --deliveries --handler sink
sink0=$(sink_requests); ng0=$(nginx_cpu_seconds)
t_start=$(date +%s.%N)
start_gate "$WORK/backlog/config.yaml" "$ADMIN_PORT" warning "$WORK/backlog/gate.log"
t_ready=$(date +%s.%N)
succeeded_at_ready=$(stat_value "$ADMIN_PORT" deliveries.succeeded)
log "gate ready after $(awk -v a="$t_start" -v b="$t_ready" 'BEGIN { printf "%.2f", b - a }') s; $succeeded_at_ready already delivered; waiting for $BACKLOG"
g0=$(cpu_seconds "$GATE_PID"); m0=$(machine_jiffies)
deadline=$(( $(date +%s) + DELIVERY_TIMEOUT ))
succeeded=0; progress=""
while :; do
    succeeded=$(stat_value "$ADMIN_PORT" deliveries.succeeded)
    [ "$succeeded" -ge "$BACKLOG" ] && break
    [ "$(date +%s)" -lt "$deadline" ] || { log "WARNING: timed out after $DELIVERY_TIMEOUT s with $succeeded delivered"; break; }
    sleep 0.2
done
t_done=$(date +%s.%N)
g1=$(cpu_seconds "$GATE_PID"); m1=$(machine_jiffies); ng1=$(nginx_cpu_seconds); sink1=$(sink_requests)
dead=$(stat_value "$ADMIN_PORT" deliveries.dead); retrying=$(stat_value "$ADMIN_PORT" deliveries.retrying)
backlog_rss=$(peak_rss_mb "$GATE_PID")
stop_gate
elapsed=$(awk -v a="$t_ready" -v b="$t_done" 'BEGIN { printf "%.2f", b - a }')
poll_rate=$(awk -v n="$succeeded" -v r="$succeeded_at_ready" -v s="$elapsed" 'BEGIN { printf "%.0f", (n - r) / s }')
read -r att_n att_rate att_span att_p50 att_p99 <<<"$(python3 - "$WORK/backlog/hookgate.sqlite" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
n, first, last = db.execute("SELECT count(*), min(started_at), max(started_at + duration_ms) FROM attempts WHERE succeeded = 1").fetchone()
d = [r[0] for r in db.execute("SELECT duration_ms FROM attempts WHERE succeeded = 1 ORDER BY duration_ms")]
span = (last - first) / 1000 if n else 0
pct = lambda p: d[min(len(d) - 1, int(p * (len(d) - 1)))] if d else 0
print(n, f"{n / span:.0f}" if span else "n/a", f"{span:.2f}", f"{pct(0.5):.2f}", f"{pct(0.99):.2f}")
PY
)"
backlog_gate_cpu=$(awk -v a="$g0" -v b="$g1" -v s="$elapsed" 'BEGIN { printf "%.0f", (b - a) / s * 100 }')
backlog_nginx_cpu=$(awk -v a="$ng0" -v b="$ng1" -v s="$elapsed" 'BEGIN { printf "%.0f", (b - a) / s * 100 }')
backlog_machine=$(echo "$m0 $m1" | awk '{ printf "%.0f", ($3 - $1) / ($4 - $2) * 100 }')
backlog_us_per=$(awk -v a="$g0" -v b="$g1" -v n="$((succeeded - succeeded_at_ready))" 'BEGIN { if (n > 0) printf "%.0f", (b - a) / n * 1e6; else print "n/a" }')
sink_got=$((sink1 - sink0 - 1))   # minus our own status request
rm -rf "$WORK/backlog"

# ---------------------------------------------------------------- 2: intake, handler vs none
intake_round() { # NAME URL ROUND
    local name=$1 url=$2 round=$3 dir="$WORK/intake-$1"
    rm -rf "$dir"; mkdir -p "$dir"
    write_config "$dir/config.yaml" "$PORT" "$ADMIN_PORT" "$dir/hookgate.sqlite" "$url" "$HANDLER_CONCURRENCY"
    python3 "$BENCH_PY" presign --out "$WORK/warm" --tag "w$name$round" --threads "$THREADS" --port "$PORT" --count 20000
    python3 "$BENCH_PY" presign --out "$WORK/max" --tag "m$name$round" --threads "$THREADS" --port "$PORT" --count "$MAX_BODIES"
    start_gate "$dir/config.yaml" "$ADMIN_PORT" warning "$dir/gate.log"
    run_wrk warm "$THREADS" "$CONNS" 2s "$PORT" "$WORK/warm"
    local d0; d0=$(stat_value "$ADMIN_PORT" deliveries.succeeded)
    run_wrk "in_${name}_$round" "$THREADS" "$CONNS" "${DURATION}s" "$PORT" "$WORK/max"
    local d1; d1=$(stat_value "$ADMIN_PORT" deliveries.succeeded)
    local p=in_${name}_$round
    local n=${p}_requests a=${p}_accepted r=${p}_accepted_per_s c=${p}_gate_cpu_pct u=${p}_gate_cpu_us_per_req s=${p}_duration_s
    [ "${!n}" = "${!a}" ] || log "WARNING: $name round $round: ${!a} of ${!n} answers were accepted"
    printf -v "${p}_delivered_per_s" '%.0f' "$(awk -v a="$d0" -v b="$d1" -v s="${!s}" 'BEGIN { print (b - a) / s }')"
    local dl=${p}_delivered_per_s
    log "  $name round $round: ${!r} accepted/s, gate CPU ${!c}% (${!u} us/request), ${!dl} deliveries/s during the run"
    stop_gate
    rm -f "$WORK"/warm.* "$WORK"/max.*
    rm -rf "$dir"
}
best_none=0; best_http=0
for round in $(seq 1 "$ROUNDS"); do
    log "intake round $round: no handler"
    intake_round none "" "$round"
    log "intake round $round: one HTTP handler (nginx sink)"
    intake_round http "$SINK_URL" "$round"
    v=in_none_${round}_accepted_per_s; best_none=$(awk -v a="$best_none" -v b="${!v}" 'BEGIN { print (b > a ? b : a) }')
    v=in_http_${round}_accepted_per_s; best_http=$(awk -v a="$best_http" -v b="${!v}" 'BEGIN { print (b > a ? b : a) }')
done
intake_diff=$(awk -v a="$best_none" -v b="$best_http" 'BEGIN { printf "%.1f", (a - b) / a * 100 }')
rounds_none=""; rounds_http=""
for round in $(seq 1 "$ROUNDS"); do
    v=in_none_${round}_accepted_per_s; c=in_none_${round}_gate_cpu_pct; rounds_none+=" $(printf '%.0f' "${!v}") (gate CPU ${!c}%)"
    v=in_http_${round}_accepted_per_s; c=in_http_${round}_gate_cpu_pct; d=in_http_${round}_delivered_per_s
    rounds_http+=" $(printf '%.0f' "${!v}") (gate CPU ${!c}%, ${!d} deliveries/s)"
done
stop_nginx

cat <<SUMMARY

==================== HookGate delivery benchmark ====================
machine         : $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), gate + nginx sink + load generator on the same machine
gate            : release build, durability full, --log-level warning; handler "sink" -> $SINK_URL (nginx, 1 worker, return 200)
                  handler concurrency ${HANDLER_CONCURRENCY:-default (16)}; database on $(df -T "$WORK" | awk 'NR == 2 { print $2 }')
backlog         : $BACKLOG events with one pending delivery each, inserted with the gate stopped
  delivered     : $succeeded succeeded, $dead dead, $retrying retrying; nginx saw $sink_got requests
  deliveries/s  : $poll_rate   (target >= 10000: $(verdict "$poll_rate" '>=' 10000))  [/stats: gate ready -> all succeeded in $elapsed s, polled every 0.2 s]
  from attempts : $att_rate/s over $att_span s (first attempt start -> last attempt end, $att_n attempts); attempt duration p50 $att_p50 ms, p99 $att_p99 ms
  CPU           : gate $backlog_gate_cpu% of one core ($backlog_us_per us per delivery), nginx $backlog_nginx_cpu%, machine $backlog_machine% busy; gate peak RSS $backlog_rss MB
intake          : wrk -t$THREADS -c$CONNS -d${DURATION}s, unique pre-signed Plaid webhooks, best of $ROUNDS (alternating)
  no handler    : $(printf '%.0f' "$best_none") accepted/s  (rounds:$rounds_none)
  1 HTTP handler: $(printf '%.0f' "$best_http") accepted/s  (rounds:$rounds_http)
  difference    : $intake_diff% lower with the handler (target <= 15%: $(verdict "$intake_diff" '<=' 15))
======================================================================
SUMMARY
