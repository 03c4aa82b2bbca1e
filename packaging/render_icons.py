"""Renders the app icon's PNG sizes, Windows .ico and macOS .icns from the one SVG.

Run after editing resources/icons/cxone-desktop.svg; the outputs are committed so
builds need no SVG renderer. Needs `rsvg-convert` (Debian: librsvg2-bin); the
.ico and .icns are assembled here from the PNGs (both formats accept PNG
payloads), so no Pillow or macOS tools are needed.

    python packaging/render_icons.py
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SVG = ICONS / "cxone-desktop.svg"
PNG_SIZES = (16, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 32, 48, 64, 128, 256)
# ICNS element types that carry PNG data, by pixel size (Apple's "iconutil" set).
ICNS_TYPES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"ic11", 32),  # 16@2x
    (b"icp6", 64),
    (b"ic12", 64),  # 32@2x
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic13", 256),  # 128@2x
    (b"ic09", 512),
    (b"ic14", 512),  # 256@2x
    (b"ic10", 1024),  # 512@2x
)


def png_path(size: int) -> Path:
    return ICONS / f"cxone-desktop-{size}.png"


def render_png(size: int, out: Path) -> bytes:
    subprocess.run(
        ["rsvg-convert", "-w", str(size), "-h", str(size), "-o", str(out), str(SVG)], check=True
    )
    return out.read_bytes()


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """An ICO directory whose entries are PNG images (valid since Windows Vista)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, blobs = b"", b""
    for size, data in sorted(pngs.items()):
        dim = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        blobs += data
        offset += len(data)
    return header + entries + blobs


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    body = b"".join(
        kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size] for kind, size in ICNS_TYPES
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> int:
    if shutil.which("rsvg-convert") is None:
        print("rsvg-convert not found: apt-get install librsvg2-bin", file=sys.stderr)
        return 1
    pngs = {size: render_png(size, png_path(size)) for size in PNG_SIZES}
    pngs[1024] = render_png(1024, ICONS / ".icns-1024.png")
    (ICONS / ".icns-1024.png").unlink()
    (ICONS / "cxone-desktop.ico").write_bytes(ico_bytes({s: pngs[s] for s in ICO_SIZES}))
    (ICONS / "cxone-desktop.icns").write_bytes(icns_bytes(pngs))
    for path in sorted(ICONS.iterdir()):
        print(f"{path.stat().st_size:>8}  {path.relative_to(ICONS.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
