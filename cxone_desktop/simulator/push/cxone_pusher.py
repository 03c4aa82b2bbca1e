"""NICE CXone's side: one socket per perspective (RX = agent, TX = customer), 20 ms μ-law frames.

Each socket opens with the customer's chosen static header, sends a JSON first
message with `streamPerspective` and the contact ID, then binary μ-law frames (or
JSON with base64 audio, `json_audio=True`: NICE does not say which it uses). A hold
closes both sockets and reopens them with the same handshake, as CXone does.
"""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
import time
import uuid
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection, connect

from cxone_desktop.simulator.push.pacing import WIRE_LOG, HoldPlan, MediaClock
from cxone_desktop.simulator.push.two_party_audio import TwoPartyAudio

FRAME_BYTES = 160  # 20 ms of μ-law


@dataclass
class CXonePush:
    url: str  # ws(s)://host:port/ingest/cxone
    audio: TwoPartyAudio
    auth_header: tuple[str, str] = field(repr=False)
    contact_id: str = field(default_factory=lambda: str(uuid.uuid4().int % 10**12))
    agent_id: str | None = "agent-1001"
    hold: HoldPlan = field(default_factory=HoldPlan)
    json_audio: bool = False
    ssl_context: ssl.SSLContext | None = None
    gate: asyncio.Event | None = None
    stamps: list[float] | None = None  # monotonic time each TX (second) frame left

    async def _open(self, perspective: str) -> ClientConnection:
        ws = await connect(
            self.url,
            additional_headers=[self.auth_header],
            ssl=self.ssl_context,
            compression=None,
            logger=WIRE_LOG,
        )
        first: dict[str, object] = {
            "streamPerspective": perspective,
            "contactId": self.contact_id,
            "skillId": "4711",
            "codec": "PCMU",
            "sampleRate": 8000,
        }
        if self.agent_id:
            first["agentId"] = self.agent_id
        await ws.send(json.dumps(first))
        return ws

    async def run(self) -> None:
        rx, tx = await self._open("RX"), await self._open("TX")
        try:
            if self.gate is not None:
                await self.gate.wait()
            clock = MediaClock(0.02)
            clock.start()
            held = False
            agent, customer = self.audio.agent_mulaw, self.audio.customer_mulaw
            for index, start in enumerate(range(0, self.audio.samples, FRAME_BYTES)):
                if self.hold.due(start / 8000, held):
                    held = True
                    await rx.close()
                    await tx.close()
                    await asyncio.sleep(self.hold.for_s)
                    clock.add_pause(self.hold.for_s)
                    rx, tx = await self._open("RX"), await self._open("TX")
                await clock.wait_for(index)
                await self._send(rx, agent[start : start + FRAME_BYTES])
                await self._send(tx, customer[start : start + FRAME_BYTES])
                if self.stamps is not None:
                    self.stamps.append(time.monotonic())
        finally:
            await rx.close()
            await tx.close()

    async def _send(self, ws: ClientConnection, frame: bytes) -> None:
        if self.json_audio:
            await ws.send(json.dumps({"audio": base64.b64encode(frame).decode("ascii")}))
        else:
            await ws.send(frame)
