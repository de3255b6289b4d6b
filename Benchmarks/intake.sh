#!/usr/bin/env bash
# Benchmarks/intake.sh: end-to-end intake load benchmark (a benchmark, not a test).
#
#   Benchmarks/intake.sh
#
# Builds the release binary (scratch path .build-bench), runs `hookgate serve` with
# `durability: full`, pinned development keys and --log-level $LOG_LEVEL (default info,
# as users run it: one log line per request), and drives it over loopback with
# pre-signed, unique Plaid webhooks (Keys/dev-private.pem, kid hookgate-dev-1):
#   1. max throughput: wrk -t$THREADS -c$CONNS -d${DURATION}s, every request a new body
#      -> accepted/s (every response is checked: 200 "accepted"; anything else counted)
#   2. latency at a fixed $RATE/s: open-loop client in C (support/fixedrate.c; wrk has no
#      fixed rate and Debian ships no wrk2; FIXEDRATE_CLIENT=python for the Python twin);
#      latency measured from each request's scheduled send time
#   3. (INFO_RUN=1) the max-throughput run again with --log-level info
#   4. peak RSS (VmHWM) of the gate process of runs 1-2
#   5. `openssl speed -seconds 3 ecdsap256` verify/s, with the gate stopped, and the
#      ratio accepted/s / verify/s
#   6. dedup scaling: rate of duplicate answers (re-sent stored bodies) with
#      $DEDUP_SMALL events stored vs $DEDUP_LARGE (rows bulk-inserted with the gate
#      stopped), alternating rounds, best of each; plus the dedup SQL statement alone.
# Prints a summary block with every figure and its target. Exits non-zero only when
# something broke, never for a missed target.
#
# Every measured run records how much CPU *other* processes (not started by this
# script; e.g. a build next door) used meanwhile, and with WAIT_IDLE=1 waits for them
# to quiet down first (at most WAIT_IDLE_MAX s).
#
# Knobs (environment): DURATION=10 THREADS=1 CONNS=64 RATE=5000 EXTRA_RATES="2500 1000"
#   (latency also at these rates, informational) RATE_DURATION=10 RATE_CONNS=32 INFO_RUN=0 (1: the max run again at info) LOG_LEVEL=info
#   DEDUP_SMALL=10000 DEDUP_LARGE=1000000 DEDUP_ROUNDS=2 (0 skips the dedup scaling) DEDUP_SAMPLE=10000 PORT=18080
#   ADMIN_PORT=19091 WAIT_IDLE=1 WAIT_IDLE_MAX=120 SKIP_BUILD=0 HOOKGATE_BIN= (measure that binary instead of building) KEEP=0 (keep temp dir)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DURATION=${DURATION:-10}
THREADS=${THREADS:-1}
CONNS=${CONNS:-64}
RATE=${RATE:-5000}
# The main gate's log level: info, the default users run (one line per request).
LOG_LEVEL=${LOG_LEVEL:-info}
EXTRA_RATES=${EXTRA_RATES-2500 1000}
RATE_DURATION=${RATE_DURATION:-10}
RATE_CONNS=${RATE_CONNS:-32}
INFO_RUN=${INFO_RUN:-0}
DEDUP_SMALL=${DEDUP_SMALL:-10000}
DEDUP_LARGE=${DEDUP_LARGE:-1000000}
DEDUP_ROUNDS=${DEDUP_ROUNDS:-2}
DEDUP_SAMPLE=${DEDUP_SAMPLE:-10000}
PORT=${PORT:-18080}
ADMIN_PORT=${ADMIN_PORT:-19091}
# Enough unique bodies for the longest run at up to 40,000 requests/s.
MAX_BODIES=${MAX_BODIES:-$((DURATION * 40000))}

# On disk (not tmpfs), so durability: full really fsyncs.
WORK="$(mktemp -d /var/tmp/hookgate-intake.XXXXXX)"
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

need swift wrk python3 curl openssl awk
python3 -c 'import cryptography' 2>/dev/null || die "python3 cryptography package missing"
port_free "$PORT" || die "port $PORT is busy"
port_free "$ADMIN_PORT" || die "port $ADMIN_PORT is busy"
build_release
log "binary: $HOOKGATE; work dir: $WORK"

