"""HTTP requests whose answers are read with a size cap and a deadline.

httpx reads a whole body into memory when asked for `.json()`: a 50 MB call-state
answer took the client to 342 MB. Here the body is streamed and refused past
`max_bytes` (a Content-Length that says more is refused before reading); we ask for
`Accept-Encoding: identity`, and a server that compresses anyway is decoded with the
same cap, so a small gzip bomb cannot grow either. The whole exchange, headers and
body, must finish within `deadline_s`: a server dribbling a byte every few seconds
is a timeout, not a wait of days.
"""

from __future__ import annotations

import asyncio
import zlib
from dataclasses import dataclass
from typing import Any

import httpx

from cxone_desktop.cxone.bounded_json import MAX_DOCUMENT_BYTES
from cxone_desktop.errors import ProtocolError

#: How long one request may take, headers and body, in seconds.
REQUEST_DEADLINE_S = 15.0
_DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


@dataclass(frozen=True)
class HttpAnswer:
    """A response read whole, or as much of it as the cap allowed (`complete` False)."""

    status: int
    headers: httpx.Headers
    body: bytes
    complete: bool


async def request_capped(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    max_bytes: int = MAX_DOCUMENT_BYTES,
    deadline_s: float | None = None,
    **kwargs: Any,
) -> HttpAnswer:
    """One request; raises httpx.TransportError (a timeout at the deadline too) as httpx does.

    `deadline_s` defaults to REQUEST_DEADLINE_S.

    A body over `max_bytes` is cut there with `complete` False: for a 200 the caller
    refuses it (`require_complete`), for an error status the start is enough to read.
    """
    if deadline_s is None:
        deadline_s = REQUEST_DEADLINE_S
    headers = dict(kwargs.pop("headers", None) or {})
    headers.setdefault("Accept-Encoding", "identity")
    auth = kwargs.pop("auth", None)
    request = client.build_request(method, url, headers=headers, **kwargs)
    try:
        async with asyncio.timeout(deadline_s):
            response = await client.send(
                request, stream=True, follow_redirects=False, **({"auth": auth} if auth else {})
            )
            try:
                body, complete = await _read(response, max_bytes)
            finally:
                await response.aclose()
    except TimeoutError:
        raise httpx.ReadTimeout(
            f"no complete answer within {deadline_s:g} s", request=request
        ) from None
    return HttpAnswer(response.status_code, response.headers, body, complete)


def require_complete(answer: HttpAnswer, what: str, max_bytes: int = MAX_DOCUMENT_BYTES) -> bytes:
    """The body of an answer the caller will parse; ProtocolError if the cap cut it."""
    if not answer.complete:
        raise ProtocolError(
            f"{what[:1].upper()}{what[1:]} is larger than the {max_bytes} bytes allowed."
        )
    return answer.body


async def _read(response: httpx.Response, max_bytes: int) -> tuple[bytes, bool]:
    declared = response.headers.get("Content-Length", "")
    if declared.strip().isdigit() and int(declared) > max_bytes:
        return b"", False  # said up front: nothing is read
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    decoder = None
    if encoding not in ("", "identity"):
        wbits = _DECODERS.get(encoding)
        if wbits is None:
            raise ProtocolError(
                f"The server compressed its answer with {encoding[:20]!r} although the "
                "client asked for none."
            )
        decoder = zlib.decompressobj(wbits)
    body = bytearray()
    async for chunk in response.aiter_raw():
        if decoder is not None:
            try:
                chunk = decoder.decompress(chunk, max_bytes + 1 - len(body))
            except zlib.error:
                raise ProtocolError(f"The server's {encoding} answer is corrupt.") from None
        body += chunk
        if len(body) > max_bytes or (decoder is not None and decoder.unconsumed_tail):
            return bytes(body[:max_bytes]), False
    return bytes(body), True
