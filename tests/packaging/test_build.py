"""Builds the wheel and the PyInstaller app the way a release does, then runs them.

Slow (a venv, pip and PyInstaller: ~1-3 min), so marked `packaging`: CI runs
`pytest -m packaging` in its own step, with rsvg-free but otherwise release-like
tools (desktop-file-utils installed for the entry check).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from cxone_desktop import __version__
from tests.packaging.conftest import ROOT

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(900)]

APP_DIR = ROOT / "dist" / "cxone-desktop"
APP = APP_DIR / "cxone-desktop"
# What the bundle may leave to the system: glibc, the GL/EGL drivers, and the
# display-server client libraries PyInstaller never bundles (they must match the host).
SYSTEM_LIBS = ("ld-linux", "libc.so", "libm.so", "libdl.so", "libpthread.so", "librt.so",
               "libresolv.so", "libGL.so", "libEGL.so", "libOpenGL.so", "libGLX.so",
               "libxcb.so", "libwayland-", "libdrm.so")  # fmt: skip


@pytest.fixture(scope="module")
def app() -> Path:
    subprocess.run([str(ROOT / "packaging" / "build-linux.sh")], check=True, cwd=ROOT)
    return APP


def run_app(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return subprocess.run([str(APP), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip


def test_binary_answers_version_and_help(app: Path, tmp_path: Path) -> None:
    version = run_app("--version", cwd=tmp_path)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"cxone-desktop {__version__}"
    helped = run_app("--help", cwd=tmp_path)
    assert helped.returncode == 0, helped.stderr
    for command in ("gui", "record", "simulate", "repair"):
        assert command in helped.stdout


def test_bundle_carries_resources_where_assets_finds_them(app: Path) -> None:
    resources = APP_DIR / "_internal" / "cxone_desktop" / "resources"
    assert (resources / "icons" / "cxone-desktop.svg").is_file()
    assert (resources / "icons" / "cxone-desktop-256.png").is_file()
    assert (resources / "demo-call.wav").is_file()
    assert not list(resources.rglob("*.sh"))  # generator scripts are not run-time data
    assert not (resources / "screenshot.png").exists()  # nor are the README's pictures
    assert not (resources / "review-window.png").exists()
    assert (resources / "forms" / "customer-service.toml").is_file()  # the shipped forms


def test_gui_demo_connects_and_quits_cleanly(app: Path, tmp_path: Path) -> None:
    result = run_app("gui", "--demo", "--autoconnect", "--quit-after", "3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.e2e
def test_trimmed_bundle_plays_the_demo_call_on_a_sound_server(app: Path, tmp_path: Path) -> None:
    """QAudioSink must work without the FFmpeg multimedia plugin the trim drops."""
    runtime = tmp_path / "pulse"
    runtime.mkdir()
    env = {**os.environ, "PULSE_RUNTIME_PATH": str(runtime), "XDG_RUNTIME_DIR": str(runtime),
           "PULSE_SERVER": f"unix:{runtime}/native"}  # fmt: skip
    subprocess.run(["pulseaudio", "--daemonize=yes", "--exit-idle-time=-1", "-n",
                    "--load=module-null-sink sink_name=check",
                    f"--load=module-native-protocol-unix socket={runtime}/native"],
                   check=True, env=env, capture_output=True)  # fmt: skip
    capture = tmp_path / "heard.raw"
    try:
        with capture.open("wb") as out:
            parec = subprocess.Popen(["parec", "--device=check.monitor", "--rate=8000",
                                      "--channels=1", "--format=s16le"], stdout=out,
                                     env=env)  # fmt: skip
            try:
                result = subprocess.run(
                    [str(APP), "gui", "--demo", "--autoconnect", "--quit-after", "7"],
                    cwd=tmp_path, env={**env, "QT_QPA_PLATFORM": "offscreen"},
                    capture_output=True, text=True, timeout=60,
                )  # fmt: skip
            finally:
                parec.terminate()
                parec.wait(timeout=10)
    finally:
        subprocess.run(["pulseaudio", "--kill"], env=env, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    samples = memoryview(capture.read_bytes()).cast("h")
    loud = sum(1 for s in samples if abs(s) > 1000)
    # The demo call's first 3 s hold ~8,700 samples above 1000; the bundle needs ~1-2 s to
    # start the demo simulator and connect, so 7 s of run leave ~5 s of call to hear.
    assert loud > 8000, f"only {loud} loud samples in {len(samples)}: the app played nothing"


def test_trimmed_bundle_needs_nothing_it_dropped(app: Path) -> None:
    import elf_info

    files = [p for p in APP_DIR.rglob("*") if p.is_file() and not p.is_symlink()]
    present = {p.name for p in APP_DIR.rglob("*")}
    unresolved = {
        name
        for path in files
        if path.read_bytes()[:4] == b"\x7fELF"
        for name in elf_info.needed(path)
        if name not in present
    }
    assert {n for n in unresolved if not n.startswith(SYSTEM_LIBS)} == set()
    # the trimming really happened
    assert not (APP_DIR / "_internal" / "PySide6" / "Qt" / "translations").exists()
    assert not any(n.startswith(("libQt6Quick", "libQt6Pdf", "libavcodec")) for n in present)
    assert not elf_info.has_debug_info(APP_DIR / "_internal" / "libpython3.11.so.1.0")


def test_wheel_installs_resources_into_site_packages(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q",
                    "-w", str(wheels)], check=True)  # fmt: skip
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    (wheel,) = wheels.glob("cxone_desktop-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    assert "cxone_desktop/resources/demo-call.wav" in names
    assert "cxone_desktop/resources/demo-call-stereo.wav" in names  # the push simulators
    assert "cxone_desktop/resources/icons/cxone-desktop.svg" in names
    assert "cxone_desktop/resources/forms/customer-service.toml" in names
    assert not [n for n in names if n.endswith(("screenshot.png", "review-window.png"))]
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
                   check=True)  # fmt: skip
    probe = ("from cxone_desktop.assets import resource_path as r; "
             "print(r('icons/cxone-desktop.svg')); print(r('demo-call.wav'))")  # fmt: skip
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = subprocess.run([str(python), "-c", probe], cwd=elsewhere, check=True,
                         capture_output=True, text=True).stdout.split()  # fmt: skip
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], check=True, capture_output=True,
                          text=True).stdout.strip()  # fmt: skip
    for path in out:
        assert Path(path).is_relative_to(site), path
        assert Path(path).is_file()


def test_desktop_entry_passes_desktop_file_validate() -> None:
    validator = shutil.which("desktop-file-validate")
    assert validator, "install desktop-file-utils (apt-get install desktop-file-utils)"
    result = subprocess.run([validator, str(ROOT / "packaging" / "cxone-desktop.desktop")],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
