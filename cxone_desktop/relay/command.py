"""`cxone-desktop relay`: serve until SIGINT/SIGTERM; `--check-config` validates and exits.

Exit codes: 0 clean stop (or a valid config), 2 bad configuration, 1 the port or the
bus is unusable.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import ssl
import sys
import tempfile
from collections.abc import Coroutine
from pathlib import Path

from cxone_desktop import portable
from cxone_desktop.errors import CXoneError
from cxone_desktop.relay.config import RelayConfig, load_config


def run_relay(args: argparse.Namespace) -> int:
    tls_dir: Path | None = None
    try:
        if args.demo:
            from cxone_desktop.relay.demo import demo_config

            config = demo_config(args)
        else:
            config = load_config(args)
        if args.check_config:
            print("configuration OK")
            print("\n".join(config.summary()))
            return 0
        ssl_context, ca_path, tls_dir = _tls(config)
        return _run(_serve(config, ssl_context, ca_path, demo=args.demo))
    except CXoneError as exc:
        print(f"cxone-desktop relay: {exc.message}", file=sys.stderr)
        return 2
    finally:
        if tls_dir is not None:
            shutil.rmtree(tls_dir, ignore_errors=True)


def _run(main: Coroutine[None, None, int]) -> int:
    """asyncio.run, on uvloop where it is installed, unless CXONE_RELAY_EVENT_LOOP=asyncio
    (see benchmarks/relay.py for what uvloop buys)."""
    if os.environ.get("CXONE_RELAY_EVENT_LOOP", "uvloop") != "asyncio":
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return int(uvloop.run(main))
    return asyncio.run(main)


def _tls(config: RelayConfig) -> tuple[ssl.SSLContext | None, Path | None, Path | None]:
    from cxone_desktop.serving.base_url import WILDCARD_HOSTS
    from cxone_desktop.serving.tls import make_throwaway_certificate, server_ssl_context

    if config.tls_self_signed:
        directory = Path(tempfile.mkdtemp(prefix="cxone-relay-tls-"))
        hosts = [config.host] if config.host not in WILDCARD_HOSTS else []
        made = make_throwaway_certificate(hosts, directory)
        return server_ssl_context(made.cert_path, made.key_path), made.ca_path, directory
    if config.tls_cert and config.tls_key:
        return server_ssl_context(config.tls_cert, config.tls_key), None, None
    return None, None, None


async def _serve(
    config: RelayConfig, ssl_context: ssl.SSLContext | None, ca_path: Path | None, *, demo: bool
) -> int:
    from cxone_desktop.relay.server import RelayServer

    relay = RelayServer(config, ssl_context=ssl_context)
    try:
        await relay.start()
    except OSError as exc:
        print(
            f"cxone-desktop relay: cannot listen on {config.host}:{config.port} or reach the bus: "
            f"{exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    stop = asyncio.Event()
    # Before the banner: it invites a Ctrl+C.
    interrupts = portable.InterruptHandlers(asyncio.get_running_loop(), stop.set).install()
    lines = [f"relay listening on {relay.base_url}", *config.summary()]
    if ca_path is not None:
        lines.append(f"  TLS CA:           {ca_path}  (trust it: --ca-file or SSL_CERT_FILE)")
    print("\n".join(lines), flush=True)
    pushing: asyncio.Task[None] | None = None
    if demo:
        from cxone_desktop.relay.demo import run_demo_pushers

        pushing = asyncio.create_task(run_demo_pushers(relay, ca_path))
    try:
        await stop.wait()
    finally:
        interrupts.uninstall()
        if pushing is not None:
            pushing.cancel()
            await asyncio.gather(pushing, return_exceptions=True)
        await relay.stop()
    print("relay stopped.", flush=True)
    return 0
