"""Several relays sharing calls through Redis: a call pushed to instance A is heard on B.

- Each instance publishes its calls' aligned audio, events and state on the pub/sub
  channel `cxrelay:call:{id}` (live edge only, like a local listener joining late),
  and keeps each call's summary in the hash `cxrelay:calls` with its instance ID.
- An instance proves it is alive with `cxrelay:instance:{id}` (expires after
  INSTANCE_TTL_S); summaries of a dead instance are ignored.
- The listener-token signing key is shared (`cxrelay:token-key`, set once), so a
  token from one instance opens a stream on another behind a load balancer.
- A remote call is subscribed to only while a listener on this instance wants it.

Publishing never awaits on the ingest path: messages are queued and one task sends
them in pipelined batches. Audio goes on the instance's own channel
`cxrelay:audio:{instance}`, every call's chunks queued since the last send in one
message: per call, 50 messages a second each way cost both relays most of their
CPU (a listener's relay subscribes to the audio of an instance while it has a
listener for one of its calls, and keeps that call's chunks).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import struct
from collections import Counter, deque
from typing import Any

import numpy as np
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from cxone_desktop.core.perspective_aligner import AlignedChunk
from cxone_desktop.relay.call_registry import CallRegistry
from cxone_desktop.relay.call_summary import CallSummary
from cxone_desktop.relay.fanout import FanOut
from cxone_desktop.relay.listener_tokens import ListenerTokens
from cxone_desktop.relay.relay_metrics import RelayMetrics

log = logging.getLogger(__name__)

CALLS_KEY = "cxrelay:calls"
TOKEN_KEY = "cxrelay:token-key"
INSTANCE_TTL_S = 10
HEARTBEAT_S = 3.0
SUBSCRIBE_WAIT_S = 5.0
_TRACK_CODES = {"agent": b"a", "customer": b"c", "mixed": b"m"}
_TRACK_NAMES = {v[0]: k for k, v in _TRACK_CODES.items()}
_CHUNK_HEAD = struct.Struct("<qIB")  # position, samples per track, track count
_BATCH_ITEM = struct.Struct("<HI")  # call ID bytes, chunk bytes
AUDIO_PREFIX = "cxrelay:audio:"
#: Commands (an audio batch counts as one) sent in one pipeline, and chunks in one batch.
PIPELINE_COMMANDS = 512
BATCH_CHUNKS = 256


def channel(call_id: str) -> str:
    return f"cxrelay:call:{call_id}"


def audio_channel(instance_id: str) -> str:
    return f"{AUDIO_PREFIX}{instance_id}"


def encode_batch(items: list[tuple[str, bytes]]) -> bytes:
    """Chunks of several calls in one message: (call ID, encoded chunk) each."""
    parts = [b"B"]
    for call_id, chunk in items:
        name = call_id.encode()
        parts += [_BATCH_ITEM.pack(len(name), len(chunk)), name, chunk]
    return b"".join(parts)


def decode_batch(data: bytes) -> list[tuple[str, bytes]]:
    items, offset = [], 1
    while offset < len(data):
        name_len, chunk_len = _BATCH_ITEM.unpack_from(data, offset)
        offset += _BATCH_ITEM.size
        call_id = data[offset : offset + name_len].decode()
        offset += name_len
        items.append((call_id, data[offset : offset + chunk_len]))
        offset += chunk_len
    return items


def encode_chunk(chunk: AlignedChunk) -> bytes:
    parts = [b"C", _CHUNK_HEAD.pack(chunk.position, chunk.sample_count, len(chunk.samples))]
    for name, samples in chunk.samples.items():
        parts.append(_TRACK_CODES[name])
        parts.append(samples.astype("<i2", copy=False).tobytes())
    return b"".join(parts)


def decode_chunk(data: bytes) -> AlignedChunk:
    position, count, tracks = _CHUNK_HEAD.unpack_from(data, 1)
    offset = 1 + _CHUNK_HEAD.size
    samples = {}
    for _ in range(tracks):
        name = _TRACK_NAMES[data[offset]]
        offset += 1
        samples[name] = np.frombuffer(data, "<i2", count, offset).astype(np.int16)
        offset += 2 * count
    return AlignedChunk(position, samples, frozenset())


class RemoteCall:
    """A call ingested by another instance, as this instance's listeners see it."""

    def __init__(
        self, summary: CallSummary, instance: str, loop: asyncio.AbstractEventLoop
    ) -> None:
        self.summary = summary
        self.instance = instance  # the one that ingests it, and publishes its audio
        self.fanout = FanOut(loop.time)
        self.subscribed = asyncio.Event()


