"""The live calls a client may hear: `GET /api/v2/calls`, as the relay and the simulator serve it.

Plain CXone tenants have no such list (404 → `NoCallDirectory`, and the app's picker
hides); the relay lists the calls pushed into it that the client's rule allows. One
attempt per call, no backoff: the caller asks again every few seconds anyway. The body
is read up to `max_body_bytes`, so a misbehaving server cannot fill memory; entries that
do not parse are left out rather than failing the list.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from typing import Any

import httpx

from cxone_desktop import USER_AGENT
from cxone_desktop.cxone.endpoints import Endpoints, validate_call_id
from cxone_desktop.cxone.retry import is_transient, parse_retry_after, transient_error
from cxone_desktop.cxone.settings import TlsSettings
from cxone_desktop.cxone.token_provider import HTTP_TIMEOUT_S, TokenProvider
from cxone_desktop.cxone.unreachable import describe_unreachable
from cxone_desktop.errors import (
    VIEW_SCOPE,
    CallListError,
    InputError,
    InvalidCredentials,
    MissingScope,
    NoCallDirectory,
)

log = logging.getLogger(__name__)

CALLS_PATH = "/api/v2/calls"
#: A list of a few thousand calls fits; anything larger is refused, not read.
MAX_BODY_BYTES = 1 << 20


@dataclass(frozen=True)
class ListedCall:
    """One live call as listed: who is on it, where it comes from, and how it can be heard."""

    call_id: str
    platform: str = ""
    state: str = ""
    duration_s: float | None = None
    agent: str = ""  # the agent's name, else their ID
    customer: str = ""  # the customer's name, else their number
    channels: int = 1
    perspectives: tuple[str, ...] = ()

    @property
    def two_party(self) -> bool:
        """The parties can be had apart in one stream (`channels` 2); see `CallInfo.two_party`
        for why `perspectives` alone does not say so."""
        return self.channels == 2

    @classmethod
    def from_json(cls, entry: object) -> ListedCall | None:
        """One entry of the list; None when it has no usable call ID."""
        if not isinstance(entry, dict):
            return None
        try:
            call_id = validate_call_id(str(entry.get("id", "")))
        except InputError:
            return None
        parties = entry.get("parties")
        parties = parties if isinstance(parties, dict) else {}
        duration = entry.get("durationS")
        channels = entry.get("channels")
        perspectives = entry.get("perspectives")
        return cls(
            call_id=call_id,
            platform=_text(entry.get("platform")),
            state=_text(entry.get("state")),
            duration_s=(
                float(duration)
                if isinstance(duration, int | float)
                and not isinstance(duration, bool)
                and math.isfinite(duration)
                and duration >= 0
                else None
            ),
            agent=_who(parties.get("agent"), "name", "id"),
            customer=_who(parties.get("customer"), "name", "ani"),
            channels=2 if channels == 2 else 1,
            perspectives=tuple(
                p
                for p in (perspectives if isinstance(perspectives, list) else [])
                if p in ("agent", "customer", "mixed")
            ),
        )


class CallDirectory:
    """Reads the calls list of one server with one token provider."""

    def __init__(
        self,
        endpoints: Endpoints,
        tokens: TokenProvider,
        *,
        tls: TlsSettings = TlsSettings(),  # noqa: B008 - frozen defaults are safe
        client: httpx.AsyncClient | None = None,
        user_agent: str = USER_AGENT,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self._url = endpoints.base_url + CALLS_PATH
        self._tokens = tokens
        self._max_body = max_body_bytes
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(
            verify=tls.ssl_context(), timeout=HTTP_TIMEOUT_S, headers={"User-Agent": user_agent}
        )

    def __repr__(self) -> str:
        return f"CallDirectory({self._url!r})"

    @property
    def url(self) -> str:
        return self._url

    async def list_calls(self) -> list[ListedCall]:
        """The live calls, in the server's order; one token refresh on 401, no other retry."""
        token = await self._tokens.token()
        refreshed = False
        while True:
            try:
                status, body, retry_after = await self._get(token.value)
            except httpx.TransportError as exc:
                raise describe_unreachable(exc, "the calls list", self._url) from None
            if status == 401 and not refreshed:
                refreshed = True
                token = await self._tokens.refresh()
                continue
            break
        if status == 200:
            return self._parse(body)
        if status in (404, 405):
            raise NoCallDirectory(f"The server at {self._url} does not list its calls ({status}).")
        if status == 401:
            raise InvalidCredentials(
                "The calls list rejected the access token (401) even after a fresh one."
            )
        if status == 403:
            raise MissingScope(
                f"The calls list refused access (403): the token lacks '{VIEW_SCOPE}'."
            )
        if is_transient(status):
            raise transient_error("The calls list", status, retry_after)
        raise CallListError(f"The calls list refused the request ({status}).")

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def _get(self, token: str) -> tuple[int, bytes, float | None]:
        """Status, the body (bounded) and Retry-After, reading no more than allowed."""
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        async with self._client.stream("GET", self._url, headers=headers) as resp:
            retry_after = parse_retry_after(resp.headers.get("Retry-After"))
            if resp.status_code != 200:
                return resp.status_code, b"", retry_after
            body = bytearray()
            async for chunk in resp.aiter_bytes():
                body += chunk
                if len(body) > self._max_body:
                    raise CallListError(
                        f"The calls list is larger than {self._max_body // 1024} KiB; "
                        "it was not read."
                    )
            return 200, bytes(body), retry_after

    def _parse(self, body: bytes) -> list[ListedCall]:
        try:
            payload: Any = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise CallListError("The calls list answered 200 but not with JSON.") from None
        entries = payload.get("calls") if isinstance(payload, dict) else None
        if not isinstance(entries, list):
            raise CallListError('The calls list answered 200 without a "calls" array.')
        calls = [c for c in (ListedCall.from_json(e) for e in entries) if c is not None]
        if len(calls) < len(entries):
            log.info(
                "calls list: %d of %d entries unusable", len(entries) - len(calls), len(entries)
            )
        return calls


def _text(value: object, limit: int = 80) -> str:
    return " ".join(value.split())[:limit] if isinstance(value, str) else ""


def _who(party: object, *keys: str) -> str:
    if not isinstance(party, dict):
        return ""
    for key in keys:
        text = _text(party.get(key))
        if text:
            return text
    return ""
