"""Trimming drops unused Qt plugins and the libraries only they needed, on every layout."""

from __future__ import annotations

from pathlib import Path

import elf_info
import PySide6
import pytest
import spec_common

QT = Path(PySide6.__file__).parent / "Qt"


@pytest.mark.parametrize(
    ("dest", "dropped"),
    [
        ("PySide6/Qt/plugins/multimedia/libffmpegmediaplugin.so", True),  # Linux
        ("PySide6\\plugins\\multimedia\\ffmpegmediaplugin.dll", True),  # Windows
        ("PySide6/Qt/plugins/multimedia/libffmpegmediaplugin.dylib", True),  # macOS
        ("PySide6/Qt/translations/qtbase_de.qm", True),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", False),
        ("PySide6/Qt/plugins/platforms/libqwayland.so", False),
        ("PySide6/plugins/platforms/qwindows.dll", False),
        ("PySide6/Qt/plugins/platforms/libqcocoa.dylib", False),
        ("PySide6/Qt/plugins/iconengines/libqsvgicon.so", False),  # the SVG window icon
        ("PySide6/Qt/lib/libQt6Core.so.6", False),
    ],
)
def test_drop_list_matches_across_platform_layouts(dest: str, dropped: bool) -> None:
    assert spec_common._dropped(dest) is dropped


def test_needed_reads_the_qt_libraries_a_pyside_module_links() -> None:
    assert "libQt6Core.so.6" in elf_info.needed(Path(PySide6.__file__).parent / "QtCore.abi3.so")
    assert elf_info.needed(Path(PySide6.__file__)) == []  # not ELF: no facts, no crash


def test_trim_drops_a_plugin_with_its_private_libraries_but_not_shared_ones(
    tmp_path: Path,
) -> None:
    keyboard = "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so"
    qt_lib = "PySide6/Qt/lib/"
    names = ["libQt6VirtualKeyboard.so.6", "libQt6Quick.so.6", "libQt6Qml.so.6",
             "libQt6Core.so.6", "libQt6Gui.so.6"]  # fmt: skip
    binaries = [(keyboard, str(QT / "plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so"),
                 "BINARY")]  # fmt: skip
    binaries += [(qt_lib + n, str(QT / "lib" / n), "BINARY") for n in names]
    binaries.append(("PySide6/QtGui.abi3.so", str(QT.parent / "QtGui.abi3.so"), "EXTENSION"))
    datas = [("libQt6Quick.so.6", "PySide6/Qt/lib/libQt6Quick.so.6", "SYMLINK"),
             ("libQt6Gui.so.6", "PySide6/Qt/lib/libQt6Gui.so.6", "SYMLINK")]  # fmt: skip

    kept, kept_datas = spec_common.trim(binaries, datas, str(tmp_path))

    kept_names = {Path(dest).name for dest, _, _ in kept}
    assert kept_names == {"libQt6Core.so.6", "libQt6Gui.so.6", "QtGui.abi3.so"}
    assert [d[0] for d in kept_datas] == ["libQt6Gui.so.6"]  # no dangling symlink left
