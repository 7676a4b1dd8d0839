#!/usr/bin/env bash
# Installs whisper-viz with its models and starts the app (tiny.en on CPU by default).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec python3 -m streamlit run app.py "$@"