class RedisBus:
    def __init__(
        self,
        url: str,
        registry: CallRegistry,
        tokens: ListenerTokens,
        metrics: RelayMetrics,
        *,
        instance_id: str | None = None,
    ) -> None:
        self.url = url
        self.instance_id = instance_id or secrets.token_hex(6)
        self._registry = registry
        self._tokens = tokens
        self._metrics = metrics
        self._redis: aioredis.Redis | None = None
        self._pubsub: Any = None
        self._outbox: deque[tuple[str, tuple[Any, ...]]] = deque()
        self._wake: asyncio.Event = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._remote: dict[str, RemoteCall] = {}
        self._audio_from: Counter[str] = Counter()  # remote calls heard, per instance

    def __repr__(self) -> str:
        return f"RedisBus(instance={self.instance_id})"

    # ---- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        self._redis = aioredis.from_url(self.url, socket_connect_timeout=5)
        try:
            await self._redis.ping()
            await self._redis.set(TOKEN_KEY, secrets.token_bytes(32), nx=True)
            key = await self._redis.get(TOKEN_KEY)
            await self._heartbeat_once()
        except (RedisError, OSError) as exc:
            await self._redis.aclose()
            raise OSError(
                f"the Redis bus at {self.url} is unreachable ({type(exc).__name__})"
            ) from exc
        if not isinstance(key, bytes):
            raise OSError(f"the Redis bus at {self.url} holds no token key")
        self._tokens.use_key(key)
        self._pubsub = self._redis.pubsub()
        await self._pubsub.subscribe(f"cxrelay:hello:{self.instance_id}")
        self._tasks = [
            asyncio.create_task(self._publisher()),
            asyncio.create_task(self._heartbeat()),
            asyncio.create_task(self._listen()),
        ]
        log.info("relay %s joined the bus", self.instance_id)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        redis = self._redis
        if redis is None:
            return
        with contextlib.suppress(RedisError, OSError):
            await self._flush()
            mine = [c.call_id for c in self._registry.calls()]
            if mine:
                await redis.hdel(CALLS_KEY, *mine)
            await redis.delete(self._instance_key)
        with contextlib.suppress(RedisError, OSError):
            await self._pubsub.aclose()
        await redis.aclose()
        self._redis = None

    async def healthy(self) -> bool:
        try:
            return bool(await self._r.ping())
        except (RedisError, OSError):
            return False

    @property
    def _r(self) -> aioredis.Redis:
        if self._redis is None:
            raise RuntimeError("the bus has not started")
        return self._redis

    @property
    def _instance_key(self) -> str:
        return f"cxrelay:instance:{self.instance_id}"

    async def _heartbeat_once(self) -> None:
        await self._r.set(self._instance_key, b"1", ex=INSTANCE_TTL_S)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            try:
                await self._heartbeat_once()
            except (RedisError, OSError) as exc:
                log.warning("bus heartbeat failed: %s", type(exc).__name__)

    # ---- publishing (CallPublisher; never awaits) -----------------------------------------

    def publish_chunk(self, call_id: str, chunk: AlignedChunk) -> None:
        self._queue("chunk", call_id, encode_chunk(chunk))

    def publish_event(self, call_id: str, event: dict[str, object]) -> None:
        self._queue("publish", channel(call_id), b"E" + json.dumps(event).encode())

    def publish_summary(self, summary: CallSummary) -> None:
        body = json.dumps({**summary.to_json(), "instance": self.instance_id}).encode()
        self._queue("hset", CALLS_KEY, summary.call_id, body)
        self._queue("publish", channel(summary.call_id), b"S" + body)

    def forget(self, call_id: str) -> None:
        self._queue("hdel", CALLS_KEY, call_id)

    def _queue(self, command: str, *args: Any) -> None:
        self._outbox.append((command, args))
        self._wake.set()

    async def _publisher(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._flush()
            except (RedisError, OSError) as exc:
                log.warning("bus publish failed (%s); %d messages lost", type(exc).__name__,
                            len(self._outbox))  # fmt: skip
                self._outbox.clear()

    async def _flush(self) -> None:
        """Send what is queued, in order; consecutive chunks (of any calls) as one message."""
        audio = audio_channel(self.instance_id)
        while self._outbox:
            pipe = self._r.pipeline(transaction=False)
            commands = 0
            batch: list[tuple[str, bytes]] = []
            while self._outbox and commands < PIPELINE_COMMANDS:
                command, args = self._outbox.popleft()
                chunk = command == "chunk"
                if chunk:
                    batch.append((args[0], args[1]))
                if batch and (not chunk or len(batch) == BATCH_CHUNKS):
                    pipe.publish(audio, encode_batch(batch))  # before what came after it
                    batch, commands = [], commands + 1
                if not chunk:
                    getattr(pipe, command)(*args)
                    commands += 1
            if batch:
                pipe.publish(audio, encode_batch(batch))
            await pipe.execute()

    # ---- remote calls (CallFinder) --------------------------------------------------------

    async def summary(self, call_id: str) -> CallSummary | None:
        found = await self._owned(call_id)
        return found[1] if found else None

    async def _owned(self, call_id: str) -> tuple[str, CallSummary] | None:
        """(the instance that ingests it, its summary) of a call some live instance has."""
        raw = await self._r.hget(CALLS_KEY, call_id)
        found = await self._alive([bytes(raw)] if isinstance(raw, bytes) else [])
        return found[0] if found else None

    async def summaries(self) -> list[CallSummary]:
        raw = await self._r.hgetall(CALLS_KEY)
        found = await self._alive([v for v in raw.values() if isinstance(v, bytes)])
        return [summary for _, summary in found]

    async def _alive(self, raws: list[bytes]) -> list[tuple[str, CallSummary]]:
        parsed = []
        for raw in raws:
            with contextlib.suppress(ValueError, KeyError, TypeError):
                data = json.loads(raw)
                parsed.append((str(data["instance"]), CallSummary.from_json(data)))
        others = [inst for inst, _ in parsed if inst != self.instance_id]
        alive: set[str] = {self.instance_id}
        if others:
            pipe = self._r.pipeline(transaction=False)
            for inst in others:
                pipe.exists(f"cxrelay:instance:{inst}")
            alive |= {inst for inst, ok in zip(others, await pipe.execute(), strict=True) if ok}
        return [(inst, s) for inst, s in parsed if inst in alive]

    async def attach(self, call_id: str) -> RemoteCall | None:
        remote = self._remote.get(call_id)
        if remote is None:
            found = await self._owned(call_id)
            if found is None:
                return None
            instance, summary = found
            remote = RemoteCall(summary, instance, asyncio.get_running_loop())
            self._remote[call_id] = remote
            self._audio_from[instance] += 1
            # One SUBSCRIBE, answered in order: once the call's channel is confirmed, the
            # instance's audio reaches us too.
            await self._pubsub.subscribe(audio_channel(instance), channel(call_id))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(SUBSCRIBE_WAIT_S):
                await remote.subscribed.wait()  # audio published from now on reaches us
        return remote

    def detach_if_idle(self, call_id: str) -> None:
        remote = self._remote.get(call_id)
        if remote is not None and not remote.fanout.listeners:
            del self._remote[call_id]
            names = [channel(call_id)]
            self._audio_from[remote.instance] -= 1
            if self._audio_from[remote.instance] <= 0:
                del self._audio_from[remote.instance]
                names.append(audio_channel(remote.instance))
            asyncio.get_running_loop().create_task(self._unsubscribe(names))

    async def _unsubscribe(self, names: list[str]) -> None:
        with contextlib.suppress(RedisError, OSError):
            await self._pubsub.unsubscribe(*names)

    async def _listen(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except (RedisError, OSError) as exc:
                log.warning("bus subscription failed (%s); retrying", type(exc).__name__)
                await asyncio.sleep(1.0)
                continue
            if message is None:
                continue
            name = message["channel"].decode()
            if name.startswith(AUDIO_PREFIX):
                if message["type"] == "message":
                    self._deliver_audio(message["data"], loop.time())
                continue
            call_id = name.removeprefix("cxrelay:call:")
            remote = self._remote.get(call_id)
            if remote is None:
                continue
            if message["type"] == "subscribe":
                remote.subscribed.set()
            elif message["type"] == "message":
                self._deliver(remote, message["data"])

    def _deliver_audio(self, data: bytes, now: float) -> None:
        for call_id, chunk in decode_batch(data):
            remote = self._remote.get(call_id)
            if remote is not None:  # another instance's call no listener here wants
                remote.fanout.chunk(decode_chunk(chunk), now)

    @staticmethod
    def _deliver(remote: RemoteCall, data: bytes) -> None:
        """An event or a new summary on the call's own channel (its audio comes batched)."""
        kind = data[:1]
        if kind == b"E":
            event = json.loads(data[1:])
            remote.fanout.event(event)
            if event.get("event") == "call.ended":
                remote.fanout.close_all(1000, "call ended")
        elif kind == b"S":
            remote.summary = CallSummary.from_json(json.loads(data[1:]))
