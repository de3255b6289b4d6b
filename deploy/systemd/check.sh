#!/usr/bin/env bash
# Checks deploy/systemd/hookgate.service with systemd's own tools, offline (no running
# systemd needed): `systemd-analyze verify` in a temporary root holding the host's
# systemd units, the unit at /lib/systemd/system and BINARY at /usr/bin/hookgate (the
# path ExecStart names); then prints `systemd-analyze security --offline=true`'s
# exposure score. Usage: deploy/systemd/check.sh BINARY   (exit 0: verify is clean)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
binary="$(readlink -f "${1:?usage: check.sh BINARY}")"
if ! command -v systemd-analyze >/dev/null; then
    echo "installing: systemd (for systemd-analyze)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd >/dev/null
fi
work="$(mktemp -d /tmp/hookgate-unit-check.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/usr/bin" "$work/lib/systemd" "$work/etc/hookgate"
cp -a /lib/systemd/system "$work/lib/systemd/"
cp "$binary" "$work/usr/bin/hookgate"
install -m 0644 "$here/hookgate.service" "$work/lib/systemd/system/hookgate.service"
echo "systemd: $(systemd --version | head -1)"
# --man=no: the Documentation= man pages are checked by the fresh-machine test (man-db
# in the Debian root), not on this host.
if ! output="$(systemd-analyze verify --root="$work" --man=no hookgate.service 2>&1)" || [ -n "$output" ]; then
    echo "$output"
    echo "FAIL  systemd-analyze verify hookgate.service" >&2
    exit 1
fi
echo "ok    systemd-analyze verify hookgate.service: no findings"
systemd-analyze security --offline=true --root="$work" hookgate.service > "$work/security.txt" 2>&1 || true
grep -E '^✗' "$work/security.txt" | sed 's/^/      /' || true
grep 'Overall exposure level' "$work/security.txt" || { cat "$work/security.txt"; exit 1; }
