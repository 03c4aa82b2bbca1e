"""A tenant that misbehaves on purpose: token, call state and voice stream on one port.

Each route is a pluggable handler so one test scripts exactly the attack it is about
(a body 100,000 brackets deep, a stream that dies at once, a 302 elsewhere…). It is
not the simulator: it shares no code with it, answers nothing it was not told to,
and uses its own call ID, token and audio (a sawtooth, unlike the simulator's calls).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from aiohttp import web

from cxone_desktop.cxone.endpoints import Endpoints
from cxone_desktop.cxone.settings import Credentials, RetryPolicy
from cxone_desktop.session.config import SessionConfig

CALL_ID = "hostile-7"
TOKEN = "hostile-token-4f1d"
FRAME = 320  # bytes: 20 ms of 8 kHz PCM16

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
StreamBehaviour = Callable[[web.WebSocketResponse, web.Request], Awaitable[None]]


def audio(frames: int, start: int = 0) -> bytes:
    """`frames` 20 ms frames of a quiet sawtooth (distinct bytes, so order shows)."""
    n = frames * FRAME // 2
    samples = ((np.arange(start, start + n) * 37) % 4000 - 2000).astype("<i2")
    return samples.tobytes()


def deep_array(levels: int = 100_000) -> str:
    """`[` × levels: what made json.loads raise RecursionError."""
    return "[" * levels


def deep_object(levels: int = 900) -> str:
    """A VALID object `levels` deep: parses, then overflowed every recursive walk after it."""
    return '{"event":"x","a":' * levels + "1" + "}" * levels


async def valid_token(_request: web.Request) -> web.StreamResponse:
    return web.json_response({"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600})


def call_states(*states: str) -> Handler:
    """Answers each state in turn, the last one from then on."""
    queue = list(states)

    async def answer(_request: web.Request) -> web.StreamResponse:
        state = queue.pop(0) if len(queue) > 1 else queue[0]
        return web.json_response({"interactionId": CALL_ID, "state": state})

    return answer


def text_reply(body: str, status: int = 200) -> Handler:
    async def answer(_request: web.Request) -> web.StreamResponse:
        return web.Response(text=body, status=status, content_type="application/json")

    return answer


def audio_for(
    seconds: float, *, then_close: int | None = 1000, pace_s: float = 0.02
) -> StreamBehaviour:
    """Sends `seconds` of audio, a frame every `pace_s`, then closes with `then_close`."""

    async def behave(ws: web.WebSocketResponse, _request: web.Request) -> None:
        for i in range(round(seconds / 0.02)):
            await ws.send_bytes(audio(1, i * FRAME // 2))
            await asyncio.sleep(pace_s)
        if then_close is not None:
            await ws.close(code=then_close)

    return behave


async def audio_forever(ws: web.WebSocketResponse, request: web.Request) -> None:
    """Real-time audio until the client goes: only the call-state endpoint can end this call."""
    i = 0
    while not ws.closed:
        await ws.send_bytes(audio(1, i * FRAME // 2))
        i += 1
        await asyncio.sleep(0.02)


@dataclass
class HostileTenant:
    """One aiohttp server on 127.0.0.1; `hits` counts requests per route."""

    token: Handler = valid_token
    call_state: Handler = field(default_factory=lambda: call_states("active"))
    stream: StreamBehaviour = field(default_factory=lambda: audio_for(0.6))
    #: Answers the stream's handshake instead of upgrading when it returns a response.
    handshake: Callable[[web.Request], Awaitable[web.StreamResponse | None]] | None = None
    #: False: pings are never answered (a peer that is gone but whose TCP still looks open).
    autoping: bool = True
    hits: Counter[str] = field(default_factory=Counter)
    #: The stream requests' query strings and Authorization headers, in order.
    stream_requests: list[tuple[str, str]] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _port: int = 0
    _sockets: set[web.WebSocketResponse] = field(default_factory=set)

    async def start(self) -> HostileTenant:
        app = web.Application(client_max_size=1 << 20)
        app.router.add_post("/oauth2/token", self._token)
        app.router.add_get("/api/v2/interactions/{call_id}/call", self._call_state)
        app.router.add_get("/agent/voice/{call_id}/stream", self._stream)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )  # handlers that hang on purpose must not hold the teardown
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        return self

    async def close(self) -> None:
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(code=1001), timeout=1.0)
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def config(self, out_dir: Path, **overrides: Any) -> SessionConfig:
        """A session aimed here, fast retries (failure paths end in seconds)."""
        values: dict[str, Any] = {
            "endpoints": Endpoints.from_input(base_url=self.base_url),
            "call_id": CALL_ID,
            "credentials": Credentials("hostile-client", "hostile-secret"),
            "retry": RetryPolicy(max_attempts=3, base_delay_s=0.05, max_delay_s=0.2, max_total_s=5),
            "out_dir": out_dir,
            "poll_interval_s": 0.2,
        }
        values.update(overrides)
        return SessionConfig(**values)

    async def _token(self, request: web.Request) -> web.StreamResponse:
        self.hits["token"] += 1
        return await self.token(request)

    async def _call_state(self, request: web.Request) -> web.StreamResponse:
        self.hits["call_state"] += 1
        return await self.call_state(request)

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        self.hits["stream"] += 1
        self.stream_requests.append(
            (request.query_string, request.headers.get("Authorization", ""))
        )
        if self.handshake is not None:
            answer = await self.handshake(request)
            if answer is not None:
                return answer
        ws = web.WebSocketResponse(autoping=self.autoping, max_msg_size=1 << 20)
        await ws.prepare(request)
        self._sockets.add(ws)
        reader = asyncio.create_task(_drain(ws))
        try:
            await self.stream(ws, request)
        except (ConnectionError, RuntimeError):
            pass  # the client went away mid-send
        finally:
            self._sockets.discard(ws)
            if ws.closed:
                reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError, Exception):
                await asyncio.wait_for(reader, timeout=1.0)
        return ws


async def _drain(ws: web.WebSocketResponse) -> None:
    """Reads (so aiohttp answers pings and close frames) until the client goes."""
    async for _ in ws:
        pass


def events(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]


def summary(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "summary.json").read_text())


def wav_bytes(path: Path) -> bytes:
    import wave

    with wave.open(str(path), "rb") as w:
        return w.readframes(w.getnframes())


async def run_record(
    tenant: HostileTenant, out: Path, *extra: str, timeout_s: float = 60.0
) -> tuple[int, str, str]:
    """`cxone-desktop record` against `tenant` as a real process: (returncode, stdout, stderr).

    Fails the test (and kills the process) if it has not finished within `timeout_s`.
    """
    import os
    import sys

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cxone_desktop", "record", "--base-url", tenant.base_url,
        "--client-id", "hostile-client", "--call-id", CALL_ID, "--out", str(out),
        "--poll-interval", "0.2", *extra,
        env={**os.environ, "CXONE_CLIENT_SECRET": "hostile-secret"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    talk = asyncio.ensure_future(proc.communicate())
    done, _ = await asyncio.wait({talk}, timeout=timeout_s)
    if not done:
        proc.kill()
        out_b, err_b = await talk
        raise AssertionError(
            f"record still running after {timeout_s} s; stderr tail: {err_b.decode()[-2000:]}"
        )
    out_b, err_b = talk.result()
    assert proc.returncode is not None
    return proc.returncode, out_b.decode(), err_b.decode()
