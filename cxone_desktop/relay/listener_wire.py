"""The app's wire, served to listeners: token, voice stream, call state, calls list.

Same shapes as the simulator (so `record` and the app work unchanged), plus the
relay's own: `?perspective=`, `?channels=2`, `?encoding=mulaw` on the stream, and
`GET /api/v2/calls` listing what the caller may hear. Refusals carry `error` and a
`message` naming the reason (and `error_description`, for OAuth-minded clients).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from typing import Protocol

from aiohttp import web

from cxone_desktop.errors import AGENT_SCOPE, VIEW_SCOPE
from cxone_desktop.relay.call_registry import CallRegistry
from cxone_desktop.relay.call_summary import CallSummary
from cxone_desktop.relay.client_rules import ClientRule
from cxone_desktop.relay.config import RelayConfig
from cxone_desktop.relay.failure_delay import FailureDelay
from cxone_desktop.relay.fanout import FanOut, Listener, ListenerShape
from cxone_desktop.relay.listener_tokens import ListenerTokens, TokenGrant, TokenProblem
from cxone_desktop.relay.relay_metrics import RelayMetrics
from cxone_desktop.serving.oauth_endpoint import (
    BASIC_CHALLENGE,
    NO_STORE,
    bearer_token,
    read_client_credentials,
    same_secret,
)

log = logging.getLogger(__name__)

_SHAPES = {
    "perspective": ("mixed", "agent", "customer"),
    "channels": ("1", "2"),
    "encoding": ("pcm16", "mulaw"),
}


class ListenableCall(Protocol):
    """A local call, or one arriving from another instance over the bus."""

    @property
    def summary(self) -> CallSummary: ...
    @property
    def fanout(self) -> FanOut: ...


class CallFinder(Protocol):
    """The bus's view of calls on other instances."""

    async def attach(self, call_id: str) -> ListenableCall | None: ...
    async def summary(self, call_id: str) -> CallSummary | None: ...
    async def summaries(self) -> list[CallSummary]: ...
    def detach_if_idle(self, call_id: str) -> None: ...


class WebSocketSender:
    """The fan-out's Sender over an aiohttp WebSocket: frames go straight to its transport
    (whole frames only, so they interleave safely with aiohttp's own pongs), close via aiohttp."""

    def __init__(self, ws: web.WebSocketResponse, transport: asyncio.Transport) -> None:
        self._ws = ws
        self._transport = transport

    def write(self, data: bytes) -> None:
        self._transport.write(data)

    def buffered(self) -> int:
        return self._transport.get_write_buffer_size()

    def is_closing(self) -> bool:
        return self._transport.is_closing() or self._ws.closed

    async def close(self, code: int, reason: str) -> None:
        await self._ws.close(code=code, message=reason.encode())


