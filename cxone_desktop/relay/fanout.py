"""Fan-out of a call's aligned audio and control events to its listeners.

Each listener has a bounded queue and its own writer task: ingest only appends
(never awaits a socket), so a slow listener loses its oldest frames (counted, and
reported to it as `listener.dropped`) and never slows ingest or the others. Audio
is rendered once per listener shape (perspective × channels × encoding) per chunk
and split into 20 ms frames sent back to back, as the platform's clock delivered
them: a 200 ms AudioHook frame becomes ten frames at once, not a re-paced trickle.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, cast

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.codecs import encode_mulaw, encode_pcm16le
from cxone_desktop.core.party_mix import interleave, mix
from cxone_desktop.core.perspective_aligner import FRAME_SAMPLES, AlignedChunk
from cxone_desktop.relay.relay_metrics import RelayMetrics
from cxone_desktop.relay.ws_frames import OP_BINARY, OP_TEXT, server_frame

log = logging.getLogger(__name__)


class Sender(Protocol):
    """A listener's socket as the fan-out sees it: raw frame writes, the kernel-side backlog,
    and an orderly close (see listener_wire.WebSocketSender)."""

    def write(self, data: bytes) -> None: ...
    def buffered(self) -> int: ...
    def is_closing(self) -> bool: ...
    async def close(self, code: int, reason: str) -> None: ...


@dataclass(frozen=True)
class ListenerShape:
    """What a listener asked for on the stream URL."""

    perspective: str = "mixed"  # agent | customer | mixed
    channels: int = 1  # 2: interleaved, agent left, customer right
    encoding: str = "pcm16"  # pcm16 | mulaw

    @property
    def frame_bytes(self) -> int:
        return FRAME_SAMPLES * self.channels * (2 if self.encoding == "pcm16" else 1)

    def render(self, chunk: AlignedChunk) -> list[bytes]:
        """The chunk as this shape's wire bytes, cut into 20 ms frames (the last may be short)."""
        tracks = chunk.samples
        if self.channels == 2:
            agent, customer = tracks.get("agent"), tracks.get("customer")
            samples = interleave(
                agent if agent is not None else _silence(chunk),
                customer if customer is not None else _silence(chunk),
            )
        elif self.perspective == "mixed":
            parties = [tracks[p] for p in ("agent", "customer") if p in tracks]
            mixed = tracks.get("mixed")
            samples = mix(*parties) if parties else mixed if mixed is not None else _silence(chunk)
        else:
            own = tracks.get(self.perspective)
            samples = own if own is not None else _silence(chunk)
        data = encode_pcm16le(samples) if self.encoding == "pcm16" else encode_mulaw(samples)
        size = self.frame_bytes
        return [data[i : i + size] for i in range(0, len(data), size)]


def _silence(chunk: AlignedChunk) -> npt.NDArray[np.int16]:
    return np.zeros(chunk.sample_count, dtype=np.int16)


_CLOSE = object()
#: Bytes a listener's transport may hold before we stop writing to it and queue instead.
HIGH_WATER_BYTES = 64 * 1024
#: How often a listener with a full transport is looked at again.
DRAIN_POLL_S = 0.01


