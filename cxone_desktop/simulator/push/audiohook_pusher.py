"""Genesys AudioHook's side: open a session, stream stereo PCMU, ping, pause/resume, close.

As the reference client does: headers `Audiohook-Organization-Id`,
`Audiohook-Session-Id`, `Audiohook-Correlation-Id`, `X-API-KEY` and, with a client
secret, an RFC 9421 signature; `open` offering stereo PCMU (external = customer,
internal = agent) and mono; 200 ms binary frames on the media clock.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import secrets
import ssl
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect

from cxone_desktop.serving.http_signature import sign_request
from cxone_desktop.simulator.push.pacing import WIRE_LOG, HoldPlan, MediaClock
from cxone_desktop.simulator.push.two_party_audio import TwoPartyAudio

log = logging.getLogger(__name__)

FRAME_MS = 200
PING_EVERY_S = 5.0


@dataclass
class AudioHookPush:
    """One AudioHook session pushing `audio`; `run()` returns when the session has closed."""

    url: str  # ws(s)://host:port/ingest/audiohook
    audio: TwoPartyAudio
    api_key: str = field(repr=False)
    client_secret_b64: str | None = field(default=None, repr=False)
    conversation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    organization_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    frame_ms: int = FRAME_MS
    hold: HoldPlan = field(default_factory=HoldPlan)
    agent_id: str | None = None
    ssl_context: ssl.SSLContext | None = None
    gate: asyncio.Event | None = None  # audio waits for it (tests: a listener is connected)
    stamps: list[float] | None = None  # monotonic send time of each frame (benchmark)
    session_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    signed_at: int | None = None  # Unix time put in the signature (default: now)
    seq: int = 0
    serverseq: int = 0
    position_s: float = 0.0
    received: list[dict[str, Any]] = field(default_factory=list)

    def headers(self) -> dict[str, str]:
        fields = {
            "Audiohook-Organization-Id": self.organization_id,
            "Audiohook-Session-Id": self.session_id,
            "Audiohook-Correlation-Id": str(uuid.uuid4()),
            "X-API-KEY": self.api_key,
        }
        if self.client_secret_b64:
            parts = urlsplit(self.url)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            created = self.signed_at if self.signed_at is not None else int(time.time())
            fields.update(
                sign_request(
                    [("@request-target", target), ("@authority", parts.netloc)]
                    + [(k.lower(), v) for k, v in fields.items()],
                    key=base64.b64decode(self.client_secret_b64),
                    keyid=self.api_key,
                    nonce=secrets.token_urlsafe(18),
                    created=created,
                    expires=created + 30,
                )
            )
        return fields

    async def run(self) -> None:
        async with connect(
            self.url,
            additional_headers=self.headers(),
            ssl=self.ssl_context,
            compression=None,
            logger=WIRE_LOG,
            max_size=1 << 20,
        ) as ws:
            inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
            reader = asyncio.create_task(self._read(ws, inbox))
            try:
                await self._send(ws, "open", self._open_parameters())
                opened = await self._expect(ws, inbox, "opened")
                if not opened["parameters"]["media"]:
                    raise RuntimeError("the relay accepted no media")
                if self.gate is not None:
                    await self.gate.wait()
                await self._stream(ws)
                await self._send(ws, "close", {"reason": "end"})
                await self._expect(ws, inbox, "closed")
            finally:
                reader.cancel()

    def _open_parameters(self) -> dict[str, Any]:
        offer = {"type": "audio", "format": "PCMU", "rate": 8000}
        params: dict[str, Any] = {
            "organizationId": self.organization_id,
            "conversationId": self.conversation_id,
            "participant": {
                "id": str(uuid.uuid4()),
                "ani": "+15555550123",
                "aniName": "Alex Customer",
                "dnis": "+15555550100",
            },
            "media": [
                {**offer, "channels": ["external", "internal"]},
                {**offer, "channels": ["external"]},
            ],
            "language": "en-US",
        }
        if self.agent_id:
            params["customConfig"] = {"agentId": self.agent_id}
        return params

    async def _stream(self, ws: ClientConnection) -> None:
        step = self.frame_ms * 8
        clock = MediaClock(self.frame_ms / 1000)
        clock.start()
        last_ping = time.monotonic()
        held = False
        agent, customer = self.audio.agent_mulaw, self.audio.customer_mulaw
        for index, start in enumerate(range(0, self.audio.samples, step)):
            if self.hold.due(start / 8000, held):
                held = True
                await self._send(ws, "paused", {})
                await asyncio.sleep(self.hold.for_s)
                clock.add_pause(self.hold.for_s)
                discarded = f"PT{self.hold.for_s:g}S"
                await self._send(ws, "resumed", {"start": self._position(), "discarded": discarded})
            await clock.wait_for(index)
            frame = bytearray(2 * min(step, self.audio.samples - start))
            frame[0::2] = customer[start : start + step]  # external first, as offered
            frame[1::2] = agent[start : start + step]
            await ws.send(bytes(frame))
            if self.stamps is not None:
                self.stamps.append(time.monotonic())
            self.position_s += len(frame) / 2 / 8000
            if time.monotonic() - last_ping >= PING_EVERY_S:
                last_ping = time.monotonic()
                await self._send(ws, "ping", {})

    def _position(self) -> str:
        return f"PT{self.position_s:.3f}S"

    async def _send(self, ws: ClientConnection, kind: str, params: dict[str, Any]) -> None:
        self.seq += 1
        await ws.send(
            json.dumps(
                {
                    "version": "2",
                    "type": kind,
                    "seq": self.seq,
                    "serverseq": self.serverseq,
                    "id": self.session_id,
                    "position": self._position(),
                    "parameters": params,
                }
            )
        )

    async def _read(self, ws: ClientConnection, inbox: asyncio.Queue[dict[str, Any]]) -> None:
        """Every server message (pongs included) as it arrives; binary is a protocol error."""
        async for raw in ws:
            if isinstance(raw, bytes):
                raise RuntimeError("the relay sent binary data (AudioHook servers must not)")
            msg = json.loads(raw)
            self.received.append(msg)
            self.serverseq = int(msg.get("seq", self.serverseq))
            await inbox.put(msg)

    async def _expect(
        self, ws: ClientConnection, inbox: asyncio.Queue[dict[str, Any]], kind: str
    ) -> dict[str, Any]:
        while True:
            msg = await asyncio.wait_for(inbox.get(), timeout=10)
            if msg.get("type") == kind:
                return msg
            if msg.get("type") == "disconnect":
                await self._send(ws, "close", {"reason": "disconnect"})
                raise PermissionError(f"the relay disconnected: {msg['parameters']}")
