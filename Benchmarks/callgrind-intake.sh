#!/usr/bin/env bash
# Benchmarks/callgrind-intake.sh: instructions per accepted webhook, counted by
# valgrind's callgrind (repeatable on a busy machine, unlike time).
#
#   Benchmarks/callgrind-intake.sh [BINARY]     # default: the release build in .build-bench
#
# Runs `hookgate serve` under callgrind twice at the defaults users run (durability
# full, log level info, metrics on), sending N1 and then N2 unique pre-signed Plaid
# webhooks one after another; the difference of the two totals divided by N2 - N1 is
# the cost of one webhook without start-up and shutdown. Prints it, and the share of
# each library (from callgrind_annotate).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN=${1:-$REPO/.build-bench/release/hookgate}
N1=${N1:-200}
N2=${N2:-1200}
PORT=${PORT:-18380}
ADMIN_PORT=${ADMIN_PORT:-19391}
WORK="$(mktemp -d /var/tmp/hookgate-callgrind.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
command -v valgrind >/dev/null || { echo "valgrind not installed (apt-get install valgrind)"; exit 1; }
# valgrind 3.19 cannot read the DWARF 5 debug info Swift 6.3 writes: count a stripped copy.
strip --strip-debug -o "$WORK/hookgate" "$BIN"
BIN_MEASURED=$BIN
BIN=$WORK/hookgate

run() {
    local n=$1 tag=$2
    rm -f "$WORK"/gate.sqlite*
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
YAML
    python3 "$REPO/Benchmarks/support/hookgate_bench.py" presign --out "$WORK/req-$tag" --threads 1 --tag "cg$tag$RANDOM" --count "$n" --port "$PORT" 2>/dev/null
    valgrind --tool=callgrind --callgrind-out-file="$WORK/cg-$tag.out" "$BIN" serve --config "$WORK/gate.yaml" >"$WORK/gate-$tag.log" 2>&1 &
    local pid=$!
    for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$ADMIN_PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
    python3 - "$WORK/req-$tag.0" "$PORT" <<'PY'
import socket, sys
data = open(sys.argv[1], "rb").read(); pos = 0; sent = 0
while pos < len(data):
    nl = data.index(b"\n", pos); n = int(data[pos:nl]); request = data[nl + 1:nl + 1 + n]; pos = nl + 1 + n
    with socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=60) as s:
        s.sendall(request.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1))
        answer = b""
        while True:
            chunk = s.recv(65536)
            if not chunk: break
            answer += chunk
        if b"accepted" not in answer: sys.exit(f"not accepted: {answer[:200]!r}")
    sent += 1
PY
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
    callgrind_annotate "$WORK/cg-$tag.out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }'
}

T1=$(run "$N1" a)
T2=$(run "$N2" b)
python3 -c "print(f'callgrind-intake: {($T2 - $T1) / ($N2 - $N1):,.0f} instructions per accepted webhook ({$N2 - $N1} webhooks, $BIN_MEASURED)')"
