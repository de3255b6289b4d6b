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
# --log-level $LOG_LEVEL (default info, as users run it), pinned dev keys. Prints a summary block with every figure and
# its target; exits non-zero only when something broke, never for a missed target.
#
# WHATIF_INDEX=1 (default) repeats both measurements on a store that also has the
# partial index suggested for claimDue (created by this script after the gate's own
# migrations; the binary is unchanged), labelled "what-if" in the summary:
#   CREATE INDEX deliveries_waiting ON deliveries (handler, next_attempt_at, id)
#     WHERE status IN ('pending', 'retrying')
#
# Knobs (environment): BACKLOG=100000 DELIVERY_TIMEOUT=900 POLL=0.5 HANDLER_CONCURRENCY=
#   (gate default 64 when empty) DURATION=10 THREADS=1 CONNS=64 ROUNDS=2 WHATIF_INDEX=1
#   LOG_LEVEL=info PORT=18081 ADMIN_PORT=19092 SINK_PORT=18090 WAIT_IDLE=1 SKIP_BUILD=0 HOOKGATE_BIN= (measure that binary instead of building) KEEP=0
set -euo pipefail
LOG_LEVEL=${LOG_LEVEL:-info}

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BACKLOG=${BACKLOG:-100000}
DELIVERY_TIMEOUT=${DELIVERY_TIMEOUT:-900}
POLL=${POLL:-0.5}
WHATIF_INDEX=${WHATIF_INDEX:-1}
WHATIF_SQL="CREATE INDEX deliveries_waiting ON deliveries (handler, next_attempt_at, id) WHERE status IN ('pending', 'retrying')"
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
# fresh_store DIR URL WHATIF: config + a store created and migrated by the gate (then stopped),
# plus the what-if index when WHATIF=1.
fresh_store() {
    local dir=$1 url=$2 whatif=$3
    rm -rf "$dir"; mkdir -p "$dir"
    write_config "$dir/config.yaml" "$PORT" "$ADMIN_PORT" "$dir/hookgate.sqlite" "$url" "$HANDLER_CONCURRENCY"
    start_gate "$dir/config.yaml" "$ADMIN_PORT" "$LOG_LEVEL" "$dir/gate.log"
    stop_gate
    if [ "$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$dir/hookgate.sqlite" \
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'deliveries_waiting'")" = 1 ]; then
        HAS_WAITING_INDEX=1
    elif [ "$whatif" = 1 ]; then
        python3 -c 'import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute(sys.argv[2]); db.commit()' "$dir/hookgate.sqlite" "$WHATIF_SQL"
    fi
}
HAS_WAITING_INDEX=0

