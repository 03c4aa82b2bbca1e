"""Every JSON document a server sends, read with a size and a nesting limit.

`json.loads` recurses in C once per level: a body of 100,000 `[` raises RecursionError,
and a valid object 900 levels deep parses fine but then overflows any recursive walk
after it (redaction, serialization). Real CXone documents are flat objects a few
hundred bytes long, so the limits here are generous for them and tight for an attack.
The nesting is measured before parsing, on the text with its strings blanked out.
"""

from __future__ import annotations

import json
import re
from typing import Any

from cxone_desktop.errors import ProtocolError

#: The largest token, call-state or control document read (bytes; larger is refused).
MAX_DOCUMENT_BYTES = 64 * 1024
#: The deepest nesting of arrays and objects accepted.
MAX_DEPTH = 32

# An escape pair, a quote or a bracket: one linear pass, no backtracking, so a
# hostile run of quotes and backslashes costs what its length costs.
_TOKEN = re.compile(r'\\.|["\[\]{}]', re.DOTALL)


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in `text`, brackets inside strings not counted."""
    depth = deepest = 0
    in_string = False
    for match in _TOKEN.finditer(text):
        c = match.group()
        if c == '"':
            in_string = not in_string
        elif in_string or len(c) == 2:
            continue
        elif c in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif c in "]}":
            depth = max(0, depth - 1)
    return deepest


def loads_bounded(
    data: str | bytes | bytearray,
    *,
    what: str,
    max_bytes: int = MAX_DOCUMENT_BYTES,
    max_depth: int = MAX_DEPTH,
) -> Any:
    """Parse `data`; ProtocolError naming `what` ("the token endpoint's answer") if it is
    larger than `max_bytes`, nested deeper than `max_depth`, or not JSON."""
    if isinstance(data, bytes | bytearray):
        size = len(data)
    else:  # never fewer bytes than characters: a long text is refused before encoding it
        size = len(data) if len(data) > max_bytes else len(data.encode("utf-8", "replace"))
    if size > max_bytes:
        raise ProtocolError(
            f"{_cap(what)} is {size} bytes, more than the {max_bytes} bytes allowed."
        )
    if isinstance(data, bytes | bytearray):
        try:
            text = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ProtocolError(f"{_cap(what)} is not UTF-8 text.") from None
    else:
        text = data
    depth = nesting_depth(text)
    if depth > max_depth:
        raise ProtocolError(
            f"{_cap(what)} nests {depth} levels deep, more than the {max_depth} allowed."
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"{_cap(what)} is not JSON ({exc.msg}).") from None
    except RecursionError:  # unreachable after the depth check; kept as a last guard
        raise ProtocolError(f"{_cap(what)} nests too deeply.") from None


def _cap(what: str) -> str:
    return what[:1].upper() + what[1:]
