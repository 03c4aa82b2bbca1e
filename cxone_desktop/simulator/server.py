"""The CXone stand-in: OAuth token endpoint, voice-stream WebSocket and call-state REST on one port.

With `two_party` it serves a call's parties as the relay does: the mono mix by default,
`?perspective=agent|customer`, `?channels=2` (agent left, customer right), and lists its
calls at `GET /api/v2/calls` in the relay's shape.

Speaks the wire contract the client is written against (see DESIGN.md): every
error is JSON with `error` and `error_description`, and no response, log line
or repr carries a secret or a token. The aiohttp access log stays off because
it would print `?access_token=` query strings.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from types import TracebackType

from aiohttp import web

from cxone_desktop.core.audio_format import DEFAULT_FORMAT
from cxone_desktop.errors import AGENT_SCOPE, VIEW_SCOPE
from cxone_desktop.serving.base_url import local_base_url
from cxone_desktop.serving.oauth_endpoint import (
    BASIC_CHALLENGE,
    NO_STORE,
    bearer_token,
    error_response,
    insufficient_scope,
    invalid_token,
    json_errors,
    read_client_credentials,
    same_secret,
)
from cxone_desktop.serving.tokens import IssuedToken, TokenStore
from cxone_desktop.simulator.call_media import (
    ShapeRefused,
    StreamShape,
    load_call_media,
    stream_shape,
)
from cxone_desktop.simulator.clock import Clock, MonotonicClock
from cxone_desktop.simulator.config import SimulatorConfig
from cxone_desktop.simulator.live_call import PLATFORM, SENT_KEEP_BYTES, LiveCall
from cxone_desktop.simulator.media_pump import MediaPump, PumpOutcome

log = logging.getLogger(__name__)

RETRY_AFTER_S = 1


class CXoneSimulator:
    """A CXone tenant on loopback (or any host/port), for demo mode, tests and benchmarks.

    `async with CXoneSimulator(config) as sim:` serves until the block exits;
    `sim.base_url` is where the client points. Pass a fake `clock` to drive the
    media clock and token expiry from a test.
    """

    def __init__(
        self, config: SimulatorConfig | None = None, *, clock: Clock | None = None
    ) -> None:
        self.config = config if config is not None else SimulatorConfig()
        self._clock: Clock = clock if clock is not None else MonotonicClock()
        self._tokens = TokenStore(self._clock.now, self.config.token_ttl_s)
        media = load_call_media(self.config)
        self._calls = {call_id: LiveCall(call_id, media) for call_id in self.config.call_ids}
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self.token_requests = 0

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("the simulator is already running")
        app = web.Application(middlewares=[json_errors], client_max_size=64 * 1024)
        app.router.add_post("/oauth2/token", self._token)
        app.router.add_get("/agent/voice/{call_id}/stream", self._stream)
        app.router.add_get("/api/v2/interactions/{call_id}/call", self._call_state)
        app.router.add_get("/api/v2/calls", self._calls_list)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(
            runner,
            self.config.host,
            self.config.port,
            ssl_context=self.config.ssl_context,
        )
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        log.info("CXone simulator serving on %s", self.base_url)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is None:
            return
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    ws.close(code=1001, message=b"simulator stopping"), timeout=1.0
                )
        await runner.cleanup()
        log.info("CXone simulator stopped")

    async def __aenter__(self) -> CXoneSimulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ---- what tests and the GUI read -------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the simulator has not started")
        return self._port

    @property
    def base_url(self) -> str:
        return local_base_url(
            self.config.host, self.port, tls=self.config.ssl_context is not None,
            omit_default_port=True,
        )  # fmt: skip

    def sent_audio(self, call_id: str) -> bytes:
        """Every audio byte sent to any listener of `call_id`, in send order.

        Kept up to SENT_KEEP_BYTES a call; past that this raises rather than mislead.
        """
        call = self._call(call_id)
        if call.sent_truncated:
            raise RuntimeError(f"more than {SENT_KEEP_BYTES} bytes were sent to {call_id}")
        return bytes(call.sent)

    def connections(self, call_id: str) -> int:
        """How many stream connections to `call_id` were accepted so far."""
        return self._call(call_id).accepted

    def open_connections(self, call_id: str) -> int:
        """How many stream connections to `call_id` are open now."""
        return self._call(call_id).open

    def call_state(self, call_id: str) -> str:
        return self._call(call_id).state(self._clock.now())

    def issue_token(self, scopes: tuple[str, ...] | None = None) -> str:
        """Mint a valid token directly (tests); default scopes are the granted ones."""
        return self._tokens.issue(self.config.granted_scopes if scopes is None else scopes)

    def revoke_all_tokens(self) -> None:
        self._tokens.revoke_all()

    def _call(self, call_id: str) -> LiveCall:
        try:
            return self._calls[call_id]
        except KeyError:
            raise KeyError(f"the simulator serves no call {call_id!r}") from None

    # ---- POST /oauth2/token ----------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.StreamResponse:
        self.token_requests += 1
        if self.token_requests <= self.config.rate_limit:
            return error_response(
                429,
                "rate_limited",
                "Too many token requests; retry after the delay in Retry-After.",
                {"Retry-After": str(RETRY_AFTER_S)},
            )
        creds = await read_client_credentials(request)
        if isinstance(creds, web.Response):
            return creds
        if not (
            same_secret(creds.client_id, self.config.client_id)
            and same_secret(creds.secret, self.config.client_secret)
        ):
            log.info("token request refused: wrong client credentials")
            return error_response(
                401,
                "invalid_client",
                "Client authentication failed: unknown client ID or wrong secret.",
                BASIC_CHALLENGE if creds.via_basic else None,
            )
        granted = self.config.granted_scopes
        requested = creds.requested_scopes
        if requested:
            refused = [s for s in requested if s not in granted]
            if refused:
                return error_response(
                    400,
                    "invalid_scope",
                    f"Scope(s) not granted to this client: {' '.join(sorted(set(refused)))}.",
                )
            scopes = requested
        else:
            scopes = granted
        token = self._tokens.issue(scopes)
        log.info("issued a token with scopes %s", " ".join(scopes))
        return web.json_response(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": max(1, math.floor(self.config.token_ttl_s)),
                "scope": " ".join(scopes),
            },
            headers=NO_STORE,
        )

    # ---- GET /api/v2/interactions/{id}/call ------------------------------------------------

    async def _call_state(self, request: web.Request) -> web.StreamResponse:
        grant = self._tokens.lookup(bearer_token(request))
        if grant is None:
            return invalid_token()
        if VIEW_SCOPE not in grant.scopes:
            return insufficient_scope(VIEW_SCOPE)
        call = self._calls.get(request.match_info["call_id"])
        if call is None:
            return error_response(404, "not_found", "No interaction with this ID on this tenant.")
        return web.json_response(call.describe(self._clock.now()), headers=NO_STORE)

    # ---- GET /api/v2/calls -----------------------------------------------------------------

    async def _calls_list(self, request: web.Request) -> web.StreamResponse:
        """The calls a listener may hear (all of them here), ended ones left out, as the relay."""
        grant = self._tokens.lookup(bearer_token(request))
        if grant is None:
            return invalid_token()
        if VIEW_SCOPE not in grant.scopes:
            return insufficient_scope(VIEW_SCOPE)
        now = self._clock.now()
        calls = [c.list_entry(now) for c in self._calls.values() if c.state(now) != "ended"]
        return web.json_response({"calls": calls}, headers=NO_STORE)

    # ---- GET /agent/voice/{id}/stream (WebSocket) ------------------------------------------

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        refusal = self._refuse_stream(request)
        if refusal is not None:
            return refusal
        call = self._calls[request.match_info["call_id"]]
        shape = _stream_shape(request, call)
        if isinstance(shape, web.Response):
            return shape
        ws = web.WebSocketResponse(autoping=True, compress=False, timeout=2.0)
        if not ws.can_prepare(request).ok:
            return error_response(
                400, "invalid_request", "This endpoint only speaks WebSocket: send an Upgrade."
            )
        await ws.prepare(request)
        joined_at = self._clock.now()
        t0 = call.start_clock(joined_at)
        call.accepted += 1
        call.open += 1
        self._sockets.add(ws)
        index = call.accepted
        seed = self.config.impairments.seed
        pump = MediaPump(
            call.media.media(shape),
            self.config.impairments,
            self._clock,
            call_t0=t0,
            joined_at=joined_at,
            rng_seed=None if seed is None else f"{seed}/{call.call_id}/{index}",
        )
        log.info("stream %d of call %s connected", index, call.call_id)
        sink = _WebSocketSink(ws, request, call)
        outcome = PumpOutcome.CLIENT_GONE
        try:
            await sink.send_event(
                {
                    "event": "call.started",
                    "callId": call.call_id,
                    "encoding": call.media.encoding,
                    "sampleRate": DEFAULT_FORMAT.rate_hz,
                    "channels": 2 if shape == "stereo" else 1,
                    "perspective": "mixed" if shape == "stereo" else shape,
                    "platform": PLATFORM,
                    "perspectives": call.perspectives,
                }
            )
            reader = asyncio.create_task(_drain(ws))
            pumping = asyncio.create_task(pump.run(sink))
            try:
                await asyncio.wait({reader, pumping}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                if not pumping.done():
                    pumping.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                    outcome = await pumping
                with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(reader, timeout=2.0)
        except ConnectionError:
            pass
        finally:
            call.open -= 1
            self._sockets.discard(ws)
            log.info(
                "stream %d of call %s finished: %s (%d frames sent, %d lost)",
                index,
                call.call_id,
                outcome.value,
                pump.frames_sent,
                pump.frames_lost,
            )
        return ws

    def _refuse_stream(self, request: web.Request) -> web.Response | None:
        token = request.query.get("access_token") or bearer_token(request)
        grant: IssuedToken | None = self._tokens.lookup(token)
        if grant is None:
            return invalid_token(403)  # the stream refuses with 403, as CXone's does
        if AGENT_SCOPE not in grant.scopes:
            return insufficient_scope(AGENT_SCOPE)
        call = self._calls.get(request.match_info["call_id"])
        if call is None:
            return error_response(
                403,
                "call_not_found",
                "This call is not connected to an agent on this tenant (unknown call ID).",
            )
        state = call.state(self._clock.now())
        if state == "ended":
            return error_response(
                403, "call_ended", "The call has ended; there is nothing to stream."
            )
        if state == "on_hold":
            return error_response(
                403,
                "call_on_hold",
                "The call is on hold; reconnect when its state is active again.",
            )
        return None


class _WebSocketSink:
    """The pump's view of one aiohttp WebSocket; records sent audio on the call."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, call: LiveCall) -> None:
        self._ws = ws
        self._request = request
        self._call = call

    @property
    def closed(self) -> bool:
        return self._ws.closed

    async def send_bytes(self, data: bytes) -> None:
        await self._ws.send_bytes(data)
        self._call.keep_sent(data)

    async def send_event(self, event: dict[str, object]) -> None:
        await self._ws.send_str(json.dumps(event, separators=(",", ":")))

    async def close(self, code: int, reason: str) -> None:
        await self._ws.close(code=code, message=reason.encode())

    def abort(self) -> None:
        transport = self._request.transport
        if transport is not None:
            transport.abort()


async def _drain(ws: web.WebSocketResponse) -> None:
    """Read until the client goes: aiohttp answers pings and close frames while we read."""
    async for _ in ws:
        pass  # the stream is one-way; anything the client sends is ignored


def _stream_shape(request: web.Request, call: LiveCall) -> StreamShape | web.Response:
    """What the listener asked for (`?channels=`, `?perspective=`); 400 naming what is wrong."""
    shape = stream_shape(
        request.query.get("channels"), request.query.get("perspective"), call.media.two_party
    )
    if isinstance(shape, ShapeRefused):
        return error_response(400, "invalid_request", shape.message)
    return shape
