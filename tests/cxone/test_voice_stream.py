"""VoiceStream against scripted WebSocket servers on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from websockets.asyncio.server import ServerConnection

from cxone_desktop import USER_AGENT
from cxone_desktop.cxone.control_event import ControlEvent, ControlKind
from cxone_desktop.cxone.endpoints import Endpoints
from cxone_desktop.cxone.settings import Credentials, RetryPolicy, StreamSettings, TlsSettings
from cxone_desktop.cxone.token_provider import TokenProvider
from cxone_desktop.cxone.voice_stream import CloseKind, StreamEnd, VoiceStream
from cxone_desktop.errors import (
    AuthError,
    CallAlreadyEnded,
    CallNotFound,
    HandshakeRejected,
    RateLimited,
    ServiceUnavailable,
    StreamTokenRejected,
    TlsVerificationFailed,
)

from .fakes import SECRET, TOKEN, HttpFake, WsFake, header, token_json
from .timefake import FakeTime

FAST = RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=0.05)
MakeStream = Callable[..., VoiceStream]


@pytest.fixture
async def tokens(http_fake: HttpFake) -> AsyncIterator[TokenProvider]:
    p = TokenProvider(
        Endpoints.from_input(base_url=http_fake.base_url),
        Credentials(client_id="c", client_secret=SECRET),
        retry=FAST,
    )
    yield p
    await p.aclose()


@pytest.fixture
async def make_stream(ws_fake: WsFake, tokens: TokenProvider) -> AsyncIterator[MakeStream]:
    made: list[VoiceStream] = []

    def make(call_id: str = "call-1", **kw: object) -> VoiceStream:
        ep = Endpoints.from_input(base_url=str(kw.pop("base_url", None) or ws_fake.base_url()))
        s = VoiceStream(ep, call_id, tokens, **{"retry": FAST, **kw})  # type: ignore[arg-type]
        made.append(s)
        return s

    yield make
    for s in made:
        await s.close()


async def collect(stream: VoiceStream) -> list[bytes | ControlEvent]:
    return [m async for m in stream]


async def test_token_goes_in_the_query_by_default_with_user_agent(
    ws_fake: WsFake, make_stream: MakeStream
) -> None:
    stream = make_stream("a:b")
    await stream.connect()
    (req,) = ws_fake.requests
    assert req.path == f"/agent/voice/a%3Ab/stream?access_token={TOKEN}"
    assert header(req, "Authorization") is None
    assert header(req, "User-Agent") == USER_AGENT
    assert stream.connected and TOKEN not in repr(stream)


async def test_token_in_header_when_configured(ws_fake: WsFake, make_stream: MakeStream) -> None:
    await make_stream(settings=StreamSettings(token_in="header")).connect()
    (req,) = ws_fake.requests
    assert req.path == "/agent/voice/call-1/stream"
    assert header(req, "Authorization") == f"Bearer {TOKEN}"


async def test_401_refreshes_the_token_once_then_connects(
    ws_fake: WsFake, http_fake: HttpFake, make_stream: MakeStream
) -> None:
    http_fake.script = [token_json("old-token"), token_json("new-token")]
    ws_fake.rejections = [(401, {}, "token expired")]
    await make_stream().connect()
    assert [r.path.split("=")[-1] for r in ws_fake.requests] == ["old-token", "new-token"]
    assert len(http_fake.seen) == 2


async def test_401_after_refresh_is_handshake_rejected(
    ws_fake: WsFake, http_fake: HttpFake, make_stream: MakeStream
) -> None:
    ws_fake.rejections = [(401, {}, "no"), (401, {}, "no"), (401, {}, "no")]
    with pytest.raises(HandshakeRejected) as ei:
        await make_stream().connect()
    assert ei.value.status == 401
    assert len(ws_fake.requests) == 2
    assert len(http_fake.seen) == 2


async def test_403_for_another_reason_quotes_the_server_and_names_the_call(
    ws_fake: WsFake, make_stream: MakeStream
) -> None:
    refused = (403, {}, '{"error":"forbidden","message":"not bound to an agent"}')
    ws_fake.rejections = [refused, refused]
    with pytest.raises(HandshakeRejected) as ei:
        await make_stream().connect()
    assert ei.value.status == 403 and ei.value.reason == "not bound to an agent"
    assert not isinstance(ei.value, AuthError)  # the credentials are not the problem
    msg = str(ei.value)
    assert "call-1" in msg and "not bound to an agent" in msg
    assert "secret" not in msg and "secret" not in ei.value.remedy
    assert len(ws_fake.requests) == 1  # a fresh token would not help


async def test_403_that_blames_the_token_is_an_auth_error_after_one_fresh_token(
    ws_fake: WsFake, http_fake: HttpFake, make_stream: MakeStream
) -> None:
    refused = (403, {}, '{"error":"insufficient_scope","message":"scope missing"}')
    ws_fake.rejections = [refused, refused]
    with pytest.raises(StreamTokenRejected) as ei:
        await make_stream().connect()
    assert isinstance(ei.value, AuthError) and ei.value.status == 403
    assert "'agent:voice:stream' scope" in str(ei.value)
    assert len(ws_fake.requests) == 2


async def test_403_without_a_reason_tries_a_fresh_token_then_says_it_was_not_told_why(
    ws_fake: WsFake, make_stream: MakeStream
) -> None:
    ws_fake.rejections = [(403, {}, ""), (403, {}, "")]
    with pytest.raises(HandshakeRejected) as ei:
        await make_stream().connect()
    assert "without saying why" in str(ei.value) and "call-1" in str(ei.value)
    assert len(ws_fake.requests) == 2


@pytest.mark.parametrize(
    ("status", "body", "error_type"),
    [
        (404, "", CallNotFound),
        (403, '{"error":"call_not_found","message":"no such call"}', CallNotFound),
        (403, '{"error":"call_ended","message":"The call has ended."}', CallAlreadyEnded),
    ],
)
async def test_unknown_and_ended_calls_are_told_apart_from_credentials(
    ws_fake: WsFake,
    make_stream: MakeStream,
    status: int,
    body: str,
    error_type: type[HandshakeRejected],
) -> None:
    ws_fake.rejections = [(status, {}, body)]
    with pytest.raises(error_type) as ei:
        await make_stream().connect()
    assert not isinstance(ei.value, AuthError)
    assert "call-1" in str(ei.value)
    assert len(ws_fake.requests) == 1


async def test_a_403_for_a_stale_token_is_cured_by_one_fresh_token(
    ws_fake: WsFake, http_fake: HttpFake, make_stream: MakeStream
) -> None:
    ws_fake.rejections = [(403, {}, '{"error":"invalid_token"}')]
    stream = make_stream()
    await stream.connect()
    assert stream.connected
    assert len(ws_fake.requests) == 2 and len(http_fake.seen) == 2
    await stream.close()


async def test_429_backs_off_honouring_retry_after_then_connects(
    ws_fake: WsFake, make_stream: MakeStream
) -> None:
    ft = FakeTime()
    ws_fake.rejections = [(429, {"Retry-After": "3"}, "slow down"), (503, {}, "busy")]
    stream = make_stream(clock=ft.clock, sleep=ft.sleep)
    seen: list[tuple[Exception, float]] = []
    stream.on_retry = lambda e, d: seen.append((e, d))
    await stream.connect()
    assert ft.sleeps[0] == 3.0 and 0 <= ft.sleeps[1] <= FAST.base_delay_s * 2
    assert isinstance(seen[0][0], RateLimited) and isinstance(seen[1][0], ServiceUnavailable)
    assert len(ws_fake.requests) == 3


async def test_429_every_time_ends_rate_limited(ws_fake: WsFake, make_stream: MakeStream) -> None:
    ft = FakeTime()
    ws_fake.rejections = [(429, {"Retry-After": "1"}, "")] * 5
    with pytest.raises(RateLimited) as ei:
        await make_stream(clock=ft.clock, sleep=ft.sleep).connect()
    assert ei.value.retry_after_s == 1.0
    assert len(ws_fake.requests) == FAST.max_attempts


async def test_refused_connection_backs_off_then_service_unavailable(
    ws_fake: WsFake, make_stream: MakeStream
) -> None:
    ft = FakeTime()
    base = ws_fake.base_url()
    await ws_fake.close()
    with pytest.raises(ServiceUnavailable):
        await make_stream(base_url=base, clock=ft.clock, sleep=ft.sleep).connect()
    assert len(ft.sleeps) == FAST.max_attempts - 1


async def test_binary_is_audio_text_is_control_and_bad_text_is_reported(
    ws_fake: WsFake, make_stream: MakeStream
) -> None:
    async def script(ws: ServerConnection) -> None:
        await ws.send(b"\x01\x02\x03")
        await ws.send('{"event":"call.started","callId":"call-1","sampleRate":8000}')
        await ws.send("not json{")
        await ws.send("[1, 2]")
        await ws.send(b"\x04" * 1000)
        await ws.send('{"event":"call.ended"}')
        await ws.close(1000, "call ended")

    ws_fake.behaviour = script
    stream = make_stream()
    await stream.connect()
    msgs = await collect(stream)
    assert msgs[0] == b"\x01\x02\x03" and msgs[4] == b"\x04" * 1000
    started = msgs[1]
    assert isinstance(started, ControlEvent) and started.error is None
    assert started.kind is ControlKind.STARTED and started.data == {
        "event": "call.started",
        "callId": "call-1",
        "sampleRate": 8000,
    }
    bad, not_object = msgs[2], msgs[3]
    assert isinstance(bad, ControlEvent) and bad.data is None and bad.length == len("not json{")
    assert bad.error and "not JSON" in bad.error
    assert isinstance(not_object, ControlEvent) and not_object.data is None and not_object.error
    assert isinstance(msgs[5], ControlEvent) and msgs[5].kind is ControlKind.ENDED
    assert stream.end == StreamEnd(code=1000, reason="call ended")
    assert not stream.connected


async def test_going_away_1001_is_normal(ws_fake: WsFake, make_stream: MakeStream) -> None:
    async def script(ws: ServerConnection) -> None:
        await ws.close(1001, "server restart")

    ws_fake.behaviour = script
    stream = make_stream()
    await stream.connect()
    assert await collect(stream) == []
    assert stream.end == StreamEnd(code=1001, reason="server restart")
    assert stream.end.kind is CloseKind.GOING_AWAY


async def test_abrupt_tcp_drop_ends_with_1006_abnormal(
    ws_fake: WsFake, make_stream: MakeStream
) -> None:
    async def script(ws: ServerConnection) -> None:
        await ws.send(b"\x00" * 320)
        await asyncio.sleep(0.05)
        ws.transport.abort()

    ws_fake.behaviour = script
    stream = make_stream()
    await stream.connect()
    assert await collect(stream) == [b"\x00" * 320]
    assert stream.end is not None
    assert stream.end.code == 1006 and stream.end.normal is False


async def test_oversized_message_ends_the_stream_abnormally(
    ws_fake: WsFake, make_stream: MakeStream
) -> None:
    async def script(ws: ServerConnection) -> None:
        await ws.send(b"\x00" * 2048)
        await ws.wait_closed()

    ws_fake.behaviour = script
    stream = make_stream(settings=StreamSettings(max_message_bytes=1024))
    await stream.connect()
    assert await collect(stream) == []
    assert stream.end is not None and stream.end.code == 1009 and not stream.end.normal


async def test_client_close_is_normal_and_reconnect_works(
    ws_fake: WsFake, make_stream: MakeStream
) -> None:
    stream = make_stream()
    await stream.connect()
    await stream.close()
    assert stream.end == StreamEnd(code=1000, reason="")
    await stream.connect()
    assert stream.connected and stream.end is None
    assert len(ws_fake.requests) == 2


async def test_wss_verifies_with_ca_file_and_fails_without(
    tls_material: object, tokens: TokenProvider
) -> None:
    fake = await WsFake().start(ssl_context=tls_material.server_context())  # type: ignore[attr-defined]
    try:
        ep = Endpoints.from_input(base_url=fake.base_url("https"))
        assert ep.stream_url("c").startswith("wss://127.0.0.1:")
        ca = str(tls_material.ca_file)  # type: ignore[attr-defined]
        good = VoiceStream(ep, "c", tokens, tls=TlsSettings(ca_file=ca))
        await good.connect()
        await good.close()
        assert good.end is not None and good.end.normal
        ft = FakeTime()
        bad = VoiceStream(ep, "c", tokens, clock=ft.clock, sleep=ft.sleep)
        with pytest.raises(TlsVerificationFailed):
            await bad.connect()
        assert ft.sleeps == []
        insecure = VoiceStream(ep, "c", tokens, tls=TlsSettings(verify=False))
        await insecure.connect()
        await insecure.close()
    finally:
        await fake.close()


async def test_handshake_timeout_is_retried_then_service_unavailable(tokens: TokenProvider) -> None:
    # A TCP listener that never answers the upgrade.
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    ft = FakeTime()
    try:
        stream = VoiceStream(
            Endpoints.from_input(base_url=f"http://127.0.0.1:{port}"),
            "c",
            tokens,
            settings=StreamSettings(handshake_timeout_s=0.1),
            retry=RetryPolicy(max_attempts=2, base_delay_s=0.01, max_delay_s=0.01),
            clock=ft.clock,
            sleep=ft.sleep,
        )
        with pytest.raises(ServiceUnavailable, match="did not answer in time"):
            await stream.connect()
        assert len(ft.sleeps) == 1
    finally:
        server.close()
