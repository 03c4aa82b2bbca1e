"""Small purpose-built servers on 127.0.0.1 that script every edge case the client meets."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

SECRET = "s3cr3t-Sh0uld-N3ver-Appear"
TOKEN = "tok-VALUE-that-must-stay-hidden"

Responder = Callable[[web.Request], Awaitable[web.StreamResponse] | web.StreamResponse]


def token_json(
    token: str = TOKEN, expires_in: Any = 3600, scope: str = "agent:voice:stream"
) -> Responder:
    payload = {"access_token": token, "token_type": "Bearer", "expires_in": expires_in}
    if scope:
        payload["scope"] = scope
    return reply(200, payload)


def reply(
    status: int,
    payload: Any = None,
    *,
    headers: dict[str, str] | None = None,
    text: str | None = None,
    delay_s: float = 0.0,
) -> Responder:
    async def respond(_request: web.Request) -> web.StreamResponse:
        if delay_s:
            await asyncio.sleep(delay_s)
        if text is not None:
            return web.Response(status=status, text=text, headers=headers)
        return web.json_response(
            payload if payload is not None else {}, status=status, headers=headers
        )

    return respond


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpFake:
    """An aiohttp server: each request pops the next scripted responder (or the default)."""

    default: Responder = field(default_factory=token_json)
    script: list[Responder] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    server: TestServer | None = None

    async def start(self, ssl_context: ssl.SSLContext | None = None) -> HttpFake:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self.server = TestServer(app, host="127.0.0.1", port=0)
        await self.server.start_server(ssl=ssl_context)
        return self

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.seen.append(
            Seen(request.method, request.path, dict(request.query), dict(request.headers), body)
        )
        responder = self.script.pop(0) if self.script else self.default
        result = responder(request)
        return await result if asyncio.iscoroutine(result) else result  # type: ignore[return-value]

    def json_bodies(self) -> list[Any]:
        return [json.loads(s.body) for s in self.seen]


Rejection = tuple[int, dict[str, str], str]
Behaviour = Callable[[ServerConnection], Awaitable[None]]


async def hold_open(ws: ServerConnection) -> None:
    await ws.wait_closed()


@dataclass
class WsFake:
    """A websockets server: scripted handshake rejections first, then `behaviour` per connection."""

    behaviour: Behaviour = hold_open
    rejections: list[Rejection] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    server: Server | None = None

    async def start(self, ssl_context: ssl.SSLContext | None = None) -> WsFake:
        self.server = await serve(
            self._handler, "127.0.0.1", 0, process_request=self._process_request, ssl=ssl_context
        )
        return self

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(next(iter(self.server.sockets)).getsockname()[1])

    def base_url(self, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}"

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    def _process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        self.requests.append(request)
        if not self.rejections:
            return None
        status, headers, body = self.rejections.pop(0)
        response = conn.respond(status, body)
        for k, v in headers.items():
            response.headers[k] = v
        return response

    async def _handler(self, ws: ServerConnection) -> None:
        await self.behaviour(ws)


def header(request: Request, name: str) -> str | None:
    h: Headers = request.headers
    return h.get(name)
