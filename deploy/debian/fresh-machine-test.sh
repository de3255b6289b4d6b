#!/usr/bin/env bash
# The fresh-machine test: installs the package into a minimal Debian 12 root made with
# debootstrap and uses it there the way an operator would.
#
#   deploy/debian/fresh-machine-test.sh DEB [UPGRADE_DEB]
#
# DEB is hookgate_<version>-1_amd64.deb (deploy/debian/build-deb.sh). UPGRADE_DEB is a
# package with a higher version to upgrade to; without it, DEB is repacked with dpkg-deb
# as <version>+test1-1 (build-deb.sh --version-suffix +test1 builds a full one).
#
# In the root (a chroot: no systemd runs there, so the gate is started as the unit
# would start it): apt-get install ./DEB; hookgate --version; man hookgate; the
# hookgate user, /var/lib/hookgate and /etc/hookgate/hookgate.env; serve --check on the
# shipped configuration; a local change to the conffile (the development key pinned,
# test ports); the unit's ExecStart as the hookgate user with the unit's environment
# file and working directory; a signed webhook accepted, then duplicate; hookgate stats
# and events; SIGTERM: exit 0 within TimeoutStopSec; an upgrade that keeps the changed
# conffile and the store; remove (state kept) and purge (state removed).
# Prints each step; exits non-zero on any failure. Without a root (no network to
# Debian's mirror) it fails: it never passes without having installed the package.
# Needs root, debootstrap (installed with apt if missing), curl and python3.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
started=$(date +%s)

deb="${1:?usage: fresh-machine-test.sh DEB [UPGRADE_DEB]}"
deb="$(readlink -f "$deb")"
upgrade_deb="${2:-}"
[ -f "$deb" ] || { echo "fresh-machine-test: $deb not found" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "fresh-machine-test: needs root (debootstrap, chroot)" >&2; exit 1; }

step() { echo; echo "== fresh-machine-test [$(($(date +%s) - started)) s]: $*"; }
ok() { echo "ok    $*"; }
fail() {
    echo "FAIL  $*" >&2
    exit 1
}

work="$(mktemp -d /tmp/hookgate-fresh.XXXXXX)"
root="$work/root"
gate_pid=""
cleanup() {
    set +e
    if [ -n "$gate_pid" ] && kill -0 "$gate_pid" 2>/dev/null; then
        kill -KILL "$gate_pid"
        wait "$gate_pid" 2>/dev/null
    fi
    for mount in "$root/dev/pts" "$root/dev" "$root/sys" "$root/proc"; do
        if mountpoint -q "$mount" 2>/dev/null; then umount -l "$mount"; fi
    done
    # --one-file-system: never delete through a mount that is still there (/dev is bound).
    sleep 0.2
    rm -rf --one-file-system "$work" || echo "left $work (something is still mounted in it)" >&2
}
trap cleanup EXIT

in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root "$@"; }
apt_in_root() {
    in_root DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
}

step "host tools"
missing=()
for tool in debootstrap:debootstrap curl:curl python3:python3; do
    command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
ok "debootstrap $(dpkg-query -W -f='${Version}' debootstrap)"

version="$(dpkg-deb -f "$deb" Version)"
if [ -z "$upgrade_deb" ]; then
    # The same package rebuilt with dpkg-deb under a higher version (<upstream>+test1-1):
    # what an upgrade sees (a new version with the same conffile), in seconds.
    upgrade_version="${version%-*}+test1-${version##*-}"
    step "repacking the package as $upgrade_version (the upgrade to test)"
    dpkg-deb -R "$deb" "$work/upgrade-tree"
    sed -i "s/^Version: .*/Version: $upgrade_version/" "$work/upgrade-tree/DEBIAN/control"
    upgrade_deb="$work/hookgate_${upgrade_version}_amd64.deb"
    dpkg-deb --root-owner-group -Zgzip -z1 --build "$work/upgrade-tree" "$upgrade_deb" >/dev/null
    rm -rf "$work/upgrade-tree"
