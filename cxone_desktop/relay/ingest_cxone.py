"""`/ingest/cxone`: NICE CXone Agent Assist Hub sockets into relay calls.

CXone opens one socket per perspective; the first message is JSON with
`streamPerspective` (RX = the agent talking, TX = what the agent hears, i.e. the
customer, MIX = both) and the contact ID in one of the configured fields. Audio is
G.711 μ-law 8 kHz, as binary messages or base64 in JSON (NICE does not say which;
both are taken, and the first message's keys are logged — never its values, which
may hold tokens). All sockets of a contact closed = hold; a socket with the same
contact ID within the grace period resumes the call, otherwise it ends.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
from collections import Counter
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from cxone_desktop.core.codecs import decode_mulaw
from cxone_desktop.relay.call_registry import CallRegistry
from cxone_desktop.relay.client_rules import INGEST_SCOPE
from cxone_desktop.relay.config import CXoneSettings
from cxone_desktop.relay.failure_delay import FailureDelay
from cxone_desktop.relay.ingest_socket import IngestSocket
from cxone_desktop.relay.listener_tokens import ListenerTokens, TokenGrant
from cxone_desktop.relay.listener_wire import refuse
from cxone_desktop.relay.relay_call import RelayCall
from cxone_desktop.relay.relay_metrics import RelayMetrics
from cxone_desktop.serving.oauth_endpoint import bearer_token, same_secret

log = logging.getLogger(__name__)

ROLES = {"RX": "agent", "TX": "customer", "MIX": "mixed"}
FIRST_MESSAGE_TIMEOUT_S = 10.0
POLICY_VIOLATION = 1008


class CXoneIngest:
    def __init__(
        self,
        settings: CXoneSettings,
        registry: CallRegistry,
        metrics: RelayMetrics,
        failure_delay: FailureDelay,
        tokens: ListenerTokens,
        *,
        token_auth: bool = True,
    ) -> None:
        self._settings = settings
        self._registry = registry
        self._metrics = metrics
        self._delay = failure_delay
        self._tokens = tokens
        self._token_auth = token_auth
        self._open: Counter[str] = Counter()  # open sockets per contact
        self._open_roles: Counter[tuple[str, str]] = Counter()
        self._grace: dict[str, asyncio.TimerHandle] = {}
        self.sockets: set[IngestSocket] = set()

    def cancel_timers(self) -> None:
        for timer in self._grace.values():
            timer.cancel()
        self._grace.clear()

    def _authorized(self, request: web.Request) -> bool:
        header = self._settings.auth_header
        ok = False
        if header is not None:
            given = request.headers.get(header[0], "")
            ok = same_secret(given, header[1])
        if not ok and self._token_auth:
            token = bearer_token(request) or request.query.get("access_token")
            grant = self._tokens.check(token) if token else None
            ok = isinstance(grant, TokenGrant) and INGEST_SCOPE in grant.scopes
        return ok

    async def handle(self, request: web.Request) -> web.StreamResponse:
        started = self._delay.start()
        if not self._authorized(request):
            self._metrics.auth_failures.labels("cxone").inc()
            log.warning("CXone socket refused: missing or wrong authentication")
            await self._delay.wait(started)
            return refuse(
                401,
                "unauthorized",
                "CXone ingest needs the configured authentication header or an ingest token.",
            )
        sock = await IngestSocket.accept(request)
        if not isinstance(sock, IngestSocket):
            return sock
        self.sockets.add(sock)
        try:
            await self._session(sock)
        finally:
            self.sockets.discard(sock)
            sock.close()
        return sock.response

    async def _session(self, sock: IngestSocket) -> None:
        first = await sock.next_message(FIRST_MESSAGE_TIMEOUT_S)
        if first is None:
            sock.close(POLICY_VIOLATION, "no first message")
            return
        if not isinstance(first, str):
            log.warning("CXone socket: first message was binary, not JSON text")
            sock.close(POLICY_VIOLATION, "first message must be JSON")
            return
        parsed = _json_object(first)
        if parsed is None:
            log.warning("CXone socket: first message is not a JSON object")
            sock.close(POLICY_VIOLATION, "first message must be a JSON object")
            return
        log.info("CXone first message keys: %s", ", ".join(sorted(parsed)))
        perspective = str(parsed.get("streamPerspective", "")).upper()
        contact = _first_text(parsed, self._settings.contact_id_fields)
        if perspective not in ROLES or contact is None:
            why = (
                "streamPerspective must be RX, TX or MIX"
                if perspective not in ROLES
                else f"no contact ID in {', '.join(self._settings.contact_id_fields)}"
            )
            log.warning("CXone socket refused: %s", why)
            sock.close(POLICY_VIOLATION, why)
            return
        role = ROLES[perspective]
        call = self._attach(contact, role, parsed)
        try:
            self._pump(sock, call, role)
            await sock.closed
        finally:
            self._detach(contact, role, call)

    def _attach(self, contact: str, role: str, first: Mapping[str, Any]) -> RelayCall:
        timer = self._grace.pop(contact, None)
        if timer is not None:
            timer.cancel()
        call = self._registry.open(contact, "cxone")
        call.set_party("agent", id=_first_text(first, self._settings.agent_id_fields))
        call.resume()
        self._open[contact] += 1
        self._open_roles[(contact, role)] += 1
        call.join(role)
        log.info("CXone contact %s: %s socket open", contact, role)
        return call

    def _detach(self, contact: str, role: str, call: RelayCall) -> None:
        self._open_roles[(contact, role)] -= 1
        self._open[contact] -= 1
        if self._open_roles[(contact, role)] <= 0:
            del self._open_roles[(contact, role)]
            call.leave(role)
        if self._open[contact] > 0 or call.ended:
            return
        del self._open[contact]
        call.hold()
        grace = self._settings.hold_grace_s
        log.info("CXone contact %s: all sockets closed; hold, ending in %g s", contact, grace)
        loop = asyncio.get_running_loop()
        self._grace[contact] = loop.call_later(grace, self._expire, contact, call)

    def _expire(self, contact: str, call: RelayCall) -> None:
        self._grace.pop(contact, None)
        call.end(f"no CXone socket returned within {self._settings.hold_grace_s:g} s")

    def _pump(self, sock: IngestSocket, call: RelayCall, role: str) -> None:
        """Audio goes to the call as each message arrives (no task switch per frame)."""
        audio_fields = self._settings.audio_fields
        logged_text = False

        def on_binary(data: bytes) -> None:
            call.write(role, decode_mulaw(data))

        def on_text(text: str) -> None:
            nonlocal logged_text
            data = _json_object(text)
            audio = None if data is None else _audio(data, audio_fields)
            if audio is not None:
                call.write(role, decode_mulaw(audio))
            elif not logged_text:
                logged_text = True
                keys = "not a JSON object" if data is None else ", ".join(sorted(data))
                log.info("CXone contact %s: text message without audio (%s)", call.call_id, keys)

        sock.deliver_to(on_text, on_binary)


def _json_object(text: str) -> dict[str, Any] | None:
    with contextlib.suppress(ValueError):
        value = json.loads(text)
        if isinstance(value, dict):
            return value
    return None


def _first_text(data: Mapping[str, Any], fields: tuple[str, ...]) -> str | None:
    for name in fields:
        value = data.get(name)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
            return str(value)
    return None


def _audio(data: Mapping[str, Any], fields: tuple[str, ...]) -> bytes | None:
    """Base64 μ-law from the first audio field: a string, or an object with `payload`."""
    for name in fields:
        value = data.get(name)
        if isinstance(value, dict):
            value = value.get("payload")
        if isinstance(value, str) and value:
            with contextlib.suppress(binascii.Error, ValueError):
                return base64.b64decode(value, validate=True)
    return None
