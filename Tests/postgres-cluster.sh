#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the PostgreSQL backend's tests.
#
#   eval "$(bash Tests/postgres-cluster.sh start DIR)"   # DIR: an empty (or new) folder, e.g. from mktemp -d
#   bash Tests/postgres-cluster.sh stop DIR              # stops it (if running) and removes DIR
#
# `start` runs initdb in DIR/data with the superuser `hookgate` (password
# `hookgate-test`, SCRAM for TCP and for the socket: no trust anywhere), listening on
# 127.0.0.1 on a free port and on a socket in DIR, max_connections 200, fsync on (the
# defaults), the server log in DIR/log. It waits (30 s at most) until the server
# answers, then prints these lines on standard output (everything else goes to
# standard error):
#
#   export HOOKGATE_TEST_DATABASE_URL=postgresql://hookgate:hookgate-test@127.0.0.1:PORT/postgres
#   export HOOKGATE_TEST_PGCTL=/usr/lib/postgresql/N/bin/pg_ctl
#   export HOOKGATE_TEST_PGDATA=DIR/data
#   export HOOKGATE_TEST_PGUSER=postgres       # the OS user pg_ctl must run as (the current user unless root)
#   export HOOKGATE_TEST_PGPORT=PORT
#   export HOOKGATE_TEST_PGLOG=DIR/log         # the server log (give it to `pg_ctl start -l` after a stop)
#
# The port is written into DIR/data/postgresql.conf, so `pg_ctl start -D DIR/data`
# brings the server back on the same port. PostgreSQL refuses to run as root: as root
# DIR is given to the `postgres` user and initdb/pg_ctl run through `runuser`. The
# binaries are the newest under /usr/lib/postgresql/*/bin (or $PG_BINDIR).
set -uo pipefail

SUPERUSER=hookgate
PASSWORD=hookgate-test
MARKER=.hookgate-test-cluster

die() {
    echo "postgres-cluster: $*" >&2
    exit 1
}

usage() {
    echo "usage: bash Tests/postgres-cluster.sh start DIR | stop DIR" >&2
    exit 2
}

find_bindir() {
    if [ -n "${PG_BINDIR:-}" ]; then
        [ -x "$PG_BINDIR/pg_ctl" ] || die "PG_BINDIR=$PG_BINDIR has no pg_ctl"
        echo "$PG_BINDIR"
        return
    fi
    local newest
    newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$newest" ] && [ -x "$newest/pg_ctl" ] || die "no PostgreSQL under /usr/lib/postgresql/*/bin (Debian: apt-get install postgresql)"
    echo "$newest"
}

# The OS user that owns the cluster: postgres when we are root, else ourselves.
cluster_user() {
    if [ "$(id -u)" = 0 ]; then
        getent passwd postgres >/dev/null || die "running as root but there is no 'postgres' user (it comes with the postgresql package)"
        echo postgres
    else
        id -un
    fi
}

# Runs a command as the cluster's user, from DIR (a root-only working directory
# would make PostgreSQL's tools complain).
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        (cd "$dir" && runuser -u postgres -- "$@")
    else
        (cd "$dir" && "$@")
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
    local bindir owner port attempt ready
    bindir=$(find_bindir) || exit 1
    owner=$(cluster_user) || exit 1
    mkdir -p "$dir" || die "cannot create $dir"
    dir=$(cd "$dir" && pwd -P)
    [ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
    # Unix socket paths are limited to 107 bytes: DIR/.s.PGSQL.PORT must fit.
    [ ${#dir} -le 80 ] || die "$dir is too long a path for the server's socket (80 characters at most)"
    touch "$dir/$MARKER"
    if [ "$(id -u)" = 0 ]; then
        chown -R postgres: "$dir" || die "cannot give $dir to postgres"
        chmod 700 "$dir"
        runuser -u postgres -- test -w "$dir" \
            || die "the postgres user cannot reach $dir (a parent folder is closed to it); use a folder under /tmp"
    fi
    local pwfile="$dir/pwfile"
    (umask 077 && printf '%s\n' "$PASSWORD" >"$pwfile")
    [ "$(id -u)" = 0 ] && chown postgres: "$pwfile"
    if ! as_owner "$bindir/initdb" -D "$dir/data" -U "$SUPERUSER" --pwfile="$pwfile" \
        --auth-host=scram-sha-256 --auth-local=scram-sha-256 -E UTF8 --locale=C >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        rm -f "$pwfile"
        die "initdb failed"
    fi
    rm -f "$pwfile"

    # A free port can be taken between the probe and the server's bind: try a few.
    for attempt in 1 2 3 4 5; do
        port=$(free_port) || die "python3 is needed to find a free port"
        cat >"$dir/data/hookgate-test.conf" <<EOF
# Tests/postgres-cluster.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
password_encryption = 'scram-sha-256'
EOF
        [ "$(id -u)" = 0 ] && chown postgres: "$dir/data/hookgate-test.conf"
        grep -q "^include_if_exists = 'hookgate-test.conf'" "$dir/data/postgresql.conf" \
            || echo "include_if_exists = 'hookgate-test.conf'" >>"$dir/data/postgresql.conf"
        if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 start >&2; then
            break
        fi
        if grep -q "could not bind\|Address already in use" "$dir/log" 2>/dev/null && [ "$attempt" -lt 5 ]; then
            echo "postgres-cluster: port $port was taken, trying another" >&2
            continue
        fi
        tail -n 20 "$dir/log" >&2 2>/dev/null
        die "pg_ctl start failed (log: $dir/log)"
    done

    ready=
    for _ in $(seq 1 60); do
        if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -d postgres -U "$SUPERUSER" -t 2; then
            ready=1
            break
        fi
        sleep 0.5
    done
    if [ -z "$ready" ]; then
        tail -n 20 "$dir/log" >&2
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
        die "the server did not answer on 127.0.0.1:$port within 30 s (log: $dir/log)"
    fi
    echo "postgres-cluster: PostgreSQL $("$bindir/pg_ctl" --version | awk '{print $3}') on 127.0.0.1:$port, data $dir/data, run by $owner" >&2

    printf 'export HOOKGATE_TEST_DATABASE_URL=%q\n' "postgresql://$SUPERUSER:$PASSWORD@127.0.0.1:$port/postgres"
    printf 'export HOOKGATE_TEST_PGCTL=%q\n' "$bindir/pg_ctl"
    printf 'export HOOKGATE_TEST_PGDATA=%q\n' "$dir/data"
    printf 'export HOOKGATE_TEST_PGUSER=%q\n' "$owner"
    printf 'export HOOKGATE_TEST_PGPORT=%q\n' "$port"
    printf 'export HOOKGATE_TEST_PGLOG=%q\n' "$dir/log"
}

stop() {
    [ -d "$dir" ] || return 0
    dir=$(cd "$dir" && pwd -P)
    # An empty folder (a start that failed before initdb) just goes.
    if [ -z "$(ls -A "$dir")" ]; then
        rmdir "$dir"
        return
    fi
    # Otherwise only ever remove a folder this script set up.
    [ -e "$dir/$MARKER" ] || die "$dir was not made by 'postgres-cluster.sh start'; not touching it"
    if [ -f "$dir/data/postmaster.pid" ]; then
        local bindir
        bindir=$(find_bindir) || exit 1
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >&2 \
            || as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >&2 \
            || true
    fi
    rm -rf "$dir"
}

[ $# -eq 2 ] || usage
dir=$2
case "$1" in
    start) start ;;
    stop) stop ;;
    *) usage ;;
esac
