"""The ingest sockets' own WebSocket handling (CXone, Twilio): pings, fragments, limits."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import numpy as np
import pytest
import websockets

from cxone_desktop.core.codecs import encode_mulaw
from cxone_desktop.relay.server import RelayServer
from cxone_desktop.relay.ws_frames import unmask

from .support import CX_HEADER, relay_config, until


@pytest.fixture
async def relay() -> AsyncIterator[RelayServer]:
    async with RelayServer(relay_config()) as server:
        yield server


def test_unmask_is_its_own_inverse_and_matches_bytewise_xor() -> None:
    payload, mask = bytes(range(37)), b"\x12\x34\x56\x78"
    expected = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    assert unmask(payload, mask) == expected and unmask(expected, mask) == payload


async def test_pings_fragments_and_a_normal_close(relay: RelayServer) -> None:
    url = f"{relay.ws_base_url}/ingest/cxone"
    async with websockets.connect(url, additional_headers=[CX_HEADER]) as ws:
        first = json.dumps({"streamPerspective": "TX", "contactId": "frag-1"})
        await ws.send([first[:10], first[10:20], first[20:]])  # three fragments
        await asyncio.wait_for(await ws.ping(b"hi"), 5)  # answered by the ingest socket
        await until(lambda: relay.registry.get("frag-1") is not None)
        samples = np.arange(-800, 800, 10, dtype=np.int16)
        await ws.send([encode_mulaw(samples[:80]), encode_mulaw(samples[80:])])
        call = relay.registry.get("frag-1")
        await until(lambda: call._aligner.edge == 160)
    await until(lambda: call.state == "on_hold", what="the hold after the close")


async def test_a_message_over_the_limit_is_closed_1009(relay: RelayServer) -> None:
    url = f"{relay.ws_base_url}/ingest/cxone"
    async with websockets.connect(url, additional_headers=[CX_HEADER], max_size=None) as ws:
        await ws.send(json.dumps({"streamPerspective": "RX", "contactId": "big-1"}))
        await ws.send(b"\xff" * ((1 << 20) + 1))
        with pytest.raises(websockets.ConnectionClosed) as caught:
            await ws.recv()
    assert caught.value.rcvd is not None and caught.value.rcvd.code == 1009
