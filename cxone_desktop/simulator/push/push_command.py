"""`cxone-desktop simulate --push cxone|audiohook|twilio --to URL`: play the platform's side.

Credentials come from the same environment variables the relay reads
(RELAY_AUDIOHOOK_API_KEY, RELAY_AUDIOHOOK_CLIENT_SECRET, RELAY_CXONE_AUTH_HEADER,
RELAY_TWILIO_AUTH_TOKEN), so one exported shell drives both sides.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import ssl
import sys
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from cxone_desktop.errors import CXoneError, InputError
from cxone_desktop.simulator.push.audiohook_pusher import AudioHookPush
from cxone_desktop.simulator.push.cxone_pusher import CXonePush
from cxone_desktop.simulator.push.pacing import HoldPlan
from cxone_desktop.simulator.push.twilio_pusher import TwilioPush
from cxone_desktop.simulator.push.two_party_audio import TwoPartyAudio, load_two_party

PushRun = Callable[[], Awaitable[None]]


def ingest_url(to: str, platform: str) -> str:
    """`--to` as a ws(s) URL; a bare base URL gets `/ingest/<platform>`."""
    parts = urlsplit(to)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    if scheme not in ("ws", "wss") or not parts.netloc:
        raise InputError(
            "to", "give the relay's URL, e.g. http://127.0.0.1:8080 or wss://…/ingest/…"
        )
    path = parts.path if parts.path not in ("", "/") else f"/ingest/{platform}"
    return urlunsplit((scheme, parts.netloc, path, parts.query, ""))


def make_push(
    platform: str,
    url: str,
    audio: TwoPartyAudio,
    env: Mapping[str, str],
    *,
    index: int = 0,
    hold: HoldPlan | None = None,
    ssl_context: ssl.SSLContext | None = None,
    loss: float = 0.0,
    seed: int | None = None,
) -> AudioHookPush | CXonePush | TwilioPush:
    """One pusher for `platform` with credentials from `env`; `loss` (Twilio only) leaves out
    that share of its media messages."""
    hold = hold or HoldPlan()
    check_loss(platform, loss)
    agent_id = f"agent-{1001 + index % 5}"
    if platform == "audiohook":
        key = _need(env, "RELAY_AUDIOHOOK_API_KEY")
        return AudioHookPush(
            url,
            audio,
            api_key=key,
            client_secret_b64=env.get("RELAY_AUDIOHOOK_CLIENT_SECRET"),
            hold=hold,
            agent_id=agent_id,
            ssl_context=ssl_context,
        )
    if platform == "cxone":
        name, sep, value = _need(env, "RELAY_CXONE_AUTH_HEADER").partition(":")
        if not sep:
            raise InputError("RELAY_CXONE_AUTH_HEADER", 'use "Name: value"')
        return CXonePush(
            url,
            audio,
            auth_header=(name.strip(), value.strip()),
            hold=hold,
            agent_id=agent_id,
            ssl_context=ssl_context,
        )
    if platform == "twilio":
        return TwilioPush(
            url,
            audio,
            auth_token=_need(env, "RELAY_TWILIO_AUTH_TOKEN"),
            hold=hold,
            agent_id=agent_id,
            ssl_context=ssl_context,
            loss=loss,
            loss_seed=None if seed is None else seed + index,
        )
    raise InputError("push", f"unknown platform {platform!r}")


def check_loss(platform: str, loss: float) -> None:
    if not 0.0 <= loss < 1.0:
        raise InputError("loss", "must be at least 0 and below 1")
    if loss and platform != "twilio":
        raise InputError(
            "loss",
            "with --push, --loss works for twilio only: its messages carry their media time, "
            "so the relay can place what is missing (CXone's and AudioHook's audio would just "
            "come shorter)",
        )


def call_id_of(push: AudioHookPush | CXonePush | TwilioPush) -> str:
    if isinstance(push, AudioHookPush):
        return push.conversation_id
    if isinstance(push, CXonePush):
        return push.contact_id
    return push.call_sid


def _need(env: Mapping[str, str], name: str) -> str:
    value = env.get(name)
    if not value:
        raise InputError(name, f"set {name} to the credential the relay expects")
    return value


def run_push(args: argparse.Namespace) -> int:
    """Push `--calls` concurrent calls (again and again with `--loop`); 0 when all went through."""
    try:
        if args.calls < 1:
            raise InputError("calls", "must be at least 1")
        url = ingest_url(args.to, args.push)
        audio = load_two_party(Path(args.audio) if args.audio else None)
        ctx = ssl.create_default_context(cafile=args.ca_file) if args.ca_file else None
        hold = HoldPlan(args.hold_at, args.hold_for)
        env = dict(os.environ)
        return asyncio.run(
            _push_all(
                args.push, url, audio, env, args.calls, hold, ctx, args.loop, args.loss, args.seed
            )
        )
    except CXoneError as exc:
        print(f"cxone-desktop simulate --push: {exc.message}", file=sys.stderr)
        return 2


async def _push_all(
    platform: str,
    url: str,
    audio: TwoPartyAudio,
    env: dict[str, str],
    calls: int,
    hold: HoldPlan,
    ctx: ssl.SSLContext | None,
    loop: bool,
    loss: float,
    seed: int | None,
) -> int:
    failures = 0
    while True:
        pushes = [
            make_push(
                platform,
                url,
                audio,
                env,
                index=i,
                hold=hold,
                ssl_context=ctx,
                loss=loss,
                seed=seed,
            )
            for i in range(calls)
        ]
        for push in pushes:
            print(f"pushing {platform} call {call_id_of(push)} to {url}", flush=True)
        results = await asyncio.gather(*(p.run() for p in pushes), return_exceptions=True)
        for push, result in zip(pushes, results, strict=True):
            if isinstance(push, TwilioPush) and push.lost:
                print(f"call {call_id_of(push)}: {len(push.lost)} media messages left out")
            if isinstance(result, BaseException):
                failures += 1
                print(
                    f"call {call_id_of(push)} failed: {type(result).__name__}: {result}",
                    file=sys.stderr,
                )
        if not loop:
            break
    print(f"pushed {calls - failures} of {calls} {platform} call(s)", flush=True)
    return 0 if failures == 0 else 1
