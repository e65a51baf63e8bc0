#!/usr/bin/env bash
# Run the whole test suite. Default database: a throw-away SQLite file; set DATABASE_URL for PostgreSQL.
# Extra arguments go to pytest (e.g. scripts/test.sh tests/core -x).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
source scripts/system-packages.sh
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" = "5" ]; then
  echo "pytest 没有收集到任何测试（退出码 5）：请检查测试路径或 -k 过滤条件。" >&2
fi
exit "$status"
