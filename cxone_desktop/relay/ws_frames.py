"""RFC 6455 framing for the relay's hot paths, which write frames on raw transports
(the listener fan-out and the ingest sockets) instead of through aiohttp."""

from __future__ import annotations

OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10
PROTOCOL_ERROR, INVALID_DATA, TOO_BIG, POLICY_VIOLATION = 1002, 1007, 1009, 1008


def server_frame(opcode: int, payload: bytes) -> bytes:
    """A server-to-client frame: FIN set, unmasked."""
    n = len(payload)
    if n < 126:
        return bytes((0x80 | opcode, n)) + payload
    if n < 65536:
        return bytes((0x80 | opcode, 126, n >> 8, n & 0xFF)) + payload
    return bytes((0x80 | opcode, 127)) + n.to_bytes(8, "big") + payload


def unmask(payload: bytes, mask: bytes) -> bytes:
    """A client frame's payload; one big-integer XOR, not a Python loop per byte."""
    n = len(payload)
    if n == 0:
        return b""
    key = int.from_bytes((mask * (n // 4 + 1))[:n], "little")
    return (int.from_bytes(payload, "little") ^ key).to_bytes(n, "little")
