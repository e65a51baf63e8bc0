#!/usr/bin/env bash
# Run the product: embedded SQLite, jobs in-process, demo data, http://$HOST:$PORT
# (HOST and PORT from the environment, default 127.0.0.1:8000; another HOST also needs DJANGO_ALLOWED_HOSTS).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
export SMS_BACKEND="${SMS_BACKEND:-console}"
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py seed_demo --people "${DEMO_PEOPLE:-2000}"  # idempotent: a queue to review, records to browse
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
echo "==> 服务地址：http://${HOST}:${PORT} （Ctrl+C 停止）"
exec .venv/bin/python manage.py runserver "${HOST}:${PORT}"
