"""`relay --demo`: a relay with throwaway credentials and one pushing simulator per platform,
looping the stereo demo call, so `gui` (and `record`) have live calls to pick at once.

The demo is the one place the relay starts the simulator's push side; the relay
proper never imports the simulator.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import logging
import secrets
import ssl
from dataclasses import replace
from pathlib import Path

from cxone_desktop.relay.client_rules import ClientRule
from cxone_desktop.relay.config import RelayConfig, load_config
from cxone_desktop.relay.server import RelayServer

log = logging.getLogger(__name__)

DEMO_CLIENT = ("demo-client", "demo-secret")
_SECRETS = {
    "RELAY_AUDIOHOOK_API_KEY": secrets.token_urlsafe(16),
    "RELAY_AUDIOHOOK_CLIENT_SECRET": base64.b64encode(secrets.token_bytes(32)).decode(),
    "RELAY_CXONE_AUTH_HEADER": f"X-Relay-Demo: {secrets.token_urlsafe(16)}",
    "RELAY_TWILIO_AUTH_TOKEN": secrets.token_hex(16),
}


def demo_config(args: argparse.Namespace) -> RelayConfig:
    """The command line's settings plus throwaway platform credentials and the demo client."""
    config = load_config(args, environ=dict(_SECRETS))  # the platforms' credentials, via env
    return replace(
        config,
        cxone=replace(config.cxone, hold_grace_s=5.0),
        clients=(*config.clients, ClientRule(*DEMO_CLIENT, all_calls=True)),
    )


async def run_demo_pushers(relay: RelayServer, ca_path: Path | None) -> None:
    """One call per platform, each looping the demo call until cancelled."""
    from cxone_desktop.simulator.push.push_command import call_id_of, make_push
    from cxone_desktop.simulator.push.two_party_audio import load_two_party

    audio = load_two_party()
    ctx = ssl.create_default_context(cafile=str(ca_path)) if ca_path else None
    base = relay.ws_base_url
    trust = f" --ca-file {ca_path}" if ca_path else ""

    async def loop_platform(platform: str, index: int) -> None:
        while True:
            push = make_push(
                platform,
                f"{base}/ingest/{platform}",
                audio,
                _SECRETS,
                index=index,
                ssl_context=ctx,
            )
            call_id = call_id_of(push)
            print(
                f"demo {platform} call {call_id}: cxone-desktop gui --base-url {relay.base_url} "
                f"--client-id {DEMO_CLIENT[0]} --call-id {call_id}{trust}"
                f"   (secret {DEMO_CLIENT[1]})",
                flush=True,
            )
            try:
                await push.run()
            except (OSError, RuntimeError, PermissionError) as exc:
                log.warning("demo %s pusher failed: %s; starting again", platform, exc)
                await asyncio.sleep(1.0)

    platforms = ("audiohook", "cxone", "twilio")
    await asyncio.gather(*(loop_platform(p, i) for i, p in enumerate(platforms)))