presign() { # OUT TAG [presign args...]
    local out=$1 tag=$2; shift 2
    python3 "$BENCH_PY" presign --out "$out" --tag "$tag" --threads "$THREADS" --port "$PORT" "$@"
}

check_all_accepted() { # PREFIX
    local p=$1 n a d o x w
    n=${p}_requests; a=${p}_accepted; d=${p}_duplicate; o=${p}_other200; x=${p}_non200; w=${p}_wraps
    if [ "${!d}" != 0 ] || [ "${!o}" != 0 ] || [ "${!x}" != 0 ]; then
        log "WARNING ($p): ${!n} requests, ${!a} accepted, ${!d} duplicate, ${!o} other 200, ${!x} non-200, ${!w} wraps"
    fi
}

# ---------------------------------------------------------------- 1-2: main gate
mkdir -p "$WORK/main"
write_config "$WORK/main/config.yaml" "$PORT" "$ADMIN_PORT" "$WORK/main/hookgate.sqlite"
log "pre-signing $MAX_BODIES unique webhooks for the max-throughput run, 20000 for warm-up"
presign "$WORK/warm" bwarm --count 20000
presign "$WORK/max" bmax --count "$MAX_BODIES"
start_gate "$WORK/main/config.yaml" "$ADMIN_PORT" "$LOG_LEVEL" "$WORK/main/gate.log"
MAIN_PID=$GATE_PID
log "gate pid $MAIN_PID; warm-up 2 s"
run_wrk warm "$THREADS" "$CONNS" 2s "$PORT" "$WORK/warm"
check_all_accepted warm
acc0=$(stat_value "$ADMIN_PORT" providers.plaid.accepted)
log "max throughput: wrk -t$THREADS -c$CONNS -d${DURATION}s"
run_wrk max "$THREADS" "$CONNS" "${DURATION}s" "$PORT" "$WORK/max"
check_all_accepted max
acc1=$(stat_value "$ADMIN_PORT" providers.plaid.accepted)
max_stats_accepted=$((acc1 - acc0))
max_rss_after=$(peak_rss_mb "$MAIN_PID")
rm -f "$WORK"/max.*

# The fixed-rate client: C (support/fixedrate.c, built here) unless FIXEDRATE_CLIENT=python.
if [ "${FIXEDRATE_CLIENT:-c}" = python ]; then
    FIXEDRATE="python3 $BENCH_PY fixedrate"
else
    cc -O2 -o "$WORK/fixedrate" "$REPO/Benchmarks/support/fixedrate.c" || die "could not build support/fixedrate.c"
    FIXEDRATE="$WORK/fixedrate"
fi

