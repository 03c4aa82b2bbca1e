"""Why a request got no HTTP answer, in words that say what was tried and what to do.

A failed connect surfaces as httpx, websockets or OS exceptions wrapped in each
other; the cause that matters (DNS, refused, timeout, TLS) sits somewhere in the
chain. The message names the host and port (never a token: callers pass a URL
that is safe to show) and never an exception class name.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator
from urllib.parse import urlsplit

from cxone_desktop.errors import ServiceUnavailable, TlsVerificationFailed

_DNS_ERRNOS = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5), socket.EAI_AGAIN,
               socket.EAI_FAIL}  # fmt: skip
_REFUSED = {errno.ECONNREFUSED}
_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EHOSTDOWN, errno.ENETDOWN}
_RESET = {errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE}


def describe_unreachable(
    exc: BaseException, what: str, url: str
) -> TlsVerificationFailed | ServiceUnavailable:
    """The typed error for `what` at `url` (safe to show) that gave no HTTP answer."""
    host, port = _host_port(url)
    where = f"{host}:{port}" if port else host
    for cause in _chain(exc):
        if isinstance(cause, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(
            cause
        ):
            return _certificate_error(cause, what, where)
    for cause in _chain(exc):
        if isinstance(cause, socket.gaierror) or _dns_text(cause):
            return ServiceUnavailable(
                f"{host} does not resolve (DNS), so {what} cannot be reached.",
                remedy="Check the tenant name or base URL for typos, and your network or VPN.",
            )
        code = getattr(cause, "errno", None)
        if isinstance(cause, ConnectionRefusedError) or code in _REFUSED:
            return ServiceUnavailable(
                f"Nothing is listening at {where}: the connection to {what} was refused.",
                remedy="Check the base URL and port, and that the server is running.",
            )
        if isinstance(cause, TimeoutError) or "timed out" in str(cause).lower():
            return ServiceUnavailable(
                f"{where} did not answer in time ({what}).",
                remedy="Check the network, a VPN or proxy, or try again; the server may be down.",
            )
        if code in _UNREACHABLE:
            return ServiceUnavailable(
                f"{where} cannot be reached from this machine ({what}): no route to it.",
                remedy="Check the network connection, VPN or firewall.",
            )
        if isinstance(cause, ConnectionResetError | BrokenPipeError) or code in _RESET:
            return ServiceUnavailable(
                f"{where} closed the connection before answering ({what}).",
                remedy="A proxy or firewall may be in the way, or the server restarted; "
                "it is retried.",
            )
        if isinstance(cause, ssl.SSLError):
            return ServiceUnavailable(
                f"The TLS handshake with {where} failed ({what}): {_ssl_reason(cause)}.",
                remedy="Check that the base URL uses the right scheme (https/wss) and port.",
            )
    return ServiceUnavailable(
        f"Could not reach {what} at {where}.",
        remedy="Check the base URL or tenant and the network; it is retried.",
    )


def _certificate_error(cause: BaseException, what: str, where: str) -> TlsVerificationFailed:
    detail = getattr(cause, "verify_message", "") or ""
    text = f"{detail} {cause}".lower()
    if "hostname mismatch" in text or "doesn't match" in text or "not valid for" in text:
        why = "it was issued for another host name"
    elif "expired" in text:
        why = "it has expired"
    elif "self-signed" in text or "self signed" in text:
        why = "it is self-signed"
    elif "unable to get local issuer" in text or "unknown ca" in text:
        why = "it was issued by a CA this machine does not trust"
    else:
        why = detail or "it could not be verified"
    return TlsVerificationFailed(f"The certificate of {what} at {where} was refused: {why}.")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and what caused it, outermost first (bounded: chains can loop)."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen and len(seen) < 12:
        seen.add(id(cur))
        yield cur
        cur = cur.__cause__ or cur.__context__


def _dns_text(exc: BaseException) -> bool:
    if isinstance(exc, socket.gaierror):
        return True
    code = getattr(exc, "errno", None)
    text = str(exc).lower()
    return (
        (code in _DNS_ERRNOS and "name" in text)
        or "name or service not known" in text
        or ("nodename nor servname" in text or "getaddrinfo failed" in text)
    )


def _ssl_reason(exc: ssl.SSLError) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason).replace("_", " ").lower() if reason else "the server did not speak TLS"


def _host_port(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    host = parts.hostname or url
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None and parts.scheme:
        port = {"https": 443, "wss": 443, "http": 80, "ws": 80}.get(parts.scheme)
    return host, port
