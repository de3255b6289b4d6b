#!/usr/bin/env bash
# The one release build: the self-contained hookgate binary the Debian package ships and
# the reliability suites run (.ci/run, deploy/debian/build-deb.sh).
#   --static-swift-stdlib   the Swift runtime, Foundation and Dispatch linked in
#   --disable-local-rpath   no RUNPATH ($ORIGIN): libraries come from the system's paths only
# Then libz.so.1 is dropped from the binary's NEEDED list with patchelf, after checking
# that the binary references none of zlib's symbols: swift-nio-extras links -lz for its
# compression handlers, which hookgate never calls (-Xlinker --as-needed cannot do it:
# SwiftPM puts user linker flags after -lz). The script fails if a zlib symbol is used.
# Usage: deploy/debian/build-release.sh [PRODUCT]   (default hookgate; -> .build/release/PRODUCT)
set -euo pipefail
cd "$(dirname "$0")/../.."
product="${1:-hookgate}"
# The commit for `hookgate --version`, passed explicitly: SwiftPM caches the evaluated
# manifest, so Context.gitInformation alone can keep reporting an older HEAD in a .build
# that outlived a commit; a changed environment makes it evaluate the manifest again.
if [ -z "${HOOKGATE_COMMIT:-}" ] && commit="$(git rev-parse HEAD 2>/dev/null)"; then
    git diff --quiet HEAD -- 2>/dev/null || commit="$commit-dirty"
    export HOOKGATE_COMMIT="$commit"
fi
swift build -c release --static-swift-stdlib --disable-local-rpath --product "$product" 2>&1 | tail -1
binary=".build/release/$product"
dynamic="$(readelf -d "$binary")"
if grep -q 'NEEDED.*\[libz\.so\.1\]' <<< "$dynamic"; then
    zlib="$(ldconfig -p | sed -n 's/.*libz\.so\.1 (libc6,x86-64) => //p' | head -1)"
    used="$(comm -12 <(nm -D --defined-only "$zlib" | awk '{print $3}' | sed 's/@.*//' | sort -u) \
        <(readelf --dyn-syms -W "$binary" | awk '$7 == "UND" {print $8}' | sed 's/@.*//' | sort -u))"
    if [ -n "$used" ]; then
        echo "build-release: $binary uses zlib ($used): libz.so.1 stays" >&2
        exit 1
    fi
    command -v patchelf >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq patchelf >/dev/null; }
    patchelf --remove-needed libz.so.1 "$binary"
    echo "build-release: removed the unused NEEDED libz.so.1 from $binary"
fi
