"""A session's errors, repeated ones collapsed into one entry with a count.

A server that drops every connection at once produced 407 identical "closed
abnormally" errors in 10 s and a 206 KB summary.json. Here the same (type, message)
is one entry however often it comes, and at most `max_entries` distinct entries are
kept (later ones only counted), so summary.json's `errors` stays small whatever a
server does.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Distinct errors listed in summary.json; more are counted in `errors_not_listed`.
MAX_DISTINCT_ERRORS = 50


@dataclass
class ErrorEntry:
    type: str
    message: str
    count: int = 1

    def line(self) -> str:
        """`Type: message`, with `(×N)` when it came N > 1 times."""
        text = f"{self.type}: {self.message}"
        return f"{text} (×{self.count})" if self.count > 1 else text


class ErrorTally:
    """Counts errors by (type, message), in the order each first came."""

    def __init__(self, max_entries: int = MAX_DISTINCT_ERRORS) -> None:
        self._max = max_entries
        self._entries: dict[tuple[str, str], ErrorEntry] = {}
        #: Occurrences of errors past `max_entries` distinct ones: counted, not listed.
        self.not_listed = 0

    def add(self, type_name: str, message: str) -> int:
        """Count one occurrence; returns how many times it has come (0 if not listed)."""
        key = (type_name, message)
        entry = self._entries.get(key)
        if entry is not None:
            entry.count += 1
            return entry.count
        if len(self._entries) >= self._max:
            self.not_listed += 1
            return 0
        self._entries[key] = ErrorEntry(type_name, message)
        return 1

    def lines(self) -> list[str]:
        """summary.json's `errors`: one line per distinct error."""
        return [e.line() for e in self._entries.values()]

    def __len__(self) -> int:
        return len(self._entries)


def worth_writing(count: int) -> bool:
    """Whether the `count`-th occurrence of an error gets its own events.jsonl line.

    The 1st, 2nd, 4th, 8th…: a storm leaves a logarithmic trail, and the summary
    holds the total.
    """
    return count > 0 and count & (count - 1) == 0
