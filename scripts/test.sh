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
.venv/bin/python -m pip install -q -e '.[test,batch]'
# fail early, with a clear message, if the install broke
.venv/bin/python -c "import videonb, av, cv2, httpx, playwright, pytest, openai, runwayml, google.genai, anywidget, jupyterlab, notebook, dask, distributed, pandas, pyarrow"

# Keep caches and browser profiles out of $HOME.
export VIDEONB_CACHE_DIR="${VIDEONB_CACHE_DIR:-$PWD/.videonb/cache}"
exec .venv/bin/python -m pytest "$@"