fixed_rate() { # RATE TAG -> fr_<TAG>_* figures
    local rate=$1 tag=$2 bodies g0 g1 key
    bodies=$(awk -v r="$rate" -v d="$RATE_DURATION" 'BEGIN { printf "%d", r * (d + 2) * 1.05 + 1000 }')
    python3 "$BENCH_PY" presign --out "$WORK/rate" --tag "br$tag" --threads 1 --port "$PORT" --count "$bodies"
    log "fixed rate: $rate/s for ${RATE_DURATION}s (+2 s warm-up) over $RATE_CONNS connections, open loop"
    wait_idle
    foreign_snapshot "fr$tag"
    g0=$(cpu_seconds "$MAIN_PID")
    $FIXEDRATE --port "$PORT" --rate "$rate" --duration "$RATE_DURATION" --warmup 2 \
        --connections "$RATE_CONNS" "$WORK/rate.0" >"$WORK/fixedrate.json" || die "fixed-rate client failed"
    g1=$(cpu_seconds "$MAIN_PID")
    printf -v "fr_${tag}_foreign" '%s' "$(foreign_diff "fr$tag")"
    for key in achieved_rate p50_ms p90_ms p99_ms p999_ms max_ms service_p50_ms service_p99_ms statuses accepted measured; do
        printf -v "fr_${tag}_$key" '%s' "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=d[sys.argv[2]]; print(("%.3f" % v) if isinstance(v, float) else json.dumps(v) if isinstance(v, dict) else v)' "$WORK/fixedrate.json" "$key")"
    done
    printf -v "fr_${tag}_gate_cpu" '%s' "$(awk -v a="$g0" -v b="$g1" -v s="$RATE_DURATION" 'BEGIN { printf "%.0f", (b - a) / (s + 2) * 100 }')"
    local a=fr_${tag}_accepted m=fr_${tag}_measured st=fr_${tag}_statuses p=fr_${tag}_p99_ms
    [ "${!a}" = "${!m}" ] || log "WARNING: fixed-rate run $rate/s: ${!a} of ${!m} answers were accepted (${!st})"
    log "  $rate/s: p99 ${!p} ms"
    rm -f "$WORK"/rate.*
}
fixed_rate "$RATE" main
for extra in $EXTRA_RATES; do fixed_rate "$extra" "r$extra"; done
fr_lines() { # RATE TAG
    local r=$1 t=$2 v
    for v in achieved_rate p50_ms p90_ms p99_ms p999_ms max_ms service_p50_ms service_p99_ms statuses accepted measured gate_cpu foreign; do
        local n=fr_${t}_$v; printf -v "_$v" '%s' "${!n}"
    done
    printf '  %-12s : achieved %.0f/s, %s answers (%s accepted; statuses %s); gate CPU %s%%; others %s%%\n' "$r/s" "$_achieved_rate" "$_measured" "$_accepted" "$_statuses" "$_gate_cpu" "${_foreign%% *}"
    printf '  %-12s   latency p50 %s ms, p90 %s ms, p99 %s ms, p99.9 %s ms, max %s ms; service time p50 %s ms, p99 %s ms\n' "" "$_p50_ms" "$_p90_ms" "$_p99_ms" "$_p999_ms" "$_max_ms" "$_service_p50_ms" "$_service_p99_ms"
}
peak_rss=$(peak_rss_mb "$MAIN_PID")
main_events=$(stat_value "$ADMIN_PORT" store.events)
gate_p99_window=$(stat_value "$ADMIN_PORT" intake_latency_ms.p99 2>/dev/null || echo n/a)
stop_gate
rm -f "$WORK"/warm.*

# ---------------------------------------------------------------- 3: info logging
info_line="skipped (INFO_RUN=0)"
if [ "$INFO_RUN" = 1 ]; then
    log "info-level run: pre-signing $MAX_BODIES more webhooks"
    presign "$WORK/maxi" bmaxi --count "$MAX_BODIES"
    presign "$WORK/warmi" bwarmi --count 20000
    start_gate "$WORK/main/config.yaml" "$ADMIN_PORT" info "$WORK/main/gate-info.log"
    run_wrk warmi "$THREADS" "$CONNS" 2s "$PORT" "$WORK/warmi"
    run_wrk info "$THREADS" "$CONNS" "${DURATION}s" "$PORT" "$WORK/maxi"
    check_all_accepted info
    info_rss=$(peak_rss_mb "$GATE_PID")
    stop_gate
    info_line="$(printf '%.0f accepted/s (%s%% vs the main run), p99 %s ms, gate CPU %s%% (%s us/request), peak RSS %s MB, %s log lines; others %s%%' \
        "$info_accepted_per_s" "$(pct_change "$max_accepted_per_s" "$info_accepted_per_s")" "$info_p99_ms" "$info_gate_cpu_pct" "$info_gate_cpu_us_per_req" "$info_rss" \
        "$(wc -l <"$WORK/main/gate-info.log")" "$info_foreign_pct")"
    rm -f "$WORK"/maxi.* "$WORK"/warmi.* "$WORK/main/gate-info.log"
fi
rm -rf "$WORK/main"

# ---------------------------------------------------------------- 5: openssl speed
log "openssl speed -seconds 3 ecdsap256 (gate stopped)"
wait_idle
verify_per_s=$(openssl_verify_per_s 3)
[ -n "$verify_per_s" ] || die "could not read openssl speed output"

