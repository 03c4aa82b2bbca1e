"""One simulated call: its media, its clock start, its listeners and what they were sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cxone_desktop.simulator.call_media import CallMediaSet
from cxone_desktop.simulator.timeline import CallState

#: Sent audio kept per call for `sent_audio()`: 16 MiB, over 17 minutes of PCM16.
SENT_KEEP_BYTES = 16 << 20
#: Who is on the simulated call (the demo call's agent is Dana), as the relay names parties.
PARTIES = {
    "agent": {"id": "agent-1001", "name": "Dana"},
    "customer": {"ani": "+15555550123", "name": "Alex Customer"},
}
PLATFORM = "cxone"


class LiveCall:
    """Mutable per-call record the server keeps; times are on the simulator's clock.

    The media clock starts when the first stream connects (`t0`); before that
    the call is "active" with nothing played.
    """

    def __init__(self, call_id: str, media: CallMediaSet) -> None:
        self.call_id = call_id
        self.media = media
        self.t0: float | None = None
        self.started_at: datetime | None = None
        self.accepted = 0  # stream connections accepted so far
        self.open = 0  # stream connections open now
        self.sent = bytearray()  # the audio bytes sent to any listener, in send order
        self.sent_truncated = False  # True once SENT_KEEP_BYTES was reached

    def keep_sent(self, data: bytes) -> None:
        """Remember sent audio for tests, up to SENT_KEEP_BYTES: a looping demo runs for hours."""
        room = SENT_KEEP_BYTES - len(self.sent)
        if room < len(data):
            self.sent_truncated = True
        if room > 0:
            self.sent += data[:room]

    def start_clock(self, now: float) -> float:
        """Start the media clock if this is the first listener; returns t0."""
        if self.t0 is None:
            self.t0 = now
            self.started_at = datetime.now(UTC)
        return self.t0

    def state(self, now: float) -> CallState:
        if self.t0 is None:
            return "active"
        return self.media.timeline.state_at(now - self.t0)

    @property
    def perspectives(self) -> list[str]:
        """The parties served apart (none for a one-party call), as the relay lists them."""
        return ["agent", "customer"] if self.media.two_party else []

    @property
    def channels(self) -> int:
        """2 when the parties can be had interleaved (`?channels=2`), else 1."""
        return 2 if self.media.two_party else 1

    def describe(self, now: float) -> dict[str, object]:
        """The call-state REST body (the relay's fields: platform, parties, channels too)."""
        state = self.state(now)
        timeline = self.media.timeline
        position_s = 0.0 if self.t0 is None else timeline.media_position_s(now - self.t0)
        ended_at = None
        if state == "ended" and self.started_at is not None:
            ended_at = _iso(self.started_at + timedelta(seconds=timeline.end_s))
        return {
            "interactionId": self.call_id,
            "state": state,
            "startedAt": _iso(self.started_at) if self.started_at is not None else None,
            "endedAt": ended_at,
            "agentBound": True,
            "mediaPositionMs": round(position_s * 1000),
            "platform": PLATFORM,
            "parties": {k: dict(v) for k, v in PARTIES.items()},
            "perspectives": self.perspectives,
            "channels": self.channels,
        }

    def list_entry(self, now: float) -> dict[str, object]:
        """One element of `GET /api/v2/calls`, in the relay's shape."""
        elapsed = 0.0 if self.t0 is None else max(0.0, now - self.t0)
        started = self.started_at or datetime.now(UTC)
        return {
            "id": self.call_id,
            "platform": PLATFORM,
            "state": self.state(now),
            "startedAt": _iso(started),
            "durationS": round(min(elapsed, self.media.timeline.end_s), 3),
            "parties": {k: dict(v) for k, v in PARTIES.items()},
            "perspectives": self.perspectives,
            "channels": self.channels,
        }


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
