"""Two relays sharing calls through a real redis-server: pushed to A, heard on B."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime

import httpx
import numpy as np
import websockets

from cxone_desktop.core.codecs import decode_pcm16le
from cxone_desktop.core.perspective_aligner import AlignedChunk
from cxone_desktop.relay.call_summary import CallSummary
from cxone_desktop.relay.redis_bus import (
    RedisBus,
    RemoteCall,
    decode_batch,
    decode_chunk,
    encode_batch,
    encode_chunk,
)
from cxone_desktop.relay.server import RelayServer
from cxone_desktop.simulator.push.push_command import call_id_of, make_push

from .support import PUSH_ENV, relay_config, synthetic_call, token


async def test_a_call_pushed_to_a_is_heard_on_b_with_a_token_from_a(redis_url: str) -> None:
    config = relay_config(bus_url=redis_url)
    async with RelayServer(config) as a, RelayServer(config) as b:
        audio = synthetic_call(2.0)
        push = make_push("cxone", f"{a.ws_base_url}/ingest/cxone", audio, PUSH_ENV)
        push.gate = asyncio.Event()
        pushing = asyncio.create_task(push.run())
        call_id = call_id_of(push)
        qa = await token(a.base_url)  # issued by A, used on B: the key is shared
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {qa}"}) as http:

            async def listed_on_b() -> list[str]:
                body = (await http.get(f"{b.base_url}/api/v2/calls")).json()
                return [c["id"] for c in body["calls"]]

            deadline = asyncio.get_running_loop().time() + 20
            while call_id not in await listed_on_b():
                assert asyncio.get_running_loop().time() < deadline, "B never listed A's call"
                await asyncio.sleep(0.05)
            state = (await http.get(f"{b.base_url}/api/v2/interactions/{call_id}/call")).json()
            assert state["state"] == "active" and state["platform"] == "cxone"
        heard, events = bytearray(), []
        async with websockets.connect(
            f"{b.ws_base_url}/agent/voice/{call_id}/stream?access_token={qa}"
        ) as ws:
            push.gate.set()
            async for m in ws:
                if isinstance(m, bytes):
                    heard += m
                else:
                    events.append(json.loads(m))
        await pushing
        assert a.registry.get(call_id) is not None and b.registry.get(call_id) is None
    assert np.array_equal(decode_pcm16le(bytes(heard)), audio.expected())
    kinds = [e["event"] for e in events]
    assert kinds[0] == "call.started" and kinds[-2:] == ["call.hold", "call.ended"]


async def test_an_unreachable_bus_fails_the_start() -> None:
    config = relay_config(bus_url="redis://127.0.0.1:1")
    relay = RelayServer(config)
    try:
        await relay.start()
    except OSError as exc:
        assert "unreachable" in str(exc)
    else:
        await relay.stop()
        raise AssertionError("the relay started without its bus")


async def test_healthz_says_503_when_the_bus_goes_away(redis_url: str) -> None:
    import redis.asyncio as aioredis

    async with RelayServer(relay_config(bus_url=redis_url)) as relay:
        async with httpx.AsyncClient() as http:
            ok = await http.get(f"{relay.base_url}/healthz")
            assert ok.status_code == 200 and ok.json()["bus"] == "ok"
            admin = aioredis.from_url(redis_url)
            with contextlib.suppress(Exception):  # it hangs up while answering
                await admin.shutdown(nosave=True)
            down = await http.get(f"{relay.base_url}/healthz")
        assert down.status_code == 503 and down.json()["bus"] == "unreachable"


def test_audio_batches_carry_each_calls_chunks_and_a_relay_keeps_only_the_calls_it_serves() -> None:
    """One message carries every call's chunks since the last send (per-call messages cost
    both relays most of their CPU); the hearing relay hands on only the calls it has."""

    def chunk(position: int, value: int) -> AlignedChunk:
        agent, customer = np.full(160, value, np.int16), np.full(160, -value, np.int16)
        return AlignedChunk(position, {"agent": agent, "customer": customer}, frozenset())

    items = [("call-é", encode_chunk(chunk(0, 7))), ("other", encode_chunk(chunk(160, 9)))]
    assert decode_batch(encode_batch(items)) == items
    got = decode_chunk(decode_batch(encode_batch(items))[0][1])
    assert got.position == 0 and np.array_equal(got.samples["customer"], np.full(160, -7))

    async def scenario() -> list[int]:
        bus = RedisBus("redis://127.0.0.1:1", None, None, None)  # type: ignore[arg-type]
        summary = CallSummary("call-é", "cxone", "active", datetime.now(UTC))
        remote = RemoteCall(summary, "instance-a", asyncio.get_running_loop())
        seen: list[int] = []
        remote.fanout.chunk = lambda c, _now: seen.append(c.position)  # type: ignore[method-assign]
        bus._remote["call-é"] = remote
        bus._deliver_audio(encode_batch([*items, ("call-é", encode_chunk(chunk(320, 1)))]), 0.0)
        return seen

    assert asyncio.run(scenario()) == [0, 320]  # "other" is nobody's here
