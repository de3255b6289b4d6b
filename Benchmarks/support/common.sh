# Shared shell helpers for Benchmarks/intake.sh and Benchmarks/delivery.sh.
# Sourced, not run. Expects: REPO, WORK (temp dir), set -euo pipefail.

BENCH_PY="$REPO/Benchmarks/support/hookgate_bench.py"
BENCH_LUA="$REPO/Benchmarks/support/replay.lua"
SCRATCH="${SCRATCH:-$REPO/.build-bench}"
HOOKGATE=""
GATE_PID=""
GATE_LOG=""

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

need() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || die "$tool not found (apt-get update && apt-get install -y wrk nginx; python3 with cryptography)"
    done
}

# The tree measured: commit, plus "+changes" when Sources/ or Package.swift differ from it.
tree_version() {
    local rev dirty=""
    rev=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null) || { echo "unknown (not a git checkout)"; return; }
    [ -n "$(git -C "$REPO" status --porcelain -- Sources Package.swift 2>/dev/null)" ] && dirty=" +uncommitted changes in Sources/"
    echo "$rev$dirty ($(git -C "$REPO" log -1 --format=%s HEAD | cut -c1-70))"
}

build_release() {
    if [ -n "${HOOKGATE_BIN:-}" ]; then   # A/B runs against another build
        [ -x "$HOOKGATE_BIN" ] || die "HOOKGATE_BIN=$HOOKGATE_BIN is not executable"
        HOOKGATE=$HOOKGATE_BIN
        TREE_VERSION="HOOKGATE_BIN=$HOOKGATE_BIN (built $(date -r "$HOOKGATE" '+%F %T'))"
        return 0
    fi
    TREE_VERSION=$(tree_version)
    if [ "${SKIP_BUILD:-0}" != 1 ]; then
        log "building release binary (scratch path $SCRATCH)"
        (cd "$REPO" && swift build -c release --scratch-path "$SCRATCH" --product hookgate >"$WORK/build.log" 2>&1) \
            || { tail -30 "$WORK/build.log" >&2; die "release build failed"; }
    fi
    HOOKGATE="$(cd "$REPO" && swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/hookgate"
    [ -x "$HOOKGATE" ] || die "no binary at $HOOKGATE"
    [ "${SKIP_BUILD:-0}" = 1 ] && TREE_VERSION="$TREE_VERSION [SKIP_BUILD=1: binary built $(date -r "$HOOKGATE" '+%F %T')]"
    return 0
}

