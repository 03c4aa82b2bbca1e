"""`/ingest/twilio`: Twilio Media Streams into relay calls (call ID = `callSid`).

The upgrade must carry a valid `X-Twilio-Signature` over the URL Twilio was given
(`twilio.public_url` when a proxy changes scheme or host, else the URL as this
relay sees it). `inbound` is what the caller says (the customer), `outbound` what
Twilio plays to the caller (the agent). Each `media` message is placed by its
`timestamp` (ms since the stream started), so the two tracks stay aligned. `stop`
ends the call; a socket that drops without it ends the call with a platform error.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any

from aiohttp import web

from cxone_desktop.core.codecs import decode_mulaw
from cxone_desktop.relay.call_registry import CallRegistry
from cxone_desktop.relay.config import TwilioSettings
from cxone_desktop.relay.failure_delay import FailureDelay
from cxone_desktop.relay.ingest_socket import IngestSocket
from cxone_desktop.relay.listener_wire import refuse
from cxone_desktop.relay.relay_call import RelayCall
from cxone_desktop.relay.relay_metrics import RelayMetrics
from cxone_desktop.serving.twilio_signature import twilio_signature_valid

log = logging.getLogger(__name__)

TRACK_ROLE = {"inbound": "customer", "outbound": "agent"}
SAMPLES_PER_MS = 8
UNSUPPORTED_DATA = 1003


class TwilioIngest:
    def __init__(
        self,
        settings: TwilioSettings,
        registry: CallRegistry,
        metrics: RelayMetrics,
        failure_delay: FailureDelay,
    ) -> None:
        self._settings = settings
        self._registry = registry
        self._metrics = metrics
        self._delay = failure_delay
        self.sockets: set[IngestSocket] = set()

    def signed_url(self, request: web.Request) -> str:
        """The URL Twilio signed: the configured public one (plus query), else this request's."""
        if self._settings.public_url:
            base = self._settings.public_url
            return base + (f"?{request.query_string}" if request.query_string else "")
        scheme = request.headers.get("X-Forwarded-Proto") or request.scheme
        scheme = {"https": "wss", "http": "ws"}.get(scheme, scheme)
        return f"{scheme}://{request.host}{request.raw_path}"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        started = self._delay.start()
        token = self._settings.auth_token
        signature = request.headers.get("X-Twilio-Signature", "")
        if token is None or not twilio_signature_valid(token, self.signed_url(request), signature):
            self._metrics.auth_failures.labels("twilio").inc()
            log.warning(
                "Twilio stream refused: %s",
                "ingest not configured" if token is None else "X-Twilio-Signature does not match",
            )
            await self._delay.wait(started)
            return refuse(
                403,
                "forbidden",
                "X-Twilio-Signature is missing or wrong (or Twilio ingest is not configured).",
            )
        sock = await IngestSocket.accept(request)
        if not isinstance(sock, IngestSocket):
            return sock
        self.sockets.add(sock)
        stream = _TwilioStream(self, sock)
        sock.deliver_to(stream.on_text, lambda data: None)  # Twilio sends no binary messages
        try:
            await sock.closed
        finally:
            self.sockets.discard(sock)
            sock.close()
            call = stream.call
            if not stream.stopped and call is not None and not call.ended:
                call.platform_error("Twilio stream closed without a stop message")
                call.end("platform disconnected")
        return sock.response

    def start(self, event: dict[str, Any]) -> RelayCall | None:
        start = event.get("start")
        if not isinstance(start, dict) or not isinstance(start.get("callSid"), str):
            log.warning("Twilio stream: start without start.callSid")
            return None
        call = self._registry.open(start["callSid"], "twilio")
        custom = start.get("customParameters") or {}
        if isinstance(custom, dict):
            call.set_party(
                "agent", id=_text(custom.get("agentId")), name=_text(custom.get("agentName"))
            )
            call.set_party(
                "customer",
                ani=_text(custom.get("ani") or custom.get("from")),
                name=_text(custom.get("customerName")),
            )
        tracks = start.get("tracks") or ["inbound"]
        for track in tracks if isinstance(tracks, list) else []:
            role = TRACK_ROLE.get(str(track))
            if role is not None:
                call.join(role)
        fmt = start.get("mediaFormat") or {}
        if isinstance(fmt, dict) and fmt.get("encoding", "audio/x-mulaw") != "audio/x-mulaw":
            call.platform_error(f"Twilio media format {fmt.get('encoding')!r} is not supported")
        log.info("Twilio call %s started (tracks %s)", call.call_id, tracks)
        return call

    @staticmethod
    def media(call: RelayCall, event: dict[str, Any]) -> None:
        media = event.get("media")
        if not isinstance(media, dict):
            return
        role = TRACK_ROLE.get(str(media.get("track", "inbound")))
        if role is None:
            return
        try:
            payload = base64.b64decode(str(media.get("payload", "")), validate=True)
            at = round(float(media["timestamp"]) * SAMPLES_PER_MS) if "timestamp" in media else None
        except (binascii.Error, ValueError, TypeError):
            call.platform_error("Twilio sent a media message with a bad payload or timestamp")
            return
        call.write(role, decode_mulaw(payload), at=at)


class _TwilioStream:
    """One Twilio socket's messages, handled as they arrive."""

    def __init__(self, ingest: TwilioIngest, sock: IngestSocket) -> None:
        self._ingest = ingest
        self._sock = sock
        self.call: RelayCall | None = None
        self.stopped = False

    def on_text(self, text: str) -> None:
        event = _parse(text)
        call = self.call
        if event is None:
            log.warning("Twilio stream: a message is not a JSON object with an event")
            if call is not None:
                call.platform_error("Twilio sent a message that is not JSON")
            self._sock.close(UNSUPPORTED_DATA, "expected JSON events")
            return
        kind = event["event"]
        if kind == "media":
            if call is not None:
                self._ingest.media(call, event)
        elif kind == "start":
            self.call = self._ingest.start(event)
        elif kind == "stop":
            self.stopped = True
            if call is not None:
                call.end("Twilio stop")
            self._sock.close(1000)
        elif kind not in ("connected", "mark", "dtmf"):
            log.info("Twilio stream: ignoring %r event", kind)


def _parse(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, dict) and isinstance(value.get("event"), str):
        return value
    return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
