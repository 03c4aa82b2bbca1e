"""The real simulator behind a fault proxy: latency, a bandwidth limit, resets, a dead
path (half-open), a late FIN (slow close) and a restart (connections refused).

The simulator is ours; the faults are the network's, at the TCP level, where neither
side's code can soften them.
"""

from __future__ import annotations

import asyncio
import wave
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from cxone_desktop.core.state_machine import CallState
from cxone_desktop.cxone.endpoints import Endpoints
from cxone_desktop.cxone.settings import Credentials, RetryPolicy, StreamSettings
from cxone_desktop.session.config import SessionConfig
from cxone_desktop.session.stream_session import StreamSession
from cxone_desktop.simulator.config import Impairments, SimulatorConfig
from cxone_desktop.simulator.server import CXoneSimulator

from ..session.conftest import write_voice_like_wav
from .fault_proxy import FaultProxy
from .tenant import events

CALL = "proxied-3"


@pytest.fixture
async def simulator(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """`await simulator(seconds=…, loop=…)`: a simulator started for the test."""
    started: list[CXoneSimulator] = []

    async def start(seconds: float = 1.2, **config: Any) -> CXoneSimulator:
        audio = tmp_path / f"call-{len(started)}.wav"
        write_voice_like_wav(audio, seconds, seed=4)
        sim = CXoneSimulator(
            SimulatorConfig(
                call_ids=(CALL,), audio_path=audio, impairments=Impairments(seed=9), **config
            )
        )
        await sim.start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        await sim.stop()


@pytest.fixture
async def proxy_for() -> AsyncIterator[Callable[[CXoneSimulator], Any]]:
    proxies: list[FaultProxy] = []

    async def make(sim: CXoneSimulator) -> FaultProxy:
        proxy = await FaultProxy(sim.port).start()
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        await proxy.close()


def config(proxy: FaultProxy, sim: CXoneSimulator, out: Path, **overrides: Any) -> SessionConfig:
    values: dict[str, Any] = {
        "endpoints": Endpoints.from_input(base_url=proxy.base_url),
        "call_id": CALL,
        "credentials": Credentials(sim.config.client_id, sim.config.client_secret),
        "retry": RetryPolicy(max_attempts=4, base_delay_s=0.05, max_delay_s=0.3, max_total_s=10),
        "out_dir": out,
        "poll_interval_s": 0.3,
    }
    values.update(overrides)
    return SessionConfig(**values)


def raw_bytes(folder: Path) -> bytes:
    with wave.open(str(folder / "raw.wav")) as w:
        return w.readframes(w.getnframes())


async def until(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        assert loop.time() < deadline, f"not within {timeout_s} s"
        await asyncio.sleep(0.01)


async def test_latency_and_a_bandwidth_limit_lose_nothing(simulator, proxy_for, tmp_path) -> None:
    sim = await simulator()
    proxy = await proxy_for(sim)
    proxy.latency_s = 0.08
    proxy.bytes_per_s = 40_000  # 2.5× the audio's 16 kB/s: headroom, but not much
    result = await asyncio.wait_for(StreamSession(config(proxy, sim, tmp_path)).run(), 60)
    assert result.outcome == "ended", result.errors
    assert raw_bytes(result.folder) == sim.sent_audio(CALL)
    assert result.reconnects == 0


async def test_a_reset_mid_call_is_reconnected_and_recorded(simulator, proxy_for, tmp_path) -> None:
    sim = await simulator(seconds=2.0)
    proxy = await proxy_for(sim)
    session = StreamSession(config(proxy, sim, tmp_path))
    task = asyncio.create_task(session.run())
    await until(lambda: session.raw_wave.total_written >= 4000)
    proxy.reset()
    result = await asyncio.wait_for(task, 60)
    assert result.outcome == "ended", result.errors
    assert result.reconnects >= 1
    closes = [e for e in events(result.folder) if e["kind"] == "closed"]
    assert closes[0]["code"] in (None, 1006) and closes[0]["normal"] is False  # no close frame
    assert any(e.startswith("StreamClosedAbnormally") for e in result.errors)


async def test_a_dead_path_is_found_by_keepalive_and_reconnected(
    simulator, proxy_for, tmp_path
) -> None:
    sim = await simulator(seconds=3.0)
    proxy = await proxy_for(sim)
    fast = StreamSettings(ping_interval_s=0.3, dead_after_s=1.2, close_timeout_s=0.3)
    session = StreamSession(config(proxy, sim, tmp_path, stream=fast, silence_timeout_s=30))
    task = asyncio.create_task(session.run())
    await until(lambda: session.raw_wave.total_written >= 4000)
    proxy.half_open()  # the connections open now carry nothing more, and never close
    result = await asyncio.wait_for(task, 60)
    assert result.outcome == "ended", result.errors
    assert result.reconnects >= 1
    closes = [e for e in events(result.folder) if e["kind"] == "closed"]
    assert closes[0]["normal"] is False


async def test_a_dead_path_without_pings_is_found_by_the_silence_watch(
    simulator, proxy_for, tmp_path
) -> None:
    """Keepalive at its 60 s default: the 0.8 s silence timeout notices first."""
    sim = await simulator(seconds=3.0)
    proxy = await proxy_for(sim)
    session = StreamSession(config(proxy, sim, tmp_path, silence_timeout_s=0.8))
    task = asyncio.create_task(session.run())
    await until(lambda: session.raw_wave.total_written >= 4000)
    proxy.half_open()
    result = await asyncio.wait_for(task, 60)
    assert result.outcome == "ended", result.errors
    assert any(e.startswith("StreamSilent") for e in result.errors)


async def test_a_late_fin_does_not_hold_the_end_of_the_call(simulator, proxy_for, tmp_path) -> None:
    sim = await simulator(seconds=1.0)
    proxy = await proxy_for(sim)
    proxy.slow_close_s = 30.0  # the server's FIN would reach us half a minute late
    session = StreamSession(config(proxy, sim, tmp_path))
    result = await asyncio.wait_for(session.run(), 20)  # well before the FIN
    assert result.outcome == "ended", result.errors
    assert raw_bytes(result.folder) == sim.sent_audio(CALL)


async def test_a_user_stop_is_not_held_by_a_late_fin(simulator, proxy_for, tmp_path) -> None:
    sim = await simulator(seconds=3.0, loop=True)
    proxy = await proxy_for(sim)
    proxy.slow_close_s = 30.0
    session = StreamSession(config(proxy, sim, tmp_path))
    task = asyncio.create_task(session.run())
    await until(lambda: session.state_machine.state is CallState.STREAMING)
    await until(lambda: session.raw_wave.total_written >= 4000)
    await asyncio.wait_for(session.stop(), 10)
    assert (await task).outcome == "stopped"


@pytest.mark.parametrize("outage_s", [4.0])
async def test_a_restart_with_connections_refused_costs_only_its_gap(
    simulator, proxy_for, tmp_path, outage_s: float
) -> None:
    """Real time: 4 s of refused connections inside the default 60 s budget."""
    sim = await simulator(seconds=2.5, loop=True)
    proxy = await proxy_for(sim)
    session = StreamSession(config(proxy, sim, tmp_path, duration_s=outage_s + 6))
    task = asyncio.create_task(session.run())
    await until(lambda: session.raw_wave.total_written >= 4000)
    await proxy.refuse(outage_s)
    result = await asyncio.wait_for(task, 60)
    assert result.outcome == "stopped", result.errors  # by --duration: the call went on
    assert result.reconnects >= 1
    assert not any(e.startswith("RetriesExhausted") for e in result.errors)
    assert session.state_machine.history[-3].state is CallState.STREAMING
