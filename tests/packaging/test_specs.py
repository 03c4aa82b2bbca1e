"""The three PyInstaller specs, run here with PyInstaller's build steps stubbed out.

What can be checked off their platforms: each spec runs, all three analyse the same
modules with the same exclusions, and the macOS bundle has a real identifier, its icon
and valid entitlements. (The Linux build itself runs in test_build.py.)
"""

from __future__ import annotations

import pkgutil
import plistlib
import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest
import spec_common

from tests.packaging.conftest import PACKAGING

SPECS = {
    "linux": PACKAGING / "cxone-desktop.spec",
    "windows": PACKAGING / "cxone-desktop-windows.spec",
    "macos": PACKAGING / "cxone-desktop-macos.spec",
}


class Step:
    """Records how a PyInstaller build step (Analysis, EXE, BUNDLE…) was called."""

    calls: list[Step]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args, self.kwargs = args, kwargs
        self.binaries: list[Any] = []
        self.datas: list[Any] = []
        self.pure: list[Any] = []
        self.scripts: list[Any] = []
        type(self).calls.append(self)


def _collect_submodules(package: str) -> list[str]:
    module = __import__(package)
    return [package, *(m.name for m in pkgutil.walk_packages(module.__path__, f"{package}."))]


@pytest.fixture
def pyinstaller_stubs(monkeypatch: pytest.MonkeyPatch) -> None:
    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_submodules = _collect_submodules  # type: ignore[attr-defined]
    versioninfo = types.ModuleType("PyInstaller.utils.win32.versioninfo")
    for name in ("FixedFileInfo", "StringFileInfo", "StringStruct", "StringTable",
                 "VarFileInfo", "VarStruct", "VSVersionInfo"):  # fmt: skip
        setattr(versioninfo, name, type(name, (), {"__init__": lambda self, *a, **k: None}))
    for name, module in {
        "PyInstaller": types.ModuleType("PyInstaller"),
        "PyInstaller.utils": types.ModuleType("PyInstaller.utils"),
        "PyInstaller.utils.hooks": hooks,
        "PyInstaller.utils.win32": types.ModuleType("PyInstaller.utils.win32"),
        "PyInstaller.utils.win32.versioninfo": versioninfo,
    }.items():
        monkeypatch.setitem(sys.modules, name, module)


def run_spec(path: Path, tmp_path: Path) -> dict[str, list[Step]]:
    """Execute a spec as PyInstaller does; the build steps it called, by name."""
    steps: dict[str, list[Step]] = {}

    def step(name: str) -> type[Step]:
        class Named(Step):
            calls: list[Step] = steps.setdefault(name, [])

        return Named

    namespace = {"SPECPATH": str(path.parent), "workpath": str(tmp_path), "__file__": str(path)}
    for name in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE"):
        namespace[name] = step(name)
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    return steps


@pytest.mark.usefixtures("pyinstaller_stubs")
def test_the_three_specs_analyse_the_same_app(tmp_path: Path) -> None:
    analyses = {os_: run_spec(spec, tmp_path)["Analysis"] for os_, spec in SPECS.items()}
    options = [a[0].kwargs for a in analyses.values()]
    assert all(o == options[0] for o in options)
    hidden = options[0]["hiddenimports"]
    for module in ("cxone_desktop.portable", "cxone_desktop.core.resampler",
                   "cxone_desktop.ui.main_window", "PySide6.QtMultimedia", "qasync"):  # fmt: skip
        assert module in hidden
    assert "PySide6.QtWebEngineCore" in options[0]["excludes"]


@pytest.mark.usefixtures("pyinstaller_stubs")
def test_windows_builds_a_windowed_app_and_its_console_twin(tmp_path: Path) -> None:
    exes = run_spec(SPECS["windows"], tmp_path)["EXE"]
    assert {(e.kwargs["name"], e.kwargs["console"]) for e in exes} == {
        ("cxone-desktop", False),
        ("cxone-desktop-cli", True),
    }
    assert all(Path(e.kwargs["icon"]).is_file() for e in exes)


@pytest.mark.usefixtures("pyinstaller_stubs")
def test_the_mac_bundle_has_a_real_identifier_icon_and_entitlements(tmp_path: Path) -> None:
    steps = run_spec(SPECS["macos"], tmp_path)
    (bundle,) = steps["BUNDLE"]
    ident = bundle.kwargs["bundle_identifier"]
    assert ident == spec_common.BUNDLE_ID and not ident.startswith("com.example")
    assert re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+){2,}", ident)  # Apple's allowed set
    assert Path(bundle.kwargs["icon"]).is_file()
    (exe,) = steps["EXE"]
    entitlements = plistlib.loads(Path(exe.kwargs["entitlements_file"]).read_bytes())
    assert entitlements == {"com.apple.security.cs.allow-unsigned-executable-memory": True}
    plist = bundle.kwargs["info_plist"]
    assert plist["CFBundleShortVersionString"] == spec_common.version()
    assert "NSMicrophoneUsageDescription" not in plist  # the app never records the user
