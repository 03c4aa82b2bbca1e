#!/usr/bin/env bash
# The README's two commands:  `bash packaging/quickstart.sh demo`  and  `bash packaging/quickstart.sh test`.
# Each installs what it needs on a fresh Debian 12 / Python 3.11 machine: system packages with apt-get when
# run as root (otherwise it lists them and stops), then a virtualenv in .venv with the project installed.
set -euo pipefail
cd "$(dirname "$0")/.."

# Qt (xcb + offscreen), QtMultimedia (libpulse), fonts, dbus: what the app needs to run.
RUNTIME_PKGS=(libpulse0 libegl1 libgl1 libopengl0 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-randr0 libxcb-render-util0 libxcb-image0
  libxcb-xinerama0 libxcb-xkb1 fonts-dejavu-core)
# What the tests use as real parts: a sound server with a null sink, an X server, speech (synthesized, and alsa-utils'
# recorded voice clips), TLS, the seed-shaped Go client,
# libsndfile's sndfile-info (reads WAV cue points as Audacity does), chromium (renders the review report),
# redis-server (the real bus two relays share calls through);
# gcc and the Python headers build `pesq` (ITU-T P.862), which PyPI ships as source only;
# the AT-SPI stack a Linux screen reader uses (bus, registry, pyatspi in Debian's python3, dbus-run-session).
TEST_PKGS=(xvfb xauth x11-apps imagemagick pulseaudio pulseaudio-utils espeak-ng alsa-utils sox sndfile-programs openssl golang-go
  golang-github-gorilla-websocket-dev desktop-file-utils binutils gcc libc6-dev python3-dev chromium redis-server
  at-spi2-core python3-pyatspi dbus-x11)

need_python() {
  if ! command -v python3 >/dev/null || ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "Python 3.11 or newer is needed as python3." >&2; exit 1
  fi
  python3 -c 'import ensurepip, venv' 2>/dev/null || SYS_PKGS+=(python3-venv)
}

install_system() {
  local missing=()
  for p in "${SYS_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "Installing system packages: ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "These system packages are missing. Install them, then run this again:" >&2
    echo "  sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
}

install_python() {
  [ -x .venv/bin/python ] || python3 -m venv .venv
  local stamp=.venv/.cxone-installed want
  want=$(cat pyproject.toml | sha256sum | cut -c1-16)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null
    .venv/bin/python -m pip install -q -e ".[dev]"
    echo "$want" > "$stamp"
  fi
}

case "${1:-}" in
  demo)
    shift
    SYS_PKGS=("${RUNTIME_PKGS[@]}"); need_python; install_system; install_python
    if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}${QT_QPA_PLATFORM:-}" ]; then
      cat >&2 <<'MSG'
Installed. But there is no display here, and the app needs a screen.
  - On a desktop: run this command again from a terminal inside your desktop session.
  - On a machine without a screen: run it on a virtual screen (Xvfb):
        apt-get install xvfb xauth
        xvfb-run -a -s "-screen 0 1280x800x24" bash packaging/quickstart.sh demo
  - To record the demo call without a window:
        .venv/bin/cxone-desktop simulate            (prints a ready-to-run `record` line)
MSG
      exit 2
    fi
    exec .venv/bin/cxone-desktop gui --demo "$@"
    ;;
  test)
    shift
    SYS_PKGS=("${RUNTIME_PKGS[@]}" "${TEST_PKGS[@]}"); need_python; install_system; install_python
    echo "== ruff" >&2
    .venv/bin/ruff check cxone_desktop tests benchmarks
    .venv/bin/ruff format --check cxone_desktop tests benchmarks
    echo "== mypy" >&2
    .venv/bin/mypy
    echo "== pytest" >&2
    .venv/bin/pytest -m "not packaging" "$@"
    echo "== pytest (packaging: builds the PyInstaller app)" >&2
    .venv/bin/pytest -m packaging "$@"
    echo "== soak, CI-sized (2 min of record through drops, loss and jitter; issue 17)" >&2
    .venv/bin/python benchmarks/soak.py --minutes 2 | tail -n 1
    ;;
  *)
    echo "usage: bash packaging/quickstart.sh demo [gui options] | test [pytest options]" >&2
    exit 2
    ;;
esac
