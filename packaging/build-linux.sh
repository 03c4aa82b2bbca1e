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
