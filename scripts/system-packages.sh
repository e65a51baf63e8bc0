#!/usr/bin/env bash
# Debian packages the test suite needs beyond Python: the browser for the browser tests, a Chinese font
# for PDFs, and OpenCV's system libraries and Haar face cascade (docs/materials.md). Installs only what
# is missing, and only as root on a Debian machine; elsewhere the tests that need them say what is missing.
# Sourced by scripts/test.sh; .ci/run runs it once before the two test passes.
set -euo pipefail
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || missing+=(fonts-wqy-microhei fontconfig)
  ldconfig -p 2>/dev/null | grep -q "libGL.so.1 " || missing+=(libgl1)
  ldconfig -p 2>/dev/null | grep -q "libglib-2.0.so.0 " || missing+=(libglib2.0-0)
  [ -f /usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml ] || missing+=(opencv-data)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> 安装浏览器测试、中文字体和材料识别所需的系统软件包：${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi
