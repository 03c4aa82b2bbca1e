"""Access tokens a server (simulator or relay) has issued: opaque, random, expiring.

Only the store knows a token's scopes and expiry; a token is never logged.
Expiry is checked when a token is presented (handshake or REST), not mid-stream,
as the CXone contract asks.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class IssuedToken:
    scopes: frozenset[str]
    expires_at: float


class TokenStore:
    """Issues and checks bearer tokens against a monotonic `now`."""

    def __init__(self, now: Callable[[], float], ttl_s: float) -> None:
        self._now = now
        self._ttl_s = ttl_s
        self._tokens: dict[str, IssuedToken] = {}

    def issue(self, scopes: Iterable[str]) -> str:
        self._forget_expired()
        token = secrets.token_urlsafe(32)
        self._tokens[token] = IssuedToken(frozenset(scopes), self._now() + self._ttl_s)
        return token

    def lookup(self, token: str | None) -> IssuedToken | None:
        """The token's grant, or None when unknown, revoked or expired."""
        if not token:
            return None
        issued = self._tokens.get(token)
        if issued is None:
            return None
        if self._now() >= issued.expires_at:
            del self._tokens[token]
            return None
        return issued

    def revoke_all(self) -> None:
        self._tokens.clear()

    def _forget_expired(self) -> None:
        now = self._now()
        for token in [t for t, issued in self._tokens.items() if now >= issued.expires_at]:
            del self._tokens[token]
