"""OAuth 2.0 client-credentials tokens: fetched once, shared, refreshed before they expire."""

from __future__ import annotations

import asyncio
import logging
import math
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from cxone_desktop import USER_AGENT
from cxone_desktop.cxone.bounded_json import loads_bounded
from cxone_desktop.cxone.capped_http import HttpAnswer, request_capped, require_complete
from cxone_desktop.cxone.endpoints import Endpoints
from cxone_desktop.cxone.redirects import REDIRECT_STATUSES, redirect_refused
from cxone_desktop.cxone.retry import (
    Backoff,
    OnRetry,
    is_transient,
    parse_retry_after,
    transient_error,
    unreachable_error,
)
from cxone_desktop.cxone.settings import (
    AuthSettings,
    Credentials,
    RetryPolicy,
    TlsSettings,
)
from cxone_desktop.errors import (
    AGENT_SCOPE,
    AuthError,
    CXoneError,
    InvalidCredentials,
    MissingScope,
    ProtocolError,
    TokenRequestRefused,
    TokenResponseInvalid,
)

log = logging.getLogger(__name__)

#: A token is replaced this long before the server says it expires.
REFRESH_MARGIN_S = 60.0
#: Lifetime assumed when the server leaves out expires_in.
DEFAULT_EXPIRES_IN_S = 3600.0
HTTP_TIMEOUT_S = 10.0
_ANSWER = "the token endpoint's 200 answer"
_OAUTH_ERROR_CODE_RE = re.compile(r"^[a-z_]{1,40}$")
_TOKEN_CHARS_RE = re.compile(r"^[\x21-\x7e]+$")


@dataclass(frozen=True)
class AccessToken:
    """A bearer token; its value never shows in repr or str."""

    value: str = field(repr=False)
    expires_at_monotonic: float
    scope: str | None = None


