"""Token endpoint, call-state REST and handshake refusals: every status and its JSON body."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
import websockets

from cxone_desktop.simulator import SimulatorConfig
from cxone_desktop.simulator.server import CXoneSimulator

from .support import CALL, config, fetch_token, stream_url

ID, SECRET = "demo-client", "demo-secret"


class ManualClock:
    """A clock tests move by hand (token expiry); media sleeps return at once."""

    def __init__(self) -> None:
        self.t = 100.0

    def now(self) -> float:
        return self.t

    async def sleep_until(self, deadline: float) -> None:
        self.t = max(self.t, deadline)


@pytest.fixture
async def sim(call_wav: Callable[..., tuple[Path, bytes]]) -> AsyncIterator[CXoneSimulator]:
    path, _ = call_wav(25)
    async with CXoneSimulator(config(path)) as simulator:
        yield simulator


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def assert_json_error(response: httpx.Response, status: int, error: str) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == error and body["error_description"]
    return dict(body)


async def rest_state(
    http: httpx.AsyncClient, sim: CXoneSimulator, token: str, call_id: str = CALL
) -> httpx.Response:
    return await http.get(
        f"{sim.base_url}/api/v2/interactions/{call_id}/call",
        headers={"Authorization": f"Bearer {token}"},
    )


async def handshake_status(url: str, **kwargs: object) -> tuple[int, bytes]:
    with pytest.raises(websockets.InvalidStatus) as caught:
        async with websockets.connect(url, **kwargs):  # type: ignore[arg-type]
            pass
    return caught.value.response.status_code, bytes(caught.value.response.body or b"")


# ---- the three client-authentication styles -----------------------------------------------


async def test_json_body_auth_as_the_seed_sends_it(
    sim: CXoneSimulator, http: httpx.AsyncClient
) -> None:
    response = await http.post(
        f"{sim.base_url}/oauth2/token",
        json={"grant_type": "client_credentials", "client_id": ID, "client_secret": SECRET},
    )
    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == "agent:voice:stream interaction:view"
    assert len(body["access_token"]) >= 32
    assert response.headers["cache-control"] == "no-store"
    assert (await rest_state(http, sim, body["access_token"])).status_code == 200


async def test_form_body_auth_rfc6749_client_secret_post(
    sim: CXoneSimulator, http: httpx.AsyncClient
) -> None:
    response = await http.post(
        f"{sim.base_url}/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": ID, "client_secret": SECRET},
    )
    assert response.status_code == 200
    assert (await rest_state(http, sim, response.json()["access_token"])).status_code == 200


async def test_http_basic_auth_with_form_grant_type(
    sim: CXoneSimulator, http: httpx.AsyncClient
) -> None:
    response = await http.post(
        f"{sim.base_url}/oauth2/token",
        data={"grant_type": "client_credentials", "scope": "interaction:view"},
        auth=(ID, SECRET),
    )
    assert response.status_code == 200
    assert response.json()["scope"] == "interaction:view"


# ---- token endpoint refusals ----------------------------------------------------------------


@pytest.mark.parametrize("style", ["json", "form", "basic"])
async def test_wrong_credentials_get_401_invalid_client_without_echoing_them(
    sim: CXoneSimulator, http: httpx.AsyncClient, style: str
) -> None:
    wrong = "wr0ng-s3cret-value"
    fields = {"grant_type": "client_credentials", "client_id": ID, "client_secret": wrong}
    url = f"{sim.base_url}/oauth2/token"
    if style == "json":
        response = await http.post(url, json=fields)
    elif style == "form":
        response = await http.post(url, data=fields)
    else:
        response = await http.post(url, data={"grant_type": "client_credentials"}, auth=(ID, wrong))
        assert response.headers["www-authenticate"].startswith("Basic")
    assert_json_error(response, 401, "invalid_client")
    assert wrong not in response.text and SECRET not in response.text


async def test_malformed_basic_header_is_401(sim: CXoneSimulator, http: httpx.AsyncClient) -> None:
    response = await http.post(
        f"{sim.base_url}/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
    )
    assert_json_error(response, 401, "invalid_client")


async def test_missing_or_unknown_grant_type_is_400(
    sim: CXoneSimulator, http: httpx.AsyncClient
) -> None:
    url = f"{sim.base_url}/oauth2/token"
    missing = await http.post(url, json={"client_id": ID, "client_secret": SECRET})
    assert_json_error(missing, 400, "invalid_request")
    other = await http.post(url, data={"grant_type": "password", "client_id": ID})
    assert_json_error(other, 400, "unsupported_grant_type")


async def test_unparseable_json_and_unknown_scope_are_400(
    sim: CXoneSimulator, http: httpx.AsyncClient
) -> None:
    url = f"{sim.base_url}/oauth2/token"
    bad = await http.post(url, content=b"{nope", headers={"Content-Type": "application/json"})
    assert_json_error(bad, 400, "invalid_request")
    multipart = {"Content-Type": "multipart/form-data"}  # and no boundary
    no_boundary = await http.post(url, content=b"x", headers=multipart)
    assert_json_error(no_boundary, 400, "invalid_request")
    scope = await http.post(
        url,
        data={"grant_type": "client_credentials", "scope": "admin:all"},
        auth=(ID, SECRET),
    )
    assert_json_error(scope, 400, "invalid_scope")


async def test_rate_limit_answers_429_with_retry_after_then_recovers(
    call_wav: Callable[..., tuple[Path, bytes]], http: httpx.AsyncClient
) -> None:
    path, _ = call_wav(5)
    async with CXoneSimulator(config(path, rate_limit=2)) as sim:
        fields = {"grant_type": "client_credentials", "client_id": ID, "client_secret": SECRET}
        for _ in range(2):
            limited = await http.post(f"{sim.base_url}/oauth2/token", json=fields)
            assert_json_error(limited, 429, "rate_limited")
            assert limited.headers["retry-after"] == "1"
        ok = await http.post(f"{sim.base_url}/oauth2/token", json=fields)
        assert ok.status_code == 200
        assert sim.token_requests == 3


# ---- tokens at the stream and REST endpoints --------------------------------------------------


async def test_tokens_expire_after_their_ttl(call_wav: Callable[..., tuple[Path, bytes]]) -> None:
    path, _ = call_wav(5)
    clock = ManualClock()
    async with (
        CXoneSimulator(config(path, token_ttl_s=60.0), clock=clock) as sim,
        httpx.AsyncClient() as http,
    ):
        token = await fetch_token(sim)
        clock.t += 59.9
        assert (await rest_state(http, sim, token)).status_code == 200
        clock.t += 0.1
        assert_json_error(await rest_state(http, sim, token), 401, "invalid_token")
        status, _ = await handshake_status(stream_url(sim, token))
        assert status == 403


async def test_bad_token_gets_401_at_rest_and_403_at_the_handshake(
    sim: CXoneSimulator, http: httpx.AsyncClient
) -> None:
    bogus = "not-a-token-we-issued"
    body = assert_json_error(await rest_state(http, sim, bogus), 401, "invalid_token")
    assert bogus not in str(body)
    no_auth = await http.get(f"{sim.base_url}/api/v2/interactions/{CALL}/call")
    assert_json_error(no_auth, 401, "invalid_token")
    status, raw = await handshake_status(stream_url(sim, bogus))
    assert status == 403 and b"invalid_token" in raw and bogus.encode() not in raw
    status, _ = await handshake_status(stream_url(sim))
    assert status == 403


async def test_revoked_tokens_stop_working(sim: CXoneSimulator, http: httpx.AsyncClient) -> None:
    token = sim.issue_token()
    assert (await rest_state(http, sim, token)).status_code == 200
    sim.revoke_all_tokens()
    assert_json_error(await rest_state(http, sim, token), 401, "invalid_token")


async def test_missing_scopes_get_403(sim: CXoneSimulator, http: httpx.AsyncClient) -> None:
    view_only = sim.issue_token(("interaction:view",))
    status, raw = await handshake_status(stream_url(sim, view_only))
    assert status == 403 and b"insufficient_scope" in raw
    stream_only = sim.issue_token(("agent:voice:stream",))
    assert_json_error(await rest_state(http, sim, stream_only), 403, "insufficient_scope")


async def test_unknown_call_is_403_at_the_stream_and_404_at_rest(
    sim: CXoneSimulator, http: httpx.AsyncClient
) -> None:
    token = sim.issue_token()
    status, raw = await handshake_status(stream_url(sim, token, call_id="no-such-call"))
    assert status == 403 and b"call_not_found" in raw
    assert_json_error(await rest_state(http, sim, token, "no-such-call"), 404, "not_found")


async def test_unknown_paths_and_methods_answer_json(
    sim: CXoneSimulator, http: httpx.AsyncClient
) -> None:
    assert_json_error(await http.get(f"{sim.base_url}/api/v2/nothing"), 404, "not_found")
    wrong_method = await http.get(f"{sim.base_url}/oauth2/token")
    assert_json_error(wrong_method, 405, "method_not_allowed")
    assert "POST" in wrong_method.headers["allow"]


async def test_a_plain_get_on_the_stream_path_is_400(
    sim: CXoneSimulator, http: httpx.AsyncClient
) -> None:
    token = sim.issue_token()
    response = await http.get(
        f"{sim.base_url}/agent/voice/{CALL}/stream", headers={"Authorization": f"Bearer {token}"}
    )
    assert_json_error(response, 400, "invalid_request")


async def test_call_state_before_anyone_listens(
    sim: CXoneSimulator, http: httpx.AsyncClient
) -> None:
    body = (await rest_state(http, sim, sim.issue_token())).json()
    assert body == {
        "interactionId": CALL,
        "state": "active",
        "startedAt": None,
        "endedAt": None,
        "agentBound": True,
        "mediaPositionMs": 0,
        # The relay's fields: a one-party call keeps no parties apart.
        "platform": "cxone",
        "parties": {
            "agent": {"id": "agent-1001", "name": "Dana"},
            "customer": {"ani": "+15555550123", "name": "Alex Customer"},
        },
        "perspectives": [],
        "channels": 1,
    }


def test_default_config_streams_the_bundled_demo_call() -> None:
    sim = CXoneSimulator(SimulatorConfig())
    assert sim.call_state("demo-call") == "active"
    assert sim.connections("demo-call") == 0
    with pytest.raises(KeyError):
        sim.sent_audio("other")
