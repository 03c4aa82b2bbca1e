"""How the client talks to CXone: credentials, auth style, TLS, retries, stream options.

Each is a frozen dataclass validated on construction, so a bad value fails where it
is typed (the form, the CLI), not deep inside a coroutine.
"""

from __future__ import annotations

import logging
import math
import os
import random
import ssl
from dataclasses import dataclass, field
from typing import Literal, get_args

from cxone_desktop.core.backoff_delay import backoff_delay
from cxone_desktop.errors import InputError

log = logging.getLogger(__name__)

AuthStyle = Literal["json", "form", "basic"]
TokenTransport = Literal["query", "header"]

_warned_insecure = False


@dataclass(frozen=True)
class Credentials:
    """OAuth client credentials; the secret never shows in repr, str or logs."""

    client_id: str
    client_secret: str = field(repr=False)

    def __post_init__(self) -> None:
        cid = self.client_id.strip() if isinstance(self.client_id, str) else ""
        if not cid:
            raise InputError("client_id", "enter the OAuth client ID.")
        if any(ord(c) < 0x20 or c == "\x7f" for c in cid):
            raise InputError("client_id", "the client ID contains control characters.")
        if not isinstance(self.client_secret, str) or not self.client_secret:
            raise InputError("client_secret", "enter the OAuth client secret.")
        object.__setattr__(self, "client_id", cid)


@dataclass(frozen=True)
class AuthSettings:
    """How the client authenticates at the token endpoint.

    `json` is the seed's JSON body; `form` is RFC 6749 client_secret_post; `basic` is
    HTTP Basic with a form body. `scope` is space separated, sent only when set.
    """

    style: AuthStyle = "json"
    scope: str | None = None

    def __post_init__(self) -> None:
        if self.style not in get_args(AuthStyle):
            raise InputError("auth_style", "choose json, form or basic.")
        if self.scope is not None:
            scope = " ".join(self.scope.split())
            object.__setattr__(self, "scope", scope or None)


@dataclass(frozen=True)
class TlsSettings:
    """Certificate checking: on by default, extra CAs from a PEM file, off only on request."""

    verify: bool = True
    ca_file: str | None = None

    def __post_init__(self) -> None:
        if self.ca_file is not None and not os.path.isfile(self.ca_file):
            raise InputError("ca_file", "the CA file does not exist or is not a file.")
        if self.ca_file is not None:
            self._verifying_context()  # a file that is not PEM fails here, at the form or CLI

    def ssl_context(self) -> ssl.SSLContext | bool:
        """A verifying context (system CAs plus `ca_file`), or False when verification is off.

        Turning verification off is logged as a WARNING, once per process.
        """
        global _warned_insecure
        if not self.verify:
            if not _warned_insecure:
                _warned_insecure = True
                log.warning(
                    "TLS certificate verification is OFF: the server's identity is not checked "
                    "and the call audio and token can be intercepted."
                )
            return False
        return self._verifying_context()

    def _verifying_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context()
        if self.ca_file is not None:
            try:
                ctx.load_verify_locations(cafile=self.ca_file)
            except (ssl.SSLError, OSError) as e:
                raise InputError(
                    "ca_file", "the CA file could not be read as PEM certificates."
                ) from e
        return ctx


def is_certificate_failure(exc: BaseException) -> bool:
    """True when `exc` (or what caused it) is a failed certificate check: no retry helps."""
    cur: BaseException | None = exc
    for _ in range(10):
        if cur is None:
            return False
        if isinstance(cur, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(cur):
            return True
        cur = cur.__cause__ or cur.__context__
    return False


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded in attempts and in total time."""

    max_attempts: int = 6
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    max_total_s: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        for name in ("base_delay_s", "max_delay_s", "max_total_s"):
            v = getattr(self, name)
            if not math.isfinite(v) or v < 0:
                raise ValueError(f"{name} must be a finite number >= 0")
        if self.max_delay_s < self.base_delay_s:
            raise ValueError("max_delay_s must be >= base_delay_s")

    def delay(self, attempt: int, retry_after_s: float | None, rng: random.Random) -> float:
        """Seconds to wait after the `attempt`-th failure (1-based): `backoff_delay`. A
        Retry-After beyond the time budget ends the retries instead (see `Backoff`)."""
        return backoff_delay(
            attempt, retry_after_s, base_s=self.base_delay_s, max_s=self.max_delay_s, rng=rng
        )


@dataclass(frozen=True)
class StreamSettings:
    """Voice stream options: token transport, handshake timeout, keepalive, message bound.

    Keepalive: a ping every `ping_interval_s`; a peer that has not answered one for
    `dead_after_s` since its last sign of life is dead, its socket dropped after at most
    `close_timeout_s` of closing handshake, all within `dead_after_s`.
    """

    token_in: TokenTransport = "query"
    handshake_timeout_s: float = 10.0
    ping_interval_s: float = 30.0
    dead_after_s: float = 60.0
    close_timeout_s: float = 2.0
    max_message_bytes: int = 1 << 20

    def __post_init__(self) -> None:
        if self.token_in not in get_args(TokenTransport):
            raise InputError("token_in", "choose query or header.")
        for name in ("handshake_timeout_s", "ping_interval_s", "dead_after_s", "close_timeout_s"):
            v = getattr(self, name)
            if not math.isfinite(v) or v <= 0:
                raise ValueError(f"{name} must be a finite number > 0")
        if self.ping_timeout_s <= 0:
            raise ValueError("dead_after_s must exceed ping_interval_s + close_timeout_s")
        if self.max_message_bytes < 1:
            raise ValueError("max_message_bytes must be positive")

    @property
    def ping_timeout_s(self) -> float:
        """How long a ping may go unanswered: the rest of `dead_after_s`."""
        return self.dead_after_s - self.ping_interval_s - self.close_timeout_s
