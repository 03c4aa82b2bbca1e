"""What the Linux, Windows and macOS PyInstaller specs share: entry, data, imports, trimming.

The specs put this folder on sys.path and import this module, so the three
platforms collect the same modules and resources and drop the same waste.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

#: PyInstaller's table-of-contents row: (bundle path, source path, type code).
TocEntry = tuple[str, str, str]

PACKAGING = Path(__file__).resolve().parent
ROOT = PACKAGING.parent
ENTRY = str(PACKAGING / "cxone_desktop_main.py")
APP_NAME = "cxone-desktop"
DISPLAY_NAME = "CXone Voice Desktop"
#: Reverse-DNS id for macOS (CFBundleIdentifier, notarization) and Windows' AppUserModelID.
BUNDLE_ID = "com.cxone-desktop.voice"
ICONS = ROOT / "resources" / "icons"

# The Qt modules the app and pyqtgraph really use. The CLI imports the GUI lazily,
# so name them here rather than trusting import scanning to follow every branch.
# pyqtgraph 0.14 imports QtOpenGL and QtOpenGLWidgets unconditionally
# (PlotCurveItem, Qt/OpenGLHelpers); QtSvg renders the SVG window icon.
HIDDEN_IMPORTS = [
    "PySide6.QtCore",
    "PySide6.QtGui",
    "PySide6.QtWidgets",
    "PySide6.QtMultimedia",
    "PySide6.QtNetwork",  # QtMultimedia's Python module imports it
    "PySide6.QtSvg",
    "PySide6.QtOpenGL",
    "PySide6.QtOpenGLWidgets",
    "pyqtgraph",
    "qasync",
]

# PySide6 ships ~50 Qt modules; none of these is imported by the app. Listing them
# keeps PyInstaller from following optional imports (pyqtgraph's QtTest, …) into
# them and from collecting their plugins, QML files and translations.
UNUSED_QT = [
    "Qt3DAnimation", "Qt3DCore", "Qt3DExtras", "Qt3DInput", "Qt3DLogic", "Qt3DRender",
    "QtAsyncio", "QtAxContainer", "QtBluetooth", "QtCanvasPainter", "QtCharts",
    "QtConcurrent", "QtDataVisualization", "QtDBus", "QtDesigner", "QtGraphs",
    "QtGraphsWidgets", "QtHelp", "QtHttpServer", "QtLocation", "QtMultimediaWidgets",
    "QtNetworkAuth", "QtNfc", "QtPdf", "QtPdfWidgets", "QtPositioning", "QtPrintSupport",
    "QtQml", "QtQuick", "QtQuick3D", "QtQuickControls2", "QtQuickTest", "QtQuickWidgets",
    "QtRemoteObjects", "QtScxml", "QtSensors", "QtSerialBus", "QtSerialPort",
    "QtSpatialAudio", "QtSql", "QtStateMachine", "QtSvgWidgets", "QtTest", "QtTextToSpeech",
    "QtUiTools", "QtWebChannel", "QtWebEngineCore", "QtWebEngineQuick", "QtWebEngineWidgets",
    "QtWebSockets", "QtWebView", "QtXml",
]  # fmt: skip

# Other Qt bindings and pyqtgraph's optional extras (plots need none of them),
# plus standard-library GUI/test kits nothing imports at run time.
UNUSED_PACKAGES = [
    "PyQt5", "PyQt6", "PySide2", "OpenGL", "OpenGL_accelerate", "cupy", "numba", "scipy",
    "h5py", "pandas", "matplotlib", "colorcet", "IPython", "jupyter_rfb", "metaarray",
    "pyqtgraph.examples", "pyqtgraph.opengl", "pyqtgraph.jupyter", "tkinter", "_tkinter",
    "pytest", "hypothesis", "mypy", "ruff",
]  # fmt: skip

EXCLUDES = [f"PySide6.{name}" for name in UNUSED_QT] + UNUSED_PACKAGES


def analysis_options() -> dict[str, object]:
    """The Analysis(...) arguments, the same on all three platforms.

    `cxone_desktop.portable` imports msvcrt/ctypes (Windows) and fcntl (POSIX) inside
    functions; PyInstaller's scan follows those imports on the platform that builds.
    """
    from PyInstaller.utils.hooks import collect_submodules

    return {
        "pathex": [],
        "binaries": [],
        "datas": resource_datas(),
        "hiddenimports": HIDDEN_IMPORTS + collect_submodules("cxone_desktop"),
        "hookspath": [],
        "hooksconfig": {},
        "runtime_hooks": [],
        "excludes": EXCLUDES,
        "noarchive": False,
        "optimize": 0,  # -OO would strip the docstrings numpy and pyqtgraph read at import
    }


# Qt files that PyInstaller's hooks collect although this app never loads them.
# Written as bundle paths with "PySide6/" for the Qt root ("PySide6/Qt/" on Linux
# and macOS) and without the "lib" prefix Unix puts on plugin names, so one list
# serves all three platforms (see `_dropped`). Libraries only they needed go too
# (Linux; see `trim`). Kept: xcb, wayland, offscreen and the native platforms;
# compose/ibus input; svg icons and the raster image formats.
DROP_PREFIXES = (
    "PySide6/translations/",  # the UI is English-only
    # The FFmpeg backend serves QMediaPlayer/QMediaRecorder/video, and links QtQuick,
    # QtQml and libav* (~37 MB). Without it Qt keeps "QMediaDevices, QAudioDevice,
    # QSoundEffect, QAudioSink and QAudioSource" (its own words), all the app uses:
    # a QAudioSink tone reached a PulseAudio null sink intact without this plugin.
    # Delete this line if the app ever plays media files or video.
    "PySide6/plugins/multimedia/ffmpegmediaplugin",
    # Qt Virtual Keyboard drags in QtQuick + QtQml (~17 MB)
    "PySide6/plugins/platforminputcontexts/qtvirtualkeyboardplugin",
    "PySide6/plugins/imageformats/qpdf",  # QtPdf (~4.5 MB)
    # the GTK3 theme loads the system GTK against bundled cairo/pango: a mismatch risk
    "PySide6/plugins/platformthemes/qgtk3",
    # embedded-device platforms (framebuffer, EGLFS, VNC, Vulkan display)
    "PySide6/plugins/egldeviceintegrations/",
    "PySide6/plugins/platforms/qeglfs",
    "PySide6/plugins/platforms/qlinuxfb",
    "PySide6/plugins/platforms/qminimalegl",
    "PySide6/plugins/platforms/qvkkhrdisplay",
    "PySide6/plugins/platforms/qvnc",
    "PySide6/plugins/generic/",  # evdev/tslib input without a window system
    # QtNetwork's TLS and network-reachability backends: HTTP and WebSocket go
    # through Python's ssl (httpx, websockets), never QtNetwork
    "PySide6/plugins/tls/",
    "PySide6/plugins/networkinformation/",
)


def _dropped(dest: str) -> bool:
    """Whether a bundle path matches DROP_PREFIXES, on any platform's layout."""
    folder, _, name = dest.replace("\\", "/").replace("PySide6/Qt/", "PySide6/").rpartition("/")
    return f"{folder}/{name.removeprefix('lib')}".startswith(DROP_PREFIXES)


