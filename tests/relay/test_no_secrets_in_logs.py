"""Every credential the relay sees, right or wrong, stays out of its logs (scanned at DEBUG)."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
import websockets

from cxone_desktop.relay.server import RelayServer
from cxone_desktop.serving.twilio_signature import twilio_signature
from cxone_desktop.simulator.push.push_command import call_id_of, make_push

from .support import (
    AGENT_CLIENT,
    AH_KEY,
    AH_SECRET_B64,
    CX_HEADER,
    PUSH_ENV,
    QA,
    TW_TOKEN,
    relay_config,
    synthetic_call,
    token,
    until,
)

WRONG = "wrong-secret-d41d8c"
CLIENT_LOGGERS = ("websockets.client", "httpx", "httpcore")


async def test_no_secret_or_token_in_debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    issued: list[str] = []
    async with RelayServer(relay_config()) as relay:
        qa = await token(relay.base_url)
        issued.append(qa)
        for platform in ("audiohook", "cxone", "twilio"):
            push = make_push(
                platform, f"{relay.ws_base_url}/ingest/{platform}", synthetic_call(0.3), PUSH_ENV
            )
            push.gate = asyncio.Event()
            task = asyncio.create_task(push.run())
            call_id = call_id_of(push)
            await until(lambda call_id=call_id: relay.registry.get(call_id) is not None)
            async with websockets.connect(
                f"{relay.ws_base_url}/agent/voice/{call_id}/stream?access_token={qa}"
            ) as ws:
                push.gate.set()
                async for _ in ws:
                    pass
            await task
        bad = dict(PUSH_ENV)
        bad["RELAY_AUDIOHOOK_CLIENT_SECRET"] = "V1JPTkctd3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmch"
        push = make_push(
            "audiohook", f"{relay.ws_base_url}/ingest/audiohook", synthetic_call(0.2), bad
        )
        with pytest.raises(PermissionError):
            await push.run()
        for headers in ({CX_HEADER[0]: WRONG}, {"Authorization": f"Bearer {WRONG}"}):
            with pytest.raises(websockets.InvalidStatus):
                async with websockets.connect(
                    f"{relay.ws_base_url}/ingest/cxone", additional_headers=headers
                ):
                    pass
        url = f"{relay.ws_base_url}/ingest/twilio"
        with pytest.raises(websockets.InvalidStatus):
            async with websockets.connect(
                url, additional_headers={"X-Twilio-Signature": twilio_signature(WRONG, url)}
            ):
                pass
        async with httpx.AsyncClient() as http:
            await http.post(
                f"{relay.base_url}/oauth2/token",
                auth=(QA[0], WRONG),
                data={"grant_type": "client_credentials"},
            )
            issued.append(await token(relay.base_url, AGENT_CLIENT))
            await http.get(
                f"{relay.base_url}/api/v2/calls", headers={"Authorization": f"Bearer {WRONG}"}
            )
        with pytest.raises(websockets.InvalidStatus):
            async with websockets.connect(
                f"{relay.ws_base_url}/agent/voice/x/stream?access_token={WRONG}"
            ):
                pass
    # The test's own clients (websockets.client, httpx) log what they send; the relay side is
    # everything else: our loggers, aiohttp, asyncio, the pushers' quiet wire logger.
    relay_side = [r for r in caplog.records if not r.name.startswith(CLIENT_LOGGERS)]
    text = "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in relay_side)
    assert "cxone_desktop.relay" in text and len(relay_side) > 20  # it saw the relay talking
    for secret in (
        AH_KEY,
        AH_SECRET_B64,
        CX_HEADER[1],
        TW_TOKEN,
        QA[1],
        AGENT_CLIENT[1],
        WRONG,
        *issued,
    ):
        assert secret not in text, f"a secret leaked into the logs ({secret[:3]}…)"