def refuse(
    status: int, error: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(
        {"error": error, "message": message, "error_description": message},
        status=status,
        headers={**NO_STORE, **(headers or {})},
    )


class ListenerWire:
    def __init__(
        self,
        config: RelayConfig,
        tokens: ListenerTokens,
        registry: CallRegistry,
        metrics: RelayMetrics,
        *,
        failure_delay: FailureDelay,
    ) -> None:
        self.config = config
        self.tokens = tokens
        self.registry = registry
        self.metrics = metrics
        self.bus: CallFinder | None = None
        self._failure_delay = failure_delay
        self._serial = itertools.count(1)
        self.sockets: set[web.WebSocketResponse] = set()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/oauth2/token", self.token)
        app.router.add_get("/agent/voice/{call_id}/stream", self.stream)
        app.router.add_get("/api/v2/interactions/{call_id}/call", self.call_state)
        app.router.add_get("/api/v2/calls", self.calls)

    # ---- POST /oauth2/token ---------------------------------------------------------------

    async def token(self, request: web.Request) -> web.StreamResponse:
        started = self._failure_delay.start()
        creds = await read_client_credentials(request)
        if isinstance(creds, web.Response):
            return creds
        rule = self.config.client(creds.client_id)
        if rule is None or not same_secret(creds.secret, rule.secret):
            self.metrics.auth_failures.labels("listener").inc()
            log.info("token request refused: unknown client or wrong secret")
            await self._failure_delay.wait(started)
            return refuse(
                401,
                "invalid_client",
                "Client authentication failed: unknown client ID or wrong secret.",
                BASIC_CHALLENGE if creds.via_basic else None,
            )
        scopes = creds.requested_scopes or rule.scopes
        refused = sorted(set(scopes) - set(rule.scopes))
        if refused:
            return refuse(400, "invalid_scope", f"Scope(s) not granted: {' '.join(refused)}.")
        token = self.tokens.issue(rule.client_id, scopes)
        log.info("issued a token to client %s", rule.client_id)
        return web.json_response(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": max(1, int(self.tokens.ttl_s)),
                "scope": " ".join(scopes),
            },
            headers=NO_STORE,
        )

    # ---- authentication shared by the listener endpoints ----------------------------------

    def _grant(
        self, token: str | None, scope: str, status: int
    ) -> tuple[ClientRule, TokenGrant] | web.Response:
        grant = self.tokens.check(token)
        if isinstance(grant, TokenProblem):
            self.metrics.auth_failures.labels("listener").inc()
            return refuse(
                status,
                "invalid_token",
                grant.message,
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        rule = self.config.client(grant.client_id)
        if rule is None:
            return refuse(
                status,
                "invalid_token",
                "The client this token was issued to is no longer configured on the relay.",
            )
        if scope not in grant.scopes:
            return refuse(403, "insufficient_scope", f"The access token lacks the '{scope}' scope.")
        return rule, grant

    async def _find(self, call_id: str) -> ListenableCall | None:
        local = self.registry.get(call_id)
        if local is not None:
            return local
        if self.bus is not None:
            return await self.bus.attach(call_id)
        return None

    def _not_found(self, call_id: str) -> web.Response:
        return refuse(
            404,
            "not_found",
            f"No call {call_id} on this relay: it has not reached the relay yet, or it ended "
            f"more than {self.config.ended_retention_s:g} s ago.",
        )

    @staticmethod
    def _forbidden(rule: ClientRule, call_id: str) -> web.Response:
        return refuse(
            403,
            "access_denied",
            f"Client {rule.client_id} may not hear call {call_id}: its rule allows "
            f"{rule.describe()}.",
        )

    # ---- GET /agent/voice/{callId}/stream -------------------------------------------------

    async def stream(self, request: web.Request) -> web.StreamResponse:
        call_id = request.match_info["call_id"]
        token = request.query.get("access_token") or bearer_token(request)
        checked = self._grant(token, AGENT_SCOPE, 403)
        if isinstance(checked, web.Response):
            return checked
        rule, _ = checked
        shape = _shape(request)
        if isinstance(shape, web.Response):
            return shape
        call = await self._find(call_id)
        if call is None:
            return self._not_found(call_id)
        summary = call.summary
        if not rule.allows(summary):
            return self._forbidden(rule, call_id)
        if summary.state == "ended":
            return refuse(403, "call_ended", "The call has ended; there is nothing to stream.")
        ws = web.WebSocketResponse(autoping=True, compress=False, max_msg_size=64 * 1024)
        if not ws.can_prepare(request).ok:
            return refuse(400, "invalid_request", "This endpoint only speaks WebSocket.")
        await ws.prepare(request)
        transport = request.transport
        if transport is None:
            return ws  # the client went away during the upgrade
        loop = asyncio.get_running_loop()
        label = f"{call_id}/{rule.client_id}/{next(self._serial)}"
        listener = Listener(
            WebSocketSender(ws, transport),
            shape,
            client_id=rule.client_id,
            label=label,
            capacity_frames=self.config.listener_queue_frames,
            metrics=self.metrics,
            clock=loop.time,
        )
        listener.push_event(
            {
                "event": "call.started",
                "callId": call_id,
                "encoding": shape.encoding,
                "sampleRate": 8000,
                "channels": shape.channels,
                "perspective": shape.perspective,
                "platform": summary.platform,
                "state": summary.state,
                "perspectives": list(summary.perspectives),
            }
        )
        if summary.state == "on_hold":
            listener.push_event({"event": "call.hold", "callId": call_id})
        call.fanout.add(listener)  # from here on: the live edge
        self.sockets.add(ws)
        self.metrics.listeners.inc()
        log.info("listener %s joined (%s)", label, shape)
        writer = asyncio.create_task(listener.run())
        reader = asyncio.create_task(_drain(ws))
        try:
            await asyncio.wait({writer, reader}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            call.fanout.remove(listener)
            self.sockets.discard(ws)
            self.metrics.listeners.dec()
            with contextlib.suppress(KeyError):
                self.metrics.listener_dropped.remove(label)
            for task in (writer, reader):
                task.cancel()
            await asyncio.gather(writer, reader, return_exceptions=True)
            if self.bus is not None and self.registry.get(call_id) is None:
                self.bus.detach_if_idle(call_id)
            log.info(
                "listener %s left: %d frames sent, %d dropped",
                label,
                listener.frames_sent,
                listener.dropped_total,
            )
        return ws

    # ---- REST -----------------------------------------------------------------------------

    async def call_state(self, request: web.Request) -> web.StreamResponse:
        checked = self._grant(bearer_token(request), VIEW_SCOPE, 401)
        if isinstance(checked, web.Response):
            return checked
        rule, _ = checked
        call_id = request.match_info["call_id"]
        local = self.registry.get(call_id)
        summary = local.summary if local is not None else None
        if summary is None and self.bus is not None:
            summary = await self.bus.summary(call_id)
        if summary is None:
            return self._not_found(call_id)
        if not rule.allows(summary):
            return self._forbidden(rule, call_id)
        return web.json_response(summary.call_state(), headers=NO_STORE)

    async def calls(self, request: web.Request) -> web.StreamResponse:
        checked = self._grant(bearer_token(request), VIEW_SCOPE, 401)
        if isinstance(checked, web.Response):
            return checked
        rule, _ = checked
        found = {s.call_id: s for s in self.registry.summaries()}
        if self.bus is not None:
            for s in await self.bus.summaries():
                found.setdefault(s.call_id, s)
        visible = [s for s in found.values() if s.state != "ended" and rule.allows(s)]
        visible.sort(key=lambda s: s.started_at)
        return web.json_response({"calls": [s.list_entry() for s in visible]}, headers=NO_STORE)


def _shape(request: web.Request) -> ListenerShape | web.Response:
    values = {}
    for key, allowed in _SHAPES.items():
        value = request.query.get(key, allowed[0])
        if value not in allowed:
            return refuse(
                400, "invalid_request", f"{key} must be one of {', '.join(allowed)}, not {value!r}."
            )
        values[key] = value
    stereo = values["channels"] == "2"
    if stereo and "perspective" in request.query and values["perspective"] != "mixed":
        return refuse(
            400,
            "invalid_request",
            "channels=2 is always agent left, customer right; drop the perspective.",
        )
    return ListenerShape(values["perspective"], int(values["channels"]), values["encoding"])


async def _drain(ws: web.WebSocketResponse) -> None:
    """Read until the listener goes; aiohttp answers pings and close frames while we read."""
    async for _ in ws:
        pass