def trim(
    binaries: list[TocEntry], datas: list[TocEntry], workpath: str
) -> tuple[list[TocEntry], list[TocEntry]]:
    """Drops DROP_PREFIXES and the libraries only they needed; strips debug info (Linux).

    A library goes only if the dropped files reach it through DT_NEEDED and no
    other kept file does, so libraries loaded by dlopen or ctypes stay.
    On other platforms only the DROP_PREFIXES filter applies.
    """
    datas = [entry for entry in datas if not _dropped(entry[0])]
    if not sys.platform.startswith("linux"):
        return [entry for entry in binaries if not _dropped(entry[0])], datas
    from elf_info import needed

    by_name: dict[str, list[TocEntry]] = {}
    for entry in binaries:
        by_name.setdefault(Path(entry[0]).name, []).append(entry)

    def closure(roots: list[TocEntry]) -> set[str]:
        seen: set[str] = set()
        todo = [Path(entry[1]) for entry in roots]
        while todo:
            for name in needed(todo.pop()):
                if name not in seen and name in by_name:
                    seen.add(name)
                    todo.extend(Path(entry[1]) for entry in by_name[name])
        return seen

    dropped = [entry for entry in binaries if _dropped(entry[0])]
    reached = closure(dropped)
    # Roots are what stays for its own sake: modules, kept plugins, ctypes loads.
    roots = [e for e in binaries if not _dropped(e[0]) and Path(e[0]).name not in reached]
    only_dropped = reached - closure(roots)
    kept = [e for e in binaries if not _dropped(e[0]) and Path(e[0]).name not in only_dropped]
    # PyInstaller links top-level names to Qt libraries with SYMLINK entries in datas.
    datas = [e for e in datas if not (e[2] == "SYMLINK" and Path(e[0]).name in only_dropped)]
    return [_strip_debug(entry, Path(workpath) / "stripped") for entry in kept], datas


def _strip_debug(entry: TocEntry, out_dir: Path) -> TocEntry:
    """A copy without debug sections (Debian's libpython carries ~18 MB of them)."""
    from elf_info import has_debug_info

    dest, src, typecode = entry
    if shutil.which("strip") is None or not has_debug_info(Path(src)):
        return entry
    out = out_dir / dest
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["strip", "--strip-debug", "-o", str(out), src], check=True)
    return dest, str(out), typecode


def version() -> str:
    """The app version, read from the source so the specs need not import the app."""
    text = (ROOT / "cxone_desktop" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE)
    if match is None:
        raise SystemExit("cxone_desktop/__init__.py has no __version__")
    return match.group(1)


def resource_datas() -> list[tuple[str, str]]:
    """Run-time resources as (source, bundle dir) pairs, landing where assets.py looks.

    Scripts that generate resources (e.g. make_demo_call.sh) are not run-time data.
    """
    src = ROOT / "resources"
    pairs = []
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if not path.is_file() or path.suffix in {".sh", ".py"} or rel.name.startswith("."):
            continue
        if len(rel.parts) == 1 and rel.suffix == ".png":  # the README's pictures
            continue
        pairs.append((str(path), str(Path("cxone_desktop", "resources", *rel.parts[:-1]))))
    return pairs
