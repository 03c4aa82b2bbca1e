"""The call's voice stream: a WebSocket yielding audio bytes and control messages.

Binary messages are audio whose boundaries do not follow frames; text messages are
JSON control events. How the socket closed is kept in `end` so the session can tell
a finished call (1000/1001) from a drop (1006 and anything else).
"""

from __future__ import annotations

import asyncio
import enum
import logging
import random
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from cxone_desktop import USER_AGENT
from cxone_desktop.cxone.control_event import ControlEvent
from cxone_desktop.cxone.endpoints import Endpoints, redact_url, validate_call_id
from cxone_desktop.cxone.log_redaction import redacting_logger
from cxone_desktop.cxone.redirects import REDIRECT_STATUSES, redirect_refused, same_origin
from cxone_desktop.cxone.retry import (
    Backoff,
    OnRetry,
    is_transient,
    parse_retry_after,
    transient_error,
    unreachable_error,
)
from cxone_desktop.cxone.settings import (
    RetryPolicy,
    StreamSettings,
    TlsSettings,
)
from cxone_desktop.cxone.stream_rejection import read_refusal, rejection_error
from cxone_desktop.cxone.token_provider import TokenProvider

log = logging.getLogger(__name__)
# websockets logs the request line and headers at DEBUG: give it a scrubbing logger.
_wire_log = redacting_logger("cxone_desktop.cxone.wire")

NORMAL_CLOSE_CODES = (1000, 1001)


class _SameOriginConnect(connect):
    """websockets' connect, following a redirect only within the origin it started at.

    The handshake carries the access token (in the query or a header); websockets
    strips headers on a cross-origin redirect but a token in the URL, or the fact of
    asking, would still go to a server the user never named.
    """

    def process_redirect(self, exc: Exception) -> Exception | str:
        target = super().process_redirect(exc)
        if isinstance(target, str) and not same_origin(target, self.uri):
            assert isinstance(exc, InvalidStatus)
            return redirect_refused("The audio stream", exc.response.status_code, target, self.uri)
        return target


class CloseKind(enum.Enum):
    """How a stream closed, as the session needs to know it."""

    NORMAL = "normal"  # 1000: the server finished the stream
    GOING_AWAY = "going_away"  # 1001: the server (or a proxy) is going away
    ABNORMAL = "abnormal"  # 1006 (no close frame) or any other code


@dataclass(frozen=True)
class StreamEnd:
    """How the stream ended; `code` None means no close frame came (1006)."""

    code: int | None
    reason: str

    @property
    def kind(self) -> CloseKind:
        if self.code == 1000:
            return CloseKind.NORMAL
        if self.code == 1001:
            return CloseKind.GOING_AWAY
        return CloseKind.ABNORMAL

    @property
    def normal(self) -> bool:
        """A 1000 or 1001 close: the server meant to close."""
        return self.kind is not CloseKind.ABNORMAL

    @property
    def shown_code(self) -> int:
        """The code as users know it: 1006 when no close frame came."""
        return self.code if self.code is not None else 1006


