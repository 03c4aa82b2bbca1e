"""A TCP proxy on loopback that makes the network misbehave between client and server.

Faults, each switchable while connections run:
- `latency_s`: every chunk is delivered that much later, both ways, in order;
- `bytes_per_s`: each direction of each connection is throttled to that rate;
- `reset()`: every open connection is reset (RST, no FIN), both sides;
- `half_open()`: open connections go silent both ways without closing (a dead path:
  what is sent is swallowed, nothing comes back, no FIN, no RST);
- `slow_close_s`: a side's FIN reaches the other side that much later;
- `refuse(seconds)`: the listening socket is closed for a while (connection refused),
  open connections reset, as when a server restarts.
It knows nothing of HTTP or WebSocket: it moves bytes, so it stands in for the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from dataclasses import dataclass, field

CHUNK = 65536


@dataclass(eq=False)  # identity: kept in a set
class _Link:
    """One proxied connection: the client side and the upstream side."""

    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    silent: bool = False


class FaultProxy:
    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.latency_s = 0.0
        self.bytes_per_s: float | None = None
        self.slow_close_s = 0.0
        #: Connections accepted so far.
        self.accepted = 0
        self._links: set[_Link] = set()
        self._server: asyncio.Server | None = None
        self._port = 0

    async def start(self, port: int = 0) -> FaultProxy:
        self._server = await asyncio.start_server(
            self._accept, "127.0.0.1", port or self._port, reuse_address=True
        )
        self._port = int(self._server.sockets[0].getsockname()[1])
        return self

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    async def close(self) -> None:
        await self._stop_listening()
        self.reset()

    # ---- faults ----------------------------------------------------------------------------

    def reset(self) -> None:
        """RST every open connection, both sides."""
        for link in list(self._links):
            for writer in (link.client, link.upstream):
                _abort_with_rst(writer)
            for task in link.tasks:
                task.cancel()
        self._links.clear()

    def half_open(self) -> None:
        """Open connections stop carrying bytes either way, and never close."""
        for link in self._links:
            link.silent = True

    async def refuse(self, seconds: float) -> None:
        """Reset what is open and refuse new connections for `seconds` (a server restart)."""
        await self._stop_listening()
        self.reset()
        await asyncio.sleep(seconds)
        await self.start(self._port)

    # ---- plumbing --------------------------------------------------------------------------

    async def _stop_listening(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), timeout=1.0)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            _abort_with_rst(writer)
            return
        link = _Link(writer, up_writer)
        self._links.add(link)
        link.tasks = [
            asyncio.create_task(self._pump(link, reader, up_writer)),
            asyncio.create_task(self._pump(link, up_reader, writer)),
        ]
        await asyncio.gather(*link.tasks, return_exceptions=True)
        self._links.discard(link)
        for w in (writer, up_writer):
            w.close()

    async def _pump(
        self, link: _Link, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Copy one direction: delayed by latency, throttled, in order; FIN late if asked."""
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        deliver = asyncio.create_task(self._deliver(link, queue, writer))
        try:
            while True:
                try:
                    data = await reader.read(CHUNK)
                except (ConnectionError, OSError):
                    data = b""
                queue.put_nowait((loop.time() + self.latency_s, data))
                if not data:
                    break
            await deliver
        finally:
            deliver.cancel()

    async def _deliver(
        self, link: _Link, queue: asyncio.Queue[tuple[float, bytes]], writer: asyncio.StreamWriter
    ) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if link.silent:
                if not data:
                    await asyncio.sleep(3600)  # a dead path never closes either
                continue
            if not data:
                if self.slow_close_s:
                    await asyncio.sleep(self.slow_close_s)
                with contextlib.suppress(OSError, RuntimeError):
                    writer.write_eof()
                return
            try:
                writer.write(data)
                await writer.drain()
            except (ConnectionError, OSError):
                return
            if self.bytes_per_s:
                await asyncio.sleep(len(data) / self.bytes_per_s)


def _abort_with_rst(writer: asyncio.StreamWriter) -> None:
    """Close with SO_LINGER 0: the peer gets a RST, as from a crashed host or a middlebox."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
