"""The picker's feed: the simulator's list, a server without one, one that is not there, and a
token fetched once for many refreshes."""

from __future__ import annotations

from aiohttp import web

from cxone_desktop.cxone.endpoints import Endpoints
from cxone_desktop.cxone.settings import Credentials
from cxone_desktop.session.call_list_feed import CallListFeed, DirectorySource
from cxone_desktop.simulator import SimulatorConfig
from cxone_desktop.simulator.server import CXoneSimulator


def source(base_url: str, secret: str = "demo-secret") -> DirectorySource:
    return DirectorySource(
        endpoints=Endpoints.from_input(base_url=base_url),
        credentials=Credentials("demo-client", secret),
    )


async def test_lists_the_simulators_calls_with_one_token_for_many_refreshes() -> None:
    feed = CallListFeed()
    async with CXoneSimulator(SimulatorConfig(two_party=True, call_ids=("x-1", "x-2"))) as sim:
        try:
            first = await feed.refresh(source(sim.base_url))
            again = await feed.refresh(source(sim.base_url))
            tokens = sim.token_requests
            wrong = await feed.refresh(source(sim.base_url, secret="nope"))
        finally:
            await feed.aclose()
    assert first.available and [c.call_id for c in first.calls] == ["x-1", "x-2"]
    assert all(c.two_party for c in first.calls) and again.calls == first.calls
    assert tokens == 1  # the token is cached across refreshes of one source
    # Other credentials: a new token provider, refused; the picker stays, saying why.
    assert wrong.available and wrong.calls == () and "401" in wrong.problem


async def test_a_server_without_a_list_or_not_there_hides_the_picker() -> None:
    async def token(_request: web.Request) -> web.Response:
        return web.json_response({"access_token": "t", "token_type": "Bearer", "expires_in": 60})

    app = web.Application()
    app.router.add_post("/oauth2/token", token)  # a tenant without GET /api/v2/calls: 404
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    feed = CallListFeed()
    try:
        no_list = await feed.refresh(source(f"http://127.0.0.1:{port}"))
    finally:
        await runner.cleanup()
    gone = await feed.refresh(source(f"http://127.0.0.1:{port}", secret="other"))
    await feed.aclose()
    assert not no_list.available and no_list.problem == ""
    assert not gone.available and "127.0.0.1" in gone.problem
