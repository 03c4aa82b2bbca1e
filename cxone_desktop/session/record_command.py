"""`cxone-desktop record`: one call, headless, into a session folder.

stdout carries the seed-style JSON summary and, as its last line, the session
folder's path; progress and state changes go to stderr. Exit codes: 0 call
ended (or --duration reached), 1 an internal error (files finalized), 2 bad input,
3 authentication failed, 4 stream failed after retries (or never opened within
--duration), 130 interrupted (files finalized).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import math
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from cxone_desktop import portable
from cxone_desktop.core.dsp import DspSettings
from cxone_desktop.core.metrics import MetricsSnapshot
from cxone_desktop.core.state_machine import Transition
from cxone_desktop.cxone.endpoints import Endpoints
from cxone_desktop.cxone.settings import AuthSettings, Credentials, StreamSettings, TlsSettings
from cxone_desktop.errors import CXoneError, InputError
from cxone_desktop.private_files import check_writable, describe_os_error
from cxone_desktop.redaction import redact
from cxone_desktop.session.config import SessionConfig
from cxone_desktop.session.error_tally import worth_writing
from cxone_desktop.session.event_budget import shorten_fields
from cxone_desktop.session.observer import SessionObserver
from cxone_desktop.session.reconnect_budget import ReconnectPolicy
from cxone_desktop.session.repair import recover_interrupted
from cxone_desktop.session.session_result import SessionResult
from cxone_desktop.session.silence_watch import SILENCE_TIMEOUT_S
from cxone_desktop.session.stream_session import StreamSession

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_AUTH, EXIT_STREAM, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130


def read_secret(secret_file: str | None, *, interactive: bool) -> str:
    """The client secret from a file, else $CXONE_CLIENT_SECRET, else a prompt — never argv.

    The file is read as UTF-8 with or without a BOM (Notepad writes one), whatever the
    locale's encoding.
    """
    if secret_file:
        try:
            return Path(secret_file).read_text(encoding="utf-8-sig").strip()
        except OSError as exc:
            raise InputError("secret_file", f"cannot read {secret_file}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise InputError(
                "secret_file", f"{secret_file} is not UTF-8 text; save it as UTF-8"
            ) from None
    env = os.environ.get("CXONE_CLIENT_SECRET", "")
    if env:
        return env
    if interactive:
        return getpass.getpass("CXone client secret: ")
    raise InputError(
        "client_secret",
        "not given; set CXONE_CLIENT_SECRET, pass --secret-file, or run in a terminal to be asked",
    )


def config_from_args(args: argparse.Namespace, secret: str) -> SessionConfig:
    """Build and validate the session config from argv + the seed's environment variables."""
    tenant = args.tenant or (None if args.base_url else os.environ.get("CXONE_TENANT"))
    if not tenant and not args.base_url:
        raise InputError("tenant", "give --tenant NAME or --base-url URL (or set CXONE_TENANT)")
    endpoints = Endpoints.from_input(
        tenant=tenant,
        base_url=args.base_url,
        token_path=args.token_path,
        stream_path=args.stream_path,
        call_state_path=args.call_state_path,
    )
    client_id = args.client_id or os.environ.get("CXONE_CLIENT_ID", "")
    call_id = args.call_id or os.environ.get("CXONE_CALL_ID", "")
    if not call_id:
        raise InputError("call_id", "give --call-id ID (or set CXONE_CALL_ID)")
    if not client_id:
        raise InputError("client_id", "give --client-id ID (or set CXONE_CLIENT_ID)")
    dsp_defaults = DspSettings()
    try:
        dsp = DspSettings(
            gain=dsp_defaults.gain if args.gain is None else args.gain,
            noise_threshold=(
                dsp_defaults.noise_threshold
                if args.noise_threshold is None
                else args.noise_threshold
            ),
            gate_mode=args.gate_mode or dsp_defaults.gate_mode,
        )
    except ValueError as exc:  # DspSettings names the field first: "noise_threshold must …"
        field, _, problem = str(exc).partition(" ")
        raise InputError(field, problem) from None
    budget = args.reconnect_budget
    if budget is not None and not (math.isfinite(budget) and budget >= 0):
        raise InputError("reconnect_budget", "must be a number of seconds >= 0")
    return SessionConfig(
        endpoints=endpoints,
        call_id=call_id,
        credentials=Credentials(client_id=client_id, client_secret=secret),
        auth=AuthSettings(style=args.auth_style or "json", scope=args.scope),
        tls=TlsSettings(verify=not args.insecure, ca_file=args.ca_file),
        stream=StreamSettings(token_in=args.token_in or "query"),
        dsp=dsp,
        encoding=args.encoding or "pcm16",
        out_dir=Path(args.out),
        poll_interval_s=args.poll_interval if args.poll_interval is not None else 2.0,
        duration_s=args.duration,
        reconnect=ReconnectPolicy() if budget is None else ReconnectPolicy(budget_s=budget),
        silence_timeout_s=(
            SILENCE_TIMEOUT_S if args.silence_timeout is None else args.silence_timeout
        ),
        channels=getattr(args, "channels", None) or "mixed",
        playout_mode=getattr(args, "playout", None) or "low-delay",
        save_trace=bool(getattr(args, "save_trace", False)),
    )


