#!/usr/bin/env bash
# Builds the Debian package hookgate_<version>-1_amd64.deb from this checkout.
#
#   deploy/debian/build-deb.sh [--binary PATH] [--version-suffix SUFFIX] [--out DIR] [--no-lintian]
#
# 1. the self-contained release binary: build-release.sh (`swift build -c release
#    --static-swift-stdlib --disable-local-rpath --product hookgate`; skipped with
#    --binary), checked by check-binary.sh;
# 2. a stripped copy for the package, the debug symbols beside the .deb
#    (hookgate_<version>.debug, linked with --add-gnu-debuglink);
# 3. man pages for hookgate and every subcommand, made by swift-argument-parser's
#    generate-manual tool (the tool its `generate-manual` plugin runs) from the binary;
# 4. the tree: /usr/bin/hookgate, /lib/systemd/system/hookgate.service,
#    /etc/hookgate/hookgate.yaml (conffile), /usr/share/man/man1, /usr/share/doc/hookgate
#    (copyright, README, install guide, changelogs, nginx and Prometheus examples);
# 5. Depends from dpkg-shlibdeps (plus adduser for the maintainer scripts), dpkg-deb;
# 6. lintian (errors fail the build; warnings are printed).
#
# The version is GateServer.version in Sources/HookGateServer/GateServer.swift (the one
# place it is written); --version-suffix appends to it (e.g. +test1 -> 0.1.0+test1-1).
# Needs: the Swift toolchain (unless --binary), dpkg-dev, binutils, gzip; lintian is
# installed with apt if missing. Outputs go to dist/ (gitignored) unless --out.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

binary=""
suffix=""
out="$root/dist"
run_lintian=1
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary="$(readlink -f "$2")"; shift 2 ;;
        --version-suffix) suffix="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --no-lintian) run_lintian=0; shift ;;
        *) echo "usage: $0 [--binary PATH] [--version-suffix SUFFIX] [--out DIR] [--no-lintian]" >&2; exit 2 ;;
    esac
done

step() { echo "== build-deb: $*"; }