# ---------------------------------------------------------------- 6: dedup scaling
prepare_db() { # DIR COUNT
    local dir=$1 count=$2
    mkdir -p "$dir"
    write_config "$dir/config.yaml" "$PORT" "$ADMIN_PORT" "$dir/hookgate.sqlite"
    start_gate "$dir/config.yaml" "$ADMIN_PORT" warning "$dir/gate.log"   # creates and migrates the file
    stop_gate
    log "seeding $count events into $dir/hookgate.sqlite"
    python3 "$BENCH_PY" seed --db "$dir/hookgate.sqlite" --tag bdup --count "$count"
}
if [ "$DEDUP_ROUNDS" -gt 0 ]; then   # DEDUP_ROUNDS=0 skips the dedup scaling
log "dedup scaling: preparing stores with $DEDUP_SMALL and $DEDUP_LARGE events"
prepare_db "$WORK/small" "$DEDUP_SMALL"
prepare_db "$WORK/large" "$DEDUP_LARGE"
small_db_mb=$(du -m "$WORK/small/hookgate.sqlite" | cut -f1)
large_db_mb=$(du -m "$WORK/large/hookgate.sqlite" | cut -f1)

dedup_round() { # DIR COUNT ROUND TAG -> sets dedup_<TAG>_<ROUND>
    local dir=$1 count=$2 round=$3 tag=$4
    python3 "$BENCH_PY" presign --out "$WORK/dup" --tag bdup --threads "$THREADS" --port "$PORT" \
        --sample "$(( DEDUP_SAMPLE < count ? DEDUP_SAMPLE : count ))" --of "$count" --seed "$round"
    start_gate "$dir/config.yaml" "$ADMIN_PORT" warning "$dir/gate.log"
    run_wrk dupwarm "$THREADS" "$CONNS" 2s "$PORT" "$WORK/dup"
    run_wrk "dup$tag$round" "$THREADS" "$CONNS" "${DURATION}s" "$PORT" "$WORK/dup"
    local r=dup$tag${round}_duplicate_per_s n=dup$tag${round}_requests d=dup$tag${round}_duplicate
    [ "${!n}" = "${!d}" ] || log "WARNING: dedup run $tag$round: ${!d} of ${!n} answers were duplicate"
    local s=dup$tag${round}_gate_cpu_us_per_req f=dup$tag${round}_foreign_pct
    dedup_foreign_max=$(( ${!f} > dedup_foreign_max ? ${!f} : dedup_foreign_max ))
    log "  $count stored, round $round: ${!r} duplicates/s (${!s} us gate CPU per request)"
    printf -v "dedup_${tag}_$round" '%s' "${!r}"
    stop_gate
    rm -f "$WORK"/dup.*
}
best_small=0; best_large=0; dedup_foreign_max=0
for round in $(seq 1 "$DEDUP_ROUNDS"); do
    dedup_round "$WORK/small" "$DEDUP_SMALL" "$round" small
    dedup_round "$WORK/large" "$DEDUP_LARGE" "$round" large
    v=dedup_small_$round; best_small=$(awk -v a="$best_small" -v b="${!v}" 'BEGIN { print (b > a ? b : a) }')
    v=dedup_large_$round; best_large=$(awk -v a="$best_large" -v b="${!v}" 'BEGIN { print (b > a ? b : a) }')
done
dedup_slowdown=$(awk -v a="$best_small" -v b="$best_large" 'BEGIN { printf "%.1f", (a - b) / a * 100 }')
log "dedup SQL alone (INSERT .. ON CONFLICT DO NOTHING of stored ids, rolled back)"
sql_small=$(python3 "$BENCH_PY" dedupsql --db "$WORK/small/hookgate.sqlite" --tag bdup --of "$DEDUP_SMALL" --sample "$DEDUP_SAMPLE")
sql_large=$(python3 "$BENCH_PY" dedupsql --db "$WORK/large/hookgate.sqlite" --tag bdup --of "$DEDUP_LARGE" --sample "$DEDUP_SAMPLE")
sql_slowdown=$(awk -v a="$sql_small" -v b="$sql_large" 'BEGIN { printf "%.1f", (a - b) / a * 100 }')
fi

