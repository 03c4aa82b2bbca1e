"""Bearer tokens for listeners: self-contained and HMAC-signed, so any relay instance can check
one issued by another (behind a load balancer the token and the stream may hit different
instances). The signing key is random per process, or shared through the Redis bus.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class TokenProblem(StrEnum):
    MISSING = "missing"
    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"

    @property
    def message(self) -> str:
        return {
            TokenProblem.MISSING: "No access token: send ?access_token= or Authorization: Bearer.",
            TokenProblem.MALFORMED: "The access token is not one this relay issued; request a new "
            "one at /oauth2/token.",
            TokenProblem.BAD_SIGNATURE: "The access token's signature does not match (issued by "
            "another relay deployment, or tampered with); request a new one.",
            TokenProblem.EXPIRED: "The access token has expired; request a new one.",
        }[self]


@dataclass(frozen=True)
class TokenGrant:
    client_id: str
    scopes: frozenset[str]
    expires_at: float


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class ListenerTokens:
    """Issue and check tokens; `now` is Unix time (injectable for tests)."""

    def __init__(
        self,
        ttl_s: float = 3600.0,
        *,
        key: bytes | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.ttl_s = ttl_s
        self._key = key if key is not None else secrets.token_bytes(32)
        self._now = now

    def __repr__(self) -> str:
        return f"ListenerTokens(ttl_s={self.ttl_s})"

    def use_key(self, key: bytes) -> None:
        """Switch to a shared key (the bus hands one out); earlier tokens stop working."""
        self._key = key

    def issue(self, client_id: str, scopes: tuple[str, ...]) -> str:
        payload = {
            "c": client_id,
            "s": list(scopes),
            "e": round(self._now() + self.ttl_s, 3),
            "n": secrets.token_urlsafe(8),
        }
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        mac = hmac.new(self._key, body.encode(), hashlib.sha256).digest()
        return f"{body}.{_b64(mac)}"

    def check(self, token: str | None) -> TokenGrant | TokenProblem:
        if not token:
            return TokenProblem.MISSING
        body, sep, mac_text = token.partition(".")
        if not sep or not body or not mac_text:
            return TokenProblem.MALFORMED
        try:
            given = _unb64(mac_text)
        except ValueError:
            return TokenProblem.MALFORMED
        expected = hmac.new(self._key, body.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(given, expected):
            return TokenProblem.BAD_SIGNATURE
        try:
            payload = json.loads(_unb64(body))
            grant = TokenGrant(
                client_id=str(payload["c"]),
                scopes=frozenset(str(s) for s in payload["s"]),
                expires_at=float(payload["e"]),
            )
        except (ValueError, KeyError, TypeError):
            return TokenProblem.MALFORMED
        if self._now() >= grant.expires_at:
            return TokenProblem.EXPIRED
        return grant
