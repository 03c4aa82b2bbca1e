"""Bounds on events.jsonl: each line capped (big fields cut, with a marker), the file capped.

A server sending a 1 MiB control message a second would have written 3.6 GB an
hour to events.jsonl. A line over `max_line_bytes` keeps its time, kind and small
fields; every field whose JSON is long is replaced by the start of that JSON and a
`…[cut: N bytes]` marker, so the line stays valid JSON. Past `max_file_bytes` lines
are dropped and counted by kind, except the few kinds that tell the call's story
(states, errors, closes), which have ESSENTIAL_RESERVE_BYTES more: a server flooding
control messages fills the file but cannot hide how the call ended.
`closing_fields` says what was dropped, and has room kept for it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

#: One events.jsonl line is at most this long (bytes, the newline excluded).
MAX_EVENT_LINE_BYTES = 8 * 1024
#: events.jsonl stops growing here (bytes); later events are counted, not written.
MAX_EVENTS_FILE_BYTES = 16 * 1024 * 1024
#: A field whose JSON is longer than this is cut when its line is too long (characters).
FIELD_KEEP_CHARS = 512
#: Room past `max_file_bytes` for the kinds in ESSENTIAL_KINDS (bytes).
ESSENTIAL_RESERVE_BYTES = 1024 * 1024
#: What still reaches a full events.jsonl: how the call went and ended.
ESSENTIAL_KINDS = frozenset(
    {"session_started", "state", "error", "closed", "connected", "duration_reached"}
)
#: Fields never cut: they say when and what.
_KEPT = frozenset({"t", "elapsed_s", "kind"})


def shorten_fields(record: Mapping[str, Any], dumps: Callable[[Any], str]) -> dict[str, Any]:
    """`record` with every long field (as JSON) cut to FIELD_KEEP_CHARS plus a marker;
    `"truncated": true` added when anything was cut."""
    out: dict[str, Any] = {}
    cut = False
    for key, value in record.items():
        text = "" if key in _KEPT else dumps(value)
        if len(text) > FIELD_KEEP_CHARS:
            out[key] = f"{text[:FIELD_KEEP_CHARS]}…[cut: {len(text.encode())} bytes]"
            cut = True
        else:
            out[key] = value
    if cut:
        out["truncated"] = True
    return out


def _plain_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


class EventBudget:
    """Decides what of each event reaches events.jsonl; counts what does not."""

    def __init__(
        self,
        *,
        max_line_bytes: int = MAX_EVENT_LINE_BYTES,
        max_file_bytes: int = MAX_EVENTS_FILE_BYTES,
    ) -> None:
        self.max_line_bytes = max_line_bytes
        self.max_file_bytes = max_file_bytes
        self.written_bytes = 0
        #: Lines cut to fit `max_line_bytes`.
        self.truncated = 0
        #: Events not written once the file was full, by kind.
        self.dropped: Counter[str] = Counter()

    def admit(
        self, record: Mapping[str, Any], dumps: Callable[[Any], str] = _plain_dumps
    ) -> str | None:
        """The line to write for `record` (newline included), or None when the file is full."""
        line = dumps(record)
        if len(line) > self.max_line_bytes or len(line.encode()) > self.max_line_bytes:
            self.truncated += 1
            line = dumps(shorten_fields(record, dumps))
            if len(line.encode()) > self.max_line_bytes:  # many medium fields: keep the head
                head = {k: record[k] for k in _KEPT if k in record}
                line = dumps(head | {"truncated": True, "fields": len(record) - len(head)})
        size = len(line.encode()) + 1
        kind = str(record.get("kind"))
        room = self.max_file_bytes - self.max_line_bytes  # a line is kept for closing_fields
        if kind in ESSENTIAL_KINDS:
            room += ESSENTIAL_RESERVE_BYTES
        if self.written_bytes + size > room:
            self.dropped[kind] += 1
            return None
        self.written_bytes += size
        return line + "\n"

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())

    def closing_fields(self) -> dict[str, Any] | None:
        """Fields of the last line, `events_dropped`, if anything was dropped (room is kept)."""
        if not self.dropped:
            return None
        top = dict(self.dropped.most_common(20))
        return {"count": self.dropped_total, "by_kind": top}
