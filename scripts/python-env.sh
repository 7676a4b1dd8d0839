# Sourced by the other scripts: finds or makes the virtual environment they install into and run from,
# and sets PY to its python. An active virtual environment ($VIRTUAL_ENV) is used as it is; otherwise
# $WHISPER_VIZ_VENV (default .venv in the repository), made from $PYTHON (default python3, >= 3.10) with
# --system-site-packages, so packages the base Python already has are reused. A virtual environment is
# what a stock Debian/Ubuntu python3 needs (PEP 668: pip refuses to install into it, "externally-managed-
# environment"); Debian ships venv's pip in python3-venv, installed here with apt when missing and root.

use_python_env() {
  if [ -n "${VIRTUAL_ENV:-}" ] && [ -x "$VIRTUAL_ENV/bin/python" ]; then
    PY="$VIRTUAL_ENV/bin/python"
    return
  fi
  local base="${PYTHON:-python3}" venv="${WHISPER_VIZ_VENV:-.venv}"
  if ! command -v "$base" >/dev/null; then
    echo "whisper-viz: no '$base' found; install Python 3.10 or newer (Debian/Ubuntu: apt-get install python3)" >&2
    exit 1
  fi
  if ! "$base" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
    echo "whisper-viz needs Python 3.10 or newer; '$base' is $("$base" -V 2>&1). Set PYTHON=python3.x." >&2
    exit 1
  fi
  if [ ! -x "$venv/bin/python" ]; then
    if ! "$base" -c 'import ensurepip, venv' 2>/dev/null; then
      local version
      version="$("$base" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
      if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
        echo "whisper-viz: installing python3-venv (Debian/Ubuntu keep venv's pip there)" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv "python$version-venv" >/dev/null \
          || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      else
        echo "whisper-viz: '$base' cannot make a virtual environment; run: sudo apt-get install python3-venv" \
             "python$version-venv (or set PYTHON to another Python >= 3.10)" >&2
        exit 1
      fi
    fi
    "$base" -m venv --system-site-packages "$venv"
  fi
  PY="$venv/bin/python"
}

# No NVIDIA GPU: offer PyTorch's CPU index as well (PyPI's torch==2.13.0 for Linux is the multi-GB CUDA
# build; pip prefers 2.13.0+cpu when both are offered). The indexes already configured are kept.
prefer_cpu_torch() {
  if command -v nvidia-smi >/dev/null || ! getent hosts download.pytorch.org >/dev/null 2>&1; then
    return  # a GPU machine, or offline: pip's own configuration decides (here a local CPU wheel)
  fi
  local extra="${PIP_EXTRA_INDEX_URL:-$("$PY" -m pip config get global.extra-index-url 2>/dev/null || true)}"
  export PIP_EXTRA_INDEX_URL="${extra:+$extra }https://download.pytorch.org/whl/cpu"
}
