#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh Debian/Ubuntu machine, then run it.
#   bash scripts/test.sh            # all tests (browser tests included)
#   bash scripts/test.sh -k sample  # extra arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's Chromium for the browser tests (Playwright's own browser download is not used).
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# The open-model provider's extra (videonb[models]) for tests/test_diffusers_provider.py. torch
# first, pinned, so CI gets the small CPU build (on a machine without torch, the extra's open
# "torch>=2.4" would pull a multi-GB CUDA build); a venv that already has a torch keeps it.
# VIDEONB_TORCH overrides the pin (e.g. VIDEONB_TORCH=torch for your GPU build).
if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
  .venv/bin/python -m pip install -q "${VIDEONB_TORCH:-torch==2.13.0}"
fi
.venv/bin/python -m pip install -q -e '.[test,models,batch]'
# fail early, with a clear message, if the install broke
.venv/bin/python -c "import videonb, av, cv2, httpx, playwright, pytest, openai, runwayml, google.genai, anywidget, jupyterlab, notebook, torch, diffusers, transformers, accelerate, dask, distributed, pandas, pyarrow"

# Keep caches and browser profiles out of $HOME; the tests never reach the Hugging Face hub.
export VIDEONB_CACHE_DIR="${VIDEONB_CACHE_DIR:-$PWD/.videonb/cache}"
export HF_HUB_OFFLINE=1
exec .venv/bin/python -m pytest "$@"
