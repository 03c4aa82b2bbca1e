"""No client secret or access token reaches a log record, an exception or a repr."""

from __future__ import annotations

import logging

import pytest

from cxone_desktop.cxone.call_state import CallStatePoller
from cxone_desktop.cxone.endpoints import Endpoints
from cxone_desktop.cxone.log_redaction import redact_text
from cxone_desktop.cxone.settings import AuthSettings, Credentials, RetryPolicy, StreamSettings
from cxone_desktop.cxone.token_provider import TokenProvider
from cxone_desktop.cxone.voice_stream import VoiceStream
from cxone_desktop.errors import CXoneError

from .fakes import SECRET, TOKEN, HttpFake, WsFake, reply
from .timefake import FakeTime

FAKE_SERVER_LOGGERS = ("websockets.server", "aiohttp")
ONE = RetryPolicy(max_attempts=2, base_delay_s=0.0, max_delay_s=0.0)


def assert_clean(text: str) -> None:
    assert SECRET not in text
    assert TOKEN not in text


async def test_error_paths_leak_nothing(
    caplog: pytest.LogCaptureFixture, http_fake: HttpFake, ws_fake: WsFake
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    ft = FakeTime()
    creds = Credentials(client_id="cid", client_secret=SECRET)
    token_ep = Endpoints.from_input(base_url=http_fake.base_url)

    # Token endpoint failures, every style; bodies echo the secret and the token back.
    echo = {"error": "invalid_client", "error_description": f"{SECRET} {TOKEN}"}
    failures = [reply(401, echo), reply(403, echo), reply(400, echo), reply(429, echo),
                reply(503, echo), reply(200, text=f"{SECRET}{TOKEN}"),
                reply(200, {"token_type": TOKEN})]  # fmt: skip
    for style in ("json", "form", "basic"):
        for responder in failures:
            http_fake.default = responder
            p = TokenProvider(token_ep, creds, auth=AuthSettings(style=style), retry=ONE,  # type: ignore[arg-type]
                              clock=ft.clock, sleep=ft.sleep)  # fmt: skip
            try:
                await p.token()
            except CXoneError as e:
                errors.append(e)
            finally:
                await p.aclose()
    assert len(errors) == 21

    # A working provider for the stream and poller paths.
    http_fake.default = reply(200, {"access_token": TOKEN, "expires_in": 3600})
    tokens = TokenProvider(token_ep, creds, retry=ONE)
    ws_ep = Endpoints.from_input(base_url=ws_fake.base_url())
    for token_in in ("query", "header"):
        ok = VoiceStream(ws_ep, "c1", tokens, settings=StreamSettings(token_in=token_in))  # type: ignore[arg-type]
        await ok.connect()
        assert_clean(repr(ok))
        await ok.close()
    forbidden = (403, {}, f"bad {TOKEN}")
    ws_fake.rejections = [(401, {}, TOKEN), (401, {}, TOKEN), forbidden, forbidden,
                          (429, {}, TOKEN), (429, {}, TOKEN)]  # fmt: skip
    for _ in range(3):
        s = VoiceStream(ws_ep, "c1", tokens, retry=ONE, clock=ft.clock, sleep=ft.sleep)
        try:
            await s.connect()
        except CXoneError as e:
            errors.append(e)

    state_fake = await HttpFake(default=reply(401, {"error": TOKEN})).start()
    try:
        poller = CallStatePoller(Endpoints.from_input(base_url=state_fake.base_url), "c1", tokens)
        try:
            await poller.fetch()
        except CXoneError as e:
            errors.append(e)
        await poller.aclose()
    finally:
        await state_fake.close()
    await tokens.aclose()

    assert len(errors) == 25
    for e in errors:
        assert_clean(str(e))
        assert_clean(repr(e))
        assert_clean(getattr(e, "remedy", ""))
    # The fake servers' own loggers (websockets.server, aiohttp.*) see the raw wire; skip them.
    client_records = [r for r in caplog.records if not r.name.startswith(FAKE_SERVER_LOGGERS)]
    assert any(r.name.startswith("httpx") for r in client_records)
    for record in client_records:
        assert_clean(record.getMessage())
    # The redaction had something to do: websockets logged the upgrade request.
    wire = [r.getMessage() for r in caplog.records if r.name == "cxone_desktop.cxone.wire"]
    assert any("access_token=***" in m for m in wire)
    assert any("Authorization: Bearer ***" in m for m in wire)


def test_redact_text_scrubs_query_tokens_and_auth_headers() -> None:
    assert (
        redact_text(f"> GET /s?access_token={TOKEN} HTTP/1.1")
        == "> GET /s?access_token=*** HTTP/1.1"
    )
    assert redact_text(f"> Authorization: Bearer {TOKEN}") == "> Authorization: Bearer ***"
    assert redact_text("Authorization: Basic Y2lkOnNlY3JldA==") == "Authorization: Basic ***"
    assert redact_text("> GET /s?encoding=pcm16 HTTP/1.1") == "> GET /s?encoding=pcm16 HTTP/1.1"