class VoiceStream:
    """One WebSocket connection to a call's voice stream.

    `connect()` performs the handshake (refreshing the token once on 401, backing off
    on 429/5xx/connect errors); iterating yields bytes (audio) and ControlEvent
    (text) until the socket closes, then `end` says how. Call `connect()` again to
    reconnect after an end. `channels=2` asks for both parties interleaved, agent left
    (`?channels=2`): only for a server that said it offers them.
    """

    def __init__(
        self,
        endpoints: Endpoints,
        call_id: str,
        tokens: TokenProvider,
        *,
        settings: StreamSettings = StreamSettings(),  # noqa: B008 - frozen defaults are safe
        tls: TlsSettings = TlsSettings(),  # noqa: B008
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008
        user_agent: str = USER_AGENT,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        channels: int = 1,
    ) -> None:
        if channels not in (1, 2):
            raise ValueError(f"channels must be 1 or 2, got {channels!r}")
        self._endpoints = endpoints
        self._call_id = validate_call_id(call_id)
        # Both parties interleaved, agent left (the relay's and the simulator's `?channels=2`).
        suffix = "?channels=2" if channels == 2 else ""
        self._url = endpoints.stream_url(self._call_id) + suffix
        self._tokens = tokens
        self._settings = settings
        self._tls = tls
        self._retry = retry
        self._user_agent = user_agent
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._ws: ClientConnection | None = None
        self._end: StreamEnd | None = None
        #: Called with (error, delay_s) before each backoff sleep.
        self.on_retry: OnRetry | None = None

    def __repr__(self) -> str:
        return f"VoiceStream({redact_url(self._url)!r})"

    @property
    def url(self) -> str:
        """The stream URL without any token (safe to show)."""
        return self._url

    @property
    def end(self) -> StreamEnd | None:
        return self._end

    @property
    def connected(self) -> bool:
        return self._ws is not None and self._end is None

    async def connect(self) -> None:
        """Open the stream; raises HandshakeRejected (typed by cause), TransientError, AuthError."""
        if self._ws is not None and self._end is None:
            raise RuntimeError("VoiceStream is already connected")
        self._ws = None
        self._end = None
        ssl_ctx = self._ssl_context()
        backoff = Backoff(
            self._retry, what="the voice stream", clock=self._clock, sleep=self._sleep,
            rng=self._rng, on_retry=self.on_retry,
        )  # fmt: skip
        refreshed = False
        token = await self._tokens.token()
        while True:
            url, headers = self._request(token.value)
            try:
                ws = await _SameOriginConnect(
                    url,
                    additional_headers=headers,
                    user_agent_header=self._user_agent,
                    open_timeout=self._settings.handshake_timeout_s,
                    ping_interval=self._settings.ping_interval_s,
                    ping_timeout=self._settings.ping_timeout_s,
                    close_timeout=self._settings.close_timeout_s,
                    max_size=self._settings.max_message_bytes,
                    ssl=ssl_ctx,
                    logger=_wire_log,
                )
            except InvalidStatus as e:
                status = e.response.status_code
                if status in REDIRECT_STATUSES:  # not followed: too many, or an old websockets
                    raise redirect_refused(
                        "The audio stream", status, e.response.headers.get("Location"), self._url
                    ) from None
                refusal = read_refusal(
                    status,
                    e.response.body,
                    e.response.headers.get("WWW-Authenticate"),
                    token.value,
                )
                if refusal.worth_fresh_token and not refreshed:
                    log.info("voice stream handshake got %d; fetching a fresh token", status)
                    refreshed = True
                    token = await self._tokens.refresh()
                    continue
                if is_transient(status):
                    retry_after = parse_retry_after(e.response.headers.get("Retry-After"))
                    err: Exception = transient_error("The voice stream", status, retry_after)
                    if await backoff.wait(err, retry_after):
                        continue
                    raise err from None
                raise rejection_error(refusal, self._call_id) from None
            except (OSError, TimeoutError, InvalidHandshake) as e:
                err = unreachable_error(e, "the voice stream", redact_url(self._url))
                log.info("voice stream connect failed: %s", err)
                if await backoff.wait(err):
                    continue
                raise err from None
            self._ws = ws
            log.info("voice stream connected: %s", redact_url(self._url))
            return

    def __aiter__(self) -> AsyncIterator[bytes | ControlEvent]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[bytes | ControlEvent]:
        ws = self._ws
        if ws is None:
            raise RuntimeError("call connect() before iterating the VoiceStream")
        try:
            while True:
                msg = await ws.recv()
                if isinstance(msg, str):
                    yield ControlEvent.parse(msg)
                else:
                    yield msg
        except ConnectionClosed as e:
            # We closed it on a protocol error (e.g. 1009 message too big) and got no
            # close frame back: our code says more than the bare 1006.
            if e.rcvd is None and e.sent is not None and e.sent.code not in NORMAL_CLOSE_CODES:
                self._record_end(ws, e.sent.code, e.sent.reason)
        self._record_end(ws)

    async def close(self) -> None:
        """Close with 1000 (normal) if open; `end` is set afterwards."""
        ws = self._ws
        if ws is None:
            return
        await ws.close()
        self._record_end(ws)

    def _record_end(
        self, ws: ClientConnection, code: int | None = None, reason: str | None = None
    ) -> None:
        if self._end is not None:
            return
        if code is None:
            code, reason = ws.close_code, ws.close_reason
        code = None if code is None else int(code)
        reason = reason or ""
        self._end = StreamEnd(code=code, reason=reason)
        log.info("voice stream ended: code %s reason %r", code, reason)

    def _request(self, token: str) -> tuple[str, dict[str, str]]:
        if self._settings.token_in == "header":
            return self._url, {"Authorization": f"Bearer {token}"}
        sep = "&" if "?" in self._url else "?"
        return f"{self._url}{sep}access_token={quote(token, safe='')}", {}

    def _ssl_context(self) -> ssl.SSLContext | None:
        if not self._endpoints.secure:
            return None
        ctx = self._tls.ssl_context()
        if ctx is False or ctx is True:
            if ctx is True:
                return ssl.create_default_context()
            unverified = ssl.create_default_context()
            unverified.check_hostname = False
            unverified.verify_mode = ssl.CERT_NONE
            return unverified
        return ctx