# backlog_run TAG WHATIF: sets bl_<TAG>_* figures
backlog_run() {
    local tag=$1 whatif=$2 dir="$WORK/backlog-$1"
    fresh_store "$dir" "$SINK_URL" "$whatif"
    log "[$tag] seeding $BACKLOG events + $BACKLOG pending deliveries (gate stopped)"
    python3 "$BENCH_PY" seed --db "$dir/hookgate.sqlite" --tag "b$tag" --count "$BACKLOG" --deliveries --handler sink
    wait_idle
    local sink0 ng0 t_start t_ready at_ready g0 m0 deadline succeeded t_done g1 m1 ng1 sink1 elapsed
    sink0=$(sink_requests); ng0=$(nginx_cpu_seconds)
    foreign_snapshot "bl$tag"
    t_start=$(date +%s.%N)
    start_gate "$dir/config.yaml" "$ADMIN_PORT" "$LOG_LEVEL" "$dir/gate.log"
    t_ready=$(date +%s.%N)
    at_ready=$(stat_value "$ADMIN_PORT" deliveries.succeeded)
    log "[$tag] gate ready after $(awk -v a="$t_start" -v b="$t_ready" 'BEGIN { printf "%.2f", b - a }') s; $at_ready already delivered; waiting for $BACKLOG (timeout $DELIVERY_TIMEOUT s)"
    g0=$(cpu_seconds "$GATE_PID"); m0=$(machine_jiffies)
    deadline=$(( $(date +%s) + DELIVERY_TIMEOUT ))
    while :; do
        succeeded=$(stat_value "$ADMIN_PORT" deliveries.succeeded)
        [ "$succeeded" -ge "$BACKLOG" ] && break
        [ "$(date +%s)" -lt "$deadline" ] || { log "[$tag] WARNING: timed out after $DELIVERY_TIMEOUT s with $succeeded delivered"; break; }
        sleep "$POLL"
    done
    t_done=$(date +%s.%N)
    g1=$(cpu_seconds "$GATE_PID"); m1=$(machine_jiffies); ng1=$(nginx_cpu_seconds); sink1=$(sink_requests)
    local foreign; foreign=$(foreign_diff "bl$tag")
    printf -v "bl_${tag}_succeeded" '%s' "$succeeded"
    printf -v "bl_${tag}_dead" '%s' "$(stat_value "$ADMIN_PORT" deliveries.dead)"
    printf -v "bl_${tag}_retrying" '%s' "$(stat_value "$ADMIN_PORT" deliveries.retrying)"
    printf -v "bl_${tag}_rss" '%s' "$(peak_rss_mb "$GATE_PID")"
    stop_gate
    elapsed=$(awk -v a="$t_ready" -v b="$t_done" 'BEGIN { printf "%.2f", b - a }')
    printf -v "bl_${tag}_elapsed" '%s' "$elapsed"
    printf -v "bl_${tag}_rate" '%s' "$(awk -v n="$succeeded" -v r="$at_ready" -v s="$elapsed" 'BEGIN { printf "%.0f", (n - r) / s }')"
    local att; att=$(python3 - "$dir/hookgate.sqlite" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
n, first, last = db.execute("SELECT count(*), min(started_at), max(started_at + duration_ms) FROM attempts WHERE succeeded = 1").fetchone()
d = [r[0] for r in db.execute("SELECT duration_ms FROM attempts WHERE succeeded = 1 ORDER BY duration_ms")]
span = (last - first) / 1000 if n else 0
pct = lambda p: d[min(len(d) - 1, int(p * (len(d) - 1)))] if d else 0
print(n, f"{n / span:.0f}" if span else "n/a", f"{span:.2f}", f"{pct(0.5):.2f}", f"{pct(0.99):.2f}")
PY
)
    read -r "bl_${tag}_att_n" "bl_${tag}_att_rate" "bl_${tag}_att_span" "bl_${tag}_att_p50" "bl_${tag}_att_p99" <<<"$att"
    printf -v "bl_${tag}_gate_cpu" '%s' "$(awk -v a="$g0" -v b="$g1" -v s="$elapsed" 'BEGIN { printf "%.0f", (b - a) / s * 100 }')"
    printf -v "bl_${tag}_nginx_cpu" '%s' "$(awk -v a="$ng0" -v b="$ng1" -v s="$elapsed" 'BEGIN { printf "%.0f", (b - a) / s * 100 }')"
    printf -v "bl_${tag}_machine" '%s' "$(echo "$m0 $m1" | awk '{ printf "%.0f", ($3 - $1) / ($4 - $2) * 100 }')"
    printf -v "bl_${tag}_us_per" '%s' "$(awk -v a="$g0" -v b="$g1" -v n="$((succeeded - at_ready))" 'BEGIN { if (n > 0) printf "%.0f", (b - a) / n * 1e6; else print "n/a" }')"
    printf -v "bl_${tag}_sink" '%s' "$(( sink1 - sink0 - 1 ))"   # minus our own status request
    printf -v "bl_${tag}_foreign" '%s' "$foreign"
    local r=bl_${tag}_rate
    log "[$tag] ${!r} deliveries/s (${succeeded} in $elapsed s)"
    rm -rf "$dir"
}

backlog_run main 0
if [ "$HAS_WAITING_INDEX" = 1 ] && [ "$WHATIF_INDEX" = 1 ]; then
    log "the gate's own migrations already create deliveries_waiting: the what-if runs are skipped"
    WHATIF_INDEX=0
fi
[ "$WHATIF_INDEX" = 1 ] && backlog_run whatif 1

