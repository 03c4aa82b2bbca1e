"""CallDirectory (GET /api/v2/calls) against scripted servers and the real simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import web

from cxone_desktop.cxone.call_directory import CallDirectory, ListedCall
from cxone_desktop.cxone.endpoints import Endpoints
from cxone_desktop.cxone.settings import Credentials
from cxone_desktop.cxone.token_provider import TokenProvider
from cxone_desktop.errors import (
    CallListError,
    InvalidCredentials,
    MissingScope,
    NoCallDirectory,
    ServiceUnavailable,
)
from cxone_desktop.simulator import SimulatorConfig
from cxone_desktop.simulator.server import CXoneSimulator

from .fakes import SECRET, TOKEN, HttpFake, reply, token_json

MakeDirectory = Callable[..., CallDirectory]

RELAY_ENTRY = {
    "id": "CA8f2e",
    "platform": "twilio",
    "state": "on_hold",
    "startedAt": "2026-11-24T10:11:12.345Z",
    "durationS": 73.5,
    "parties": {"agent": {"id": "agent-7"}, "customer": {"ani": "+4930123", "name": ""}},
    "perspectives": ["agent", "customer"],
    "channels": 2,
}


@pytest.fixture
async def make_directory(http_fake: HttpFake) -> AsyncIterator[MakeDirectory]:
    made: list[tuple[CallDirectory, TokenProvider]] = []
    endpoints = Endpoints.from_input(base_url=http_fake.base_url)

    def make(**kw: object) -> CallDirectory:
        tokens = TokenProvider(endpoints, Credentials("c", SECRET))
        directory = CallDirectory(endpoints, tokens, **kw)  # type: ignore[arg-type]
        made.append((directory, tokens))
        return directory

    yield make
    for directory, tokens in made:
        await directory.aclose()
        await tokens.aclose()


async def test_entries_become_calls_with_parties_and_channels(
    http_fake: HttpFake, make_directory: MakeDirectory
) -> None:
    mono = {"id": "c-2", "platform": "cxone", "state": "active", "durationS": 1,
            "parties": {"agent": {"name": "Dana", "id": "a-1"}}, "channels": 1}  # fmt: skip
    http_fake.script = [token_json(), reply(200, {"calls": [RELAY_ENTRY, mono]})]
    calls = await make_directory().list_calls()
    assert calls == [
        ListedCall("CA8f2e", "twilio", "on_hold", 73.5, "agent-7", "+4930123", 2,
                   ("agent", "customer")),
        ListedCall("c-2", "cxone", "active", 1.0, "Dana", "", 1, ()),
    ]  # fmt: skip
    assert calls[0].two_party and not calls[1].two_party
    listing = http_fake.seen[-1]
    assert listing.path == "/api/v2/calls"
    assert listing.headers["Authorization"] == f"Bearer {TOKEN}"


async def test_unusable_entries_are_left_out_not_fatal(
    http_fake: HttpFake, make_directory: MakeDirectory
) -> None:
    entries = [
        {"id": "ok-1", "channels": "2", "durationS": float("inf")},
        {"id": "has space"},
        {"id": ""},
        "not an object",
        {"id": "../../etc"},
        {"id": "ok-2", "perspectives": ["agent", "customer"], "durationS": -3, "state": 5},
    ]
    http_fake.script = [token_json(), reply(200, {"calls": entries})]
    calls = await make_directory().list_calls()
    assert [c.call_id for c in calls] == ["ok-1", "ok-2"]
    assert calls[0].channels == 1 and calls[0].duration_s is None  # "2" is not 2
    assert calls[1].duration_s is None and calls[1].state == ""
    # perspectives without `channels` 2: the parties exist, but not as one two-channel stream
    assert calls[1].perspectives == ("agent", "customer") and not calls[1].two_party


async def test_a_server_without_a_list_says_so_with_its_own_error(
    http_fake: HttpFake, make_directory: MakeDirectory
) -> None:
    http_fake.script = [token_json(), reply(404, {"error": "not_found"})]
    with pytest.raises(NoCallDirectory) as caught:
        await make_directory().list_calls()
    assert isinstance(caught.value, CallListError)
    assert "Type the call" in caught.value.remedy


async def test_a_401_fetches_one_fresh_token_then_gives_up(
    http_fake: HttpFake, make_directory: MakeDirectory
) -> None:
    http_fake.script = [token_json(), reply(401), token_json("tok-2"), reply(200, {"calls": []})]
    assert await make_directory().list_calls() == []
    assert http_fake.seen[-1].headers["Authorization"] == "Bearer tok-2"
    http_fake.script = [token_json(), reply(401), token_json("tok-3"), reply(401)]
    with pytest.raises(InvalidCredentials):
        await make_directory().list_calls()
    assert http_fake.script == []  # one refresh, no more


@pytest.mark.parametrize(
    ("responder", "error", "words"),
    [
        (reply(403), MissingScope, "interaction:view"),
        (reply(503), ServiceUnavailable, "503"),
        (reply(200, text="<html>"), CallListError, "not with JSON"),
        (reply(200, {"items": []}), CallListError, '"calls" array'),
        (reply(418), CallListError, "418"),
    ],
)
async def test_refusals_and_nonsense_are_typed(
    http_fake: HttpFake,
    make_directory: MakeDirectory,
    responder: object,
    error: type[Exception],
    words: str,
) -> None:
    http_fake.script = [token_json(), responder]  # type: ignore[list-item]
    with pytest.raises(error) as caught:
        await make_directory().list_calls()
    assert words in str(caught.value)
    assert TOKEN not in str(caught.value) and SECRET not in str(caught.value)


async def test_a_huge_body_is_not_read_past_the_bound(
    http_fake: HttpFake, make_directory: MakeDirectory
) -> None:
    async def endless(_request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"[" + b" " * (3 << 20) + b"]", content_type="application/json")

    http_fake.script = [token_json(), endless]
    with pytest.raises(CallListError, match="larger than 64 KiB"):
        await make_directory(max_body_bytes=64 << 10).list_calls()


async def test_the_simulators_two_party_call_is_listed() -> None:
    async with CXoneSimulator(SimulatorConfig(two_party=True, call_ids=("demo-call",))) as sim:
        endpoints = Endpoints.from_input(base_url=sim.base_url)
        tokens = TokenProvider(endpoints, Credentials("demo-client", "demo-secret"))
        directory = CallDirectory(endpoints, tokens)
        try:
            (call,) = await directory.list_calls()
        finally:
            await directory.aclose()
            await tokens.aclose()
    assert call.call_id == "demo-call" and call.two_party
    assert (call.agent, call.customer, call.platform, call.state) == (
        "Dana", "Alex Customer", "cxone", "active",
    )  # fmt: skip