def _dumps(value: Any) -> str:
    return json.dumps(redact(value), default=str)


class _ProgressPrinter(SessionObserver):
    """State changes, errors and a once-every-5 s metrics line on stderr.

    Control messages come at the server's pace: each name is printed its 1st, 2nd,
    4th… time (with its count), so a flood leaves a short trail, not a copy.
    """

    def __init__(self) -> None:
        self._controls: Counter[str] = Counter()

    def on_state(self, transition: Transition) -> None:
        t = transition
        print(f"[state] {t.state.value}" + (f" — {t.reason}" if t.reason else ""), file=sys.stderr)

    def on_error(self, error: CXoneError) -> None:
        err = error
        remedy = f" {err.remedy}" if err.remedy and err.remedy not in err.message else ""
        print(f"[error] {err.message}{remedy}", file=sys.stderr)

    def on_event(self, event: dict[str, Any]) -> None:
        if event["kind"] in (
            "retry",
            "reconnect_wait",
            "closed",
            "call_state",
            "partial_frame",
            "control",
            "control_unparsable",
            "parties",
            "parties_unknown",
        ):
            detail = shorten_fields({k: v for k, v in event.items() if k != "kind"}, _dumps)
            if event["kind"] == "control":
                name = str(event.get("name"))
                self._controls[name] += 1
                if not worth_writing(self._controls[name]):
                    return
                if self._controls[name] > 1:
                    detail["count"] = self._controls[name]
            print(f"[{event['kind']}] {_dumps(detail)}", file=sys.stderr)

    def on_metrics(self, snapshot: MetricsSnapshot) -> None:
        s = snapshot
        if int(s.elapsed_s) % 5 == 0:
            print(
                f"[metrics] {s.elapsed_s:5.0f} s  {s.bitrate_kbps:6.1f} kbps"
                f"  jitter {s.jitter_ms:5.1f} ms  lost {s.lost_frames}"
                f"  concealed {s.concealed_frames}",
                file=sys.stderr,
            )


def run_record(args: argparse.Namespace) -> int:
    try:
        secret = read_secret(args.secret_file, interactive=sys.stdin.isatty())
        config = config_from_args(args, secret)
        ensure_writable(config.recordings_dir)
    except InputError as exc:
        print(f"cxone-desktop record: {exc.message}", file=sys.stderr)
        return EXIT_INPUT
    repair_interrupted(config.recordings_dir)
    return asyncio.run(_record(config))


def ensure_writable(out_dir: Path) -> None:
    """`record` exists to write a session folder: an unusable --out is bad input, found first.

    Found by writing a file there: permission bits say nothing on Windows.
    """
    try:
        check_writable(out_dir)
    except OSError as exc:
        raise InputError(
            "out",
            f"cannot write to {out_dir} ({describe_os_error(exc)}); "
            "choose a folder you may write to",
        ) from None


def repair_interrupted(out_dir: Path) -> None:
    """Sessions a crash left behind in `out_dir` get their headers fixed before we record anew.

    Never stops the recording from starting: a repair that fails is reported and skipped.
    """
    recover_interrupted([out_dir], lambda r: print(f"[repair] {r.line()}", file=sys.stderr))


async def _record(config: SessionConfig) -> int:
    session = StreamSession(config)
    session.add_observer(_ProgressPrinter())
    interrupted = False

    def on_signal() -> None:
        nonlocal interrupted
        interrupted = True
        print("[interrupted] finalizing the recording…", file=sys.stderr)
        session.request_stop()

    interrupts = portable.InterruptHandlers(asyncio.get_running_loop(), on_signal).install()
    try:
        result = await session.run()
    finally:
        interrupts.uninstall()  # the files are final: a console-close handler may return
    print(json.dumps(result.snapshot.as_seed_dict() | {"outcome": result.outcome}))
    if result.folder is None and result.error is not None:
        print("[session] no session folder kept: the stream never opened", file=sys.stderr)
        return _exit_code(result, interrupted)
    if result.folder is None:
        print("cxone-desktop record: no session folder could be written in --out", file=sys.stderr)
        return EXIT_INPUT
    print(result.folder)
    return _exit_code(result, interrupted)


def _exit_code(result: SessionResult, interrupted: bool) -> int:
    if interrupted:
        return EXIT_INTERRUPTED
    return {
        "ended": EXIT_OK,
        "stopped": EXIT_OK,
        "auth_failed": EXIT_AUTH,
        "stream_failed": EXIT_STREAM,
        "failed": EXIT_FAILED,
    }[result.outcome]
