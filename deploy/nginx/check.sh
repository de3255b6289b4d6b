#!/usr/bin/env bash
# Checks that every file in deploy/nginx/ loads with `nginx -t` (Debian 12: nginx 1.22).
#
# Each file is included into a minimal nginx.conf in a temporary prefix, the way it is
# meant to be used: hookgate-locations.conf inside a `server { }` (with the
# hookgate_public upstream it proxies to), the others at http level. Their absolute
# paths (/etc/hookgate/nginx/hookgate-locations.conf, the certificate and key under
# /etc/ssl) are pointed at this checkout's file and a self-signed certificate made with
# openssl for the test. Usage: deploy/nginx/check.sh [NGINX]   (exit 0: all files load)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
nginx="${1:-$(command -v nginx || echo /usr/sbin/nginx)}"
if [ ! -x "$nginx" ]; then
    echo "nginx not found (apt-get install nginx)" >&2
    exit 1
fi
work="$(mktemp -d /tmp/hookgate-nginx-check.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/logs" "$work/conf"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=webhooks.example.com" \
    -keyout "$work/test.key" -out "$work/test.pem" >/dev/null 2>&1

echo "nginx: $("$nginx" -v 2>&1)"
failures=0
for file in "$here"/*.conf; do
    name="$(basename "$file")"
    sed -e "s#/etc/hookgate/nginx/#$here/#g" \
        -e "s#/etc/ssl/certs/webhooks.example.com.pem#$work/test.pem#g" \
        -e "s#/etc/ssl/private/webhooks.example.com.key#$work/test.key#g" \
        "$file" > "$work/conf/$name"
    if grep -q '^[[:space:]]*location' "$file"; then
        # Location blocks: inside a server, with the upstream they proxy to.
        body="upstream hookgate_public { server 127.0.0.1:8080; keepalive 32; }
    server { listen 127.0.0.1:8443; include $work/conf/$name; }"
    else
        body="include $work/conf/$name;"
    fi
    cat > "$work/nginx.conf" <<CONF
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $work/client_body;
    proxy_temp_path $work/proxy;
    fastcgi_temp_path $work/fastcgi;
    uwsgi_temp_path $work/uwsgi;
    scgi_temp_path $work/scgi;
    $body
}
CONF
    if output="$("$nginx" -t -q -e stderr -p "$work" -c "$work/nginx.conf" 2>&1)"; then
        echo "ok    $name${output:+ ($output)}"
    else
        echo "FAIL  $name"
        echo "$output" | sed 's/^/      /'
        failures=$((failures + 1))
    fi
done
if [ "$failures" -ne 0 ]; then
    echo "$failures file(s) in deploy/nginx/ do not load" >&2
    exit 1
fi
echo "all files in deploy/nginx/ load"
