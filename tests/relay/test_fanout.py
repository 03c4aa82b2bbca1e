"""Fan-out: a slow listener loses its oldest frames (counted, told), never holding up others."""

from __future__ import annotations

import asyncio
import json

import numpy as np

from cxone_desktop.core.perspective_aligner import FRAME_SAMPLES, AlignedChunk
from cxone_desktop.relay.fanout import FanOut, Listener, ListenerShape
from cxone_desktop.relay.relay_metrics import RelayMetrics


class FakeSocket:
    """Records what a listener sends; `gate` (when given) blocks every send until set."""

    def __init__(self, gate: asyncio.Event | None = None) -> None:
        self.gate = gate
        self.binary: list[bytes] = []
        self.text: list[dict] = []
        self.closed_with: int | None = None

    async def send_bytes(self, data: bytes) -> None:
        if self.gate is not None:
            await self.gate.wait()
        self.binary.append(data)

    async def send_str(self, data: str) -> None:
        self.text.append(json.loads(data))

    async def close(self, *, code: int = 1000, message: bytes = b"") -> bool:
        self.closed_with = code
        return True


def chunk(index: int, frames: int = 1) -> AlignedChunk:
    n = frames * FRAME_SAMPLES
    agent = np.full(n, index, dtype=np.int16)
    customer = np.full(n, -index, dtype=np.int16)
    return AlignedChunk(index * n, {"agent": agent, "customer": customer}, frozenset())


async def test_slow_listener_drops_oldest_and_is_told_while_a_fast_one_gets_everything() -> None:
    metrics = RelayMetrics()
    fanout = FanOut()
    gate = asyncio.Event()
    slow_socket, fast_socket = FakeSocket(gate), FakeSocket()
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
    for i in range(1, 101):
        fanout.chunk(chunk(i), t_in=0.0)
        await asyncio.sleep(0)  # the fast writer keeps up; the slow one is stuck on frame 1
    fanout.event({"event": "call.ended", "reason": "test"})
    fanout.close_all(1000, "call ended")
    gate.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 5)
    assert len(fast_socket.binary) == 100 and fast.dropped_total == 0
    values = [int(np.frombuffer(b, "<i2")[0]) for b in slow_socket.binary]
    assert values[0] == 1 and values[-10:] == list(range(91, 101))  # the live edge survived
    assert slow.dropped_total == 100 - len(values)
    dropped = [e for e in slow_socket.text if e["event"] == "listener.dropped"]
    assert sum(e["frames"] for e in dropped) == slow.dropped_total
    assert slow_socket.text[-1]["event"] == "call.ended"  # control events are never dropped
    assert slow_socket.closed_with == 1000
    text = metrics.render().decode()
    assert (
        f'relay_listener_dropped_frames_total{{client="slow"}} {float(slow.dropped_total)}' in text
    )


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
