#!/usr/bin/env bash
# Installs whisper-viz with its models and starts the app (tiny.en on CPU by default). Arguments go to
# `streamlit run app.py`, e.g. `-- --allow-models /srv/models` to offer local model folders.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
source scripts/python-env.sh
use_python_env
exec "$PY" -m streamlit run app.py "$@"
