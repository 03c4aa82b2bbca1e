"""Load generator for benchmarks/relay.py: N pushed calls and one listener each, in one process.

Raw WebSocket clients on asyncio protocols (pre-built frames, a zero mask key, a
minimal frame parser) so the generator costs far less than the relay it loads.
Calls are spread evenly over the frame period, as real calls are not in phase.
Each listener asks for μ-law and stamps every 20 ms frame on arrival; latency is
arrival minus the send time of the pushed frame that carried it (CLOCK_MONOTONIC
is shared by processes on Linux).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import numpy as np

FRAME_MS = {"audiohook": 200, "cxone": 20}
_KEY = "dGhlIHNhbXBsZSBub25jZQ=="


def ws_frame(opcode: int, payload: bytes) -> bytes:
    """A masked client frame with mask key 0 (the payload goes as is)."""
    n = len(payload)
    if n < 126:
        head = bytes([0x80 | opcode, 0x80 | n])
    elif n < 65536:
        head = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
    return head + b"\0\0\0\0" + payload


class RawWS(asyncio.Protocol):
    """Just enough WebSocket: the upgrade, then server frames to `on_message(opcode, payload)`."""

    def __init__(self, request: bytes, on_message=None) -> None:  # type: ignore[no-untyped-def]
        self.request = request
        self.on_message = on_message
        self.upgraded: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:  # type: ignore[no-untyped-def]
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.upgraded.done():
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = int(self.buf[9:12])
            del self.buf[: end + 4]
            self.upgraded.set_result(status)
            if status != 101:
                return
        buf, pos, now = self.buf, 0, time.monotonic()
        while len(buf) - pos >= 2:
            n = buf[pos + 1] & 0x7F
            off = 2
            if n == 126:
                if len(buf) - pos < 4:
                    break
                n, off = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif n == 127:
                if len(buf) - pos < 10:
                    break
                n, off = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            if len(buf) - pos < off + n:
                break
            if self.on_message is not None:
                self.on_message(buf[pos] & 0x0F, bytes(buf[pos + off : pos + off + n]), now)
            pos += off + n
        del buf[:pos]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.upgraded.done():
            self.upgraded.set_result(0)
        if not self.closed.done():
            self.closed.set_result(None)

    def send(self, frame: bytes) -> None:
        assert self.transport is not None
        self.transport.write(frame)


async def open_ws(url: str, headers: dict[str, str] | None = None, on_message=None) -> RawWS:  # type: ignore[no-untyped-def]
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {parts.netloc}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {_KEY}",
        "Sec-WebSocket-Version: 13",
    ]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    loop = asyncio.get_running_loop()
    _, proto = await loop.create_connection(
        lambda: RawWS(request, on_message), parts.hostname, parts.port
    )
    status = await proto.upgraded
    if status != 101:
        proto.transport.close()  # type: ignore[union-attr]
        raise ConnectionRefusedError(status)
    return proto


@dataclass
class Call:
    call_id: str
    sockets: list[RawWS]
    frames: list[list[bytes]]  # per socket, the pre-built frames in send order
    sent_at: list[float] = field(default_factory=list)
    late_by: list[float] = field(default_factory=list)  # how far behind its schedule each send was
    heard_at: list[float] = field(default_factory=list)
    dropped: int = 0
    ended: asyncio.Event = field(default_factory=asyncio.Event)

    def on_listener_message(self, opcode: int, payload: bytes, now: float) -> None:
        if opcode == 2:
            self.heard_at.append(now)
        elif opcode == 1:
            event = json.loads(payload)
            if event.get("event") == "listener.dropped":
                self.dropped += int(event["frames"])
            elif event.get("event") == "call.ended":
                self.ended.set()
        elif opcode == 8:
            self.ended.set()


async def start_call(
    platform: str,
    ingest: str,
    listen: str,
    token: str,
    env: dict[str, str],
    agent: np.ndarray,
    customer: np.ndarray,
) -> Call:
    """Open the platform's socket(s) and a listener; nothing is streamed yet."""
    from cxone_desktop.simulator.push.audiohook_pusher import AudioHookPush
    from cxone_desktop.simulator.push.two_party_audio import TwoPartyAudio

    a, c = agent.tobytes(), customer.tobytes()
    if platform == "audiohook":
        push = AudioHookPush(
            ingest,
            TwoPartyAudio(a, c),
            api_key=env["RELAY_AUDIOHOOK_API_KEY"],
            client_secret_b64=env["RELAY_AUDIOHOOK_CLIENT_SECRET"],
        )
        opened = asyncio.get_running_loop().create_future()

        def on_message(opcode: int, payload: bytes, now: float) -> None:
            if opcode == 1 and not opened.done() and b'"opened"' in payload:
                opened.set_result(None)

        ws = await open_ws(ingest, push.headers(), on_message)
        push.seq = 1
        open_msg = {
            "version": "2",
            "type": "open",
            "seq": 1,
            "serverseq": 0,
            "id": push.session_id,
            "position": "PT0S",
            "parameters": push._open_parameters(),
        }
        ws.send(ws_frame(1, json.dumps(open_msg).encode()))
        await asyncio.wait_for(opened, 30)
        stereo = bytearray(2 * len(a))
        stereo[0::2], stereo[1::2] = c, a
        frames = [ws_frame(2, bytes(stereo[i : i + 3200])) for i in range(0, len(stereo), 3200)]
        close = {
            "version": "2",
            "type": "close",
            "seq": 2,
            "serverseq": 1,
            "id": push.session_id,
            "position": "PT1S",
            "parameters": {"reason": "end"},
        }
        frames.append(ws_frame(1, json.dumps(close).encode()))
        call = Call(push.conversation_id, [ws], [frames])
    else:
        contact = str(uuid.uuid4().int % 10**12)
        name, _, value = env["RELAY_CXONE_AUTH_HEADER"].partition(": ")
        sockets = []
        for perspective in ("RX", "TX"):
            ws = await open_ws(ingest, {name: value})
            first = {"streamPerspective": perspective, "contactId": contact}
            ws.send(ws_frame(1, json.dumps(first).encode()))
            sockets.append(ws)
        frames = [[ws_frame(2, t[i : i + 160]) for i in range(0, len(t), 160)] for t in (a, c)]
        call = Call(contact, sockets, frames)
    for _attempt in range(200):  # the bus may take a moment to tell the listener's relay
        try:
            await open_ws(
                f"{listen}/agent/voice/{call.call_id}/stream?access_token={token}&encoding=mulaw",
                on_message=call.on_listener_message,
            )
            return call
        except ConnectionRefusedError:
            await asyncio.sleep(0.05)
    raise RuntimeError(f"the listener never got call {call.call_id}")


