"""The call's state from the interactions REST API, fetched once or polled."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

import httpx

from cxone_desktop import USER_AGENT
from cxone_desktop.cxone.bounded_json import loads_bounded
from cxone_desktop.cxone.capped_http import HttpAnswer, request_capped, require_complete
from cxone_desktop.cxone.endpoints import Endpoints, validate_call_id
from cxone_desktop.cxone.redirects import REDIRECT_STATUSES, redirect_refused
from cxone_desktop.cxone.retry import (
    Backoff,
    OnRetry,
    is_transient,
    parse_retry_after,
    transient_error,
    unreachable_error,
)
from cxone_desktop.cxone.settings import RetryPolicy, TlsSettings
from cxone_desktop.cxone.token_provider import HTTP_TIMEOUT_S, TokenProvider
from cxone_desktop.errors import (
    VIEW_SCOPE,
    CallStateError,
    CallStateInvalid,
    InvalidCredentials,
    MissingScope,
    ProtocolError,
)

log = logging.getLogger(__name__)

CallStatus = Literal["active", "on_hold", "ended", "unknown"]
_ANSWER = "the call-state endpoint's 200 answer"
_STATUS_BY_STATE: dict[str, CallStatus] = {
    "active": "active",
    "on_hold": "on_hold",
    "ended": "ended",
}


@dataclass(frozen=True)
class CallInfo:
    """One reading of the call state; `raw` is the server's JSON object as received."""

    status: CallStatus
    raw: dict[str, Any]

    @property
    def media_position_ms(self) -> int | None:
        v = self.raw.get("mediaPositionMs")
        return v if isinstance(v, int) and not isinstance(v, bool) else None

    @property
    def agent_bound(self) -> bool | None:
        v = self.raw.get("agentBound")
        return v if isinstance(v, bool) else None

    @property
    def two_party(self) -> bool:
        """The server streams this call as two channels (`channels` 2: the relay's and the
        simulator's `?channels=2`). Listing the parties as `perspectives` is not enough: a
        server that has them only as separate perspectives would send one channel where two
        were asked for, and its samples would be dealt out to the lanes in turn."""
        return self.raw.get("channels") == 2

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> CallInfo:
        """Map `state` to a CallStatus; anything unrecognised is "unknown"."""
        state = raw.get("state")
        key = state.strip().lower().replace("-", "_") if isinstance(state, str) else ""
        return cls(status=_STATUS_BY_STATE.get(key, "unknown"), raw=raw)


class CallStatePoller:
    """Reads `GET .../interactions/{id}/call`; the session calls `fetch` every `interval_s`."""

    def __init__(
        self,
        endpoints: Endpoints,
        call_id: str,
        tokens: TokenProvider,
        *,
        tls: TlsSettings = TlsSettings(),  # noqa: B008 - frozen defaults are safe
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008
        interval_s: float = 2.0,
        client: httpx.AsyncClient | None = None,
        user_agent: str = USER_AGENT,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if not interval_s > 0:
            raise ValueError("interval_s must be > 0")
        self._call_id = validate_call_id(call_id)
        self._url = endpoints.call_state_url(self._call_id)
        self._tokens = tokens
        self._retry = retry
        self.interval_s = interval_s
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(
            verify=tls.ssl_context(), timeout=HTTP_TIMEOUT_S, headers={"User-Agent": user_agent}
        )
        #: Called with (error, delay_s) before each backoff sleep.
        self.on_retry: OnRetry | None = None

    def __repr__(self) -> str:
        return f"CallStatePoller({self._url!r}, interval_s={self.interval_s})"

    async def fetch(self, *, single_attempt: bool = False) -> CallInfo:
        """One reading, with backoff on 429/5xx/connect errors and one token refresh on 401.

        `single_attempt` gives up at the first 429/5xx/connect error: a caller with its own
        pacing (the reconnect loop, whose time budget runs meanwhile) or a question worth
        one try (whether the call's parties can be had apart).
        """
        policy = replace(self._retry, max_attempts=1) if single_attempt else self._retry
        backoff = Backoff(
            policy, what="the call-state request", clock=self._clock, sleep=self._sleep,
            rng=self._rng, on_retry=self.on_retry,
        )  # fmt: skip
        refreshed = False
        token = await self._tokens.token()
        while True:
            try:
                resp = await request_capped(
                    self._client,
                    "GET",
                    self._url,
                    headers={
                        "Authorization": f"Bearer {token.value}",
                        "Accept": "application/json",
                    },
                )
            except httpx.TransportError as e:
                err: Exception = unreachable_error(e, "the call-state endpoint", self._url)
                if await backoff.wait(err):
                    continue
                raise err from None
            except ProtocolError as e:
                raise CallStateInvalid(e.message) from None
            status = resp.status
            if status == 200:
                return self._parse(resp)
            if status == 401 and not refreshed:
                log.info("call-state request got 401; fetching a fresh token")
                refreshed = True
                token = await self._tokens.refresh()
                continue
            if is_transient(status):
                retry_after = parse_retry_after(resp.headers.get("Retry-After"))
                err = transient_error("The call-state endpoint", status, retry_after)
                if await backoff.wait(err, retry_after):
                    continue
                raise err
            if status in REDIRECT_STATUSES:
                raise redirect_refused(
                    "The call-state endpoint", status, resp.headers.get("Location"), self._url
                )
            raise self._rejection(status)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    def _parse(self, resp: HttpAnswer) -> CallInfo:
        try:
            payload = loads_bounded(require_complete(resp, _ANSWER), what=_ANSWER)
        except ProtocolError as exc:  # too large, too deep, not JSON
            raise CallStateInvalid(exc.message) from None
        if not isinstance(payload, dict):
            raise CallStateInvalid(
                "The call-state endpoint answered 200 but not with a JSON object."
            )
        info = CallInfo.from_json(payload)
        if info.status == "unknown":
            log.warning(
                "call-state endpoint reported an unrecognised state %r",
                str(payload.get("state"))[:40],
            )
        return info

    def _rejection(self, status: int) -> Exception:
        if status == 401:
            return InvalidCredentials(
                "The call-state endpoint rejected the access token (401) even after a fresh one "
                "was fetched."
            )
        if status == 403:
            return MissingScope(
                f"The call-state endpoint refused access (403): the token lacks the "
                f"'{VIEW_SCOPE}' scope."
            )
        if status == 404:
            return CallStateError(
                f"No interaction {self._call_id!r} was found (404): check the call ID.",
                remedy="Check the call (interaction) ID and the tenant.",
            )
        return CallStateError(f"The call-state endpoint refused the request ({status}).")
