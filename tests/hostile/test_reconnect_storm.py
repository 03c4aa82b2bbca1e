"""Issue 17, finding 2: the reconnect storm, and a budget of time rather than tries.

A stream that opens and dies at once (1006), or sends one oversize message (1009),
was reconnected at once and forever (407 reconnects, 817 call-state requests in 10 s,
a 206 KB summary.json). A server answering 503 for 4 s had every retry spent in under
3 s. Session-level tests run on an injected clock and sleep: the budget's 60 s pass in
milliseconds, and every figure is exact for the seeded random draws.
"""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import pytest
from aiohttp import web

from cxone_desktop.errors import RetriesExhausted
from cxone_desktop.session.call_decision import CallFacts
from cxone_desktop.session.call_link import CallLink
from cxone_desktop.session.reconnect_budget import ReconnectBudget, ReconnectPolicy
from cxone_desktop.session.session_news import SessionNews
from cxone_desktop.session.stream_session import StreamSession

from ..cxone.timefake import FakeTime
from .tenant import HostileTenant, audio_forever, run_record, summary


async def dies_at_once(ws: web.WebSocketResponse, request: web.Request) -> None:
    """Accepts the upgrade, then drops the TCP connection: the client sees 1006."""
    assert request.transport is not None
    request.transport.abort()


async def one_oversize_message(ws: web.WebSocketResponse, _request: web.Request) -> None:
    """A 2 MiB binary message: the client's 1 MiB limit closes the socket with 1009."""
    await ws.send_bytes(bytes(2 << 20))
    await asyncio.sleep(1.0)


def fake_time_link(tenant: HostileTenant, tmp_path: Path, seed: int) -> tuple[CallLink, FakeTime]:
    """The session's CallLink on an injected clock and sleep, without the call-state watcher
    (whose own polling would move the fake clock as fast as real requests go)."""
    ft = FakeTime()
    news = SessionNews()
    link = CallLink(
        tenant.config(tmp_path), CallFacts(), news, clock=ft.clock, sleep=ft.sleep,
        rng=random.Random(seed),
    )  # fmt: skip
    return link, ft


async def keep_streaming(link: CallLink, ft: FakeTime) -> int:
    """What the session does on each close: reconnect, read until it closes again.

    Returns the number of connections made; raises what `reconnect` raises.
    """
    stream = await link.connect()
    connections = 1
    while True:
        async for message in stream:
            if isinstance(message, bytes) and message:
                link.budget.heard_audio(ft.now)
        stream = await link.reconnect()
        assert stream is not None
        connections += 1


@pytest.mark.parametrize("behaviour", [dies_at_once, one_oversize_message], ids=["1006", "1009"])
async def test_a_stream_that_dies_at_once_is_retried_paced_until_the_budget_is_spent(
    tenant: HostileTenant, tmp_path: Path, behaviour: object
) -> None:
    tenant.stream = behaviour  # type: ignore[assignment]
    link, ft = fake_time_link(tenant, tmp_path, seed=5)
    try:
        with pytest.raises(RetriesExhausted, match="60 s while the call was up"):
            await asyncio.wait_for(keep_streaming(link, ft), timeout=60)  # a storm never ends
    finally:
        await link.aclose()
    policy = ReconnectPolicy()
    assert all(0 <= d <= policy.max_delay_s for d in ft.sleeps)  # every wait capped
    assert sum(ft.sleeps) == pytest.approx(policy.budget_s)  # the budget is time, spent whole
    connections = tenant.hits["stream"]
    # Paced: full jitter up to 2 s is about one attempt a second, not hundreds.
    assert 20 <= connections <= 90
    assert tenant.hits["call_state"] == connections - 1  # one reading before each attempt


