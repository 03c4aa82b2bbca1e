"""The client against the project's CXone simulator: both sides of the wire contract agree."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from cxone_desktop.cxone.call_state import CallStatePoller
from cxone_desktop.cxone.control_event import ControlEvent, ControlKind
from cxone_desktop.cxone.endpoints import Endpoints
from cxone_desktop.cxone.settings import AuthSettings, Credentials, StreamSettings
from cxone_desktop.cxone.token_provider import TokenProvider
from cxone_desktop.cxone.voice_stream import VoiceStream
from cxone_desktop.errors import HandshakeRejected, InvalidCredentials, MissingScope
from cxone_desktop.simulator.config import Impairments, SimulatorConfig
from cxone_desktop.simulator.server import CXoneSimulator

from .timefake import FakeTime

CALL = "demo-call"


async def start(config: SimulatorConfig) -> CXoneSimulator:
    sim = CXoneSimulator(config)
    await sim.start()
    return sim


@pytest.fixture
async def sim() -> AsyncIterator[CXoneSimulator]:
    s = await start(SimulatorConfig())
    yield s
    await s.stop()


def provider(
    sim: CXoneSimulator, style: str = "json", secret: str = "demo-secret"
) -> TokenProvider:
    return TokenProvider(
        Endpoints.from_input(base_url=sim.base_url),
        Credentials(client_id="demo-client", client_secret=secret),
        auth=AuthSettings(style=style),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("style", "token_in"), [("json", "query"), ("form", "header"), ("basic", "query")]
)
async def test_token_stream_and_state_against_the_simulator(
    sim: CXoneSimulator, style: str, token_in: str
) -> None:
    tokens = provider(sim, style)
    ep = Endpoints.from_input(base_url=sim.base_url)
    stream = VoiceStream(ep, CALL, tokens, settings=StreamSettings(token_in=token_in))  # type: ignore[arg-type]
    poller = CallStatePoller(ep, CALL, tokens)
    try:
        await stream.connect()
        audio = 0
        controls: list[ControlEvent] = []
        async with asyncio.timeout(5):
            async for msg in stream:
                if isinstance(msg, bytes):
                    audio += len(msg)
                else:
                    controls.append(msg)
                if audio >= 1600:
                    break
        assert audio >= 1600
        assert controls and controls[0].kind is ControlKind.STARTED and controls[0].error is None
        assert (await poller.fetch()).status == "active"
        assert sim.token_requests == 1  # the stream and the poller shared the cached token
    finally:
        await stream.close()
        await poller.aclose()
        await tokens.aclose()
    assert stream.end is not None and stream.end.normal


async def test_wrong_secret_is_invalid_credentials(sim: CXoneSimulator) -> None:
    tokens = provider(sim, secret="wrong")
    try:
        with pytest.raises(InvalidCredentials):
            await tokens.token()
    finally:
        await tokens.aclose()


async def test_rate_limited_token_requests_honour_retry_after() -> None:
    sim = await start(SimulatorConfig(rate_limit=2))
    ft = FakeTime()
    tokens = TokenProvider(
        Endpoints.from_input(base_url=sim.base_url),
        Credentials(client_id="demo-client", client_secret="demo-secret"),
        clock=ft.clock,
        sleep=ft.sleep,
    )
    try:
        assert (await tokens.token()).value
        assert ft.sleeps == [1.0, 1.0]
    finally:
        await tokens.aclose()
        await sim.stop()


async def test_unknown_call_is_refused_with_403(sim: CXoneSimulator) -> None:
    tokens = provider(sim)
    stream = VoiceStream(Endpoints.from_input(base_url=sim.base_url), "no-such-call", tokens)
    try:
        with pytest.raises(HandshakeRejected) as ei:
            await stream.connect()
        assert ei.value.status == 403
    finally:
        await tokens.aclose()


async def test_missing_view_scope_is_missing_scope_for_the_poller() -> None:
    sim = await start(SimulatorConfig(granted_scopes=("agent:voice:stream",)))
    tokens = provider(sim)
    poller = CallStatePoller(Endpoints.from_input(base_url=sim.base_url), CALL, tokens)
    try:
        with pytest.raises(MissingScope):
            await poller.fetch()
    finally:
        await poller.aclose()
        await tokens.aclose()
        await sim.stop()


async def test_simulated_drop_ends_with_1006() -> None:
    sim = await start(SimulatorConfig(impairments=Impairments(drop_after_s=0.3)))
    tokens = provider(sim)
    stream = VoiceStream(Endpoints.from_input(base_url=sim.base_url), CALL, tokens)
    try:
        await stream.connect()
        async with asyncio.timeout(5):
            async for _ in stream:
                pass
        assert stream.end is not None and stream.end.code == 1006 and not stream.end.normal
    finally:
        await tokens.aclose()
        await sim.stop()
