#!/usr/bin/env bash
# Builds the one-folder Linux app at dist/cxone-desktop/cxone-desktop from a checkout.
#
# It makes its own venv under build/venv and installs the project from its wheel
# build (`pip install .`, so the bundle holds exactly what the wheel holds) plus
# PyInstaller, then runs packaging/cxone-desktop.spec and smoke-tests the binary.
# Needs python3 (>= 3.11) with venv; PYTHON=/path/to/python3.11 picks another one.
# Run-time system libraries are listed in the README (libpulse0, libegl1, ...).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/build/venv"
APP="$ROOT/dist/cxone-desktop/cxone-desktop"

cd "$ROOT"
# What the build itself needs from the system: venv for the build env, objdump for PyInstaller.
need=()
"$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)
command -v objdump >/dev/null || need+=(binutils)
if [[ ${#need[@]} -gt 0 ]]; then
    if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    else
        echo "Install these first: sudo apt-get install ${need[*]}" >&2
        exit 1
    fi
fi
if [[ ! -x "$VENV/bin/python" ]]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet ".[packaging]"
# Always reinstall the app itself: the version number does not change on every edit.
"$VENV/bin/python" -m pip install --quiet --no-deps --force-reinstall .

# The console script (not `python -m`) keeps the checkout off sys.path, so
# PyInstaller analyses the installed package, as a user would get it.
"$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN \
    --distpath "$ROOT/dist" --workpath "$ROOT/build/pyinstaller" \
    "$ROOT/packaging/cxone-desktop.spec"

"$APP" --version
"$APP" --help >/dev/null
echo "built $APP ($(du -sh "$ROOT/dist/cxone-desktop" | cut -f1))"
