#!/usr/bin/env bash
# Install what the product needs into .venv and node_modules; quick when nothing changed.
# Sourced by scripts/run.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "需要 Python 3.11（Django 5.2 LTS），当前：$("$PYTHON" --version 2>&1)。可设置 PYTHON=/path/to/python3.11" >&2
  exit 1
fi

stamp() { cat "$@" | sha256sum | cut -c1-16; }

if [ ! -x .venv/bin/python ]; then
  echo "==> 创建虚拟环境 .venv"
  "$PYTHON" -m venv .venv
fi
PY_STAMP="$(stamp pyproject.toml constraints.txt)"
if [ "$(cat .venv/.installed 2>/dev/null)" != "$PY_STAMP" ]; then
  echo "==> 安装 Python 依赖（pyproject.toml + constraints.txt）"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -c constraints.txt -e ".[dev]"
  echo "$PY_STAMP" > .venv/.installed
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "需要 Node.js 和 npm 来安装前端库（htmx、ECharts）：apt-get install nodejs npm" >&2
  exit 1
fi
JS_STAMP="$(stamp package.json package-lock.json)"
if [ "$(cat node_modules/.installed 2>/dev/null)" != "$JS_STAMP" ]; then
  echo "==> 安装前端库（npm ci，来自 npm 仓库，本地提供，不使用 CDN）"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$JS_STAMP" > node_modules/.installed
fi
