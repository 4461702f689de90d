#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh Debian/Ubuntu machine, then run it.
#   bash scripts/test.sh            # all tests (browser tests included)
#   bash scripts/test.sh -k sample  # extra arguments go to pytest
# It prints one line per phase (apt, venv, torch, pip, sdk check, pytest), each finished with
# its time; the quiet tools under it print only their errors.
set -euo pipefail
cd "$(dirname "$0")/.."

PHASE=""
STARTED=0
phase() {  # phase NAME WHAT: start a line "videonb test.sh [i/6] NAME: WHAT ..."
  PHASE="$1"; STARTED=$SECONDS
  printf 'videonb test.sh [%s] %s: %s ... ' "$PHASE_NO" "$1" "$2"
}
done_phase() {  # done_phase [NOTE]: end the line with the phase's time
  echo "${1:-done} ($((SECONDS - STARTED)) s)"
  PHASE=""
}
trap 'if [ -n "$PHASE" ]; then echo "FAILED ($((SECONDS - STARTED)) s)"; fi' EXIT

# Debian's Chromium for the browser tests (Playwright's own browser download is not used).
PHASE_NO="1/6"; phase apt "Debian's chromium for the browser tests"
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
  done_phase "installed"
else
  done_phase "already installed"
fi

PY="${PYTHON:-python3}"
PHASE_NO="2/6"; phase venv ".venv"
if [ -x .venv/bin/python ]; then
  done_phase "exists"
else
  "$PY" -m venv .venv
  done_phase "created with $("$PY" --version 2>&1)"
fi

# The open-model provider's extra (videonb[models]) for tests/test_diffusers_provider.py. torch
# first, pinned, so CI gets the small CPU build (on a machine without torch, the extra's open
# "torch>=2.4" would pull a multi-GB CUDA build); a venv that already has a torch keeps it.
# VIDEONB_TORCH overrides the pin (e.g. VIDEONB_TORCH=torch for your GPU build).
PHASE_NO="3/6"; phase torch "${VIDEONB_TORCH:-torch==2.13.0} (CPU build) into .venv (quiet)"
.venv/bin/python -m pip install -q --upgrade pip
if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
  .venv/bin/python -m pip install -q "${VIDEONB_TORCH:-torch==2.13.0}"
  done_phase "installed"
else
  done_phase "already installed"
fi

PHASE_NO="4/6"; phase pip "pip install -e '.[test,models,batch]' into .venv (quiet)"
.venv/bin/python -m pip install -q -e '.[test,models,batch]'
done_phase

# fail early, with a clear message, if the install broke
PHASE_NO="5/6"; phase "sdk check" "import videonb, av, cv2, httpx, playwright, the SDKs, jupyterlab, torch, diffusers, dask"
.venv/bin/python -c "import videonb, av, cv2, httpx, playwright, pytest, openai, runwayml, google.genai, lumaai, jwt, fal_client, replicate, anywidget, jupyterlab, notebook, torch, diffusers, transformers, accelerate, dask, distributed, pandas, pyarrow"
done_phase "ok"

# Keep caches and browser profiles out of $HOME; the tests never reach the Hugging Face hub.
export VIDEONB_CACHE_DIR="${VIDEONB_CACHE_DIR:-$PWD/.videonb/cache}"
export HF_HUB_OFFLINE=1
PHASE_NO="6/6"; phase pytest ".venv/bin/python -m pytest $*"
PHASE=""
echo "(pytest reports below)"
trap - EXIT
exec .venv/bin/python -m pytest "$@"
