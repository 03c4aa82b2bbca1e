"""The receiving end of a high-rate ingest WebSocket, after aiohttp's handshake.

CXone sends a 20 ms frame on each of two sockets per call, Twilio one JSON message per
track every 20 ms. Through aiohttp every message is a queued future and a task
wake-up; this protocol takes the transport over once the 101 is sent
(`transport.set_protocol`, public asyncio API) and hands each whole message to a
callback synchronously, answering pings and the close handshake itself (RFC 6455).
Reading is paused across the switch, so no byte reaches aiohttp's parser: a client
may not send frames before it has the 101.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiohttp import web

from cxone_desktop.relay.listener_wire import refuse
from cxone_desktop.relay.ws_frames import (
    INVALID_DATA,
    OP_BINARY,
    OP_CLOSE,
    OP_CONTINUATION,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    PROTOCOL_ERROR,
    TOO_BIG,
    server_frame,
    unmask,
)

log = logging.getLogger(__name__)


class IngestSocket(asyncio.Protocol):
    """Whole client messages to `on_text(str)` / `on_binary(bytes)`, called as they arrive.

    Until the callbacks are set, messages wait (`next_message()` takes the first one).
    `closed` completes when the connection is gone; `close_code` is what the client sent
    (None: it dropped without a close frame).
    """

    def __init__(
        self,
        transport: asyncio.Transport,
        response: web.StreamResponse,
        *,
        max_message_bytes: int = 1 << 20,
    ) -> None:
        self._transport = transport
        self._max = max_message_bytes
        self._buf = bytearray()
        self._fragments: list[bytes] = []
        self._fragment_opcode = 0
        self._pending: list[str | bytes] = []
        self._waiter: asyncio.Future[None] | None = None
        self.on_text: Callable[[str], None] | None = None
        self.on_binary: Callable[[bytes], None] | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.close_code: int | None = None
        self._sent_close = False
        #: aiohttp's spent handshake, which the request handler returns.
        self.response = response

    @classmethod
    async def accept(cls, request: web.Request) -> IngestSocket | web.StreamResponse:
        """Answer the upgrade and take the connection over; else the response to return
        (400 to a plain HTTP request, the spent handshake if the client went away)."""
        ws = web.WebSocketResponse(autoping=False, compress=False, max_msg_size=1 << 20)
        if not ws.can_prepare(request).ok:
            return refuse(400, "invalid_request", "This endpoint only speaks WebSocket.")
        transport = request.transport
        if transport is None:
            return ws
        transport.pause_reading()
        await ws.prepare(request)
        if transport.is_closing():
            return ws
        sock = cls(transport, ws)
        transport.set_protocol(sock)
        transport.resume_reading()
        return sock

    # ---- what the ingest code uses --------------------------------------------------------

    async def next_message(self, timeout_s: float) -> str | bytes | None:
        """The next message while no callback is set; None on timeout or close."""
        if not self._pending:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                async with asyncio.timeout(timeout_s):
                    await asyncio.wait({self._waiter, self.closed}, return_when="FIRST_COMPLETED")
            except TimeoutError:
                return None
            finally:
                self._waiter = None
        return self._pending.pop(0) if self._pending else None

    def deliver_to(
        self, on_text: Callable[[str], None], on_binary: Callable[[bytes], None]
    ) -> None:
        """From now on, messages go straight to these (what waited first)."""
        self.on_text, self.on_binary = on_text, on_binary
        pending, self._pending = self._pending, []
        for message in pending:
            self._dispatch(message)

    def close(self, code: int = 1000, reason: str = "") -> None:
        if not self._sent_close and not self._transport.is_closing():
            self._sent_close = True
            self._transport.write(
                server_frame(OP_CLOSE, code.to_bytes(2, "big") + reason.encode()[:120])
            )
        self._transport.close()

    # ---- asyncio.Protocol -----------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        pos = 0
        while True:
            if len(buf) - pos < 2:
                break
            b0, b1 = buf[pos], buf[pos + 1]
            n = b1 & 0x7F
            off = 2
            if n == 126:
                if len(buf) - pos < 4:
                    break
                n, off = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif n == 127:
                if len(buf) - pos < 10:
                    break
                n, off = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            if n > self._max:
                self._fail(TOO_BIG, "message too big")
                return
            if not b1 & 0x80 or b0 & 0x70:
                self._fail(PROTOCOL_ERROR, "unmasked frame or reserved bits set")
                return
            if len(buf) - pos < off + 4 + n:
                break
            mask = bytes(buf[pos + off : pos + off + 4])
            payload = unmask(bytes(buf[pos + off + 4 : pos + off + 4 + n]), mask)
            pos += off + 4 + n
            if not self._frame(b0 & 0x80, b0 & 0x0F, payload):
                return
        del buf[:pos]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)
        self._wake()

    # ---- internals ------------------------------------------------------------------------

    def _frame(self, fin: int, opcode: int, payload: bytes) -> bool:
        if opcode >= OP_CLOSE:
            if opcode == OP_CLOSE:
                self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                self.close(self.close_code if self.close_code != 1005 else 1000)
                return False
            if opcode == OP_PING:
                self._transport.write(server_frame(OP_PONG, payload))
            return True
        if opcode == OP_CONTINUATION:
            if not self._fragments:
                self._fail(PROTOCOL_ERROR, "continuation without a first fragment")
                return False
            self._fragments.append(payload)
        elif self._fragments:
            self._fail(PROTOCOL_ERROR, "new message inside a fragmented one")
            return False
        elif opcode in (OP_TEXT, OP_BINARY):
            self._fragment_opcode = opcode
            self._fragments = [payload]
        else:
            self._fail(PROTOCOL_ERROR, f"unknown opcode {opcode}")
            return False
        if not fin:
            if sum(map(len, self._fragments)) > self._max:
                self._fail(TOO_BIG, "message too big")
                return False
            return True
        whole = b"".join(self._fragments) if len(self._fragments) > 1 else self._fragments[0]
        self._fragments = []
        if self._fragment_opcode == OP_TEXT:
            try:
                message: str | bytes = whole.decode("utf-8")
            except UnicodeDecodeError:
                self._fail(INVALID_DATA, "text message is not UTF-8")
                return False
        else:
            message = whole
        self._dispatch(message)
        return not self._transport.is_closing()

    def _dispatch(self, message: str | bytes) -> None:
        if self.on_text is None or self.on_binary is None:
            self._pending.append(message)
            self._wake()
        elif isinstance(message, str):
            self.on_text(message)
        else:
            self.on_binary(message)

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _fail(self, code: int, why: str) -> None:
        log.warning("ingest socket closed: %s", why)
        self.close(code, why)
