"""Twilio Media Streams' side: `connected`, `start`, `media` per track every 20 ms, `stop`.

The upgrade carries `X-Twilio-Signature` over the stream URL. `inbound` is the caller
(the customer), `outbound` what Twilio plays to the caller (the agent); each media
message has its track's chunk number and the ms timestamp since the stream began,
numbers as strings, as Twilio sends them. Twilio has no hold signal: during a
`hold` the stream carries silence. `loss` leaves out that share of media messages
(each track's apart, seeded), as if lost before Twilio sent them: their sequence
numbers and timestamps are skipped, so the relay can tell where each one belonged.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import secrets
import ssl
import time
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection, connect

from cxone_desktop.serving.twilio_signature import twilio_signature
from cxone_desktop.simulator.push.pacing import WIRE_LOG, HoldPlan, MediaClock
from cxone_desktop.simulator.push.two_party_audio import TwoPartyAudio

FRAME_BYTES = 160
SILENCE = b"\xff" * FRAME_BYTES  # μ-law zero


@dataclass
class TwilioPush:
    url: str  # the stream URL exactly as Twilio would have it in TwiML
    audio: TwoPartyAudio
    auth_token: str = field(repr=False)
    call_sid: str = field(default_factory=lambda: "CA" + secrets.token_hex(16))
    agent_id: str | None = "agent-1001"
    hold: HoldPlan = field(default_factory=HoldPlan)
    ssl_context: ssl.SSLContext | None = None
    gate: asyncio.Event | None = None
    stamps: list[float] | None = None
    stream_sid: str = field(default_factory=lambda: "MZ" + secrets.token_hex(16))
    loss: float = 0.0
    loss_seed: int | None = None
    lost: list[tuple[str, int]] = field(default_factory=list)  # (track, frame index) left out

    async def run(self) -> None:
        signature = twilio_signature(self.auth_token, self.url)
        async with connect(
            self.url,
            additional_headers={"X-Twilio-Signature": signature},
            ssl=self.ssl_context,
            compression=None,
            logger=WIRE_LOG,
        ) as ws:
            seq = 1
            await ws.send(
                json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"})
            )
            seq += 1
            custom = {"agentId": self.agent_id} if self.agent_id else {}
            await ws.send(
                json.dumps(
                    {
                        "event": "start",
                        "sequenceNumber": str(seq),
                        "streamSid": self.stream_sid,
                        "start": {
                            "streamSid": self.stream_sid,
                            "accountSid": "AC" + "0" * 32,
                            "callSid": self.call_sid,
                            "tracks": ["inbound", "outbound"],
                            "customParameters": custom,
                            "mediaFormat": {
                                "encoding": "audio/x-mulaw",
                                "sampleRate": 8000,
                                "channels": 1,
                            },
                        },
                    }
                )
            )
            if self.gate is not None:
                await self.gate.wait()
            seq = await self._stream(ws, seq)
            await ws.send(
                json.dumps(
                    {
                        "event": "stop",
                        "sequenceNumber": str(seq + 1),
                        "streamSid": self.stream_sid,
                        "stop": {"accountSid": "AC" + "0" * 32, "callSid": self.call_sid},
                    }
                )
            )

    async def _stream(self, ws: ClientConnection, seq: int) -> int:
        clock = MediaClock(0.02)
        clock.start()
        agent, customer = self.audio.agent_mulaw, self.audio.customer_mulaw
        hold_frames = 0
        if self.hold.at_s is not None:
            hold_frames = round(self.hold.for_s / 0.02)
        hold_index = None if self.hold.at_s is None else round(self.hold.at_s / 0.02)
        frames = [
            (agent[i : i + FRAME_BYTES], customer[i : i + FRAME_BYTES])
            for i in range(0, self.audio.samples, FRAME_BYTES)
        ]
        if hold_index is not None:
            frames[hold_index:hold_index] = [(SILENCE, SILENCE)] * hold_frames
        chance = random.Random(self.loss_seed)
        for index, (out_frame, in_frame) in enumerate(frames):
            await clock.wait_for(index)
            for track, payload in (("inbound", in_frame), ("outbound", out_frame)):
                seq += 1
                if self.loss and chance.random() < self.loss:
                    self.lost.append((track, index))
                    continue
                await ws.send(
                    json.dumps(
                        {
                            "event": "media",
                            "sequenceNumber": str(seq),
                            "streamSid": self.stream_sid,
                            "media": {
                                "track": track,
                                "chunk": str(index + 1),
                                "timestamp": str(index * 20),
                                "payload": base64.b64encode(payload).decode("ascii"),
                            },
                        }
                    )
                )
            if self.stamps is not None:
                self.stamps.append(time.monotonic())
        return seq
