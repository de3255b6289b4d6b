#!/usr/bin/env bash
# Builds the libFuzzer target and runs it for a bounded time over a copy of the seed
# corpus. Usage: Fuzz/run.sh [SECONDS] (default 60). With HOOKGATE_FUZZ_MODE=differential
# every input checks the fixed-key ES256 verifier against EVP_DigestVerify (8 signatures
# an input; the signatures checked are printed); FUZZ_RUNS=N stops after N inputs instead;
# FUZZ_SANITIZERS=fuzzer builds without AddressSanitizer (into .build-fuzzer), about
# three times faster, for the long differential run. A crash leaves crash-* files in
# Fuzz/artifacts/ and exits non-zero; move each into Fuzz/regressions/ under a
# descriptive name and state its expected verdict in Tests/HookGateTests/FuzzRegressionTests.swift.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
sanitizers="${FUZZ_SANITIZERS:-fuzzer,address}"
scratch=.build
[ "$sanitizers" = "fuzzer,address" ] || scratch=".build-${sanitizers//,/-}"
swift build -c release --scratch-path "$scratch" --product HookGateFuzz -Xswiftc -sanitize="$sanitizers" -Xswiftc -use-ld=lld 2>&1 | tail -1
work=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$work" "$log"' EXIT
cp -r corpus/. "$work/"
mkdir -p artifacts
export ASAN_OPTIONS=detect_leaks=0
status=0
runs=()
[ -n "${FUZZ_RUNS:-}" ] && runs=(-runs="$FUZZ_RUNS")
"$scratch/release/HookGateFuzz" "$work" -max_total_time="$seconds" "${runs[@]}" -max_len=16384 -timeout=10 -rss_limit_mb=4096 \
    -artifact_prefix=artifacts/ -print_final_stats=1 > "$log" 2>&1 || status=$?
grep -E '^(INFO: seed corpus|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Done )' "$log" || true
if [ "${HOOKGATE_FUZZ_MODE:-}" = differential ]; then
    units=$(awk '/^stat::number_of_executed_units/ { print $2 }' "$log")
    echo "differential: $((${units:-0} * 8)) signatures checked against EVP_DigestVerify (8 per input), $((${units:-0})) inputs"
fi
if [ "$status" -ne 0 ]; then tail -40 "$log"; fi
if ls artifacts/crash-* artifacts/leak-* artifacts/timeout-* >/dev/null 2>&1; then
    echo "fuzz: crashes found in Fuzz/artifacts/"
    exit 1
fi
exit "$status"