# ---------------------------------------------------------------- 2: intake, handler vs none
intake_round() { # NAME URL ROUND WHATIF
    local name=$1 url=$2 round=$3 dir="$WORK/intake-$1"
    fresh_store "$dir" "$url" "$4"
    python3 "$BENCH_PY" presign --out "$WORK/warm" --tag "w$name$round" --threads "$THREADS" --port "$PORT" --count 20000
    python3 "$BENCH_PY" presign --out "$WORK/max" --tag "m$name$round" --threads "$THREADS" --port "$PORT" --count "$MAX_BODIES"
    start_gate "$dir/config.yaml" "$ADMIN_PORT" "$LOG_LEVEL" "$dir/gate.log"
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
variants="none http"
[ "$WHATIF_INDEX" = 1 ] && variants="none http whatif"
for v in $variants; do printf -v "best_$v" '%s' 0; printf -v "rounds_$v" '%s' ""; done
for round in $(seq 1 "$ROUNDS"); do
    for v in $variants; do
        case $v in
            none) log "intake round $round: no handler"; intake_round none "" "$round" 0 ;;
            http) log "intake round $round: one HTTP handler (nginx sink)"; intake_round http "$SINK_URL" "$round" 0 ;;
            whatif) log "intake round $round: one HTTP handler + what-if index"; intake_round whatif "$SINK_URL" "$round" 1 ;;
        esac
        a=in_${v}_${round}_accepted_per_s; c=in_${v}_${round}_gate_cpu_pct; d=in_${v}_${round}_delivered_per_s; f=in_${v}_${round}_foreign_pct
        b=best_$v; printf -v "best_$v" '%s' "$(awk -v a="${!b}" -v b="${!a}" 'BEGIN { print (b > a ? b : a) }')"
        r=rounds_$v; printf -v "rounds_$v" '%s' "${!r} $(printf '%.0f' "${!a}") (gate CPU ${!c}%, ${!d} deliveries/s, others ${!f}%)"
    done
done
intake_diff=$(awk -v a="$best_none" -v b="$best_http" 'BEGIN { printf "%.1f", (a - b) / a * 100 }')
[ "$WHATIF_INDEX" = 1 ] && whatif_diff=$(awk -v a="$best_none" -v b="$best_whatif" 'BEGIN { printf "%.1f", (a - b) / a * 100 }')
stop_nginx

backlog_lines() { # TAG
    local t=$1 v
    for v in succeeded dead retrying sink rate elapsed att_rate att_span att_n att_p50 att_p99 gate_cpu us_per nginx_cpu machine rss foreign; do
        local n=bl_${t}_$v; printf -v "_$v" '%s' "${!n}"
    done
    cat <<LINES
  delivered     : $_succeeded succeeded, $_dead dead, $_retrying retrying; nginx saw $_sink requests
  deliveries/s  : $_rate   (target >= 10000: $(verdict "$_rate" '>=' 10000))  [/stats: gate ready -> all succeeded in $_elapsed s, polled every $POLL s]
  from attempts : $_att_rate/s over $_att_span s (first attempt start -> last attempt end, $_att_n attempts); attempt duration p50 $_att_p50 ms, p99 $_att_p99 ms
  CPU           : gate $_gate_cpu% of one core ($_us_per us per delivery), nginx $_nginx_cpu%, machine $_machine% busy; gate peak RSS $_rss MB
  other load    : ${_foreign%% *}% of one core used by other processes during the run (${_foreign#* })
LINES
}

whatif_backlog=""; whatif_intake=""
if [ "$WHATIF_INDEX" = 1 ]; then
    whatif_backlog="backlog what-if : same, store with the partial index deliveries_waiting (binary unchanged)
$(backlog_lines whatif)
"
    whatif_intake="$(printf '  what-if index : %.0f accepted/s with the handler and the partial index, %s%% lower than none (rounds:%s)' "$best_whatif" "$whatif_diff" "$rounds_whatif")
"
fi

cat <<SUMMARY

==================== HookGate delivery benchmark ====================
machine         : $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), gate + nginx sink + load generator on the same machine
tree            : $TREE_VERSION
gate            : release build, durability full, --log-level $LOG_LEVEL; handler "sink" -> $SINK_URL (nginx, 1 worker, return 200)
                  handler concurrency ${HANDLER_CONCURRENCY:-default}; database on $(df -T "$WORK" | awk 'NR == 2 { print $2 }')
backlog         : $BACKLOG events with one pending delivery each, inserted with the gate stopped; store $( [ "$HAS_WAITING_INDEX" = 1 ] && echo "has the gate's own deliveries_waiting index" || echo "without deliveries_waiting")
$(backlog_lines main)
${whatif_backlog}intake          : wrk -t$THREADS -c$CONNS -d${DURATION}s, unique pre-signed Plaid webhooks, best of $ROUNDS (alternating)
  no handler    : $(printf '%.0f' "$best_none") accepted/s  (rounds:$rounds_none)
  1 HTTP handler: $(printf '%.0f' "$best_http") accepted/s  (rounds:$rounds_http)
  difference    : $intake_diff% lower with the handler (target <= 15%: $(verdict "$intake_diff" '<=' 15))
${whatif_intake}======================================================================
SUMMARY
