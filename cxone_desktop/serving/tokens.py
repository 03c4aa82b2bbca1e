"""Access tokens a server (simulator or relay) has issued: opaque, random, expiring, and bounded
in number.

Only the store knows a token's scopes and expiry; a token is never logged.
Expiry is checked when a token is presented (handshake or REST), not mid-stream,
as the CXone contract asks.

Every token lives the same TTL, so issue order is expiry order: a queue in issue
order is swept from its front on each issue, amortized O(1) (the old sweep read
every live token on every issue and got 4× slower by 20,000 tokens). At most
`max_tokens` are kept; past that the oldest is forgotten (its holder gets
invalid_token and asks for a new one, as with any revoked token). Scope sets are
shared between tokens, not copied per token.
"""

from __future__ import annotations

import secrets
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

#: Live tokens kept at most; a client that asks for more gets the oldest revoked.
MAX_TOKENS = 10_000


@dataclass(frozen=True, slots=True)
class IssuedToken:
    scopes: frozenset[str]
    expires_at: float


class TokenStore:
    """Issues and checks bearer tokens against a monotonic `now`."""

    def __init__(
        self, now: Callable[[], float], ttl_s: float, *, max_tokens: int = MAX_TOKENS
    ) -> None:
        if max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")
        self._now = now
        self._ttl_s = ttl_s
        self._max = max_tokens
        self._tokens: dict[str, IssuedToken] = {}
        self._order: deque[tuple[float, str]] = deque()  # (expires_at, token), issue order
        self._scope_sets: dict[frozenset[str], frozenset[str]] = {}

    def __len__(self) -> int:
        """Tokens held (expired ones not yet swept included)."""
        return len(self._tokens)

    def issue(self, scopes: Iterable[str]) -> str:
        now = self._now()
        self._forget_expired(now)
        while len(self._tokens) >= self._max:
            self._forget_oldest()
        token = secrets.token_urlsafe(32)
        wanted = frozenset(scopes)
        shared = self._scope_sets.setdefault(wanted, wanted)
        expires_at = now + self._ttl_s
        self._tokens[token] = IssuedToken(shared, expires_at)
        self._order.append((expires_at, token))
        return token

    def lookup(self, token: str | None) -> IssuedToken | None:
        """The token's grant, or None when unknown, revoked or expired."""
        if not token:
            return None
        issued = self._tokens.get(token)
        if issued is None:
            return None
        if self._now() >= issued.expires_at:
            del self._tokens[token]  # its queue entry goes at the next sweep
            return None
        return issued

    def revoke_all(self) -> None:
        self._tokens.clear()
        self._order.clear()

    def _forget_expired(self, now: float) -> None:
        order = self._order
        while order and order[0][0] <= now:
            _, token = order.popleft()
            self._tokens.pop(token, None)

    def _forget_oldest(self) -> None:
        order = self._order
        while order:  # skip entries whose token a lookup already dropped
            _, token = order.popleft()
            if self._tokens.pop(token, None) is not None:
                return
