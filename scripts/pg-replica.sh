#!/usr/bin/env bash
# A local PostgreSQL streaming replica of the primary, made with pg_basebackup -R (docs/deployment.md).
#   scripts/pg-replica.sh start DIR PORT [PRIMARY_PORT]   make (first time) and start it; prints its URL base
#   scripts/pg-replica.sh stop DIR                         stop it (fast)
#   scripts/pg-replica.sh remove DIR                       stop it and delete DIR
# Used by scripts/prod-up.sh and by the replica tests (tests/core/test_replica.py). Runs the server as
# the `postgres` OS user when started as root. The primary must allow replication connections from
# 127.0.0.1: if it does not, and its pg_hba.conf is writable here, one trust line for 127.0.0.1 is
# added (the same trust its other 127.0.0.1 lines have) and the primary reloaded.
set -euo pipefail

cmd="${1:?start|stop|remove}"
dir="${2:?DIR}"
port="${3:-5433}"
primary_port="${4:-5432}"
host=127.0.0.1

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
psql_primary() { psql -h "$host" -p "$primary_port" -U postgres -XAtq "$@"; }
bindir() {
  local major
  major="$(psql_primary -c 'show server_version_num' | cut -c1-2)"
  echo "/usr/lib/postgresql/$major/bin"
}

case "$cmd" in
stop)
  if [ -f "$dir/data/postmaster.pid" ]; then as_pg "$(bindir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true; fi
  exit 0
  ;;
remove)
  "$0" stop "$dir"
  rm -rf "$dir"
  exit 0
  ;;
start) ;;
*)
  echo "usage: $0 start|stop|remove DIR [PORT] [PRIMARY_PORT]" >&2
  exit 2
  ;;
esac

pg_isready -h "$host" -p "$primary_port" -q || { echo "主库 $host:$primary_port 未运行" >&2; exit 1; }
bin="$(bindir)"
[ -x "$bin/pg_ctl" ] || { echo "找不到 $bin/pg_ctl（需要与主库相同大版本的 PostgreSQL 服务端）" >&2; exit 1; }

if [ ! -f "$dir/data/standby.signal" ]; then
  # Replication connections from 127.0.0.1 allowed?
  if ! psql "host=$host port=$primary_port user=postgres replication=true" -XAtqc "IDENTIFY_SYSTEM" >/dev/null 2>&1; then
    hba="$(psql_primary -c 'show hba_file')"
    if [ -w "$hba" ]; then
      printf '\n# added by scripts/pg-replica.sh: local streaming replica\nhost replication all 127.0.0.1/32 trust\n' >>"$hba"
      psql_primary -c 'select pg_reload_conf()' >/dev/null
      sleep 1
    fi
    psql "host=$host port=$primary_port user=postgres replication=true" -XAtqc "IDENTIFY_SYSTEM" >/dev/null || {
      echo "主库不接受来自 $host 的复制连接：请在 $hba 加入 'host replication all 127.0.0.1/32 trust'" >&2
      exit 1
    }
  fi
  [ "$(psql_primary -c 'show wal_level')" != minimal ] || { echo "主库 wal_level=minimal，不能复制" >&2; exit 1; }
  rm -rf "$dir"
  mkdir -p "$dir/data"
  [ "$(id -u)" != 0 ] || chown -R postgres:postgres "$dir"
  chmod 700 "$dir/data"
  as_pg pg_basebackup -h "$host" -p "$primary_port" -U postgres -D "$dir/data" -R -X stream -c fast
  # Debian keeps the primary's configuration outside its data directory: the replica gets its own.
  # A hot standby needs these at least as large as on the primary.
  {
    echo "port = $port"
    echo "listen_addresses = '$host'"
    echo "unix_socket_directories = '$dir'"
    echo "hot_standby = on"
    echo "hot_standby_feedback = on"
    for setting in max_connections max_worker_processes max_wal_senders max_prepared_transactions \
      max_locks_per_transaction shared_buffers; do
      echo "$setting = '$(psql_primary -c "show $setting")'"
    done
    echo "logging_collector = off"
  } | as_pg tee "$dir/data/postgresql.conf" >/dev/null
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' | as_pg tee "$dir/data/pg_hba.conf" >/dev/null
  : | as_pg tee "$dir/data/pg_ident.conf" >/dev/null
fi

if ! pg_isready -h "$host" -p "$port" -q 2>/dev/null; then
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/replica.log" -w -t 60 start >/dev/null
fi
echo "postgres://postgres@$host:$port"