class TokenProvider:
    """Hands out a valid access token, fetching one when needed.

    Concurrent callers share ONE in-flight request. A cached token is replaced 60 s
    before `expires_in` runs out (half its lifetime for very short-lived tokens).
    429 honours Retry-After; 429, 5xx and connect errors back off per the RetryPolicy.
    """

    def __init__(
        self,
        endpoints: Endpoints,
        credentials: Credentials,
        *,
        auth: AuthSettings = AuthSettings(),  # noqa: B008 - frozen, so a shared default is safe
        tls: TlsSettings = TlsSettings(),  # noqa: B008
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        user_agent: str = USER_AGENT,
    ) -> None:
        self._endpoints = endpoints
        self._credentials = credentials
        self._auth = auth
        self._retry = retry
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(
            verify=tls.ssl_context(),
            timeout=HTTP_TIMEOUT_S,
            headers={"User-Agent": user_agent},
        )
        self._user_agent = user_agent
        self._cached: AccessToken | None = None
        self._refresh_at = -math.inf
        self._inflight: asyncio.Task[AccessToken] | None = None
        self._closed = False
        #: Called with (error, delay_s) before each backoff sleep.
        self.on_retry: OnRetry | None = None

    def __repr__(self) -> str:
        return (
            f"TokenProvider(token_url={self._endpoints.token_url!r}, "
            f"client_id={self._credentials.client_id!r}, style={self._auth.style!r})"
        )

    async def token(self) -> AccessToken:
        """A token good for at least the refresh margin; cached between calls."""
        cached = self._cached
        if cached is not None and self._clock() < self._refresh_at:
            return cached
        return await self._join_or_start()

    async def refresh(self) -> AccessToken:
        """A new token (after a 401), joining a fetch already under way if there is one."""
        return await self._join_or_start()

    async def aclose(self) -> None:
        self._closed = True
        task, self._inflight = self._inflight, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if self._owns_client:
            await self._client.aclose()

    async def _join_or_start(self) -> AccessToken:
        if self._closed:
            raise RuntimeError("TokenProvider is closed")
        task = self._inflight
        if task is None:
            task = asyncio.get_running_loop().create_task(self._fetch())
            self._inflight = task
            task.add_done_callback(self._fetch_done)
        # shield: one caller giving up must not cancel the request the others wait on.
        return await asyncio.shield(task)

    def _fetch_done(self, task: asyncio.Task[AccessToken]) -> None:
        if self._inflight is task:
            self._inflight = None
        if not task.cancelled():
            task.exception()  # mark retrieved; the waiters got it already

    async def _fetch(self) -> AccessToken:
        url = self._endpoints.token_url
        backoff = Backoff(
            self._retry, what="the token request", clock=self._clock, sleep=self._sleep,
            rng=self._rng, on_retry=self.on_retry,
        )  # fmt: skip
        while True:
            sent_at = self._clock()
            try:
                resp = await request_capped(self._client, "POST", url, **self._request_kwargs())
            except httpx.TransportError as e:
                err: CXoneError = unreachable_error(e, "the token endpoint", url)
                log.info("token request failed: %s", err)
                if await backoff.wait(err):
                    continue
                raise err from None
            except ProtocolError as e:
                raise TokenResponseInvalid(e.message) from None
            status = resp.status
            if status == 200:
                tok = self._parse(resp, sent_at)
                log.info(
                    "access token obtained (expires in %.0f s, scope %s)",
                    tok.expires_at_monotonic - sent_at,
                    tok.scope or "not stated",
                )
                return tok
            if is_transient(status):
                retry_after = parse_retry_after(resp.headers.get("Retry-After"))
                err = transient_error("The token endpoint", status, retry_after)
                log.info("token request failed: %s", err)
                if await backoff.wait(err, retry_after):
                    continue
                raise err
            if status in REDIRECT_STATUSES:
                raise redirect_refused(
                    "The token endpoint", status, resp.headers.get("Location"), url
                )
            raise _rejection(resp)

    def _request_kwargs(self) -> dict[str, Any]:
        """Client authentication in the configured style."""
        creds = self._credentials
        body: dict[str, str] = {"grant_type": "client_credentials"}
        if self._auth.scope:
            body["scope"] = self._auth.scope
        headers = {"Accept": "application/json"}
        if self._auth.style == "basic":
            return {
                "data": body,
                "auth": (creds.client_id, creds.client_secret),
                "headers": headers,
            }
        body["client_id"] = creds.client_id
        body["client_secret"] = creds.client_secret
        if self._auth.style == "form":
            return {"data": body, "headers": headers}
        return {"json": body, "headers": headers}

    def _parse(self, resp: HttpAnswer, sent_at: float) -> AccessToken:
        try:
            payload = loads_bounded(require_complete(resp, _ANSWER), what=_ANSWER)
        except ProtocolError as exc:  # too large, too deep, not JSON
            raise TokenResponseInvalid(exc.message) from None
        if not isinstance(payload, dict):
            raise TokenResponseInvalid(
                "The token endpoint answered 200 but not with a JSON object."
            )
        value = payload.get("access_token")
        if not isinstance(value, str) or not value:
            raise TokenResponseInvalid("The token endpoint's answer has no access_token.")
        if not _TOKEN_CHARS_RE.match(value):
            raise TokenResponseInvalid(
                "The token endpoint's access_token holds characters a bearer token cannot."
            )
        token_type = payload.get("token_type")
        if token_type is not None and str(token_type).lower() != "bearer":
            raise TokenResponseInvalid(
                "The token endpoint issued a token that is not a Bearer token."
            )
        expires_in = _expires_in(payload.get("expires_in"))
        scope = payload.get("scope")
        tok = AccessToken(
            value=value,
            expires_at_monotonic=sent_at + expires_in,
            scope=scope if isinstance(scope, str) else None,
        )
        self._cached = tok
        self._refresh_at = sent_at + expires_in - min(REFRESH_MARGIN_S, expires_in / 2)
        return tok


def _expires_in(raw: object) -> float:
    if raw is None:
        return DEFAULT_EXPIRES_IN_S
    try:
        v = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TokenResponseInvalid("The token endpoint's expires_in is not a number.") from None
    if not math.isfinite(v) or v <= 0:
        raise TokenResponseInvalid("The token endpoint's expires_in is not a positive number.")
    return v


def _oauth_error_code(resp: HttpAnswer) -> str | None:
    """The OAuth `error` code if it is a plain code; descriptions are never echoed."""
    try:
        payload = (
            loads_bounded(resp.body, what="the token endpoint's error") if resp.complete else None
        )
    except ProtocolError:
        return None
    code = payload.get("error") if isinstance(payload, dict) else None
    return code if isinstance(code, str) and _OAUTH_ERROR_CODE_RE.match(code) else None


def _rejection(resp: HttpAnswer) -> AuthError:
    status = resp.status
    code = _oauth_error_code(resp)
    if status == 401 or (status == 400 and code in ("invalid_client", "unauthorized_client")):
        return InvalidCredentials(
            f"The token endpoint rejected the client credentials ({status}). Check the client ID "
            f"and secret, and that the application has the '{AGENT_SCOPE}' scope."
        )
    if status == 403 or (status == 400 and code == "invalid_scope"):
        return MissingScope(
            f"The token endpoint refused the client ({status}). Check that the application has "
            f"the '{AGENT_SCOPE}' scope and may use the client-credentials grant."
        )
    detail = f", error {code}" if code else ""
    return TokenRequestRefused(f"The token endpoint refused the request ({status}{detail}).")
