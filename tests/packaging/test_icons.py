"""The committed icon files are what render_icons.py makes: right sizes, right containers."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.packaging.conftest import ROOT

ICONS = ROOT / "resources" / "icons"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("size", [16, 32, 48, 64, 128, 256, 512])
def test_png_named_for_its_size_is_that_size_with_alpha(size: int) -> None:
    data = (ICONS / f"cxone-desktop-{size}.png").read_bytes()
    assert png_size(data) == (size, size)
    assert data[25] == 6  # colour type RGBA: the rounded corners are transparent


def test_svg_is_square_and_titled() -> None:
    root = ET.parse(ICONS / "cxone-desktop.svg").getroot()
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    _, _, width, height = (float(v) for v in root.attrib["viewBox"].split())
    assert width == height
    assert root.find(f"{ns}title") is not None


def test_ico_holds_png_entries_from_16_to_256() -> None:
    data = (ICONS / "cxone-desktop.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data, 0)
    assert (reserved, kind) == (0, 1)
    sizes = []
    for i in range(count):
        w, h, _, _, _, _, length, offset = struct.unpack_from("<BBBBHHII", data, 6 + 16 * i)
        image = data[offset : offset + length]
        assert png_size(image) == (w or 256, h or 256)
        sizes.append(w or 256)
    assert sizes == [16, 32, 48, 64, 128, 256]


def test_icns_elements_add_up_and_carry_the_retina_sizes() -> None:
    data = (ICONS / "cxone-desktop.icns").read_bytes()
    assert data[:4] == b"icns"
    assert struct.unpack(">I", data[4:8])[0] == len(data)
    kinds, pos = {}, 8
    while pos < len(data):
        kind, length = data[pos : pos + 4], struct.unpack(">I", data[pos + 4 : pos + 8])[0]
        kinds[kind] = png_size(data[pos + 8 : pos + length])[0]
        pos += length
    assert pos == len(data)
    assert kinds[b"ic10"] == 1024  # 512@2x: Finder and the Dock on Retina screens
    assert kinds[b"icp4"] == 16


def test_render_script_lists_every_committed_png() -> None:
    import render_icons

    committed = sorted(p.name for p in Path(ICONS).glob("cxone-desktop-*.png"))
    assert committed == sorted(render_icons.png_path(s).name for s in render_icons.PNG_SIZES)
