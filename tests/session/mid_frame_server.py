"""A CXone-style server that is not our simulator: it drops the socket in the middle of a frame.

Token, call-state and stream endpoints on aiohttp. Connection k sends its own bytes in
messages of a seeded random size (1–700 bytes) and, except for the last, aborts the
TCP connection `cut_bytes` into a frame (the client sees 1006). The last connection
sends its bytes, then `call.ended`, then closes 1000. Everything sent is kept.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

FRAME_BYTES = 320


@dataclass
class MidFrameServer:
    streams: list[bytes]  # what each connection sends (the non-last ones get cut)
    cut_bytes: int = 79  # how far into a frame each drop happens
    seed: int = 1
    sent: list[bytes] = field(default_factory=list)
    ended: bool = False
    _runner: web.AppRunner | None = None
    base_url: str = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/oauth2/token", self._token)
        app.router.add_get("/api/v2/interactions/{call}/call", self._state)
        app.router.add_get("/agent/voice/{call}/stream", self._stream)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _token(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"access_token": "mid-frame-token", "token_type": "Bearer", "expires_in": 3600}
        )

    async def _state(self, request: web.Request) -> web.Response:
        return web.json_response({"state": "ended" if self.ended else "active"})

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        k = len(self.sent)
        if k >= len(self.streams):
            return web.json_response({"error": "call_ended", "message": "over"}, status=403)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        data = self.streams[k]
        last = k == len(self.streams) - 1
        if not last:  # stop `cut_bytes` into a frame
            data = data[: (len(data) // FRAME_BYTES - 1) * FRAME_BYTES + self.cut_bytes]
        rng = random.Random(f"{self.seed}/{k}")
        sent = bytearray()
        self.sent.append(b"")
        i = 0
        while i < len(data):
            chunk = data[i : i + rng.randint(1, 700)]
            await ws.send_bytes(chunk)
            sent += chunk
            self.sent[k] = bytes(sent)
            i += len(chunk)
            await asyncio.sleep(len(chunk) / 16000)  # about real time
        if not last:
            assert request.transport is not None
            request.transport.abort()  # no close frame: 1006
            return ws
        self.ended = True
        await ws.send_json({"event": "call.ended"})
        await ws.close(code=1000)
        async for msg in ws:
            if msg.type == WSMsgType.CLOSE:
                break
        return ws