@pytest.mark.parametrize("outage_s", [4.0, 7.0, 10.0])
async def test_a_server_restart_costs_only_its_gap(
    tenant: HostileTenant, tmp_path: Path, outage_s: float
) -> None:
    """Drop, then 503 on every route for `outage_s`, then back: reconnected soon after."""
    link, ft = fake_time_link(tenant, tmp_path, seed=11)
    marks: dict[str, float] = {}

    def restarting() -> bool:
        return "dropped" in marks and ft.now < marks["dropped"] + outage_s

    async def gate(request: web.Request) -> web.StreamResponse | None:
        return web.Response(status=503, text="restarting") if restarting() else None

    async def call_state(request: web.Request) -> web.StreamResponse:
        if restarting():
            return web.Response(status=503, text="restarting")
        return web.json_response({"state": "active"})

    tenant.handshake = gate
    tenant.call_state = call_state
    tenant.stream = audio_forever
    try:
        first = await link.connect()
        await first.close()
        marks["dropped"] = ft.now  # the server goes down: the stream dropped now
        reopened = await asyncio.wait_for(link.reconnect(), timeout=60)
        assert reopened is not None
        gap = ft.now - marks["dropped"]
    finally:
        await link.aclose()
    assert outage_s <= gap <= outage_s + ReconnectPolicy().max_delay_s


async def test_a_session_in_a_storm_stops_after_its_budget_with_one_counted_error(
    tenant: HostileTenant, tmp_path: Path
) -> None:
    """Real time, the whole session: before, this reconnected 40 times a second, forever."""
    tenant.stream = dies_at_once
    budget = ReconnectPolicy(budget_s=2.0)
    config = tenant.config(tmp_path, reconnect=budget)
    result = await asyncio.wait_for(StreamSession(config).run(), timeout=60)
    assert result.outcome == "stream_failed"
    assert isinstance(result.error, RetriesExhausted)
    connections = tenant.hits["stream"]
    assert connections <= 60  # 2 s of waits of up to 2 s each
    assert result.reconnects == connections - 1
    doc = summary(result.folder)
    (dropped,) = [e for e in doc["errors"] if e.startswith("StreamClosedAbnormally")]
    assert connections == 1 or dropped.endswith(f"(×{connections})")
    assert len(doc["errors"]) <= 3
    assert (result.folder / "summary.json").stat().st_size < 64 * 1024


def test_delays_are_full_jitter_capped_and_the_budget_is_time() -> None:
    policy = ReconnectPolicy(budget_s=30, base_delay_s=0.25, max_delay_s=2.0)
    budget = ReconnectBudget(policy, random.Random(3))
    now, delays = 100.0, []
    while (delay := budget.next_delay(now)) is not None:
        delays.append(delay)
        now += delay
    assert now == pytest.approx(130.0)  # stopped where the time ran out, not after N tries
    assert max(delays[:1]) <= 0.25 and max(delays[:2]) <= 0.5 and max(delays) <= 2.0
    assert len(set(delays)) == len(delays)  # drawn, not fixed
    assert budget.failures == len(delays)


def test_only_a_connection_that_carried_audio_for_a_while_ends_the_outage() -> None:
    budget = ReconnectBudget(ReconnectPolicy(budget_s=60, healthy_after_s=10), random.Random(1))
    budget.lost(0.0)
    budget.connected(1.0)
    budget.heard_audio(5.0)  # 4 s of audio, then it drops again: still the same outage
    budget.lost(6.0)
    assert budget.spent_s(6.0) == 6.0 and budget.in_outage
    budget.connected(7.0)
    budget.heard_audio(16.0)  # 9 s: not yet
    assert budget.in_outage
    budget.heard_audio(17.5)  # 10.5 s: healthy
    assert not budget.in_outage and budget.failures == 0


def test_retry_after_is_honoured_but_never_past_the_budget() -> None:
    budget = ReconnectBudget(ReconnectPolicy(budget_s=10), random.Random(1))
    assert budget.next_delay(0.0, retry_after_s=4.0) == 4.0
    assert budget.next_delay(4.0, retry_after_s=30.0) == 6.0  # one last try at the end
    assert budget.next_delay(10.0) is None


async def test_record_exits_4_after_its_reconnect_budget_with_a_small_summary(
    tenant: HostileTenant, tmp_path: Path
) -> None:
    tenant.stream = dies_at_once
    rc, out, err = await run_record(tenant, tmp_path / "out", "--reconnect-budget", "2")
    assert rc == 4, err[-2000:]
    folder = Path(out.strip().splitlines()[-1])
    doc = summary(folder)
    assert doc["outcome"] == "stream_failed" and doc["finished_cleanly"] is True
    assert any(e.startswith("RetriesExhausted") for e in doc["errors"])
    assert tenant.hits["stream"] <= 60  # 2 s of paced attempts, not hundreds
    assert (folder / "summary.json").stat().st_size < 64 * 1024
    assert json.loads(out.strip().splitlines()[-2])["outcome"] == "stream_failed"
