"""The freedesktop entry launches the installed command with the app icon."""

from __future__ import annotations

import configparser
import os
import subprocess
import tomllib
from pathlib import Path

from tests.packaging.conftest import ROOT

ENTRY = ROOT / "packaging" / "cxone-desktop.desktop"


def read_entry() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(ENTRY, encoding="utf-8")
    return parser


def test_exec_runs_the_console_script_the_wheel_installs() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    entry = read_entry()
    assert entry["Desktop Entry"]["Exec"].split()[0] in scripts
    assert entry["Desktop Entry"]["TryExec"] in scripts
    assert entry["Desktop Action Demo"]["Exec"].split()[:3] == ["cxone-desktop", "gui", "--demo"]


def test_icon_name_matches_the_icon_files() -> None:
    icon = read_entry()["Desktop Entry"]["Icon"]
    assert "/" not in icon  # a theme name, resolved through hicolor, not a path
    assert (ROOT / "resources" / "icons" / f"{icon}.svg").is_file()
    assert (ROOT / "resources" / "icons" / f"{icon}-256.png").is_file()


def test_entry_is_a_graphical_application() -> None:
    desktop = read_entry()["Desktop Entry"]
    assert desktop["Type"] == "Application"
    assert desktop["Terminal"] == "false"
    assert desktop["Categories"].endswith(";")


def test_install_script_points_the_menu_at_the_given_binary(tmp_path: Path) -> None:
    binary = tmp_path / "my apps" / "cxone-desktop"
    binary.parent.mkdir()
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    data = tmp_path / "share"
    env = {**os.environ, "XDG_DATA_HOME": str(data)}
    script = ROOT / "packaging" / "install-desktop-entry.sh"
    subprocess.run([str(script), str(binary)], check=True, env=env, capture_output=True)

    installed = (data / "applications" / "cxone-desktop.desktop").read_text()
    assert f'Exec="{binary}" gui\n' in installed  # quoted: the path has a space
    assert f"TryExec={binary}\n" in installed
    for size in (16, 32, 48, 64, 128, 256, 512):
        assert (data / f"icons/hicolor/{size}x{size}/apps/cxone-desktop.png").is_file()
    assert (data / "icons/hicolor/scalable/apps/cxone-desktop.svg").is_file()
