#!/usr/bin/env bash
# A throwaway PostgreSQL server for the feedback-store tests (Debian's
# postgresql package; .ci/run installs it when missing).
#
#   eval "$(scripts/postgres.sh start DIR)"   initdb into DIR, start on 127.0.0.1
#                                             on a free port, print the export of
#                                             FRACTURECDS_TEST_POSTGRES_URL
#   scripts/postgres.sh stop DIR              stop it (DIR can then be removed)
#
# initdb refuses to run as root, so as root the cluster belongs to the
# postgres user. Trust authentication on loopback only: it is a test server.
set -euo pipefail
cmd="${1:-}"; dir="${2:-}"
[[ -n "$cmd" && -n "$dir" ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$bindir/initdb" ]] || { echo "postgres.sh: no PostgreSQL server (apt-get install -y postgresql)" >&2; exit 1; }

as_owner() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
  mkdir -p "$dir"
  [[ $(id -u) == 0 ]] && chown postgres:postgres "$dir"
  # A free port: the first from 55432 that nothing answers on.
  port=55432
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  as_owner "$bindir/initdb" -D "$dir/data" -U fracturecds --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  # fsync off: a test server, thrown away after the run.
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >&2 \
    || { cat "$dir/server.log" >&2; exit 1; }
  echo "export FRACTURECDS_TEST_POSTGRES_URL='postgres://fracturecds@127.0.0.1:$port/postgres?sslmode=disable'"
  ;;
stop)
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
  fi
  ;;
*)
  echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