fi
upgrade_version="$(dpkg-deb -f "$upgrade_deb" Version)"
dpkg --compare-versions "$upgrade_version" gt "$version" || fail "the upgrade package's version $upgrade_version is not above $version"
ok "package $version, upgrade $upgrade_version"

# The mirror apt uses on this machine (deb822 URIs: or one-line deb entries).
mirror="$( (grep -h -E '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null || true) \
    | grep -v -E 'security|updates' | grep -o -E 'https?://[^ ]+/debian/?' | sed -n 1p || true)"
mirror="${mirror:-http://deb.debian.org/debian}"

step "debootstrap --variant=minbase bookworm from $mirror"
if ! debootstrap --variant=minbase --include=man-db bookworm "$root" "$mirror" > "$work/debootstrap.log" 2>&1; then
    tail -20 "$work/debootstrap.log" >&2
    fail "cannot make a Debian 12 root with debootstrap (no network to $mirror?): the package was NOT tested"
fi
ok "root made in $(($(date +%s) - started)) s: $(du -sm "$root" | cut -f1) MB, $(cat "$root/etc/debian_version")"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
cp /etc/resolv.conf "$root/etc/resolv.conf"

step "apt-get install ./$(basename "$deb")"
cp "$deb" "$root/tmp/"
in_root apt-get update -q > "$work/apt-update.log" 2>&1 || { cat "$work/apt-update.log" >&2; fail "apt-get update in the root"; }
apt_in_root install "./tmp/$(basename "$deb")" > "$work/install.log" 2>&1 || { cat "$work/install.log" >&2; fail "apt-get install"; }
grep -E '^(Setting up|The following NEW)' "$work/install.log" | sed 's/^/      /'
[ "$(in_root dpkg-query -W -f='${Status} ${Version}' hookgate)" = "install ok installed $version" ] || fail "hookgate $version is not installed"
ok "installed hookgate $version"

step "hookgate --version"
printed="$(in_root hookgate --version)"
echo "      $printed"
[[ "$printed" == "${version%-*} (commit "* ]] || fail "--version prints '$printed', not the package's upstream version ${version%-*}"
[[ "$printed" != *"commit unknown"* ]] || fail "--version does not know the commit"
ok "version and commit"

step "man hookgate"
in_root sh -c 'MANPAGER=cat MANWIDTH=80 man hookgate 2>/dev/null' > "$work/man.txt" || fail "man hookgate"
head -8 "$work/man.txt" | sed 's/^/      /'
grep -q -i 'serve' "$work/man.txt" || fail "man hookgate does not mention serve"
for page in serve verify sign keys events stats replay; do
    in_root sh -c "MANPAGER=cat man hookgate.$page >/dev/null 2>&1" || fail "man hookgate.$page"
done
ok "man pages for hookgate and its subcommands"

step "user, directories, files"
in_root getent passwd hookgate | sed 's/^/      /'
in_root getent passwd hookgate >/dev/null || fail "no hookgate user"
[ "$(in_root stat -c '%U:%G %a' /var/lib/hookgate)" = "hookgate:hookgate 750" ] || fail "/var/lib/hookgate: $(in_root stat -c '%U:%G %a' /var/lib/hookgate)"
[ "$(in_root stat -c '%U %a' /etc/hookgate/hookgate.env)" = "root 600" ] || fail "/etc/hookgate/hookgate.env is not root 0600"
in_root test -f /lib/systemd/system/hookgate.service || fail "no unit"
in_root dpkg-query --showformat='${Conffiles}\n' --show hookgate | grep -q '/etc/hookgate/hookgate.yaml' || fail "hookgate.yaml is not a conffile"
ok "hookgate user, /var/lib/hookgate (hookgate 0750), /etc/hookgate/hookgate.env (root 0600), conffile"

