#!/usr/bin/env bash
# Benchmarks/stages.sh: CPU per webhook, stage by stage (a benchmark, not a test).
#
#   Benchmarks/stages.sh                 # N=4000 WARMUP=300 FREQ=4000
#
# Runs the release gate at the defaults users run (`durability: full`, log level info,
# metrics on; the pinned development key, whose fixed-key table is built at start-up),
# warms it up with WARMUP webhooks, then sends N unique pre-signed Plaid webhooks one at
# a time over one keep-alive connection (every answer checked: 200 accepted) while
# `perf record -e cpu-clock --call-graph dwarf` samples the gate. Prints the gate's CPU
# per webhook (utime + stime over the run) and, per stage of the intake path, the share
# of the samples whose stack holds that stage (inclusive; stages nest, so the rows do
# not add up) and that share of the CPU per webhook in µs.
#
# Why samples and not instruction counts: this machine's perf has no hardware counters
# (`perf stat -e instructions` says "not supported"), and valgrind 3.19 (Debian 12)
# crashes on the gate (on every Swift-toolchain binary that starts threads through
# libdispatch). Shares move by a point or two from run to run. Exits non-zero only when
# something broke.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N=${N:-4000}
WARMUP=${WARMUP:-300}
FREQ=${FREQ:-4000}
PORT=${PORT:-18280}
ADMIN_PORT=${ADMIN_PORT:-19291}
WORK="$(mktemp -d /var/tmp/hookgate-stages.XXXXXX)"
# shellcheck source=support/common.sh
source "$REPO/Benchmarks/support/common.sh"
cleanup() {
    stop_gate
    [ "${KEEP:-0}" = 1 ] && log "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

need perf swift python3 curl
build_release
write_config "$WORK/gate.yaml" "$PORT" "$ADMIN_PORT" "$WORK/gate.sqlite"
python3 "$BENCH_PY" presign --out "$WORK/warm" --tag "sw$$" --threads 1 --port "$PORT" --count "$WARMUP"
python3 "$BENCH_PY" presign --out "$WORK/load" --tag "sl$$" --threads 1 --port "$PORT" --count "$N"
start_gate "$WORK/gate.yaml" "$ADMIN_PORT" info "$WORK/gate.log"

# One connection, one request at a time; prints how many answers were 200 accepted.
send() {
    python3 - "$1" "$PORT" <<'PY'
import socket, sys
records, port = sys.argv[1], int(sys.argv[2])
data = open(records, "rb").read()
requests, pos = [], 0
while pos < len(data):
    nl = data.index(b"\n", pos); n = int(data[pos:nl]); requests.append(data[nl + 1:nl + 1 + n]); pos = nl + 1 + n
s = socket.create_connection(("127.0.0.1", port)); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
accepted, buf = 0, b""
for r in requests:
    s.sendall(r)
    while b"\r\n\r\n" not in buf: buf += s.recv(65536)
    head, _, rest = buf.partition(b"\r\n\r\n")
    length = next(int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:"))
    while len(rest) < length: rest += s.recv(65536)
    if head.startswith(b"HTTP/1.1 200") and b'"accepted"' in rest[:length]: accepted += 1
    buf = rest[length:]
print(accepted)
PY
}

log "warm-up: $WARMUP webhooks"
[ "$(send "$WORK/warm.0")" = "$WARMUP" ] || die "warm-up webhooks were not all accepted"
log "measured: $N webhooks over one connection, perf at ${FREQ} Hz"
perf record -q -e cpu-clock -F "$FREQ" --call-graph dwarf,16384 -p "$GATE_PID" -o "$WORK/perf.data" >/dev/null 2>&1 &
PERF_PID=$!
sleep 1
g0=$(cpu_seconds "$GATE_PID")
t0=$(date +%s.%N)
[ "$(send "$WORK/load.0")" = "$N" ] || die "measured webhooks were not all accepted"
t1=$(date +%s.%N)
g1=$(cpu_seconds "$GATE_PID")
kill -INT "$PERF_PID"
wait "$PERF_PID" 2>/dev/null || true
stop_gate

perf report -i "$WORK/perf.data" --children --stdio --sort symbol --percent-limit 0.2 -g none 2>/dev/null \
    | swift demangle --simplified | sed -E 's/ +- +- *$//; s/ +$//' >"$WORK/report.txt"
cpu_us=$(awk -v a="$g0" -v b="$g1" -v n="$N" 'BEGIN { printf "%.1f", (b - a) / n * 1e6 }')
rate=$(awk -v a="$t0" -v b="$t1" -v n="$N" 'BEGIN { printf "%.0f", n / (b - a) }')

# stage LABEL PATTERN: the largest inclusive share among the symbols whose name matches.
stage() {
    local label=$1 pattern=$2 pct
    pct=$({ grep -E "$pattern" "$WORK/report.txt" || true; } | awk '{ v = $1; sub("%", "", v); if (v + 0 > max) max = v + 0 } END { print max + 0 }')
    printf '%-56s %6.1f %%  %7.1f\n' "$label" "$pct" "$(awk -v p="$pct" -v c="$cpu_us" 'BEGIN { print p * c / 100 }')"
}

echo
echo "CPU per webhook by stage: $N webhooks, one connection, one at a time ($rate/s); $(tree_version)"
echo "gate CPU per webhook (utime + stime): $cpu_us µs"
printf '%-56s %8s  %7s\n' "stage (inclusive: stages nest)" "samples" "µs"
stage "NIO event loops (socket reads, HTTP/1, intake, answers)" '\] SelectableEventLoop\.run\(\)$'
stage "  intake handler (IntakeHandler.channelRead)" 'IntakeHandler\.channelRead'
stage "  answer written (invokeWriteAndFlush)" 'invokeWriteAndFlush'
stage "verification (WebhookVerifier.verify)" 'WebhookVerifier\.verify\('
stage "  compact JWS parse (CompactJWS.init)" 'CompactJWS\.init'
stage "  ES256 verify, fixed-key path (FixedKeyVerifier.isValid)" 'FixedKeyVerifier\.isValid'
stage "  ES256 verify, EVP path (EVP_PKEY_verify)" '\] EVP_PKEY_verify$'
stage "  SHA-256 (signing input and body)" 'SHA256\.hash'
stage "event classification (EventClassifier)" 'EventClassifier\.'
stage "store: group commit (GroupCommitter.step)" 'GroupCommitter\.step'
stage "  SQLite statements (sqlite3_step)" '\] sqlite3_step$'
stage "  fsync (fdatasync, kernel included)" '\] __x64_sys_fdatasync$'
stage "log line (LineLogHandler.log, TextLogFormat.write)" 'LineLogHandler.*\.log|TextLogFormat\.write'
stage "kernel: socket writes (writev)" '\] do_writev$'
stage "kernel: futex (thread wake-ups and waits)" '\] __x64_sys_futex$'
stage "malloc + free" '\] (malloc|free|cfree|__GI___libc_malloc|__GI___libc_free)$'
stage "Swift retain/release" '\] swift_(retain|release)$'
echo
echo "(perf cpu-clock samples with DWARF call graphs; shares are of the gate's samples during the run)"
