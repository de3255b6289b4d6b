#!/usr/bin/env bash
# Checks that a hookgate binary is self-contained: the Swift runtime and Foundation are
# linked in (--static-swift-stdlib), no RPATH/RUNPATH points into the toolchain, and at
# run time it needs only glibc, libstdc++, libgcc, OpenSSL 3 (libssl3) and SQLite 3
# (libsqlite3-0). Fails on anything else: the toolchain's folder, libswift*.so,
# libFoundation*.so, libdispatch, libcurl, libxml2, ICU included.
# Usage: deploy/debian/check-binary.sh BINARY
set -euo pipefail
binary="${1:?usage: check-binary.sh BINARY}"
[ -x "$binary" ] || { echo "check-binary: $binary is not an executable" >&2; exit 1; }

# Sonames a Debian 12 system provides from libc6, libstdc++6, libgcc-s1, libssl3 and libsqlite3-0.
allowed='^(libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|libutil\.so\.1|ld-linux-x86-64\.so\.2|libstdc\+\+\.so\.6|libgcc_s\.so\.1|libcrypto\.so\.3|libssl\.so\.3|libsqlite3\.so\.0)$'
failures=0
fail() { echo "FAIL  $*"; failures=$((failures + 1)); }

dynamic="$(readelf -d "$binary")"
echo "readelf -d $binary (NEEDED, RPATH, RUNPATH):"
echo "$dynamic" | grep -E '\((NEEDED|RPATH|RUNPATH)\)' | sed 's/^/  /'

while read -r soname; do
    if [[ "$soname" =~ $allowed ]]; then
        echo "ok    NEEDED $soname"
    else
        fail "NEEDED $soname is not in the allowed list (glibc, libstdc++, libgcc, libssl3, libsqlite3-0)"
    fi
done < <(echo "$dynamic" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')

while read -r path; do
    # $ORIGIN-relative or system paths would be harmless, but the package needs none.
    fail "RPATH/RUNPATH $path (the binary must find its libraries on the system's default paths)"
done < <(echo "$dynamic" | sed -n 's/.*(\(RPATH\|RUNPATH\)).*\[\(.*\)\]/\2/p')

# What the loader really resolves (transitively), with the toolchain out of the search path.
echo "ldd $binary:"
resolved="$(env -u LD_LIBRARY_PATH ldd "$binary")"
echo "$resolved" | sed 's/^/  /'
if echo "$resolved" | grep -q 'not found'; then fail "a library is not found"; fi
toolchain="$(dirname "$(dirname "$(readlink -f "$(command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)")")")"
if echo "$resolved" | grep -q -F "$toolchain"; then fail "a library resolves into the toolchain ($toolchain)"; fi
if echo "$resolved" | grep -E -q 'libswift|libFoundation|libdispatch|libBlocksRuntime|libcurl|libxml2|libicu|lib_FoundationICU'; then
    fail "the Swift runtime, Foundation, libcurl, libxml2 or ICU is linked dynamically"
fi
while read -r lib; do
    case "$lib" in
        linux-vdso.so.1 | libc.so.6 | libm.so.6 | libdl.so.2 | libpthread.so.0 | librt.so.1 | libutil.so.1 \
            | /lib64/ld-linux-x86-64.so.2 | libstdc++.so.6 | libgcc_s.so.1 | libcrypto.so.3 | libssl.so.3 \
            | libsqlite3.so.0 | libz.so.1) ;;  # libz: libcrypto's own dependency (zlib1g, required priority)
        *) fail "ldd resolves $lib, outside the allowed list" ;;
    esac
done < <(echo "$resolved" | awk '{print $1}')

# The Swift runtime and Foundation are inside: a Swift binary (swift5_* metadata
# sections) that needs no libswift*/libFoundation* (checked above) has them linked in;
# an unstripped one also defines the runtime's swift_retain and Foundation's types.
# (Counts with grep -c: grep -q would end the pipe early and fail it under pipefail.)
if [ "$(readelf -S -W "$binary" | grep -c 'swift5_typeref' || true)" -gt 0 ]; then
    echo "ok    a Swift binary (swift5_typeref) that needs no Swift runtime or Foundation library: both are linked in"
else
    fail "no swift5_typeref section: not a Swift binary?"
fi
retain="$(nm --defined-only "$binary" 2>/dev/null | grep -c ' swift_retain$' || true)"
foundation="$(nm --defined-only "$binary" 2>/dev/null | grep -c ' $s20FoundationEssentials4DataVMn$' || true)"
if [ "${retain:-0}" -gt 0 ] && [ "${foundation:-0}" -gt 0 ]; then
    echo "ok    swift_retain and FoundationEssentials.Data are defined in the binary"
else
    echo "note  no symbol table (stripped binary): relying on NEEDED and the swift5 sections above"
fi

if [ "$failures" -ne 0 ]; then
    echo "check-binary: $failures problem(s) in $binary" >&2
    exit 1
fi
echo "check-binary: $binary needs only glibc, libstdc++, libgcc, OpenSSL 3 and SQLite 3"
