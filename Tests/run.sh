#!/usr/bin/env bash
# The test command (README, first lines): installs what the tests need on a fresh
# machine of this kind, then runs every suite that needs no release build.
#
#   bash Tests/run.sh
#
# Steps: system packages (Debian), Python test helpers (PyPI), `swift test`, the
# admin API fuzz (schemathesis against the real routes and Sources/HookGateServer's
# OpenAPI document), and the console's browser tests (Chromium + Selenium).
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

# libssl-dev/libsqlite3-dev/pkg-config: the build; chromium + driver: the console tests.
install_missing libssl-dev libsqlite3-dev pkg-config chromium chromium-driver
# prometheus_client parses /metrics independently of swift-prometheus (MonitoringTests);
# cryptography signs webhooks independently of JOSE; schemathesis fuzzes the admin API;
# selenium drives Chromium.
install_python prometheus_client:prometheus-client cryptography:cryptography schemathesis:schemathesis selenium:selenium

passed=0
failed=0
step() {
    local name=$1
    shift
    echo "== $name"
    if "$@"; then
        passed=$((passed + 1))
    else
        echo "== $name FAILED"
        failed=$((failed + 1))
    fi
}

step "swift test" swift test
for suite in Tests/Suites/*.py; do
    [ -e "$suite" ] || continue
    step "$(basename "$suite" .py)" python3 "$suite" --binary .build/debug/hookgate
done

echo "steps: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