# The unit's ExecStartPre/ExecStart, run as User=/Group= with EnvironmentFile=, WorkingDirectory=, UMask=.
unit="$root/lib/systemd/system/hookgate.service"
exec_start_pre="$(sed -n 's/^ExecStartPre=//p' "$unit")"
exec_start="$(sed -n 's/^ExecStart=//p' "$unit")"
unit_shell="cd /var/lib/hookgate && umask 0077 && set -a && . /etc/hookgate/hookgate.env && set +a && exec setpriv --reuid=hookgate --regid=hookgate --init-groups --no-new-privs --bounding-set=-all"
as_unit() { in_root sh -c "$unit_shell $*"; }
# The same, replacing the calling (background) shell: $! is then the gate's own pid.
exec_as_unit() { exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 sh -c "$unit_shell $*"; }

step "hookgate serve --check on the shipped configuration (the unit's ExecStartPre)"
as_unit "$exec_start_pre" || fail "$exec_start_pre"
ok "$exec_start_pre"

step "a local change to the conffile: the development key pinned, free test ports"
read -r public_port admin_port < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
cp "$repo/Keys/dev.jwks.json" "$root/etc/hookgate/dev.jwks.json"
python3 - "$root/etc/hookgate/hookgate.yaml" "$public_port" "$admin_port" <<'EOF'
import re, sys
path, public, admin = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path).read()
text = text.replace("  port: 8080\n", f"  port: {public}\n", 1).replace("  port: 9091\n", f"  port: {admin}\n", 1)
old = """    key_url: https://sandbox.plaid.com/webhook_verification_key/get
    client_id: ${PLAID_CLIENT_ID}
    secret: ${PLAID_SECRET}
"""
assert old in text, "the shipped plaid section changed: update fresh-machine-test.sh"
text = text.replace(old, "    keys_file: /etc/hookgate/dev.jwks.json   # LOCAL CHANGE (fresh-machine-test): development key\n", 1)
open(path, "w").write(text)
EOF
as_unit "$exec_start_pre" || fail "the changed configuration does not load"
ok "public 127.0.0.1:$public_port, admin 127.0.0.1:$admin_port, plaid pinned to the development key"

step "start the gate as the unit does: $exec_start"
exec_as_unit "$exec_start" > "$work/gate.log" 2>&1 &
gate_pid=$!
for _ in $(seq 1 100); do
    if curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$admin_port/readyz" 2>/dev/null | grep -q 200; then break; fi
    kill -0 "$gate_pid" 2>/dev/null || { cat "$work/gate.log" >&2; fail "the gate exited"; }
    sleep 0.1
done
curl -s -f "http://127.0.0.1:$admin_port/readyz" >/dev/null || { cat "$work/gate.log" >&2; fail "the gate is not ready within 10 s"; }
uid="$(ps -o uid= -p "$gate_pid" 2>/dev/null | tr -d ' ' || true)"
echo "      pid $gate_pid, uid ${uid:-?}: $(ps -o args= -p "$gate_pid")"
[ "$uid" = "$(in_root id -u hookgate)" ] || fail "the gate runs as uid '$uid', not the hookgate user's"
ok "ready on 127.0.0.1:$public_port, as the hookgate user"

step "a signed webhook: accepted, then duplicate"
cp "$repo/Fixtures/plaid/ITEM.ERROR.json" "$root/tmp/body.json"
token="$(in_root hookgate sign /tmp/body.json)"
send() {
    curl -s -H "Plaid-Verification: $token" -H 'Content-Type: application/json' --data-binary "@$root/tmp/body.json" \
        "http://127.0.0.1:$public_port/webhooks/plaid"
}
first="$(send)"
echo "      $first"
[[ "$first" == *'"status":"accepted"'* ]] || fail "first answer: $first"
second="$(send)"
echo "      $second"
[[ "$second" == *'"status":"duplicate"'* ]] || fail "second answer: $second"
ok "accepted, then duplicate"

