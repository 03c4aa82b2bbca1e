"""Reads the two facts the Linux build needs from an ELF file, without binutils.

`needed` lists DT_NEEDED entries (the libraries the dynamic loader will look
up), so trimming can drop only libraries nothing kept depends on;
`has_debug_info` finds the unstripped libraries worth `strip --strip-debug`.
Only 64-bit little-endian ELF is parsed (the x86_64/aarch64 Linux builds);
anything else reads as "no facts", which keeps the file and its neighbours.
"""

from __future__ import annotations

import struct
from pathlib import Path

_DT_NEEDED = 1
_DT_STRTAB = 5
_SHT_DYNAMIC = 6


def _sections(data: bytes) -> list[tuple[bytes, int, int, int, int]] | None:
    """(name, type, addr, offset, size) per section, or None when not ELF64 LE."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return None
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    if shoff == 0 or shnum == 0 or shoff + shnum * shentsize > len(data):
        return None
    raw = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize) for i in range(shnum)]
    names_off = raw[shstrndx][4]
    out = []
    for name_idx, sh_type, _flags, addr, offset, size in raw:
        start = names_off + name_idx
        out.append((data[start : data.index(b"\0", start)], sh_type, addr, offset, size))
    return out


def has_debug_info(path: Path) -> bool:
    sections = _sections(path.read_bytes())
    return bool(sections) and any(s[0] == b".debug_info" for s in sections or [])


def needed(path: Path) -> list[str]:
    """The sonames `path` asks the dynamic loader for, in order."""
    data = path.read_bytes()
    sections = _sections(data)
    if not sections:
        return []
    dynamic = next((s for s in sections if s[1] == _SHT_DYNAMIC), None)
    if dynamic is None:
        return []
    entries = [struct.unpack_from("<qQ", data, dynamic[3] + i) for i in range(0, dynamic[4], 16)]
    strtab_addr = next((val for tag, val in entries if tag == _DT_STRTAB), None)
    # DT_STRTAB holds a virtual address; map it to a file offset via its section.
    strtab = next((s for s in sections if s[2] == strtab_addr and s[2] != 0), None)
    if strtab is None:
        return []
    names = []
    for tag, val in entries:
        if tag == _DT_NEEDED:
            start = strtab[3] + val
            names.append(data[start : data.index(b"\0", start)].decode())
    return names