# ---------------------------------------------------------------- summary
ratio_ver=$(ratio "$max_accepted_per_s" "$verify_per_s")
rounds_small=""; rounds_large=""
for round in $(seq 1 "$DEDUP_ROUNDS"); do
    v=dedup_small_$round; rounds_small+=" $(printf '%.0f' "${!v}")"
    v=dedup_large_$round; rounds_large+=" $(printf '%.0f' "${!v}")"
done
dedup_lines() {
    if [ "$DEDUP_ROUNDS" -le 0 ]; then
        echo "dedup scaling  : skipped (DEDUP_ROUNDS=0)"
        return
    fi
    cat <<DEDUP
dedup scaling  : duplicate answers/s, wrk -t$THREADS -c$CONNS -d${DURATION}s re-sending $DEDUP_SAMPLE stored bodies (random sample), best of $DEDUP_ROUNDS
  $(printf '%-12s' "$DEDUP_SMALL stored") : $(printf '%.0f' "$best_small")/s (rounds:$rounds_small), file ${small_db_mb} MB
  $(printf '%-12s' "$DEDUP_LARGE stored") : $(printf '%.0f' "$best_large")/s (rounds:$rounds_large), file ${large_db_mb} MB
  slowdown     : $dedup_slowdown% (target <= 10%: $(verdict "$dedup_slowdown" '<=' 10)); other processes used up to ${dedup_foreign_max}% of a core in these runs
  SQL alone    : $sql_small vs $sql_large dedup inserts/s (slowdown $sql_slowdown%), INSERT .. ON CONFLICT DO NOTHING, one transaction
DEDUP
}
cat <<SUMMARY

==================== HookGate intake benchmark ====================
machine        : $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), load generator on the same machine
tree           : $TREE_VERSION
gate           : release build, durability full, --log-level $LOG_LEVEL, pinned dev keys, loopback
                 database on $(df -T "$WORK" | awk 'NR == 2 { print $2 }') ($WORK)
max throughput : wrk -t$THREADS -c$CONNS -d${DURATION}s, unique pre-signed Plaid webhooks
  accepted/s   : $(printf '%.0f' "$max_accepted_per_s")   (target >= 20000: $(verdict "$max_accepted_per_s" '>=' 20000))
  answers      : $max_requests requests, $max_accepted accepted, $max_duplicate duplicate, $max_other200 other 200, $max_non200 non-200, $max_socket_errors socket errors; /stats accepted +$max_stats_accepted
  latency      : p50 $max_p50_ms ms, p90 $max_p90_ms ms, p99 $max_p99_ms ms, max $max_max_ms ms (saturated, closed loop)
  CPU          : gate $max_gate_cpu_pct% of one core ($max_gate_cpu_us_per_req us per request), machine $max_machine_cpu_pct% busy (gate + wrk)
  other load   : ${max_foreign_pct}% of one core used by other processes during the run (${max_foreign_top})
fixed rate     : open loop (${FIXEDRATE_CLIENT:-c} client), $RATE_CONNS connections, ${RATE_DURATION}s measured; latency from each request's scheduled send time
$(fr_lines "$RATE" main)
  p99 at $RATE/s : $fr_main_p99_ms ms (target <= 5 ms: $(verdict "$fr_main_p99_ms" '<=' 5)); gate's own /stats p99 over its window: $gate_p99_window ms
$(for extra in $EXTRA_RATES; do fr_lines "$extra" "r$extra"; done)
peak RSS       : $peak_rss MB VmHWM after max + fixed-rate runs, $main_events events stored (target <= 80 MB: $(verdict "$peak_rss" '<=' 80)); $max_rss_after MB after the max run
info logging   : $info_line
openssl speed  : $(printf '%.0f' "$verify_per_s") ecdsap256 verify/s (single thread, per user-CPU second, gate stopped)
  ratio        : accepted/s / verify/s = $ratio_ver
$(dedup_lines)
====================================================================
SUMMARY
