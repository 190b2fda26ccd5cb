#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests (issue 18), in a folder of its own.
#
#   scripts/pg-cluster.sh start DIR    creates (or reuses) the cluster in DIR, starts it, creates
#                                       the database exosafe and prints its URL
#   scripts/pg-cluster.sh stop DIR     stops it (fast mode) and removes DIR
#   scripts/pg-cluster.sh status DIR   exit 0 when it runs (and prints its URL), 3 when not
#   scripts/pg-cluster.sh url DIR      prints postgres://USER@127.0.0.1:PORT/exosafe
#   scripts/pg-cluster.sh restart DIR  restarts the server (fast mode), same port and data: the
#                                       tests of a database that goes away and comes back
#
# The cluster: initdb --auth=trust --locale=C --encoding=UTF8 (C locale: text sorts by bytes,
# as in SQLite), listening only on 127.0.0.1 on a free port from 54320 up, its unix socket
# inside DIR, fsync on (the default: the tests see PostgreSQL as it runs in production).
# PostgreSQL refuses to run as root: as root the cluster belongs to the system user exosafe-pg
# (created when missing) and DIR is chowned to it; otherwise to the current user.
# start and stop are idempotent; a DIR left by a killed run is stopped and wiped on start.
set -euo pipefail

PG_BIN=${PG_BIN:-}
if [ -z "$PG_BIN" ]; then
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && PG_BIN=$d; done
fi
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
  echo "pg-cluster: initdb not found (install the Debian package postgresql, or set PG_BIN)" >&2
  exit 2
fi

usage() { echo "usage: $0 start|stop|restart|status|url DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$2
case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac

PG_USER=$(id -un)
as_pg() { "$@"; }
if [ "$(id -u)" -eq 0 ]; then
  PG_USER=exosafe-pg
  if ! getent passwd "$PG_USER" >/dev/null; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_USER"
  fi
  as_pg() { runuser -u "$PG_USER" -- "$@"; }
fi

url() { echo "postgres://$PG_USER@127.0.0.1:$(cat "$dir/port")/exosafe"; }

# Running means answering: after a kill -9 the pid file (and a zombie) may still be there.
running() {
  [ -f "$dir/data/PG_VERSION" ] && [ -f "$dir/port" ] &&
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 &&
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$(cat "$dir/port")" -U "$PG_USER" -d exosafe
}

# Stops whatever runs in DIR (a stale postmaster.pid of a killed run included) and removes DIR.
wipe() {
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
      as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
  if running; then url; return 0; fi
  wipe
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown "$PG_USER" "$dir"
  chmod 700 "$dir"
  as_pg "$PG_BIN/initdb" -D "$dir/data" --auth=trust --locale=C --encoding=UTF8 -U "$PG_USER" \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  # Another cluster may take a port between the check and the bind: then the next port.
  local port
  for port in $(seq 54320 54420); do
    port_in_use "$port" && continue
    if as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir' -c fsync=on" \
        start >/dev/null 2>&1; then
      echo "$port" >"$dir/port"
      as_pg "$PG_BIN/../bin/createdb" -h "$dir" -p "$port" -U "$PG_USER" exosafe
      url
      return 0
    fi
    grep -q "could not bind\|could not create any TCP/IP sockets\|already in use" "$dir/server.log" 2>/dev/null || {
      cat "$dir/server.log" >&2; exit 1; }
    : >"$dir/server.log"
  done
  echo "pg-cluster: no free port in 54320..54420" >&2
  exit 1
}

case "$cmd" in
  start) start ;;
  stop) wipe ;;
  restart) as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 60 restart >/dev/null ;;
  status) if running; then url; else exit 3; fi ;;
  url) [ -f "$dir/port" ] || { echo "pg-cluster: no cluster in $dir" >&2; exit 1; }; url ;;
  *) usage ;;
esac
