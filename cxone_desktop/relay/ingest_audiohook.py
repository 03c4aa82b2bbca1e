"""`/ingest/audiohook`: Genesys Cloud AudioHook sessions into relay calls.

The upgrade is accepted, then the signature is checked (see audiohook_auth.py); a
failure is answered after the constant delay with `disconnect` reason
`unauthorized`, as the reference server does. One session is one call
(ID = `conversationId`): `external` is the customer, `internal` the agent;
`paused`/`resumed` become hold/resume, `close` ends the call, and a socket that
drops without `close` ends it with a platform error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiohttp import WSMsgType, web

from cxone_desktop.relay.audiohook_auth import AudioHookAuthenticator
from cxone_desktop.relay.audiohook_session import (
    Audio,
    AudioHookSession,
    ClientReportedError,
    Closed,
    Discarded,
    Opened,
    Paused,
    ProtocolViolation,
    Resumed,
)
from cxone_desktop.relay.call_registry import CallRegistry
from cxone_desktop.relay.config import AudioHookSettings
from cxone_desktop.relay.failure_delay import FailureDelay
from cxone_desktop.relay.listener_wire import refuse
from cxone_desktop.relay.relay_call import RelayCall
from cxone_desktop.relay.relay_metrics import RelayMetrics

log = logging.getLogger(__name__)

CHANNEL_ROLE = {"external": "customer", "internal": "agent"}
REQUIRED_HEADERS = (
    "Audiohook-Organization-Id",
    "Audiohook-Session-Id",
    "Audiohook-Correlation-Id",
    "X-API-KEY",
)
#: How long we wait for the client's `close` after telling it to disconnect.
CLOSE_WAIT_S = 5.0


class AudioHookIngest:
    def __init__(
        self,
        settings: AudioHookSettings | None,
        registry: CallRegistry,
        metrics: RelayMetrics,
        failure_delay: FailureDelay,
        authenticator: AudioHookAuthenticator | None = None,
    ) -> None:
        self._settings = settings
        self._registry = registry
        self._metrics = metrics
        self._delay = failure_delay
        self._auth = authenticator or (
            AudioHookAuthenticator(settings) if settings is not None else None
        )
        self.sockets: set[web.WebSocketResponse] = set()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        started = self._delay.start()
        if self._auth is None:
            self._metrics.auth_failures.labels("audiohook").inc()
            await self._delay.wait(started)
            return refuse(
                401,
                "not_configured",
                "AudioHook ingest is not enabled on this relay (no API key configured).",
            )
        missing = [h for h in REQUIRED_HEADERS if not request.headers.get(h)]
        if missing:
            self._metrics.auth_failures.labels("audiohook").inc()
            await self._delay.wait(started)
            return refuse(
                400, "invalid_request", f"Missing AudioHook header(s): {', '.join(missing)}"
            )
        ws = web.WebSocketResponse(autoping=True, compress=False, max_msg_size=1 << 20)
        if not ws.can_prepare(request).ok:
            return refuse(400, "invalid_request", "This endpoint only speaks WebSocket.")
        headers = {k.lower(): ", ".join(request.headers.getall(k)) for k in request.headers}
        verdict = self._auth.check(headers, request.raw_path)
        session_id = request.headers["Audiohook-Session-Id"]
        session = AudioHookSession(session_id, request.headers["Audiohook-Organization-Id"])
        await ws.prepare(request)
        self.sockets.add(ws)
        try:
            if not verdict.ok:
                self._metrics.auth_failures.labels("audiohook").inc()
                log.warning("AudioHook session %s refused: %s", session.id, verdict)
                await self._delay.wait(started)
                session.disconnect("unauthorized")
                await self._flush(ws, session)
                await self._until_closed(ws, session)
                return ws
            log.info("AudioHook session %s authenticated", session.id)
            await self._run(ws, session)
        finally:
            self.sockets.discard(ws)
        return ws

    async def _run(self, ws: web.WebSocketResponse, session: AudioHookSession) -> None:
        call: RelayCall | None = None
        closed_properly = False
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                events = session.receive_text(msg.data)
            elif msg.type == WSMsgType.BINARY:
                events = session.receive_binary(msg.data)
            else:
                continue
            await self._flush(ws, session)
            for event in events:
                if isinstance(event, Opened):
                    call = self._open_call(event)
                elif call is not None and isinstance(event, Audio):
                    for channel, samples in event.channels.items():
                        call.write(CHANNEL_ROLE[channel], samples)
                elif isinstance(event, Closed):
                    closed_properly = True
                    if call is not None:
                        call.end(f"AudioHook close ({event.reason})")
                    await ws.close(code=1000)
                elif isinstance(event, ProtocolViolation):
                    log.warning("AudioHook session %s: %s", session.id, event.info)
                    if call is not None:
                        call.platform_error(f"AudioHook protocol error: {event.info}")
                elif call is not None:
                    self._note(call, event)
        if not closed_properly:
            log.warning(
                "AudioHook session %s: socket closed without a close transaction", session.id
            )
            if call is not None and not call.ended:
                call.platform_error("AudioHook socket closed without a close message")
                call.end("platform disconnected")

    def _open_call(self, event: Opened) -> RelayCall:
        params: dict[str, Any] = event.parameters
        call = self._registry.open(params["conversationId"], "audiohook")
        participant = params.get("participant") or {}
        call.set_party(
            "customer", ani=_text(participant.get("ani")), name=_text(participant.get("aniName"))
        )
        custom = params.get("customConfig") or {}
        if isinstance(custom, dict):
            call.set_party(
                "agent", id=_text(custom.get("agentId")), name=_text(custom.get("agentName"))
            )
        media = event.media
        if media is None:
            log.warning("AudioHook call %s: no usable media offered", call.call_id)
            call.platform_error("AudioHook offered no 8 kHz PCMU/L16 audio; none was accepted")
        else:
            for channel in media.channels:
                call.join(CHANNEL_ROLE[channel])
            log.info(
                "AudioHook call %s opened: %s %s",
                call.call_id,
                media.format,
                "/".join(media.channels),
            )
        return call

    @staticmethod
    def _note(call: RelayCall, event: object) -> None:
        if isinstance(event, Paused):
            call.hold()
        elif isinstance(event, Resumed):
            call.resume()
        elif isinstance(event, Discarded):
            log.info(
                "AudioHook call %s: platform discarded %.3f s", call.call_id, event.discarded_s
            )
        elif isinstance(event, ClientReportedError):
            call.platform_error(f"AudioHook client error {event.code}: {event.message}")

    @staticmethod
    async def _flush(ws: web.WebSocketResponse, session: AudioHookSession) -> None:
        while session.outbox:
            text = session.outbox.pop(0)
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_str(text)

    async def _until_closed(self, ws: web.WebSocketResponse, session: AudioHookSession) -> None:
        """After our `disconnect`: answer the client's `close` with `closed`, then hang up."""
        try:
            async with asyncio.timeout(CLOSE_WAIT_S):
                async for msg in ws:
                    if msg.type == WSMsgType.TEXT:
                        events = session.receive_text(msg.data)
                        await self._flush(ws, session)
                        if any(isinstance(e, Closed) for e in events):
                            break
        except TimeoutError:
            log.info("AudioHook session %s: no close after disconnect", session.id)
        await ws.close(code=1000)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
