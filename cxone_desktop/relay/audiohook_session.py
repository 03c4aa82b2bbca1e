"""The server side of one AudioHook (protocol v2) session, without I/O.

Feed it the client's text and binary messages; it returns what happened (events)
and queues what to send (`outbox`, JSON strings). Message checks and the wording
of protocol errors follow the AudioHook reference server, which answers a client
error with `disconnect` (reason `error`, info "Client Error: …") and then waits for
the client's `close`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.codecs import decode_mulaw, decode_pcm16le
from cxone_desktop.core.party_mix import deinterleave

_UUID = re.compile(
    r"^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
    r"|00000000-0000-0000-0000-000000000000)$"
)
_DURATION = re.compile(r"^PT(?:\d*\.)?\d+S$")
NULL_UUID = "00000000-0000-0000-0000-000000000000"
MAX_TEXT_CHARS = 65535
CLIENT_TYPES = ("open", "close", "discarded", "error", "ping", "update", "paused", "resumed")
CLOSE_REASONS = ("end", "error", "disconnect", "reconnect")
#: Offers we take, best first: stereo beats mono, PCMU beats L16 (half the bytes).
_PREFERENCE = (("PCMU", 2), ("L16", 2), ("PCMU", 1), ("L16", 1))


@dataclass(frozen=True)
class MediaChoice:
    format: str  # PCMU | L16
    channels: tuple[str, ...]  # e.g. ("external", "internal"), interleaved in this order
    offer: dict[str, Any] = field(compare=False)  # echoed unchanged in `opened`

    @property
    def frame_bytes(self) -> int:
        """Bytes per sample across channels."""
        return len(self.channels) * (1 if self.format == "PCMU" else 2)


@dataclass(frozen=True)
class Opened:
    parameters: dict[str, Any]
    media: MediaChoice | None


@dataclass(frozen=True)
class Audio:
    channels: dict[str, npt.NDArray[np.int16]]  # "external"/"internal" → samples


@dataclass(frozen=True)
class Paused:
    pass


@dataclass(frozen=True)
class Resumed:
    discarded_s: float


@dataclass(frozen=True)
class Discarded:
    start_s: float
    discarded_s: float


@dataclass(frozen=True)
class Closed:
    reason: str


@dataclass(frozen=True)
class ClientReportedError:
    code: int
    message: str


@dataclass(frozen=True)
class ProtocolViolation:
    info: str  # what we told the client, e.g. "Client Error: Invalid seq value …"


Event = (
    Opened | Audio | Paused | Resumed | Discarded | Closed | ClientReportedError | ProtocolViolation
)


def duration_s(text: str) -> float:
    return float(text[2:-1])


def choose_media(offers: list[Any]) -> MediaChoice | None:
    """The best offer we can take (8 kHz PCMU/L16, external/internal channels), or None."""
    usable: list[MediaChoice] = []
    for offer in offers:
        if not isinstance(offer, dict):
            continue
        channels = offer.get("channels")
        if (
            offer.get("type") == "audio"
            and offer.get("rate") == 8000
            and offer.get("format") in ("PCMU", "L16")
            and isinstance(channels, list)
            and 1 <= len(channels) <= 2
            and len(set(channels)) == len(channels)
            and all(c in ("external", "internal") for c in channels)
        ):
            usable.append(MediaChoice(offer["format"], tuple(channels), offer))
    for fmt, count in _PREFERENCE:
        for choice in usable:
            if choice.format == fmt and len(choice.channels) == count:
                return choice
    return None


class AudioHookSession:
    """States as the reference server names them: PREPARING → ACTIVE ⇄ PAUSED → CLOSED;
    SIGNALED-ERROR or UNAUTHORIZED after we sent `disconnect`."""

    def __init__(self, session_id: str, organization_id: str | None = None) -> None:
        self.id = session_id if _UUID.match(session_id or "") else NULL_UUID
        self.organization_id = organization_id
        self.state = "PREPARING"
        self.seq = 0  # ours
        self.clientseq = 0  # theirs, last seen
        self.media: MediaChoice | None = None
        self.outbox: list[str] = []

    # ---- what the server decides ----------------------------------------------------------

    def disconnect(self, reason: str, info: str | None = None) -> None:
        """Tell the client to close (`unauthorized`, `completed` or `error`)."""
        if self.state in ("PREPARING", "OPENING", "ACTIVE", "PAUSED"):
            if reason == "unauthorized":
                self.state = "UNAUTHORIZED"
            elif reason == "error":
                self.state = "SIGNALED-ERROR"
            params: dict[str, Any] = {"reason": reason}
            if info:
                params["info"] = info
            self._send("disconnect", params)

    # ---- what the client sends ------------------------------------------------------------

    def receive_text(self, text: str) -> list[Event]:
        if len(text) > MAX_TEXT_CHARS:
            return self._client_error(f"Text message too large (>64K). Length: {len(text)}")
        try:
            msg = json.loads(text)
        except ValueError:
            return self._client_error("Text message not valid JSON")
        if not _is_client_message_base(msg):
            return self._client_error("Message not a well-formed client message")
        if msg["seq"] != self.clientseq + 1:
            return self._client_error("Invalid seq value (not monotonically increasing)")
        self.clientseq = msg["seq"]
        if msg["serverseq"] > self.seq:
            return self._client_error("Invalid serverseq value")
        if msg["id"] != self.id:
            if self.id != NULL_UUID:
                return self._client_error("Session identifier mismatch")
            self.id = msg["id"]
        kind = msg["type"]
        if kind not in CLIENT_TYPES:
            return self._client_error(
                f"Invalid Message: '{kind}' is not a supported client message"
            )
        params = msg["parameters"]
        if not _PARAMETER_CHECKS[kind](params):
            return self._client_error("Invalid Message: Invalid/missing parameters")
        handlers: dict[str, Callable[[dict[str, Any]], list[Event]]] = {
            "open": self._on_open,
            "close": self._on_close,
            "discarded": self._on_discarded,
            "error": self._on_error,
            "ping": self._on_ping,
            "update": self._on_update,
            "paused": self._on_paused,
            "resumed": self._on_resumed,
        }
        return handlers[kind](params)

    def receive_binary(self, data: bytes) -> list[Event]:
        if self.state != "ACTIVE":
            if self.state in ("SIGNALED-ERROR", "UNAUTHORIZED", "CLOSED"):
                return []  # the client has not seen our disconnect yet
            return self._client_error(f"Received audio in state {self.state}")
        media = self.media
        if media is None:
            return self._client_error("Unexpected binary message: No media selected")
        if len(data) % media.frame_bytes:
            return self._client_error(
                "Binary data not a valid audio frame. Error: "
                f"{len(data)} bytes is not a whole number of {media.frame_bytes}-byte samples"
            )
        samples = decode_mulaw(data) if media.format == "PCMU" else decode_pcm16le(data)
        tracks = deinterleave(samples, len(media.channels))
        return [Audio(dict(zip(media.channels, tracks, strict=True)))]

    # ---- per message type ----------------------------------------------------------------

    def _on_open(self, params: dict[str, Any]) -> list[Event]:
        if self.state != "PREPARING":
            return []  # the reference ignores a repeated (or unauthorized) open
        if self.organization_id is not None and params["organizationId"] != self.organization_id:
            self.disconnect(
                "unauthorized",
                'Mismatch between "organizationId" open parameter and '
                '"audiohook-organization-id" header field',
            )
            return [ProtocolViolation("organizationId does not match the header")]
        self.media = choose_media(params["media"])
        self._send(
            "opened",
            {"media": [self.media.offer] if self.media else [], "startPaused": False},
        )
        self.state = "ACTIVE"
        return [Opened(params, self.media)]

    def _on_ping(self, params: dict[str, Any]) -> list[Event]:
        if self.state in ("ACTIVE", "PAUSED", "PREPARING"):
            self._send("pong", {})
        return []

    def _on_paused(self, params: dict[str, Any]) -> list[Event]:
        if self.state != "ACTIVE":
            return []
        self.state = "PAUSED"
        return [Paused()]

    def _on_resumed(self, params: dict[str, Any]) -> list[Event]:
        if self.state != "PAUSED":
            return []
        self.state = "ACTIVE"
        return [Resumed(duration_s(params["discarded"]))]

    def _on_discarded(self, params: dict[str, Any]) -> list[Event]:
        return [Discarded(duration_s(params["start"]), duration_s(params["discarded"]))]

    def _on_update(self, params: dict[str, Any]) -> list[Event]:
        if self.state in ("ACTIVE", "PAUSED"):
            self._send("updated", {})
        return []

    def _on_error(self, params: dict[str, Any]) -> list[Event]:
        return [ClientReportedError(int(params["code"]), str(params["message"]))]

    def _on_close(self, params: dict[str, Any]) -> list[Event]:
        if self.state in ("CLOSING", "CLOSED"):
            return []
        self._send("closed", {})
        self.state = "CLOSED"
        return [Closed(str(params["reason"]))]

    # ---- helpers -------------------------------------------------------------------------

    def _client_error(self, info: str) -> list[Event]:
        if self.state in ("CLOSED", "SIGNALED-ERROR", "UNAUTHORIZED"):
            return []
        self.disconnect("error", f"Client Error: {info}")
        return [ProtocolViolation(f"Client Error: {info}")]

    def _send(self, kind: str, params: dict[str, Any]) -> None:
        self.seq += 1
        self.outbox.append(
            json.dumps(
                {
                    "version": "2",
                    "type": kind,
                    "id": self.id,
                    "seq": self.seq,
                    "clientseq": self.clientseq,
                    "parameters": params,
                },
                separators=(",", ":"),
            )
        )


def _is_seq(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _is_duration(v: object) -> bool:
    return isinstance(v, str) and bool(_DURATION.match(v))


def _is_client_message_base(msg: object) -> bool:
    return (
        isinstance(msg, dict)
        and msg.get("version") == "2"
        and isinstance(msg.get("id"), str)
        and bool(_UUID.match(msg["id"]))
        and isinstance(msg.get("type"), str)
        and _is_seq(msg.get("seq"))
        and isinstance(msg.get("parameters"), dict)
        and _is_duration(msg.get("position"))
        and _is_seq(msg.get("serverseq"))
    )


def _open_ok(p: dict[str, Any]) -> bool:
    participant = p.get("participant")
    return (
        isinstance(p.get("organizationId"), str)
        and bool(_UUID.match(p["organizationId"]))
        and isinstance(p.get("conversationId"), str)
        and bool(_UUID.match(p["conversationId"]))
        and isinstance(participant, dict)
        and isinstance(p.get("media"), list)
    )


_PARAMETER_CHECKS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "open": _open_ok,
    "close": lambda p: p.get("reason") in CLOSE_REASONS,
    "discarded": lambda p: _is_duration(p.get("start")) and _is_duration(p.get("discarded")),
    "error": lambda p: isinstance(p.get("code"), int) and isinstance(p.get("message"), str),
    "ping": lambda p: "rtt" not in p or _is_duration(p["rtt"]),
    "update": lambda p: isinstance(p.get("language"), str),
    "paused": lambda p: True,
    "resumed": lambda p: _is_duration(p.get("start")) and _is_duration(p.get("discarded")),
}
