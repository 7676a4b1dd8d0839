#!/usr/bin/env bash
# Installs everything the test suite needs, then runs all of it (model, browser and fuzz tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --dev
python3 -m pytest -q "$@"
