"""Twilio's request signature: base64(HMAC-SHA1(auth token, full URL + sorted POST params)).

A Media Streams WebSocket upgrade carries no body, so only the URL is signed. Twilio's
own validators also accept the URL with its default port added or removed (a proxy
may have changed it), so we do too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

_DEFAULT_PORTS = {"https": 443, "wss": 443, "http": 80, "ws": 80}


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str] | None = None) -> str:
    """The X-Twilio-Signature value Twilio would send for `url` (and form `params`)."""
    data = url + "".join(k + v for k, v in sorted((params or {}).items()))
    mac = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode("ascii")


def twilio_signature_valid(
    auth_token: str, url: str, signature: str, params: Mapping[str, str] | None = None
) -> bool:
    """Constant-time check of `signature` against `url` with and without its default port."""
    given = signature.encode()
    ok = False
    for candidate in _port_variants(url):
        expected = twilio_signature(auth_token, candidate, params).encode()
        ok |= hmac.compare_digest(given, expected)  # no early exit: same work either way
    return ok


def _port_variants(url: str) -> list[str]:
    parts = urlsplit(url)
    default = _DEFAULT_PORTS.get(parts.scheme)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    userinfo = parts.netloc.rpartition("@")[0]
    prefix = f"{userinfo}@" if userinfo else ""
    try:
        port = parts.port
    except ValueError:
        return [url]
    without = urlunsplit(parts._replace(netloc=prefix + host))
    variants = [url, without]
    if default is not None and port is None:
        variants.append(urlunsplit(parts._replace(netloc=f"{prefix}{host}:{default}")))
    return list(dict.fromkeys(variants))