version="$(sed -n 's/^ *\(public\|package\) static let version = "\([^"]*\)".*/\2/p' Sources/HookGateServer/GateServer.swift)"
[ -n "$version" ] || { echo "build-deb: cannot read GateServer.version" >&2; exit 1; }
upstream="$version$suffix"
debversion="$upstream-1"
arch="$(dpkg --print-architecture)"
maintainer="${HOOKGATE_MAINTAINER:-HookGate maintainers <maintainers@users.noreply.h-seed-f96b2367.example>}"
commit="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
# Reproducible timestamps: the commit's date.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"

missing=()
for tool in dpkg-shlibdeps:dpkg-dev objcopy:binutils strip:binutils readelf:binutils; do
    command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ -z "$binary" ]; then
    step "release build (static Swift runtime and Foundation)"
    "$root/deploy/debian/build-release.sh" hookgate
    binary="$root/.build/release/hookgate"
fi
bindir="$(dirname "$binary")"
step "generate-manual (swift-argument-parser's man page tool)"
if [ ! -x "$bindir/generate-manual" ]; then
    "$root/deploy/debian/build-release.sh" generate-manual
fi
[ -x "$bindir/generate-manual" ] || bindir="$root/.build/release"

step "checking $binary"
"$root/deploy/debian/check-binary.sh" "$binary"

work="$(mktemp -d /tmp/hookgate-deb.XXXXXX)"
trap 'rm -rf "$work"' EXIT
pkg="$work/hookgate_$debversion"
mkdir -p "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/lib/systemd/system" "$pkg/etc/hookgate" \
    "$pkg/usr/share/man/man1" "$pkg/usr/share/doc/hookgate/examples/nginx" "$pkg/usr/share/doc/hookgate/examples/prometheus"
mkdir -p "$out"

step "strip (debug symbols kept in $out/hookgate_${upstream}.debug)"
objcopy --only-keep-debug --compress-debug-sections "$binary" "$out/hookgate_${upstream}.debug"
strip --strip-unneeded --remove-section=.comment --remove-section=.note -o "$pkg/usr/bin/hookgate" "$binary"
(cd "$out" && objcopy --add-gnu-debuglink="hookgate_${upstream}.debug" "$pkg/usr/bin/hookgate")
chmod 0755 "$pkg/usr/bin/hookgate"
"$pkg/usr/bin/hookgate" --version

step "man pages"
man="$work/man"
mkdir -p "$man"
"$bindir/generate-manual" "$pkg/usr/bin/hookgate" --multi-page --section 1 \
    --date "$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)" --authors "The HookGate authors" --output-directory "$man"
# generate-manual names a subcommand's page `.Nm "hookgate serve"` in NAME; whatis
# (lexgrog, lintian's bad-whatis-entry) cannot parse a name with a space. NAME gets the
# page's own name (hookgate.serve, what `man` is called with); the SYNOPSIS keeps the
# command as typed (`hookgate serve`).
for page in "$man"/*.1; do
    name="$(basename "$page" .1)"
    awk -v name="$name" '
        /^\.Sh NAME/ { in_name = 1; print; next }
        /^\.Sh / { in_name = 0 }
        in_name && !renamed && /^\.Nm "/ { command = $0; sub(/^\.Nm /, "", command); print ".Nm " name; renamed = 1; next }
        renamed && $0 == ".Nm" { print ".Nm " command; next }
        { print }' "$page" | gzip -9n > "$pkg/usr/share/man/man1/$name.1.gz"
done
ls "$pkg/usr/share/man/man1"

step "files"
install -m 0644 deploy/systemd/hookgate.service "$pkg/lib/systemd/system/hookgate.service"
install -m 0644 deploy/debian/hookgate.yaml "$pkg/etc/hookgate/hookgate.yaml"
doc="$pkg/usr/share/doc/hookgate"
install -m 0644 deploy/debian/copyright "$doc/copyright"
install -m 0644 NOTICE "$doc/NOTICE"
gzip -9n < README.md > "$doc/README.md.gz"
[ -f docs/install.md ] && gzip -9n < docs/install.md > "$doc/install.md.gz"
gzip -9n < CHANGELOG.md > "$doc/changelog.gz"
cat > "$work/changelog.Debian" <<EOF
hookgate ($debversion) unstable; urgency=medium

  * HookGate $upstream, packaged by deploy/debian/build-deb.sh
    from commit ${commit:0:12}. The upstream changes are in
    /usr/share/doc/hookgate/changelog.gz.

 -- $maintainer  $(date -u -R -d "@$SOURCE_DATE_EPOCH")
EOF
gzip -9n < "$work/changelog.Debian" > "$doc/changelog.Debian.gz"
mkdir -p "$pkg/usr/share/lintian/overrides"
install -m 0644 deploy/debian/lintian-overrides "$pkg/usr/share/lintian/overrides/hookgate"
install -m 0644 deploy/nginx/*.conf "$doc/examples/nginx/"
install -m 0644 deploy/prometheus/*.yml "$doc/examples/prometheus/"

step "control (Depends from dpkg-shlibdeps)"
mkdir -p "$work/shlibs/debian"
printf 'Source: hookgate\n\nPackage: hookgate\nArchitecture: any\n' > "$work/shlibs/debian/control"
shlibs="$(cd "$work/shlibs" && dpkg-shlibdeps -O "$pkg/usr/bin/hookgate" 2>"$work/shlibdeps.err" | sed -n 's/^shlibs:Depends=//p')" \
    || { cat "$work/shlibdeps.err" >&2; exit 1; }
grep -v '^$' "$work/shlibdeps.err" >&2 || true
[ -n "$shlibs" ] || { echo "build-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
echo "shlibs:Depends=$shlibs"
install -m 0755 deploy/debian/postinst deploy/debian/prerm deploy/debian/postrm "$pkg/DEBIAN/"
echo "/etc/hookgate/hookgate.yaml" > "$pkg/DEBIAN/conffiles"
chmod 0644 "$pkg/DEBIAN/conffiles"
find "$pkg" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
installed_size="$(du -sk --apparent-size --exclude=DEBIAN "$pkg" | cut -f1)"
cat > "$pkg/DEBIAN/control" <<EOF
Package: hookgate
Version: $debversion
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: $shlibs, adduser
Suggests: nginx
Section: net
Priority: optional
Description: webhook receiver and verification proxy
 HookGate receives Plaid, LinkMoney and LedgerSync webhooks, verifies their
 signatures (ES256 JWS against the provider's keys), stores each event once
 in SQLite or PostgreSQL (answering duplicates as such) and fans them out to
 HTTP, file and exec handlers with retries. An admin listener serves health,
 statistics, Prometheus metrics and an operator console.
 .
 This package ships a self-contained binary, a hardened systemd unit (not
 enabled on install: systemctl enable --now hookgate) and a configuration
 listening on loopback, to run behind nginx (examples in
 /usr/share/doc/hookgate/examples).
EOF
(cd "$pkg" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) > "$pkg/DEBIAN/md5sums"
chmod 0644 "$pkg/DEBIAN/control" "$pkg/DEBIAN/md5sums"

deb="$out/hookgate_${debversion}_${arch}.deb"
step "dpkg-deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
dpkg-deb --info "$deb" | sed -n '/Package:/,$p' | grep -E '^ (Package|Version|Depends|Installed-Size)'
echo "package: $deb ($(du -k "$deb" | cut -f1) KiB; binary $(du -k "$pkg/usr/bin/hookgate" | cut -f1) KiB stripped, $(du -k "$binary" | cut -f1) KiB unstripped)"

if [ "$run_lintian" = 1 ]; then
    step "lintian"
    if ! command -v lintian >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq lintian >/dev/null
    fi
    lintian --tag-display-limit 0 --show-overrides --info "$deb" > "$work/lintian.txt" 2>&1 || true
    grep -E '^[EWIPO]: ' "$work/lintian.txt" | sed 's/^/  /' || true
    errors="$(grep -c '^E: ' "$work/lintian.txt" || true)"
    warnings="$(grep -c '^W: ' "$work/lintian.txt" || true)"
    overridden="$(grep -c '^O: ' "$work/lintian.txt" || true)"
    echo "lintian: $errors error(s), $warnings warning(s), $overridden overridden (deploy/debian/lintian-overrides)"
    if [ "$errors" -ne 0 ]; then
        echo "build-deb: lintian reports errors" >&2
        exit 1
    fi
fi
echo "$deb"
