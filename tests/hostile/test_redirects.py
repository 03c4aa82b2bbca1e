"""Issue 17, "also seen": a cross-origin 302 at the stream handshake was followed.

Every request carries a credential (the client secret, or the access token in the
query or a header). A redirect to another origin is refused with a clear error and
the other server sees nothing; a same-origin WebSocket redirect is still followed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from cxone_desktop.cxone.settings import StreamSettings
from cxone_desktop.errors import RedirectRefused
from cxone_desktop.session.stream_session import StreamSession

from .tenant import TOKEN, HostileTenant


@pytest.fixture
async def elsewhere() -> AsyncIterator[HostileTenant]:
    """The server a hostile redirect points at: it must never be asked anything."""
    server = await HostileTenant().start()
    yield server
    await server.close()


def redirect_to(url: str, status: int = 302):
    async def answer(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, headers={"Location": url})

    return answer


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_the_token_endpoint_redirecting_elsewhere_is_refused(
    tenant: HostileTenant, elsewhere: HostileTenant, tmp_path: Path, status: int
) -> None:
    tenant.token = redirect_to(f"{elsewhere.base_url}/oauth2/token", status)
    result = await StreamSession(tenant.config(tmp_path)).run()
    assert result.outcome == "stream_failed"
    assert isinstance(result.error, RedirectRefused)
    assert f"({status})" in result.error.message and elsewhere.base_url in result.error.message
    assert not elsewhere.hits


async def test_the_call_state_endpoint_redirecting_elsewhere_is_reported_not_followed(
    tenant: HostileTenant, elsewhere: HostileTenant, tmp_path: Path
) -> None:
    tenant.call_state = redirect_to(f"{elsewhere.base_url}/api/v2/interactions/x/call")
    result = await StreamSession(tenant.config(tmp_path)).run()
    assert result.outcome == "ended", result.errors  # the stream carried the call
    assert any(e.startswith("RedirectRefused") for e in result.errors)
    assert not elsewhere.hits


@pytest.mark.parametrize("token_in", ["query", "header"])
async def test_a_cross_origin_redirect_at_the_stream_handshake_is_refused(
    tenant: HostileTenant, elsewhere: HostileTenant, tmp_path: Path, token_in: str
) -> None:
    async def handshake(request: web.Request) -> web.StreamResponse:
        target = f"ws://127.0.0.1:{elsewhere.port}/agent/voice/x/stream?{request.query_string}"
        return web.Response(status=302, headers={"Location": target})

    tenant.handshake = handshake
    config = tenant.config(tmp_path, stream=StreamSettings(token_in=token_in))  # type: ignore[arg-type]
    result = await StreamSession(config).run()
    assert result.outcome == "stream_failed"
    assert isinstance(result.error, RedirectRefused)
    assert "another server" in result.error.message
    assert TOKEN not in result.error.message
    assert not elsewhere.hits


async def test_a_same_origin_redirect_at_the_stream_handshake_is_followed(
    tenant: HostileTenant, tmp_path: Path
) -> None:
    async def handshake(request: web.Request) -> web.StreamResponse | None:
        if request.query.get("moved") == "1":
            return None  # the new place: upgrade
        return web.Response(
            status=307, headers={"Location": f"{request.path}?moved=1&{request.query_string}"}
        )

    tenant.handshake = handshake
    result = await StreamSession(tenant.config(tmp_path)).run()
    assert result.outcome == "ended", result.errors
    assert tenant.hits["stream"] == 2
