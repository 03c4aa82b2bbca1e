"""The relay on one port: platform ingest paths, the app's listener wire, health and metrics.

`async with RelayServer(config) as relay:` serves until the block exits;
`relay.base_url` is where `record`, the app and the push simulators point. The
aiohttp access log stays off: it would print `?access_token=` query strings.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from types import TracebackType

from aiohttp import web

from cxone_desktop.relay.call_registry import CallRegistry
from cxone_desktop.relay.config import RelayConfig
from cxone_desktop.relay.failure_delay import FailureDelay
from cxone_desktop.relay.ingest_audiohook import AudioHookIngest
from cxone_desktop.relay.ingest_cxone import CXoneIngest
from cxone_desktop.relay.ingest_twilio import TwilioIngest
from cxone_desktop.relay.listener_tokens import ListenerTokens
from cxone_desktop.relay.listener_wire import ListenerWire
from cxone_desktop.relay.relay_metrics import RelayMetrics
from cxone_desktop.serving.base_url import local_base_url
from cxone_desktop.serving.oauth_endpoint import json_errors

log = logging.getLogger(__name__)


class RelayServer:
    def __init__(
        self,
        config: RelayConfig,
        *,
        ssl_context: ssl.SSLContext | None = None,
        failure_delay: FailureDelay | None = None,
    ) -> None:
        self.config = config
        self.ssl_context = ssl_context
        self.metrics = RelayMetrics()
        self.failure_delay = failure_delay or FailureDelay(config.auth_failure_delay_s)
        self.tokens = ListenerTokens(config.token_ttl_s)
        self.registry = CallRegistry(
            self.metrics,
            align_wait_s=config.align_wait_ms / 1000,
            ended_retention_s=config.ended_retention_s,
        )
        self.wire = ListenerWire(
            config, self.tokens, self.registry, self.metrics, failure_delay=self.failure_delay
        )
        self.audiohook = AudioHookIngest(
            config.audiohook, self.registry, self.metrics, self.failure_delay
        )
        self.cxone = CXoneIngest(
            config.cxone, self.registry, self.metrics, self.failure_delay, self.tokens
        )
        self.twilio = TwilioIngest(config.twilio, self.registry, self.metrics, self.failure_delay)
        self.bus: object | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("the relay is already running")
        if self.config.bus_url is not None:
            from cxone_desktop.relay.redis_bus import RedisBus

            bus = RedisBus(self.config.bus_url, self.registry, self.tokens, self.metrics)
            await bus.start()
            self.bus = bus
            self.registry.publisher = bus
            self.wire.bus = bus
        app = web.Application(middlewares=[json_errors], client_max_size=64 * 1024)
        self.wire.add_routes(app)
        app.router.add_get("/ingest/audiohook", self.audiohook.handle)
        app.router.add_get("/ingest/cxone", self.cxone.handle)
        app.router.add_get("/ingest/twilio", self.twilio.handle)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.config.host, self.config.port, ssl_context=self.ssl_context)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            await self._stop_bus()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        log.info("relay serving on %s", self.base_url)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self.registry.end_all("relay stopping")
        self.cxone.cancel_timers()
        for sock in [*self.cxone.sockets, *self.twilio.sockets]:
            sock.close(1001, "relay stopping")
        for ws in [*self.wire.sockets, *self.audiohook.sockets]:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(code=1001, message=b"relay stopping"), 1.0)
        await runner.cleanup()
        await self._stop_bus()
        log.info("relay stopped")

    async def _stop_bus(self) -> None:
        bus, self.bus = self.bus, None
        if bus is not None:
            await bus.stop()  # type: ignore[attr-defined]

    async def __aenter__(self) -> RelayServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the relay has not started")
        return self._port

    @property
    def base_url(self) -> str:
        return local_base_url(self.config.host, self.port, tls=self.ssl_context is not None)

    @property
    def ws_base_url(self) -> str:
        return self.base_url.replace("http", "ws", 1)

    async def _healthz(self, request: web.Request) -> web.StreamResponse:
        body: dict[str, object] = {
            "status": "ok",
            "calls": len(self.registry.summaries()),
            "listeners": len(self.wire.sockets),
        }
        if self.bus is not None:
            healthy = await self.bus.healthy()  # type: ignore[attr-defined]
            body["bus"] = "ok" if healthy else "unreachable"
            if not healthy:
                body["status"] = "degraded"
                return web.json_response(body, status=503)
        return web.json_response(body)

    async def _metrics(self, request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=self.metrics.render(),
            headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
        )