class Listener:
    """One connected listener.

    While its transport keeps up, frames are written at once, a chunk's frames in one
    write (no task switch, one syscall). When the transport holds more than
    HIGH_WATER_BYTES (a slow reader), frames wait in a bounded queue that drops its
    oldest audio; `run()` drains it as the transport empties and reports the loss.
    Control events are never dropped.
    """

    def __init__(
        self,
        sender: Sender,
        shape: ListenerShape,
        *,
        client_id: str,
        label: str,
        capacity_frames: int,
        metrics: RelayMetrics,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sender = sender
        self.shape = shape
        self.client_id = client_id
        self.label = label
        self._capacity = capacity_frames
        self._metrics = metrics
        self._clock = clock
        self._queue: deque[object] = deque()  # (frame bytes, t_in) | event frame str | _CLOSE
        self._audio_queued = 0
        self._waiter: asyncio.Future[None] | None = None
        self._close: tuple[int, str] | None = None
        self.dropped_total = 0
        self._dropped_unreported = 0
        self.frames_sent = 0

    def __repr__(self) -> str:
        return f"Listener({self.label!r}, {self.shape})"

    # ---- called by the call (never awaits) -----------------------------------------------

    def push_frames(self, frames: list[bytes], t_in: float) -> None:
        if self._close is not None or self._sender.is_closing():
            return
        if not self._queue and self._sender.buffered() <= HIGH_WATER_BYTES:
            data = (
                server_frame(OP_BINARY, frames[0])
                if len(frames) == 1
                else b"".join([server_frame(OP_BINARY, f) for f in frames])
            )
            self._sender.write(data)
            self._sent(len(frames), t_in)
            return
        overflow = self._audio_queued + len(frames) - self._capacity
        if overflow > 0:
            self._drop_oldest(overflow)
        kept = frames[-self._capacity :]
        self._queue.extend((frame, t_in) for frame in kept)
        self._audio_queued += len(kept)
        self._wake()

    def push_event(self, event: dict[str, object]) -> None:
        if self._close is not None:
            return
        text = json.dumps(event, separators=(",", ":"))
        if not self._queue and not self._sender.is_closing():
            self._sender.write(server_frame(OP_TEXT, text.encode()))
            return
        self._queue.append(text)
        self._wake()

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Send what is queued, then close the socket."""
        if self._close is None:
            self._close = (code, reason)
            self._queue.append(_CLOSE)
            self._wake()

    # ---- the drain task -------------------------------------------------------------------

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        sender = self._sender
        while True:
            if not self._queue:
                self._waiter = loop.create_future()
                await self._waiter
                self._waiter = None
                continue
            if sender.is_closing():
                return
            if sender.buffered() > HIGH_WATER_BYTES and self._queue[0] is not _CLOSE:
                await asyncio.sleep(DRAIN_POLL_S)
                continue
            if self._dropped_unreported:
                n, self._dropped_unreported = self._dropped_unreported, 0
                report = {
                    "event": "listener.dropped",
                    "frames": n,
                    "totalFrames": self.dropped_total,
                }
                sender.write(
                    server_frame(OP_TEXT, json.dumps(report, separators=(",", ":")).encode())
                )
            item = self._queue.popleft()
            if item is _CLOSE:
                code, reason = self._close or (1000, "")
                with contextlib.suppress(Exception):
                    await sender.close(code, reason)
                return
            if isinstance(item, str):
                sender.write(server_frame(OP_TEXT, item.encode()))
                continue
            frame, t_in = cast(tuple[bytes, float], item)
            self._audio_queued -= 1
            sender.write(server_frame(OP_BINARY, frame))
            self._sent(1, t_in)

    def _sent(self, frames: int, t_in: float) -> None:
        self.frames_sent += frames
        self._metrics.count_out(frames, self._clock() - t_in)

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _drop_oldest(self, count: int) -> None:
        kept: list[object] = []
        dropped = 0
        while dropped < count and self._queue:
            item = self._queue.popleft()
            if isinstance(item, tuple):
                dropped += 1
            else:
                kept.append(item)  # control events are never dropped
        self._queue.extendleft(reversed(kept))
        self._audio_queued -= dropped
        dropped += max(0, count - dropped)  # frames of this push that never fit
        self.dropped_total += dropped
        self._dropped_unreported += dropped
        self._metrics.dropped.labels(self.client_id).inc(dropped)
        self._metrics.listener_dropped.labels(self.label).set(self.dropped_total)


class FanOut:
    """The listeners of one call (local or arriving over the bus)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.listeners: set[Listener] = set()
        self._clock = clock

    def add(self, listener: Listener) -> None:
        self.listeners.add(listener)

    def remove(self, listener: Listener) -> None:
        self.listeners.discard(listener)

    def chunk(self, chunk: AlignedChunk, t_in: float) -> None:
        rendered: dict[ListenerShape, list[bytes]] = {}
        for listener in self.listeners:
            frames = rendered.get(listener.shape)
            if frames is None:
                frames = rendered[listener.shape] = listener.shape.render(chunk)
            listener.push_frames(frames, t_in)

    def event(self, event: dict[str, object]) -> None:
        for listener in self.listeners:
            listener.push_event(event)

    def close_all(self, code: int, reason: str) -> None:
        for listener in list(self.listeners):
            listener.close(code, reason)