# write_config FILE PORT ADMIN_PORT DB [HANDLER_URL [HANDLER_CONCURRENCY]]
write_config() {
    local file=$1 port=$2 admin=$3 db=$4 url=${5:-} conc=${6:-}
    cat >"$file" <<YAML
server:
  host: 127.0.0.1
  port: $port
admin:
  host: 127.0.0.1
  port: $admin
database:
  path: $db
  durability: full
providers:
  plaid:
    keys_file: $REPO/Keys/dev.jwks.json
YAML
    if [ -n "$url" ]; then
        cat >>"$file" <<YAML
handlers:
  - name: sink
    match: ["*"]
    http:
      url: $url
YAML
        [ -n "$conc" ] && printf '    concurrency: %s\n' "$conc" >>"$file"
    fi
    "$HOOKGATE" serve --config "$file" --check >/dev/null || die "configuration $file refused"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_gate CONFIG ADMIN_PORT LEVEL LOGFILE
start_gate() {
    local config=$1 admin=$2 level=$3 logfile=$4 i
    GATE_LOG=$logfile
    "$HOOKGATE" serve --config "$config" --log-level "$level" >>"$logfile" 2>&1 &
    GATE_PID=$!
    for i in $(seq 1 300); do
        if curl -fsS "http://127.0.0.1:$admin/readyz" >/dev/null 2>&1; then return 0; fi
        kill -0 "$GATE_PID" 2>/dev/null || { tail -20 "$logfile" >&2; GATE_PID=""; die "gate exited during start"; }
        sleep 0.1
    done
    die "gate not ready after 30 s"
}

stop_gate() {
    [ -n "$GATE_PID" ] || return 0
    if kill -0 "$GATE_PID" 2>/dev/null; then
        kill -TERM "$GATE_PID" 2>/dev/null || true
        local i
        for i in $(seq 1 400); do kill -0 "$GATE_PID" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$GATE_PID" 2>/dev/null; then log "gate $GATE_PID did not stop in 40 s: SIGKILL"; kill -KILL "$GATE_PID" 2>/dev/null || true; fi
    fi
    wait "$GATE_PID" 2>/dev/null || true
    GATE_PID=""
}

# Peak resident set (VmHWM) of a live process, in MB.
peak_rss_mb() { awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
rss_mb() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# CPU seconds (user+system) a process has used so far.
cpu_seconds() {
    local tck; tck=$(getconf CLK_TCK)
    awk -v t="$tck" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / t }' "/proc/$1/stat"
}

# Busy / total jiffies of the whole machine (for utilisation over an interval).
machine_jiffies() { awk '/^cpu / { idle = $5 + $6; total = 0; for (i = 2; i <= NF; i++) total += $i; print total - idle, total }' /proc/stat; }

stat_value() { python3 "$BENCH_PY" stats --url "http://127.0.0.1:$1/stats" "$2"; }

# CPU used by other people's processes while we measure (a build or test run next door).
# Estimated as machine user+system time minus our own (the gate, nginx, this script and
# the children it reaped, e.g. wrk), so short-lived compiler processes count too; kernel
# threads working for us (jbd2 for our fsyncs) land in it as a small overestimate. The
# top foreign process names (a hint) come from a per-process snapshot diff.
_our_jiffies() {
    local total=0 p
    for p in $$ ${GATE_PID:-} ${NGINX_PID:-} $( [ -n "${NGINX_PID:-}" ] && pgrep -P "$NGINX_PID" || true ); do
        [ -r "/proc/$p/stat" ] || continue
        total=$(( total + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$p/stat") ))
    done
    echo "$total"
}
_machine_snapshot() {
    echo "$(awk '/^cpu / { print $2 + $3 + $4 }' /proc/stat) $(_our_jiffies) $(date +%s.%N)"
}
foreign_snapshot() {
    python3 "$BENCH_PY" foreign snapshot "$WORK/foreign-$1.json" --root "$$"
    _machine_snapshot >"$WORK/foreign-$1.machine"
}
# prints: PERCENT_OF_ONE_CORE TOP_PROCESSES
foreign_diff() {
    local top now
    top=$(python3 "$BENCH_PY" foreign diff "$WORK/foreign-$1.json" --root "$$")
    now=$(_machine_snapshot)
    echo "$(cat "$WORK/foreign-$1.machine") $now" | awk -v hz="$(getconf CLK_TCK)" -v top="${top#* }" '{
        wall = $6 - $3; other = ($4 - $1) - ($5 - $2); if (other < 0) other = 0
        printf "%.0f %s\n", other / hz / wall * 100, top }'
}

# With WAIT_IDLE=1 (default), waits (at most WAIT_IDLE_MAX s, default 120; tokens are signed at most ~250 s before use) until other
# processes use less than 15% of one core over 3 s, so a build next door does not skew a run.
wait_idle() {
    [ "${WAIT_IDLE:-1}" = 1 ] || return 0
    local until=$(( $(date +%s) + ${WAIT_IDLE_MAX:-120} )) load warned=0
    while :; do
        foreign_snapshot idle; sleep 3; load=$(foreign_diff idle)
        [ "${load%% *}" -lt 15 ] && return 0
        [ "$warned" = 1 ] || { log "other processes busy (${load#* }, ${load%% *}% of a core): waiting up to ${WAIT_IDLE_MAX:-120} s"; warned=1; }
        [ "$(date +%s)" -lt "$until" ] || { log "WARNING: still busy (${load#* }): measuring anyway"; return 0; }
    done
}

# run_wrk OUTVAR_PREFIX THREADS CONNECTIONS DURATION PORT FILE_PREFIX
# Runs wrk with replay.lua, also measures gate and machine CPU, and sets
# <prefix>_requests, _accepted, ..., _gate_cpu_pct, _machine_cpu_pct (see replay.lua RESULT line).
run_wrk() {
    local prefix=$1 threads=$2 conns=$3 duration=$4 port=$5 files=$6
    local out="$WORK/wrk-$prefix.txt" g0 g1 m0 m1 line kv key value
    wait_idle
    foreign_snapshot "$prefix"
    g0=$(cpu_seconds "$GATE_PID"); m0=$(machine_jiffies)
    wrk -t"$threads" -c"$conns" -d"$duration" --latency -s "$BENCH_LUA" "http://127.0.0.1:$port" -- "$files" >"$out" 2>&1 \
        || { cat "$out" >&2; die "wrk failed"; }
    g1=$(cpu_seconds "$GATE_PID"); m1=$(machine_jiffies)
    local foreign; foreign=$(foreign_diff "$prefix")
    printf -v "${prefix}_foreign_pct" '%s' "${foreign%% *}"
    printf -v "${prefix}_foreign_top" '%s' "${foreign#* }"
    [ "${foreign%% *}" -lt 15 ] || log "WARNING ($prefix): other processes used ${foreign%% *}% of a core during the run (${foreign#* })"
    line=$(grep '^RESULT ' "$out") || { cat "$out" >&2; die "wrk printed no RESULT line"; }
    for kv in ${line#RESULT }; do
        key=${kv%%=*}; value=${kv#*=}
        printf -v "${prefix}_${key}" '%s' "$value"
    done
    local secs; secs=${line##*duration_s=}; secs=${secs%% *}
    printf -v "${prefix}_gate_cpu_pct" '%s' "$(awk -v a="$g0" -v b="$g1" -v s="$secs" 'BEGIN { printf "%.0f", (b - a) / s * 100 }')"
    printf -v "${prefix}_machine_cpu_pct" '%s' "$(echo "$m0 $m1" | awk '{ printf "%.0f", ($3 - $1) / ($4 - $2) * 100 }')"
    printf -v "${prefix}_gate_cpu_us_per_req" '%s' "$(awk -v a="$g0" -v b="$g1" -v n="$(grep -o 'requests=[0-9]*' <<<"$line" | head -1 | cut -d= -f2)" 'BEGIN { if (n > 0) printf "%.0f", (b - a) / n * 1e6; else print "n/a" }')"
}

# The verify/s column of `openssl speed -seconds 3 ecdsap256` (per user-CPU second, single thread).
openssl_verify_per_s() {
    openssl speed -seconds "${1:-3}" ecdsap256 2>/dev/null | awk '/ecdsa \(nistp256\)/ { print $NF }' | tail -1
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
pct_change() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%+.1f", (b - a) / a * 100; else print "n/a" }'; }
verdict() { if awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN { exit !((op == ">=" && v >= t) || (op == "<=" && v <= t)) }'; then echo "met"; else echo "MISSED"; fi; }
