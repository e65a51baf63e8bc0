#!/usr/bin/env bash
# Stop and remove what scripts/prod-up.sh started: supervisord and its processes, the replica, the var
# dir and the database (PROD_KEEP_DB=1 keeps the database; PROD_KEEP_VAR=1 keeps the var dir).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
VAR="${PROD_VAR_DIR:-$(cat var/.prod-var-dir 2>/dev/null || echo "$ROOT/var/prod")}"
DB="${PROD_DB:-registry_stack}"
if [ -f "$VAR/supervisord.conf" ]; then
  echo "==> 停止 supervisord 及其进程"
  .venv/bin/supervisorctl -c "$VAR/supervisord.conf" shutdown >/dev/null 2>&1
  for _ in $(seq 1 60); do [ -S "$VAR/run/supervisor.sock" ] || break; sleep 1; done
fi
echo "==> 停止并删除流复制备库"
scripts/pg-replica.sh remove "$VAR/replica" >/dev/null 2>&1
if [ "${PROD_KEEP_DB:-0}" != 1 ]; then
  psql -h 127.0.0.1 -U postgres -Xqc "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true
fi
if [ "${PROD_KEEP_VAR:-0}" != 1 ]; then rm -rf "$VAR"; rm -f var/.prod-var-dir; fi
echo "==> 已移除"
