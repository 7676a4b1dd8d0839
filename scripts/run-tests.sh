#!/usr/bin/env bash
# Installs everything the test suite needs, then runs all of it (model, browser and fuzz tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --dev
source scripts/python-env.sh
use_python_env
"$PY" -m pytest -q "$@"
