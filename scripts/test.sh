#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh Debian/Ubuntu machine, then run it.
#   bash scripts/test.sh            # all tests (browser tests included)
#   bash scripts/test.sh -k sample  # extra arguments go to pytest
# It prints one line per phase (apt, venv, pip, sdk check, pytest), each finished with its time;
# the quiet tools under it print only their errors.
set -euo pipefail
cd "$(dirname "$0")/.."

PHASE=""
STARTED=0
phase() {  # phase NAME WHAT: start a line "videonb test.sh [i/5] NAME: WHAT ..."
  PHASE="$1"; STARTED=$SECONDS
  printf 'videonb test.sh [%s] %s: %s ... ' "$PHASE_NO" "$1" "$2"
}
done_phase() {  # done_phase [NOTE]: end the line with the phase's time
  echo "${1:-done} ($((SECONDS - STARTED)) s)"
  PHASE=""
}
trap 'if [ -n "$PHASE" ]; then echo "FAILED ($((SECONDS - STARTED)) s)"; fi' EXIT

# Debian's Chromium for the browser tests (Playwright's own browser download is not used).
PHASE_NO="1/5"; phase apt "Debian's chromium for the browser tests"
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
  done_phase "installed"
else
  done_phase "already installed"
fi

PY="${PYTHON:-python3}"
PHASE_NO="2/5"; phase venv ".venv"
if [ -x .venv/bin/python ]; then
  done_phase "exists"
else
  "$PY" -m venv .venv
  done_phase "created with $("$PY" --version 2>&1)"
fi

PHASE_NO="3/5"; phase pip "pip install -e '.[test]' into .venv (quiet)"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
done_phase

# fail early, with a clear message, if the install broke
PHASE_NO="4/5"; phase "sdk check" "import videonb, av, cv2, httpx, playwright, the SDKs, jupyterlab"
.venv/bin/python -c "import videonb, av, cv2, httpx, playwright, pytest, openai, runwayml, google.genai, anywidget, jupyterlab, notebook"
done_phase "ok"

# Keep caches and browser profiles out of $HOME.
export VIDEONB_CACHE_DIR="${VIDEONB_CACHE_DIR:-$PWD/.videonb/cache}"
PHASE_NO="5/5"; phase pytest ".venv/bin/python -m pytest $*"
PHASE=""
echo "(pytest reports below)"
trap - EXIT
exec .venv/bin/python -m pytest "$@"
