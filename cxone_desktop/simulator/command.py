"""`cxone-desktop simulate`: run the CXone simulator in the foreground until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shlex
import shutil
import ssl
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from cxone_desktop import portable
from cxone_desktop.core.arrival_trace import ArrivalTrace
from cxone_desktop.errors import CXoneError, InputError
from cxone_desktop.serving.base_url import WILDCARD_HOSTS
from cxone_desktop.simulator.config import SimulatorConfig

if TYPE_CHECKING:
    from cxone_desktop.simulator.server import CXoneSimulator


def run_simulate(args: argparse.Namespace) -> int:
    """Serve until interrupted; 0 on a clean stop, 2 on bad arguments, 1 if the port is unusable."""
    tls_dir: Path | None = None
    try:
        ssl_context, ca_path, tls_dir = _tls_from_args(args)
        config = SimulatorConfig.from_args(args, ssl_context=ssl_context)
        from cxone_desktop.simulator.server import CXoneSimulator

        simulator = CXoneSimulator(config)
        public_host = certificate_host(Path(args.tls_cert)) if args.tls_cert else None
        return asyncio.run(
            _serve(
                simulator,
                ca_path,
                public_host,
                ready_json=args.ready_json,
                stop_on_stdin_eof=args.stop_on_stdin_eof,
            )
        )
    except CXoneError as exc:
        print(f"cxone-desktop simulate: {exc.message}", file=sys.stderr)
        return 2
    finally:
        if tls_dir is not None:
            shutil.rmtree(tls_dir, ignore_errors=True)


def _tls_from_args(
    args: argparse.Namespace,
) -> tuple[ssl.SSLContext | None, Path | None, Path | None]:
    """(server context, CA path to print, temp dir to delete) from the --tls-* arguments."""
    from cxone_desktop.simulator.tls import make_throwaway_certificate, server_ssl_context

    if args.tls_self_signed:
        if args.tls_cert or args.tls_key:
            raise InputError(
                "tls-self-signed", "use either --tls-self-signed or --tls-cert/--tls-key"
            )
        directory = Path(tempfile.mkdtemp(prefix="cxone-sim-tls-"))
        hosts = [args.host] if args.host not in WILDCARD_HOSTS else []
        made = make_throwaway_certificate(hosts, directory)
        return server_ssl_context(made.cert_path, made.key_path), made.ca_path, directory
    if bool(args.tls_cert) != bool(args.tls_key):
        raise InputError("tls-cert", "--tls-cert and --tls-key go together")
    if args.tls_cert:
        return server_ssl_context(Path(args.tls_cert), Path(args.tls_key)), None, None
    return None, None, None


def certificate_host(cert_path: Path) -> str | None:
    """The first DNS name a given certificate is for (not localhost): clients must use it."""
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return None
    hosts = [n for n in names.get_values_for_type(x509.DNSName) if n != "localhost"]
    return hosts[0] if hosts and "*" not in hosts[0] else None


async def _serve(
    simulator: CXoneSimulator,
    ca_path: Path | None,
    public_host: str | None = None,
    *,
    ready_json: bool = False,
    stop_on_stdin_eof: bool = False,
) -> int:
    config = simulator.config
    try:
        await simulator.start()
    except OSError as exc:
        print(
            f"cxone-desktop simulate: cannot listen on {config.host}:{config.port}: "
            f"{exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    base_url = simulator.base_url
    if public_host is not None:  # a certificate for a real name: 127.0.0.1 would not verify
        base_url = base_url.replace(urlsplit(base_url).hostname or "", public_host, 1)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    if stop_on_stdin_eof:
        _stop_on_stdin_eof(loop, stop)
    # Before the banner: it invites a Ctrl+C.
    interrupts = portable.InterruptHandlers(loop, stop.set).install()
    if ready_json:  # for a parent process (`gui --demo`): one line it can parse
        print(json.dumps(ready_document(base_url, config)), flush=True)
    else:
        print(banner(base_url, config, ca_path, public_host), flush=True)
    try:
        await stop.wait()
    finally:
        await simulator.stop()
        interrupts.uninstall()
    print("CXone simulator stopped.", flush=True)
    return 0


def ready_document(base_url: str, config: SimulatorConfig) -> dict[str, object]:
    """Where the simulator listens and the demo credentials, as `--ready-json` prints them."""
    return {
        "base_url": base_url,
        "client_id": config.client_id,
        "client_secret": config.client_secret,
        "call_ids": list(config.call_ids),
        "two_party": config.two_party,
    }


def _stop_on_stdin_eof(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """Stop when standard input closes: the parent process exited, however it died."""

    def wait_for_eof() -> None:
        with contextlib.suppress(OSError, ValueError):
            while sys.stdin.buffer.read(4096):
                pass
        with contextlib.suppress(RuntimeError):  # the loop may already be closed
            loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=wait_for_eof, name="stdin-eof", daemon=True).start()


def banner(
    base_url: str, config: SimulatorConfig, ca_path: Path | None, public_host: str | None = None
) -> str:
    """What `simulate` prints on start: where it is, how to log in, and a command to try."""
    default_secret = SimulatorConfig().client_secret
    secret = (
        config.client_secret
        if config.client_secret == default_secret
        else "(the --client-secret you gave)"
    )
    audio = str(config.audio_path) if config.audio_path else "bundled demo call"
    if config.two_party:
        audio += ", two parties: mixed by default, ?channels=2 agent left / customer right"
    imp = config.impairments
    trouble = [f"fragment={imp.fragment}"]
    defaults = SimulatorConfig()
    for name, value in (
        ("jitter-ms", imp.jitter_ms),
        ("loss", imp.loss),
        ("burst-loss", imp.burst_loss),
        ("burst-frames", imp.burst_frames if imp.burst_loss else None),
        ("drop-after", imp.drop_after_s),
        ("hold-at", imp.hold_at_s),
        ("hold-for", imp.hold_for_s if imp.hold_at_s else None),
        ("batch-frames", imp.batch_frames),
        ("spike-every", imp.spike_every_s),
        ("ge-enter", imp.ge_enter),
        ("ge-leave", imp.ge_leave if imp.ge_enter else None),
        ("drift-ppm", imp.drift_ppm),
        ("token-ttl", config.token_ttl_s if config.token_ttl_s != defaults.token_ttl_s else None),
        ("rate-limit", config.rate_limit),
        ("seed", imp.seed),
    ):
        if value:
            trouble.append(f"{name}={value:g}")
    if imp.large_frames_ms is not None:
        trouble.append("large-frames={}-{}".format(*imp.large_frames_ms))
    if imp.spike_every_s is not None:
        trouble.append("spike-ms={:g}-{:g}".format(*imp.spike_ms))
    if imp.arrival_trace is not None:
        trouble.append(_trace_summary(imp.arrival_trace))
    call = config.call_ids[0]
    common = (
        f"--base-url {base_url} --client-id {shlex.quote(config.client_id)} "
        f"--call-id {shlex.quote(call)}"
    )
    if config.encoding != "pcm16":
        common += f" --encoding {config.encoding}"
    if ca_path is not None:
        common += f" --ca-file {shlex.quote(str(ca_path))}"
    lines = [
        f"CXone simulator listening on {base_url}",
        f"  client id:     {config.client_id}",
        f"  client secret: {secret}",
        f"  call ids:      {', '.join(config.call_ids)}",
        f"  audio:         {audio} ({config.encoding}{', looping' if config.loop else ''})",
        f"  impairments:   {' '.join(trouble)}",
    ]
    if ca_path is not None:
        lines.append(f"  TLS CA:        {ca_path}  (trust it: --ca-file or SSL_CERT_FILE)")
    if public_host is not None:
        lines.append(
            f"  host name:     {public_host} must resolve to {config.host} "
            "(DNS, or a line in /etc/hosts) for the certificate to verify"
        )
    env_secret = shlex.quote(secret) if secret == default_secret else "…"
    lines += [
        "Try:",
        f"  CXONE_CLIENT_SECRET={env_secret} cxone-desktop record {common} --out recordings",
        f"  cxone-desktop gui {common}",
        "Press Ctrl+C to stop.",
    ]
    return "\n".join(lines)


def _trace_summary(trace: ArrivalTrace) -> str:
    """The trace in a few words: its size, and the stream rate and losses its timing says
    (the frames the replay leaves out again)."""
    text = f"arrival-trace={len(trace)} messages"
    losses = trace.losses
    if losses is None:
        return text + " (too short to read losses from)"
    return text + f" of a {losses.bytes_per_s} B/s stream, {len(losses.offsets)} frames lost"
