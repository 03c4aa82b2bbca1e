"""summary.json and the state records of events.jsonl, as the session writes them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cxone_desktop import __version__
from cxone_desktop.core.metrics import MetricsSnapshot
from cxone_desktop.core.state_machine import Transition

#: summary.json keeps this many transitions from the start of the call and as many from its end.
HISTORY_KEPT = 100


def transition_record(t: Transition) -> dict[str, Any]:
    """A transition as events.jsonl and summary.json spell it."""
    return {
        "state": t.state.value,
        "previous": t.previous and t.previous.value,
        "wall_time": t.wall_time,
        "monotonic_s": t.monotonic_s,
        "reason": t.reason,
    }


def build_summary(
    snap: MetricsSnapshot,
    *,
    outcome: str,
    duration_s: float,
    settings: Mapping[str, object],
    history: Sequence[Transition],
    errors: Sequence[str],
    reconnects: int,
    gaps: Sequence[Mapping[str, Any]] = (),
    mos_estimate: Mapping[str, Any] | None = None,
    errors_not_listed: int = 0,
) -> dict[str, Any]:
    """The seed's five keys first, then ours. The state history keeps its first and last
    HISTORY_KEPT transitions (a long call with many reconnects must not grow it unbounded)."""
    kept = list(history)
    omitted = max(0, len(kept) - 2 * HISTORY_KEPT)
    if omitted:
        kept = kept[:HISTORY_KEPT] + kept[-HISTORY_KEPT:]
    doc: dict[str, Any] = {
        **snap.as_seed_dict(),
        "metrics": snap.as_dict(),
        "outcome": outcome,
        "duration_s": duration_s,
        "settings": dict(settings),
        "state_history": [transition_record(t) for t in kept],
        "errors": list(errors),
        "reconnects": reconnects,
        "gaps": [dict(g) for g in gaps],
        "mos_estimate": dict(mos_estimate) if mos_estimate is not None else None,
        "app_version": __version__,
    }
    if omitted:
        doc["state_history_omitted"] = omitted
    if errors_not_listed:
        doc["errors_not_listed"] = errors_not_listed
    return doc
