"""Redirects of requests that carry a credential: refused when they leave the origin.

Every request the client makes carries the client secret (token endpoint) or the
access token (stream, call state), in a header or in the URL. Following a redirect
to another origin would hand it to a server the user never named. Same-origin
WebSocket redirects are followed (websockets does that); HTTP redirects are never
followed (httpx's default), and both are reported naming only the target's origin,
since a Location's path or query may hold anything.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from cxone_desktop.errors import RedirectRefused

REDIRECT_STATUSES = frozenset({300, 301, 302, 303, 307, 308})
_SCHEME_FAMILY = {"ws": "http", "wss": "https"}
_DEFAULT_PORT = {"http": 80, "https": 443}


def origin(url: str) -> str:
    """`scheme://host:port` of `url`, ws/wss spelled http/https, the port always given."""
    parts = urlsplit(url)
    scheme = _SCHEME_FAMILY.get(parts.scheme.lower(), parts.scheme.lower())
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or _DEFAULT_PORT.get(scheme, 0)
    except ValueError:  # a port that is not a number
        port = 0
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"


def same_origin(a: str, b: str) -> bool:
    return origin(a) == origin(b)


def redirect_refused(
    what: str, status: int, location: str | None, request_url: str
) -> RedirectRefused:
    """The error for a redirect from `request_url` that the client will not follow."""
    target = urljoin(request_url, location) if location else ""
    where = f" to {origin(target)}" if target else ""
    if target and not same_origin(target, request_url):
        why = "it leads to another server and the request carries a credential"
    else:
        why = "the client does not follow redirects of requests that carry a credential"
    return RedirectRefused(
        f"{what} redirected ({status}){where}; not followed: {why}.",
    )
