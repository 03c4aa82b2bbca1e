"""What the relay tells listeners about a call, on REST and across the Redis bus.

The `state` values are spelled exactly as the simulator spells them (`active`,
`on_hold`, `ended`), because the client parses that field.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

Platform = Literal["cxone", "audiohook", "twilio"]
CallStateName = Literal["active", "on_hold", "ended"]
PLATFORMS: tuple[Platform, ...] = ("cxone", "audiohook", "twilio")
PERSPECTIVES = ("agent", "customer", "mixed")


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class CallSummary:
    """A call's public facts. `parties` = {"agent": {"id","name"}, "customer": {"ani","name"}}."""

    call_id: str
    platform: Platform
    state: CallStateName
    started_at: datetime
    ended_at: datetime | None = None
    parties: dict[str, dict[str, str]] = field(default_factory=dict)
    perspectives: tuple[str, ...] = ()
    end_reason: str | None = None

    @property
    def channels(self) -> int:
        return 2 if {"agent", "customer"} <= set(self.perspectives) else 1

    def with_state(self, state: CallStateName, **changes: Any) -> CallSummary:
        return replace(self, state=state, **changes)

    def duration_s(self, now: datetime | None = None) -> float:
        end = self.ended_at or now or datetime.now(UTC)
        return round(max(0.0, (end - self.started_at).total_seconds()), 3)

    def list_entry(self) -> dict[str, object]:
        """One element of `GET /api/v2/calls`."""
        return {
            "id": self.call_id,
            "platform": self.platform,
            "state": self.state,
            "startedAt": iso_utc(self.started_at),
            "durationS": self.duration_s(),
            "parties": {
                "agent": dict(self.parties.get("agent", {})),
                "customer": dict(self.parties.get("customer", {})),
            },
            "perspectives": list(self.perspectives),
            "channels": self.channels,
        }

    def call_state(self) -> dict[str, object]:
        """The `GET /api/v2/interactions/{id}/call` body."""
        body: dict[str, object] = {
            "interactionId": self.call_id,
            "state": self.state,
            "platform": self.platform,
            "startedAt": iso_utc(self.started_at),
            "parties": {
                "agent": dict(self.parties.get("agent", {})),
                "customer": dict(self.parties.get("customer", {})),
            },
            "perspectives": list(self.perspectives),
            "channels": self.channels,
            "agentBound": True,
        }
        if self.ended_at is not None:
            body["endedAt"] = iso_utc(self.ended_at)
        if self.end_reason:
            body["endReason"] = self.end_reason
        return body

    def to_json(self) -> dict[str, object]:
        """For the bus: every field, round-trips through `from_json`."""
        return {
            "callId": self.call_id,
            "platform": self.platform,
            "state": self.state,
            "startedAt": self.started_at.timestamp(),
            "endedAt": None if self.ended_at is None else self.ended_at.timestamp(),
            "parties": self.parties,
            "perspectives": list(self.perspectives),
            "endReason": self.end_reason,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CallSummary:
        ended = data.get("endedAt")
        return cls(
            call_id=str(data["callId"]),
            platform=data["platform"],
            state=data["state"],
            started_at=datetime.fromtimestamp(float(data["startedAt"]), UTC),
            ended_at=None if ended is None else datetime.fromtimestamp(float(ended), UTC),
            parties={
                str(k): {str(a): str(b) for a, b in v.items()}
                for k, v in dict(data.get("parties") or {}).items()
            },
            perspectives=tuple(data.get("perspectives") or ()),
            end_reason=data.get("endReason"),
        )
