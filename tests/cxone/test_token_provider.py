"""TokenProvider against a scripted token endpoint on loopback."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
from collections.abc import AsyncIterator, Callable
from urllib.parse import parse_qs

import pytest

from cxone_desktop.cxone.endpoints import Endpoints
from cxone_desktop.cxone.settings import AuthSettings, Credentials, RetryPolicy, TlsSettings
from cxone_desktop.cxone.token_provider import TokenProvider
from cxone_desktop.errors import (
    InvalidCredentials,
    MissingScope,
    RateLimited,
    ServiceUnavailable,
    TlsVerificationFailed,
    TokenRequestRefused,
    TokenResponseInvalid,
)

from .fakes import SECRET, TOKEN, HttpFake, reply, token_json
from .timefake import FakeTime

CREDS = Credentials(client_id="client-1", client_secret=SECRET)
FAST = RetryPolicy(max_attempts=4, base_delay_s=0.5, max_delay_s=4.0, max_total_s=120.0)

MakeProvider = Callable[..., TokenProvider]


@pytest.fixture
async def make_provider(http_fake: HttpFake) -> AsyncIterator[MakeProvider]:
    made: list[TokenProvider] = []

    def make(**kw: object) -> TokenProvider:
        ft = kw.pop("time", None) or FakeTime()
        base = kw.pop("base_url", http_fake.base_url)
        p = TokenProvider(
            Endpoints.from_input(base_url=str(base)),
            CREDS,
            clock=ft.clock,  # type: ignore[attr-defined]
            sleep=ft.sleep,  # type: ignore[attr-defined]
            **{"retry": FAST, **kw},  # type: ignore[arg-type]
        )
        made.append(p)
        return p

    yield make
    for p in made:
        await p.aclose()


async def test_json_style_posts_the_seeds_json_body(
    http_fake: HttpFake, make_provider: MakeProvider
) -> None:
    tok = await make_provider(auth=AuthSettings(style="json", scope="agent:voice:stream")).token()
    assert tok.value == TOKEN and tok.scope == "agent:voice:stream"
    (req,) = http_fake.seen
    assert req.method == "POST" and req.path == "/oauth2/token"
    assert req.headers["Content-Type"].startswith("application/json")
    assert json.loads(req.body) == {
        "grant_type": "client_credentials",
        "client_id": "client-1",
        "client_secret": SECRET,
        "scope": "agent:voice:stream",
    }
    assert req.headers["User-Agent"].startswith("CXoneVoiceDesktop/")
    assert "Authorization" not in req.headers


async def test_form_style_posts_client_secret_post(
    http_fake: HttpFake, make_provider: MakeProvider
) -> None:
    await make_provider(auth=AuthSettings(style="form")).token()
    (req,) = http_fake.seen
    assert req.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert parse_qs(req.body.decode()) == {
        "grant_type": ["client_credentials"],
        "client_id": ["client-1"],
        "client_secret": [SECRET],
    }
    assert "Authorization" not in req.headers


async def test_basic_style_sends_http_basic_and_a_form_grant(
    http_fake: HttpFake, make_provider: MakeProvider
) -> None:
    await make_provider(auth=AuthSettings(style="basic", scope="a b")).token()
    (req,) = http_fake.seen
    scheme, _, b64 = req.headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(b64).decode() == f"client-1:{SECRET}"
    assert parse_qs(req.body.decode()) == {"grant_type": ["client_credentials"], "scope": ["a b"]}


async def test_token_is_cached_and_refreshed_60_s_before_expiry(
    http_fake: HttpFake, make_provider: MakeProvider
) -> None:
    ft = FakeTime()
    http_fake.script = [token_json("first", 3600), token_json("second", 3600)]
    p = make_provider(time=ft)
    t1 = await p.token()
    assert t1.value == "first" and t1.expires_at_monotonic == ft.now + 3600
    ft.now += 3539
    assert (await p.token()).value == "first"
    assert len(http_fake.seen) == 1
    ft.now += 2  # 3541 s: inside the last minute
    assert (await p.token()).value == "second"
    assert len(http_fake.seen) == 2


async def test_short_lived_token_is_refreshed_at_half_life(
    http_fake: HttpFake, make_provider: MakeProvider
) -> None:
    ft = FakeTime()
    http_fake.script = [token_json("a", 30), token_json("b", 30)]
    p = make_provider(time=ft)
    await p.token()
    ft.now += 14.9
    assert (await p.token()).value == "a"
    ft.now += 0.2
    assert (await p.token()).value == "b"


async def test_concurrent_callers_share_one_request(
    http_fake: HttpFake, make_provider: MakeProvider
) -> None:
    http_fake.default = reply(200, {"access_token": TOKEN, "expires_in": 3600}, delay_s=0.1)
    p = make_provider()
    tokens = await asyncio.gather(*(p.token() for _ in range(20)))
    assert len(http_fake.seen) == 1
    assert {t.value for t in tokens} == {TOKEN}


async def test_refresh_forces_a_new_token(http_fake: HttpFake, make_provider: MakeProvider) -> None:
    http_fake.script = [token_json("old"), token_json("new")]
    p = make_provider()
    assert (await p.token()).value == "old"
    assert (await p.refresh()).value == "new"
    assert (await p.token()).value == "new"
    assert len(http_fake.seen) == 2


async def test_a_cancelled_waiter_does_not_cancel_the_shared_request(
    http_fake: HttpFake, make_provider: MakeProvider
) -> None:
    http_fake.default = reply(200, {"access_token": TOKEN}, delay_s=0.1)
    p = make_provider()
    first = asyncio.ensure_future(p.token())
    second = asyncio.ensure_future(p.token())
    await asyncio.sleep(0.02)
    first.cancel()
    assert (await second).value == TOKEN
    assert len(http_fake.seen) == 1


async def test_429_honours_retry_after(http_fake: HttpFake, make_provider: MakeProvider) -> None:
    ft = FakeTime()
    http_fake.script = [
        reply(429, {"error": "slow_down"}, headers={"Retry-After": "7"}),
        reply(429, {}, headers={"Retry-After": "2"}),
    ]
    p = make_provider(time=ft)
    retries: list[tuple[Exception, float]] = []
    p.on_retry = lambda e, d: retries.append((e, d))
    assert (await p.token()).value == TOKEN
    assert ft.sleeps == [7.0, 2.0]
    assert [d for _, d in retries] == [7.0, 2.0]
    assert all(isinstance(e, RateLimited) for e, _ in retries)
    assert len(http_fake.seen) == 3


async def test_429_without_retry_after_backs_off_with_jitter_then_raises(
    http_fake: HttpFake, make_provider: MakeProvider
) -> None:
    ft = FakeTime()
    http_fake.default = reply(429, {})
    with pytest.raises(RateLimited) as ei:
        await make_provider(time=ft).token()
    assert len(http_fake.seen) == FAST.max_attempts
    assert len(ft.sleeps) == FAST.max_attempts - 1
    for attempt, slept in enumerate(ft.sleeps, start=1):
        assert 0 <= slept <= min(FAST.max_delay_s, FAST.base_delay_s * 2 ** (attempt - 1))
    assert ei.value.retry_after_s is None


async def test_retry_after_beyond_the_time_budget_stops_early(
    http_fake: HttpFake, make_provider: MakeProvider
) -> None:
    ft = FakeTime()
    http_fake.default = reply(429, {}, headers={"Retry-After": "50"})
    policy = RetryPolicy(max_attempts=10, max_total_s=120.0)
    with pytest.raises(RateLimited) as ei:
        await make_provider(time=ft, retry=policy).token()
    assert ft.sleeps == [50.0, 50.0]
    assert len(http_fake.seen) == 3
    assert ei.value.retry_after_s == 50.0


async def test_5xx_backs_off_then_service_unavailable(
    http_fake: HttpFake, make_provider: MakeProvider
) -> None:
    ft = FakeTime()
    http_fake.default = reply(503, text="down")
    with pytest.raises(ServiceUnavailable, match="503"):
        await make_provider(time=ft).token()
    assert len(http_fake.seen) == FAST.max_attempts
    assert len(ft.sleeps) == FAST.max_attempts - 1


async def test_5xx_then_success_recovers(http_fake: HttpFake, make_provider: MakeProvider) -> None:
    http_fake.script = [reply(500, text="oops"), reply(502, text="bad gateway")]
    assert (await make_provider().token()).value == TOKEN
    assert len(http_fake.seen) == 3


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_connection_refused_backs_off_then_service_unavailable(
    make_provider: MakeProvider,
) -> None:
    ft = FakeTime()
    port = _closed_port()
    p = make_provider(time=ft, base_url=f"http://127.0.0.1:{port}")
    with pytest.raises(ServiceUnavailable) as ei:
        await p.token()
    assert f"Nothing is listening at 127.0.0.1:{port}" in ei.value.message
    assert "token endpoint" in ei.value.message and "port" in ei.value.remedy
    assert len(ft.sleeps) == FAST.max_attempts - 1


async def test_401_says_check_id_secret_and_scope(
    http_fake: HttpFake, make_provider: MakeProvider
) -> None:
    http_fake.default = reply(401, {"error": "invalid_client", "error_description": "bad"})
    with pytest.raises(InvalidCredentials) as ei:
        await make_provider().token()
    assert str(ei.value) == (
        "The token endpoint rejected the client credentials (401). Check the client ID and "
        "secret, and that the application has the 'agent:voice:stream' scope."
    )
    assert len(http_fake.seen) == 1  # not retried


async def test_400_invalid_client_is_invalid_credentials(
    http_fake: HttpFake, make_provider: MakeProvider
) -> None:
    http_fake.default = reply(400, {"error": "invalid_client"})
    with pytest.raises(InvalidCredentials):
        await make_provider().token()


async def test_403_is_missing_scope(http_fake: HttpFake, make_provider: MakeProvider) -> None:
    http_fake.default = reply(403, {"error": "unauthorized_client"})
    with pytest.raises(MissingScope, match=r"\(403\).*'agent:voice:stream' scope"):
        await make_provider().token()


async def test_other_refusal_names_status_and_oauth_code_only(
    http_fake: HttpFake, make_provider: MakeProvider
) -> None:
    http_fake.default = reply(
        400, {"error": "unsupported_grant_type", "error_description": "echo " + SECRET}
    )
    with pytest.raises(TokenRequestRefused) as ei:
        await make_provider().token()
    assert "400" in str(ei.value) and "unsupported_grant_type" in str(ei.value)
    assert SECRET not in str(ei.value)
    # A well-formed OAuth refusal: the advice must not say the server is not speaking OAuth.
    assert "OAuth" not in ei.value.message + ei.value.remedy
    assert not isinstance(ei.value, TokenResponseInvalid)


@pytest.mark.parametrize(
    ("responder", "match"),
    [
        (reply(200, text="<html>hello</html>"), "not JSON"),
        (reply(200, ["access_token", "x"]), "not with a JSON object"),
        (reply(200, {"token_type": "Bearer", "expires_in": 3600}), "no access_token"),
        (reply(200, {"access_token": ""}), "no access_token"),
        (reply(200, {"access_token": 123}), "no access_token"),
        (reply(200, {"access_token": "has space"}), "characters"),
        (reply(200, {"access_token": "x", "token_type": "mac"}), "not a Bearer"),
        (reply(200, {"access_token": "x", "expires_in": "soon"}), "expires_in"),
        (reply(200, {"access_token": "x", "expires_in": -5}), "expires_in"),
    ],
)
async def test_malformed_token_response_is_token_response_invalid(
    http_fake: HttpFake, make_provider: MakeProvider, responder: object, match: str
) -> None:
    http_fake.default = responder  # type: ignore[assignment]
    with pytest.raises(TokenResponseInvalid, match=match):
        await make_provider().token()
    assert len(http_fake.seen) == 1


async def test_missing_expires_in_assumes_an_hour(
    http_fake: HttpFake, make_provider: MakeProvider
) -> None:
    ft = FakeTime()
    http_fake.default = reply(200, {"access_token": "x", "token_type": "bearer"})
    tok = await make_provider(time=ft).token()
    assert tok.expires_at_monotonic == ft.now + 3600


async def test_https_with_ca_file_verifies_and_without_fails_fast(tls_material: object) -> None:
    fake = await HttpFake().start(ssl_context=tls_material.server_context())  # type: ignore[attr-defined]
    try:
        ep = Endpoints.from_input(base_url=fake.base_url)
        assert ep.base_url.startswith("https://127.0.0.1:")
        ca = str(tls_material.ca_file)  # type: ignore[attr-defined]
        good = TokenProvider(ep, CREDS, tls=TlsSettings(ca_file=ca))
        try:
            assert (await good.token()).value == TOKEN
        finally:
            await good.aclose()
        ft = FakeTime()
        bad = TokenProvider(ep, CREDS, clock=ft.clock, sleep=ft.sleep)
        try:
            with pytest.raises(TlsVerificationFailed):
                await bad.token()
        finally:
            await bad.aclose()
        assert ft.sleeps == []  # a certificate failure is not retried
        assert len(fake.seen) == 1
    finally:
        await fake.close()


async def test_repr_shows_no_secret(make_provider: MakeProvider) -> None:
    p = make_provider()
    tok = await p.token()
    for text in (repr(p), repr(tok), str(tok)):
        assert SECRET not in text and TOKEN not in text