async def stream_calls(platform: str, calls: list[Call]) -> None:
    """Send every call's frames on the media clock, calls spread evenly over one frame period.

    The sends form one time-ordered sequence (frame k of call i is due at t0 + (k·n + i)·
    period/n); every millisecond we send what is due and yield, so the listeners' frames
    are stamped as they arrive rather than after a burst of sends.
    """
    period = FRAME_MS[platform] / 1000
    n = len(calls)
    count = len(calls[0].frames[0])
    step = period / n
    total = n * count
    t0 = time.monotonic() + 0.2
    sent = 0
    while sent < total:
        due = min(total, int((time.monotonic() - t0) / step) + 1)
        while sent < due:
            k, i = divmod(sent, n)
            call = calls[i]
            for ws, frames in zip(call.sockets, call.frames, strict=True):
                ws.send(frames[k])
            now = time.monotonic()
            call.sent_at.append(now)
            call.late_by.append(now - (t0 + sent * step))
            sent += 1
        await asyncio.sleep(0.001)
    for call in calls:
        if platform == "cxone":
            for ws in call.sockets:
                ws.send(ws_frame(8, b"\x03\xe8"))


def summarize(platform: str, calls: list[Call]) -> dict[str, object]:
    per_push = FRAME_MS[platform] // 20
    latencies: list[float] = []
    complete = 0
    audio_frames = 0
    for call in calls:
        expected = (len(call.sent_at) - (1 if platform == "audiohook" else 0)) * per_push
        audio_frames += len(call.heard_at)
        if len(call.heard_at) >= expected - per_push and call.dropped == 0:
            complete += 1
        sent = np.array(call.sent_at)
        heard = np.array(call.heard_at[: len(sent) * per_push])
        idx = np.arange(heard.size) // per_push
        latencies.extend((heard - sent[idx]).tolist())
    lat = np.array(latencies) * 1000 if latencies else np.zeros(1)
    return {
        "calls": len(calls),
        "complete": complete,
        "dropped": sum(c.dropped for c in calls),
        "frames_heard": audio_frames,
        "p50_ms": round(float(np.percentile(lat, 50)), 2),
        "p99_ms": round(float(np.percentile(lat, 99)), 2),
        "max_ms": round(float(lat.max()), 2),
        # the generator's own lag: if this is large, the load generator (not the relay) lagged
        "send_lag_p99_ms": round(
            float(np.percentile([x for c in calls for x in c.late_by] or [0.0], 99)) * 1000, 2
        ),
    }


def latency_by_second(calls: list[Call], platform: str) -> list[float]:
    """p99 latency (ms) per second of the stream, to tell a backlog from a steady cost."""
    per_push = FRAME_MS[platform] // 20
    rows: dict[int, list[float]] = {}
    t0 = min(c.sent_at[0] for c in calls if c.sent_at)
    for call in calls:
        sent = np.array(call.sent_at)
        heard = np.array(call.heard_at[: len(sent) * per_push])
        idx = np.arange(heard.size) // per_push
        for s, lat in zip(((sent[idx] - t0) // 1).astype(int), heard - sent[idx], strict=True):
            rows.setdefault(int(s), []).append(float(lat))
    return [round(float(np.percentile(v, 99)) * 1000, 1) for _, v in sorted(rows.items())]
