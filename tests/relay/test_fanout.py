"""Fan-out: a slow listener loses its oldest frames (counted, told), never holding up others."""

from __future__ import annotations

import asyncio
import json

import numpy as np

from cxone_desktop.core.perspective_aligner import FRAME_SAMPLES, AlignedChunk
from cxone_desktop.relay.fanout import FanOut, Listener, ListenerShape
from cxone_desktop.relay.relay_metrics import RelayMetrics


class FakeSocket:
    """A listener's transport: parses the frames written to it; `backlog` plays a reader that
    does not keep up (the kernel buffer stays full until the test empties it)."""

    def __init__(self, backlog: int = 0) -> None:
        self.backlog = backlog
        self.binary: list[bytes] = []
        self.text: list[dict] = []
        self.closed_with: int | None = None

    def write(self, data: bytes) -> None:
        pos = 0
        while pos < len(data):
            opcode, n, off = data[pos] & 0x0F, data[pos + 1], 2
            if n == 126:
                n, off = int.from_bytes(data[pos + 2 : pos + 4], "big"), 4
            payload = data[pos + off : pos + off + n]
            if opcode == 2:
                self.binary.append(payload)
            else:
                self.text.append(json.loads(payload))
            pos += off + n

    def buffered(self) -> int:
        return self.backlog

    def is_closing(self) -> bool:
        return self.closed_with is not None

    async def close(self, code: int, reason: str) -> None:
        self.closed_with = code


def chunk(index: int, frames: int = 1) -> AlignedChunk:
    n = frames * FRAME_SAMPLES
    agent = np.full(n, index, dtype=np.int16)
    customer = np.full(n, -index, dtype=np.int16)
    return AlignedChunk(index * n, {"agent": agent, "customer": customer}, frozenset())


async def test_slow_listener_drops_oldest_and_is_told_while_a_fast_one_gets_everything() -> None:
    metrics = RelayMetrics()
    fanout = FanOut()
    slow_socket, fast_socket = FakeSocket(), FakeSocket()
    shape = ListenerShape(perspective="agent")
    slow = Listener(
        slow_socket, shape, client_id="slow", label="s", capacity_frames=10, metrics=metrics
    )
    fast = Listener(
        fast_socket, shape, client_id="fast", label="f", capacity_frames=10, metrics=metrics
    )
    fanout.add(slow)
    fanout.add(fast)
    tasks = [asyncio.create_task(slow.run()), asyncio.create_task(fast.run())]
    fanout.chunk(chunk(1), t_in=0.0)
    slow_socket.backlog = 10**6  # its reader stalls: the kernel buffer is full
    for i in range(2, 101):
        fanout.chunk(chunk(i), t_in=0.0)
        await asyncio.sleep(0)
    fanout.event({"event": "call.ended", "reason": "test"})
    fanout.close_all(1000, "call ended")
    slow_socket.backlog = 0  # it catches up
    await asyncio.wait_for(asyncio.gather(*tasks), 5)
    assert len(fast_socket.binary) == 100 and fast.dropped_total == 0
    values = [int(np.frombuffer(b, "<i2")[0]) for b in slow_socket.binary]
    assert values == [1, *range(91, 101)]  # the live edge survived, the middle was dropped
    assert slow.dropped_total == 89
    dropped = [e for e in slow_socket.text if e["event"] == "listener.dropped"]
    assert sum(e["frames"] for e in dropped) == 89
    assert slow_socket.text[-1]["event"] == "call.ended"  # control events are never dropped
    assert slow_socket.closed_with == 1000 and fast_socket.closed_with == 1000
    text = metrics.render().decode()
    assert 'relay_listener_dropped_frames_total{client="slow"} 89.0' in text


def test_shapes_render_mix_stereo_perspectives_and_mulaw_in_20ms_frames() -> None:
    c = chunk(3, frames=10)  # a 200 ms chunk becomes ten frames, back to back
    mixed = ListenerShape().render(c)
    assert len(mixed) == 10 and all(len(f) == 320 for f in mixed)
    assert not np.frombuffer(b"".join(mixed), "<i2").any()  # 3 + (-3)
    stereo = np.frombuffer(b"".join(ListenerShape(channels=2).render(c)), "<i2")
    assert stereo[0::2].tolist() == [3] * 1600 and stereo[1::2].tolist() == [-3] * 1600
    customer = ListenerShape(perspective="customer", encoding="mulaw").render(c)
    assert len(customer) == 10 and all(len(f) == 160 for f in customer)
    only_mixed = AlignedChunk(0, {"mixed": np.full(160, 5, np.int16)}, frozenset())
    assert np.frombuffer(ListenerShape().render(only_mixed)[0], "<i2").tolist() == [5] * 160