step "hookgate stats (admin listener) and hookgate events list (the store)"
stats="$(in_root hookgate stats --admin "http://127.0.0.1:$admin_port" --json)" || fail "hookgate stats"
echo "      ${stats:0:160}..."
[[ "$stats" == *'"accepted":1'* ]] || fail "stats do not count the accepted webhook"
events="$(as_unit "/usr/bin/hookgate events list --database /var/lib/hookgate/hookgate.sqlite")" || fail "hookgate events list"
echo "$events" | sed 's/^/      /'
echo "$events" | grep -q 'ITEM' || fail "the event is not in the store"
ok "stats and events"

step "SIGTERM: graceful stop within TimeoutStopSec"
timeout_stop="$(sed -n 's/^TimeoutStopSec=//p' "$unit")"
stop_started=$(date +%s%N)
kill -TERM "$gate_pid"
status=0
timeout "${timeout_stop:-45}" tail --pid="$gate_pid" -f /dev/null || fail "the gate did not stop within ${timeout_stop:-45} s"
wait "$gate_pid" || status=$?
gate_pid=""
tail -3 "$work/gate.log" | cut -c1-200 | sed 's/^/      /'
[ "$status" = 0 ] || fail "the gate exited with $status after SIGTERM"
ok "exit 0 in $(( ($(date +%s%N) - stop_started) / 1000000 )) ms"

step "upgrade to $upgrade_version (the changed conffile must be kept)"
cp "$upgrade_deb" "$root/tmp/"
apt_in_root install "./tmp/$(basename "$upgrade_deb")" > "$work/upgrade.log" 2>&1 || { cat "$work/upgrade.log" >&2; fail "upgrade"; }
grep -E '^(Unpacking|Setting up|Configuration file)' "$work/upgrade.log" | sed 's/^/      /'
[ "$(in_root dpkg-query -W -f='${Version}' hookgate)" = "$upgrade_version" ] || fail "not upgraded"
grep -q 'LOCAL CHANGE (fresh-machine-test)' "$root/etc/hookgate/hookgate.yaml" || fail "the upgrade replaced the changed conffile"
in_root test -f /var/lib/hookgate/hookgate.sqlite || fail "the upgrade lost the store"
as_unit "$exec_start_pre" >/dev/null || fail "the kept configuration does not load after the upgrade"
ok "upgraded to $upgrade_version; conffile change, store and environment file kept"

step "remove: binary gone, configuration and state kept"
apt_in_root remove hookgate > "$work/remove.log" 2>&1 || { cat "$work/remove.log" >&2; fail "apt-get remove"; }
in_root test ! -e /usr/bin/hookgate || fail "/usr/bin/hookgate is still there"
in_root test -f /var/lib/hookgate/hookgate.sqlite || fail "remove deleted the store"
in_root test -f /etc/hookgate/hookgate.yaml || fail "remove deleted the configuration"
ok "removed; /var/lib/hookgate and /etc/hookgate kept ($(in_root dpkg-query -W -f='${Status}' hookgate))"

step "purge: state and configuration removed"
apt_in_root purge hookgate > "$work/purge.log" 2>&1 || { cat "$work/purge.log" >&2; fail "apt-get purge"; }
in_root test ! -e /var/lib/hookgate || fail "purge left /var/lib/hookgate"
in_root test ! -e /etc/hookgate/hookgate.yaml || fail "purge left /etc/hookgate/hookgate.yaml"
in_root test ! -e /etc/hookgate/hookgate.env || fail "purge left /etc/hookgate/hookgate.env"
! in_root dpkg-query -W -f='${Status}' hookgate 2>/dev/null | grep -q -E 'ok (installed|config-files)' || fail "hookgate is still installed or has config files"
# /etc/hookgate/dev.jwks.json was added by this test (an operator's file): dpkg leaves it.
if in_root getent passwd hookgate >/dev/null; then user_note="kept (Debian policy: system users stay)"; else user_note="removed"; fi
ok "purged; /var/lib/hookgate and the configuration gone; the hookgate user $user_note"

echo
echo "fresh-machine-test: PASSED in $(($(date +%s) - started)) s ($version -> $upgrade_version)"
