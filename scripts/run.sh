#!/usr/bin/env bash
# Run the product: embedded SQLite, jobs in-process, demo data, http://127.0.0.1:8000
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
export SMS_BACKEND="${SMS_BACKEND:-console}"
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py seed_demo --people "${DEMO_PEOPLE:-2000}"  # idempotent: a queue to review, records to browse
echo "==> 服务地址：http://127.0.0.1:8000 （Ctrl+C 停止）"
exec .venv/bin/python manage.py runserver 127.0.0.1:8000
