#!/usr/bin/env bash
# Run the whole test suite. Default database: a throw-away SQLite file; set DATABASE_URL for PostgreSQL.
# Extra arguments go to pytest (e.g. scripts/test.sh tests/core -x).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || missing+=(fonts-wqy-microhei fontconfig)
  # Materials read back: OpenCV's system libraries and the Haar face cascade (docs/materials.md)
  ldconfig -p 2>/dev/null | grep -q "libGL.so.1 " || missing+=(libgl1)
  ldconfig -p 2>/dev/null | grep -q "libglib-2.0.so.0 " || missing+=(libglib2.0-0)
  [ -f /usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml ] || missing+=(opencv-data)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> 安装浏览器测试、中文字体和材料识别所需的系统软件包：${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" = "5" ]; then
  echo "pytest 没有收集到任何测试（退出码 5）：请检查测试路径或 -k 过滤条件。" >&2
fi
exit "$status"
