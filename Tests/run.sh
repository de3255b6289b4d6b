#!/usr/bin/env bash
# The test command (README, first lines): installs what the tests need on a fresh
# machine of this kind, then runs every suite that needs no release build.
#
#   bash Tests/run.sh
#
# Steps: system packages (Debian), Python test helpers (PyPI), a throwaway
# PostgreSQL cluster (Tests/postgres-cluster.sh; its HOOKGATE_TEST_* variables reach
# every later step), `swift test`, the Prometheus alerting rules (promtool check and
# unit tests, deploy/prometheus/check.sh), the admin API fuzz (schemathesis against the real
# routes and Sources/HookGateServer's OpenAPI document), the console's browser tests
# (Chromium + Selenium), the gates sharing one PostgreSQL database (multi_gate), and the
# README's quick start run as written (quickstart), and the senders beyond the three on
# both stores, signed by their own libraries (senders).
# Exit status 0 only when every step passed; the last line says how many passed.
set -uo pipefail
cd "$(dirname "$0")/.."

install_missing() {
    local missing=()
    for package in "$@"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "installing (Debian): ${missing[*]}"
        if [ "$(id -u)" = 0 ]; then
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
        else
            sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
        fi
    fi
}

install_python() {
    local missing=()
    for pair in "$@"; do
        python3 -c "import ${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair##*:}")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "installing (PyPI): ${missing[*]}"
        python3 -m pip install -q "${missing[@]}"
    fi
}

# libssl-dev/libsqlite3-dev/pkg-config: the build; chromium + driver: the console tests;
# postgresql: the PostgreSQL backend's tests; prometheus: promtool, which checks a live
# /metrics (MetricsConventionTests; skipped, saying so, where promtool is missing) and
# the alerting rules (deploy/prometheus/check.sh, which fails without it); wrk: the forged
# flood of Tests/Suites/quarantine.py.
install_missing libssl-dev libsqlite3-dev pkg-config chromium chromium-driver postgresql prometheus wrk
# prometheus_client parses /metrics independently of swift-prometheus (MonitoringTests);
# cryptography signs webhooks independently of JOSE; schemathesis fuzzes the admin API;
# selenium drives Chromium.
# stripe, standardwebhooks and svix sign webhooks as those senders do (Tests/Suites/senders.py).
# PyYAML reads the alerting rules' annotations (deploy/prometheus/check.sh).
install_python prometheus_client:prometheus-client cryptography:cryptography schemathesis:schemathesis selenium:selenium \
    stripe:stripe standardwebhooks:standardwebhooks svix:svix yaml:pyyaml

passed=0
failed=0
step() {
    local name=$1 started=$SECONDS
    shift
    echo "== $name"
    if "$@"; then
        passed=$((passed + 1))
        echo "== $name passed in $((SECONDS - started)) s"
    else
        echo "== $name FAILED after $((SECONDS - started)) s"
        failed=$((failed + 1))
    fi
}

# A throwaway PostgreSQL cluster for the PostgreSQL backend's tests: its exported
# HOOKGATE_TEST_* variables reach `swift test` and the Python suites. If it cannot
# start, that is a failed step and the rest still runs (the SQLite-only tests).
pg_dir=$(mktemp -d)
trap 'bash Tests/postgres-cluster.sh stop "$pg_dir" >/dev/null 2>&1' EXIT
trap 'exit 130' INT TERM
start_postgres() {
    local exports
    exports=$(bash Tests/postgres-cluster.sh start "$pg_dir") || return 1
    eval "$exports"
}
step "postgresql cluster" start_postgres

# Bounded, so that a test that hangs fails this step (and names nothing else) instead
# of holding the whole run: a cold build takes 3-5 minutes and the tests under a minute.
swift_test() {
    local limit=${SWIFT_TEST_TIMEOUT:-1800} status
    timeout -k 30 "$limit" swift test
    status=$?
    [ "$status" = 124 ] && echo "swift test: stopped after $limit s (SWIFT_TEST_TIMEOUT); the last test started above without an end is the one that hung"
    return "$status"
}
step "swift test" swift_test
step "prometheus rules" bash deploy/prometheus/check.sh
for suite in Tests/Suites/*.py; do
    [ -e "$suite" ] || continue
    step "$(basename "$suite" .py)" python3 "$suite" --binary .build/debug/hookgate
done

bash Tests/postgres-cluster.sh stop "$pg_dir"

echo "steps: $passed passed, $failed failed, in $SECONDS s"
[ "$failed" -eq 0 ]
