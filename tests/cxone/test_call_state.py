"""CallStatePoller against a scripted REST endpoint on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from cxone_desktop.cxone.call_state import CallInfo, CallStatePoller
from cxone_desktop.cxone.endpoints import Endpoints
from cxone_desktop.cxone.settings import Credentials, RetryPolicy
from cxone_desktop.cxone.token_provider import TokenProvider
from cxone_desktop.errors import (
    CallStateError,
    InvalidCredentials,
    MissingScope,
    RateLimited,
    ServiceUnavailable,
)

from .fakes import SECRET, HttpFake, reply, token_json
from .timefake import FakeTime

FAST = RetryPolicy(max_attempts=3, base_delay_s=0.5, max_delay_s=2.0)
MakePoller = Callable[..., CallStatePoller]


def call(state: object, **extra: object) -> dict[str, object]:
    return {"interactionId": "c-1", "state": state, "startedAt": None, "endedAt": None,
            "agentBound": True, "mediaPositionMs": 1200, **extra}  # fmt: skip


@pytest.fixture
async def state_fake() -> AsyncIterator[HttpFake]:
    fake = await HttpFake(default=reply(200, call("active"))).start()
    yield fake
    await fake.close()


@pytest.fixture
async def make_poller(http_fake: HttpFake, state_fake: HttpFake) -> AsyncIterator[MakePoller]:
    made: list[CallStatePoller] = []
    tokens = TokenProvider(
        Endpoints.from_input(base_url=http_fake.base_url),
        Credentials(client_id="c", client_secret=SECRET),
    )

    def make(**kw: object) -> CallStatePoller:
        p = CallStatePoller(
            Endpoints.from_input(base_url=state_fake.base_url),
            "c-1",
            tokens,
            **{"retry": FAST, **kw},  # type: ignore[arg-type]
        )
        made.append(p)
        return p

    yield make
    for p in made:
        await p.aclose()
    await tokens.aclose()


@pytest.mark.parametrize(
    ("state", "status"),
    [("active", "active"), ("on_hold", "on_hold"), ("ended", "ended"), ("ON-HOLD", "on_hold"),
     ("ringing", "unknown"), (None, "unknown"), (7, "unknown")],
)  # fmt: skip
async def test_states_map_to_call_status(
    state_fake: HttpFake, make_poller: MakePoller, state: object, status: str
) -> None:
    state_fake.default = reply(200, call(state))
    info = await make_poller().fetch()
    assert info.status == status
    assert info.raw["interactionId"] == "c-1"
    assert info.media_position_ms == 1200 and info.agent_bound is True
    (req,) = state_fake.seen
    assert req.method == "GET" and req.path == "/api/v2/interactions/c-1/call"
    assert req.headers["Authorization"].startswith("Bearer ")


async def test_429_backs_off_honouring_retry_after(
    state_fake: HttpFake, make_poller: MakePoller
) -> None:
    ft = FakeTime()
    state_fake.script = [reply(429, {}, headers={"Retry-After": "4"}), reply(500, text="x")]
    poller = make_poller(sleep=ft.sleep, clock=ft.clock)
    retries: list[float] = []
    poller.on_retry = lambda _e, d: retries.append(d)
    assert (await poller.fetch()).status == "active"
    assert ft.sleeps[0] == 4.0 and 0 <= ft.sleeps[1] <= 1.0
    assert retries == ft.sleeps


async def test_429_every_time_is_rate_limited(
    state_fake: HttpFake, make_poller: MakePoller
) -> None:
    ft = FakeTime()
    state_fake.default = reply(429, {}, headers={"Retry-After": "1"})
    with pytest.raises(RateLimited):
        await make_poller(sleep=ft.sleep, clock=ft.clock).fetch()
    assert len(state_fake.seen) == FAST.max_attempts


async def test_5xx_every_time_is_service_unavailable(
    state_fake: HttpFake, make_poller: MakePoller
) -> None:
    ft = FakeTime()
    state_fake.default = reply(502, text="bad gateway")
    with pytest.raises(ServiceUnavailable):
        await make_poller(sleep=ft.sleep, clock=ft.clock).fetch()


async def test_401_refreshes_the_token_once(
    http_fake: HttpFake, state_fake: HttpFake, make_poller: MakePoller
) -> None:
    http_fake.script = [token_json("old"), token_json("new")]
    state_fake.script = [reply(401, {"error": "invalid_token"})]
    assert (await make_poller().fetch()).status == "active"
    assert [s.headers["Authorization"] for s in state_fake.seen] == ["Bearer old", "Bearer new"]
    state_fake.default = reply(401, {})
    with pytest.raises(InvalidCredentials):
        await make_poller().fetch()


async def test_403_404_and_bad_json_are_typed(
    state_fake: HttpFake, make_poller: MakePoller
) -> None:
    state_fake.script = [reply(403, {}), reply(404, {}), reply(200, text="nope"), reply(418, {})]
    poller = make_poller()
    with pytest.raises(MissingScope, match="interaction:view"):
        await poller.fetch()
    with pytest.raises(CallStateError, match="404"):
        await poller.fetch()
    with pytest.raises(CallStateError, match="not JSON"):
        await poller.fetch()
    with pytest.raises(CallStateError, match="418"):
        await poller.fetch()


def test_two_channels_only_when_the_server_says_channels_2() -> None:
    """The stream is asked for as `?channels=2` only on the server's word: parties listed as
    perspectives alone would come as one channel, dealt out to the two lanes in turn."""
    both = ["agent", "customer"]
    assert CallInfo.from_json({"state": "active", "channels": 2, "perspectives": both}).two_party
    assert not CallInfo.from_json({"state": "active", "perspectives": both}).two_party
    assert not CallInfo.from_json({"state": "active", "channels": "2"}).two_party
    assert not CallInfo.from_json({"state": "active", "channels": 1}).two_party
