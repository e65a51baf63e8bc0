#!/usr/bin/env bash
# Run the product: embedded SQLite, jobs in-process, demo data, http://$HOST:$PORT
# (HOST and PORT from the environment, default 127.0.0.1:8000; another HOST also needs DJANGO_ALLOWED_HOSTS).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
export SMS_BACKEND="${SMS_BACKEND:-console}"
# Materials read back (docs/materials.md) need OpenCV's system libraries and the face cascade; as root
# they are installed, otherwise the checks they drive say "未检查" and everything else works.
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  missing=()
  ldconfig -p 2>/dev/null | grep -q "libGL.so.1 " || missing+=(libgl1)
  ldconfig -p 2>/dev/null | grep -q "libglib-2.0.so.0 " || missing+=(libglib2.0-0)
  [ -f /usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml ] || missing+=(opencv-data)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> 安装材料识别所需的系统软件包：${missing[*]}"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null) ||
      echo "==> 提示：系统软件包安装失败，材料自动检查将显示“未检查”，其他功能不受影响。"
  fi
fi
.venv/bin/python -c "import cv2" 2>/dev/null ||
  echo "==> 提示：OpenCV 无法加载（缺少 libGL.so.1 或 glib：apt-get install libgl1 libglib2.0-0），材料自动检查将显示“未检查”。"
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py seed_demo --people "${DEMO_PEOPLE:-2000}"  # idempotent: a queue to review, records to browse
.venv/bin/python manage.py transfer_keys --create >/dev/null  # signed transfer documents (idempotent)
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
# The scheduled jobs (statistics refresh, reminders, expiries: config/celery.py BEAT_SCHEDULE) run
# here as cron would run them in production without beat: due ones at once, then every minute.
(
  while true; do
    .venv/bin/python manage.py run_due_jobs >/dev/null 2>&1 || echo "==> 提示：定时任务运行失败（manage.py run_due_jobs 查看原因）。" >&2
    sleep 60
  done
) &
jobs_pid=$!
trap 'kill "$jobs_pid" 2>/dev/null || true' EXIT INT TERM
echo "==> 服务地址：http://${HOST}:${PORT} （Ctrl+C 停止）"
.venv/bin/python manage.py runserver "${HOST}:${PORT}"
