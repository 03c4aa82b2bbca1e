"""Each ingest path authenticates as its platform does, refuses after a constant delay, and gives
the platform's own answer to bad input and abrupt closes."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import numpy as np
import pytest
import websockets

from cxone_desktop.relay.failure_delay import FailureDelay
from cxone_desktop.relay.server import RelayServer
from cxone_desktop.serving.twilio_signature import twilio_signature
from cxone_desktop.simulator.push.audiohook_pusher import AudioHookPush
from cxone_desktop.simulator.push.push_command import make_push

from .support import (
    AH_KEY,
    AH_SECRET_B64,
    CX_HEADER,
    PUSH_ENV,
    TW_TOKEN,
    relay_config,
    synthetic_call,
    token,
    until,
)


class RecordedDelay(FailureDelay):
    """The real delay arithmetic with a sleep that only records how long it was asked for."""

    def __init__(self, delay_s: float = 0.5) -> None:
        self.slept: list[float] = []

        async def sleep(seconds: float) -> None:
            self.slept.append(seconds)

        super().__init__(delay_s, sleep=sleep)


@pytest.fixture
async def relay() -> AsyncIterator[RelayServer]:
    async with RelayServer(relay_config(), failure_delay=RecordedDelay()) as server:
        yield server


def failures(relay: RelayServer, platform: str) -> float:
    value = relay.metrics.registry.get_sample_value(
        "relay_auth_failures_total", {"platform": platform}
    )
    return value or 0.0


def audiohook(relay: RelayServer, **kw: object) -> AudioHookPush:
    fields = {"api_key": AH_KEY, "client_secret_b64": AH_SECRET_B64, **kw}
    return AudioHookPush(f"{relay.ws_base_url}/ingest/audiohook", synthetic_call(0.4), **fields)


async def refused_audiohook(push: AudioHookPush) -> str:
    with pytest.raises(PermissionError) as caught:
        await asyncio.wait_for(push.run(), 10)
    return str(caught.value)


# ---- AudioHook ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"client_secret_b64": "d3Jvbmcgc2VjcmV0IHdyb25nIHNlY3JldCB3cm9uZyE="}, "wrong secret"),
        ({"api_key": "someone-else"}, "unknown key"),
        ({"client_secret_b64": None}, "unsigned"),
        ({"signed_at": -11}, "stale"),  # seconds from now, taken when the test runs
        ({"signed_at": +60}, "from the future"),
    ],
)
async def test_audiohook_refusals_are_unauthorized_disconnects_after_the_delay(
    relay: RelayServer, change: dict, why: str
) -> None:
    if "signed_at" in change:  # not at collection: a long suite would make "future" past
        change = {**change, "signed_at": int(time.time()) + change["signed_at"]}
    said = await refused_audiohook(audiohook(relay, **change))
    assert "unauthorized" in said, why
    assert failures(relay, "audiohook") == 1
    delay = relay.failure_delay
    assert isinstance(delay, RecordedDelay) and delay.slept and delay.slept[0] > 0.4
    assert relay.registry.summaries() == []  # no call was opened


async def test_a_replayed_audiohook_signature_is_refused(relay: RelayServer) -> None:
    first = audiohook(relay)
    headers = first.headers()
    first.headers = lambda: headers  # type: ignore[method-assign]
    await asyncio.wait_for(first.run(), 10)  # the first use of this nonce: accepted
    replay = audiohook(relay)
    replay.headers = lambda: headers  # type: ignore[method-assign]
    assert "unauthorized" in await refused_audiohook(replay)
    assert failures(relay, "audiohook") == 1


async def test_audiohook_without_headers_is_400_and_not_configured_is_401() -> None:
    async with RelayServer(relay_config(audiohook=None), failure_delay=RecordedDelay()) as r:
        with pytest.raises(websockets.InvalidStatus) as caught:
            async with websockets.connect(f"{r.ws_base_url}/ingest/audiohook"):
                pass
        assert caught.value.response.status_code == 401
    async with RelayServer(relay_config(), failure_delay=RecordedDelay()) as r:
        with pytest.raises(websockets.InvalidStatus) as caught:
            async with websockets.connect(f"{r.ws_base_url}/ingest/audiohook"):
                pass
        assert caught.value.response.status_code == 400
        assert b"Audiohook-Organization-Id" in caught.value.response.body


async def test_audiohook_abrupt_close_ends_the_call_with_a_platform_error(
    relay: RelayServer,
) -> None:
    push = audiohook(relay)
    async with websockets.connect(
        f"{relay.ws_base_url}/ingest/audiohook", additional_headers=push.headers()
    ) as ws:
        await push._send(ws, "open", push._open_parameters())
        opened = json.loads(await ws.recv())
        assert opened["type"] == "opened"
        qa = await token(relay.base_url)
        listener = await websockets.connect(
            f"{relay.ws_base_url}/agent/voice/{push.conversation_id}/stream?access_token={qa}"
        )
        call = relay.registry.get(push.conversation_id)
        await until(lambda: call.fanout.listeners)
        await ws.send(b"\xff" * 320)
        ws.transport.abort()  # no close message, no close frame
    events = [json.loads(m) async for m in listener if isinstance(m, str)]
    kinds = [e["event"] for e in events]
    assert kinds[-2:] == ["platform.error", "call.ended"]
    assert events[-1]["reason"] == "platform disconnected"


async def test_audiohook_protocol_error_reaches_listeners(relay: RelayServer) -> None:
    push = audiohook(relay)
    async with websockets.connect(
        f"{relay.ws_base_url}/ingest/audiohook", additional_headers=push.headers()
    ) as ws:
        await push._send(ws, "open", push._open_parameters())
        await ws.recv()
        call = relay.registry.get(push.conversation_id)
        events: list[dict] = []
        call.fanout.event = events.append  # type: ignore[method-assign]
        push.seq += 5  # skip sequence numbers
        await push._send(ws, "ping", {})
        disconnect = json.loads(await ws.recv())
        assert disconnect["type"] == "disconnect"
        assert disconnect["parameters"]["reason"] == "error"
        assert "Invalid seq value" in disconnect["parameters"]["info"]
        push.seq = disconnect["clientseq"]
        await push._send(ws, "close", {"reason": "error"})
        assert json.loads(await ws.recv())["type"] == "closed"
    assert [e["event"] for e in events][-2:] == ["platform.error", "call.ended"]


# ---- CXone --------------------------------------------------------------------------------


async def test_cxone_needs_its_header_or_an_ingest_token(relay: RelayServer) -> None:
    url = f"{relay.ws_base_url}/ingest/cxone"
    for headers in ({}, {CX_HEADER[0]: "wrong"}, {"Authorization": "Bearer nope"}):
        with pytest.raises(websockets.InvalidStatus) as caught:
            async with websockets.connect(url, additional_headers=headers):
                pass
        assert caught.value.response.status_code == 401
    assert failures(relay, "cxone") == 3


async def test_cxone_accepts_an_ingest_token_and_json_base64_audio() -> None:
    from dataclasses import replace

    from cxone_desktop.relay.client_rules import ClientRule

    config = relay_config(cxone=replace(relay_config().cxone, auth_header=None))
    config = replace(config, clients=(*config.clients, ClientRule("studio", "st-9", ingest=True)))
    async with RelayServer(config) as relay:
        ingest_token = await token(relay.base_url, ("studio", "st-9"))
        audio = synthetic_call(1.0)
        push = make_push("cxone", f"{relay.ws_base_url}/ingest/cxone", audio, PUSH_ENV)
        push.auth_header = ("Authorization", f"Bearer {ingest_token}")
        push.json_audio = True
        push.gate = asyncio.Event()
        task = asyncio.create_task(push.run())
        await until(lambda: relay.registry.get(push.contact_id) is not None)
        qa = await token(relay.base_url)
        got = bytearray()
        async with websockets.connect(
            f"{relay.ws_base_url}/agent/voice/{push.contact_id}/stream?access_token={qa}&channels=2"
        ) as ws:
            push.gate.set()
            async for m in ws:
                if isinstance(m, bytes):
                    got += m
        await task
    stereo = np.frombuffer(bytes(got), "<i2")
    assert np.array_equal(stereo[0::2], audio.expected("agent"))
    assert np.array_equal(stereo[1::2], audio.expected("customer"))


@pytest.mark.parametrize(
    "first",
    [
        b"\x00\x01",  # binary first
        "not json",
        json.dumps({"contactId": "1"}),  # no perspective
        json.dumps({"streamPerspective": "RX", "skill": "x"}),  # no contact ID
    ],
)
async def test_cxone_bad_first_message_closes_1008(relay: RelayServer, first) -> None:
    async with websockets.connect(
        f"{relay.ws_base_url}/ingest/cxone", additional_headers=[CX_HEADER]
    ) as ws:
        await ws.send(first)
        with pytest.raises(websockets.ConnectionClosed) as caught:
            await ws.recv()
    assert caught.value.rcvd is not None and caught.value.rcvd.code == 1008
    assert relay.registry.summaries() == []


# ---- Twilio -------------------------------------------------------------------------------


async def test_twilio_signature_is_checked_over_the_url(relay: RelayServer) -> None:
    url = f"{relay.ws_base_url}/ingest/twilio"
    for signature in (
        "",
        twilio_signature("other-token", url),
        twilio_signature(TW_TOKEN, url + "?x=1"),
    ):
        with pytest.raises(websockets.InvalidStatus) as caught:
            async with websockets.connect(
                url, additional_headers={"X-Twilio-Signature": signature}
            ):
                pass
        assert caught.value.response.status_code == 403
    assert failures(relay, "twilio") == 3
    query_url = url + "?tenant=acme"
    async with websockets.connect(
        query_url, additional_headers={"X-Twilio-Signature": twilio_signature(TW_TOKEN, query_url)}
    ) as ws:
        await ws.send(json.dumps({"event": "connected"}))


async def test_twilio_garbage_closes_1003_and_a_drop_ends_the_call(relay: RelayServer) -> None:
    url = f"{relay.ws_base_url}/ingest/twilio"
    headers = {"X-Twilio-Signature": twilio_signature(TW_TOKEN, url)}
    async with websockets.connect(url, additional_headers=headers) as ws:
        await ws.send("{not json")
        with pytest.raises(websockets.ConnectionClosed) as caught:
            await ws.recv()
        assert caught.value.rcvd is not None and caught.value.rcvd.code == 1003
    async with websockets.connect(url, additional_headers=headers) as ws:
        await ws.send(
            json.dumps({"event": "start", "start": {"callSid": "CA1", "tracks": ["inbound"]}})
        )
        await until(lambda: relay.registry.get("CA1") is not None)
        ws.transport.abort()
    call = relay.registry.get("CA1")
    await until(lambda: call.ended, what="the call to end")
    assert call.summary.end_reason == "platform disconnected"
