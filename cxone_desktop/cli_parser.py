"""The `cxone-desktop` command's arguments: every subcommand's, declared here so `--help` is
complete without importing Qt or the network stack (each handler is imported only when chosen).
"""

from __future__ import annotations

import argparse

from cxone_desktop import __version__

SUBCOMMANDS = ("gui", "record", "simulate", "relay", "repair", "report")


def _add_connection_args(p: argparse.ArgumentParser) -> None:
    """Where the call is and how to authenticate; shared by `gui` and `record`."""
    where = p.add_mutually_exclusive_group()
    where.add_argument("--tenant", help="CXone tenant name (…niceincontact.com); env CXONE_TENANT")
    where.add_argument(
        "--base-url",
        help="replaces https://{tenant}.niceincontact.com (http or https, any host:port)",
    )
    p.add_argument("--client-id", help="OAuth client ID; env CXONE_CLIENT_ID")
    p.add_argument("--call-id", help="call (interaction) ID; env CXONE_CALL_ID")
    p.add_argument(
        "--auth-style",
        choices=["json", "form", "basic"],
        default=None,
        help="how the client authenticates at /oauth2/token (default: json, as the seed)",
    )
    p.add_argument(
        "--token-in",
        choices=["query", "header"],
        default=None,
        help="send the token as ?access_token= (default) or Authorization: Bearer",
    )
    p.add_argument(
        "--scope", help="OAuth scope to request, space separated (default: none, as the seed)"
    )
    p.add_argument("--ca-file", help="PEM file of extra CA certificates to trust")
    p.add_argument(
        "--insecure",
        action="store_true",
        help="do NOT verify TLS certificates (logged as a warning)",
    )
    p.add_argument(
        "--encoding",
        choices=["pcm16", "mulaw", "alaw"],
        default=None,
        help="audio encoding on the wire (default pcm16)",
    )
    p.add_argument(
        "--poll-interval",
        type=float,
        default=None,
        metavar="S",
        help="call-state poll interval in seconds (default 2)",
    )


class _RefuseSecretOnCommandLine(argparse.Action):
    """A secret in argv shows in `ps` and shell history: refuse it, without echoing it."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object, **__: object) -> None:
        parser.error(
            "the client secret is never taken from the command line (ps and shell history "
            "would show it); set CXONE_CLIENT_SECRET, pass --secret-file FILE, or type it "
            "at the prompt"
        )


def build_parser() -> argparse.ArgumentParser:
    # allow_abbrev=False: `--secret X` must not be taken for `--secret-file X` and echoed.
    parser = argparse.ArgumentParser(
        prog="cxone-desktop",
        allow_abbrev=False,
        description="Listen to a live NICE CXone call, watch its state and network health, "
        "and record it. Without a subcommand, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"cxone-desktop {__version__}")
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="default WARNING",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = sub.add_parser("gui", allow_abbrev=False, help="open the desktop app (the default)")
    _add_connection_args(gui)
    gui.add_argument(
        "--demo",
        action="store_true",
        help="start the built-in CXone simulator and fill the form for it",
    )
    gui.add_argument("--autoconnect", action="store_true", help="connect at once")
    gui.add_argument(
        "--out",
        help="folder for this run's session folders "
        "(default: the one chosen in the app, else the user data folder)",
    )
    gui.add_argument(
        "--quit-after", type=float, default=None, metavar="S", help=argparse.SUPPRESS
    )  # for tests and demos: close after S seconds
    gui.add_argument("--open", metavar="DIR", help="open a recorded session folder for review")
    gui.add_argument("session", nargs="?", metavar="DIR", help="same as --open DIR")

    rec = sub.add_parser(
        "record", allow_abbrev=False, help="record a call headless into a session folder"
    )
    _add_connection_args(rec)
    rec.add_argument("--out", required=True, help="folder to create the session folder in")
    for name, default in (
        ("token-path", "/oauth2/token"),
        ("stream-path", "/agent/voice/{callId}/stream"),
        ("call-state-path", "/api/v2/interactions/{interactionId}/call"),
    ):
        rec.add_argument(
            f"--{name}", metavar="PATH", help=f"for tenants whose URLs differ (default {default})"
        )
    rec.add_argument(
        "--duration",
        type=float,
        default=None,
        metavar="S",
        help="stop after S seconds (default: until the call ends)",
    )
    rec.add_argument(
        "--reconnect-budget",
        type=float,
        default=None,
        metavar="S",
        help="after a drop, keep reconnecting this long while the call is up (default 60)",
    )
    rec.add_argument(
        "--silence-timeout",
        type=float,
        default=None,
        metavar="S",
        help="reconnect a stream with no audio for S seconds while the call is up (default 30)",
    )
    rec.add_argument("--gain", type=float, default=None, help="linear gain (default 1.2)")
    rec.add_argument(
        "--noise-threshold",
        type=int,
        default=None,
        help="noise gate threshold, int16 amplitude (default 200; 0 = off)",
    )
    rec.add_argument("--gate-mode", choices=["seed", "smooth", "off"], default=None)
    rec.add_argument(
        "--channels",
        choices=["mixed", "both", "agent", "customer"],
        default=None,
        help="what processed.wav holds when the server offers the parties apart: the mix "
        "(default), both (agent left, customer right), or one party; raw.wav then keeps both",
    )
    rec.add_argument(
        "--playout",
        choices=["low-delay", "quality"],
        default=None,
        help="low-delay (up to 120 ms, the default; a message's span for senders of 100-200 ms "
        "messages) or quality (up to 400 ms: the cleanest "
        "processed.wav the network allows)",
    )
    rec.add_argument(
        "--save-trace",
        action="store_true",
        help="write arrivals.csv (each message's arrival time and size) in the session folder; "
        "`simulate --arrival-trace` replays it",
    )
    rec.add_argument(
        "--secret-file",
        help="read the client secret from this file (else env CXONE_CLIENT_SECRET, else a prompt)",
    )
    rec.add_argument(
        "--secret", "--client-secret", action=_RefuseSecretOnCommandLine, help=argparse.SUPPRESS
    )

    sim = sub.add_parser("simulate", allow_abbrev=False, help="run the CXone simulator")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=0, help="0 picks a free port")
    sim.add_argument("--tls-cert", help="PEM certificate (chain) to serve HTTPS/WSS with")
    sim.add_argument("--tls-key", help="PEM private key for --tls-cert")
    sim.add_argument(
        "--tls-self-signed",
        action="store_true",
        help="serve TLS with a throwaway self-signed certificate",
    )
    sim.add_argument("--client-id", default=None, help="accepted client ID (default demo-client)")
    sim.add_argument(
        "--client-secret", default=None, help="accepted client secret (default demo-secret)"
    )
    sim.add_argument(
        "--call-id",
        action="append",
        default=None,
        help="call ID to serve (repeatable; default demo-call)",
    )
    sim.add_argument("--audio", help="WAV file to stream (any rate/width/channels)")
    sim.add_argument("--loop", action="store_true", help="repeat the audio forever")
    sim.add_argument(
        "--two-party",
        action="store_true",
        help="serve the call's parties apart as well as mixed (?channels=2, ?perspective=) "
        "from a stereo WAV, agent left, customer right (default: the stereo demo call)",
    )
    sim.add_argument("--encoding", choices=["pcm16", "mulaw"], default="pcm16")
    sim.add_argument(
        "--fragment", choices=["aligned", "random", "tiny", "merged"], default="aligned"
    )
    sim.add_argument("--jitter-ms", type=float, default=0.0)
    sim.add_argument(
        "--loss",
        type=float,
        default=0.0,
        help="random frame loss probability (with --push twilio: media messages left out)",
    )
    sim.add_argument(
        "--burst-loss", type=float, default=0.0, help="probability a loss burst starts at a frame"
    )
    sim.add_argument("--burst-frames", type=int, default=5, help="frames lost per burst")
    sim.add_argument(
        "--batch-frames",
        type=int,
        default=0,
        metavar="N",
        help="batching sender: messages of 1..N frames' bytes, sent when their first frame is due",
    )
    sim.add_argument(
        "--large-frames",
        default=None,
        metavar="MS[-MS]",
        help="one message per 100-200 ms of audio (a range draws each), sent when all of it is due",
    )
    sim.add_argument(
        "--spike-every", type=float, default=None, metavar="S", help="stall the path every S s"
    )
    sim.add_argument(
        "--spike-ms",
        default="200-500",
        metavar="MS-MS",
        help="how long each stall lasts (a range; default 200-500); the backlog comes at once",
    )
    sim.add_argument(
        "--ge-enter",
        type=float,
        default=0.0,
        metavar="P",
        help="Gilbert-Elliott burst loss: chance per frame of entering the bad state",
    )
    sim.add_argument(
        "--ge-leave",
        type=float,
        default=0.25,
        metavar="P",
        help="... of leaving it (mean burst 1/P frames; default 0.25)",
    )
    sim.add_argument(
        "--ge-bad-loss", type=float, default=1.0, metavar="P", help="... loss in the bad state"
    )
    sim.add_argument(
        "--drift-ppm",
        type=float,
        default=0.0,
        metavar="PPM",
        help="the sender's clock runs this fast (negative: slow); 1000 = 0.1 %%",
    )
    sim.add_argument(
        "--arrival-trace",
        default=None,
        metavar="FILE",
        help="replay a recorded arrivals.csv (message times and sizes) over the audio",
    )
    sim.add_argument(
        "--drop-after",
        type=float,
        default=None,
        metavar="S",
        help="abort the TCP connection after S s (client sees 1006)",
    )
    sim.add_argument("--token-ttl", type=float, default=3600.0, metavar="S")
    sim.add_argument(
        "--rate-limit",
        type=int,
        default=0,
        metavar="N",
        help="the first N token requests get 429 with Retry-After",
    )
    sim.add_argument(
        "--hold-at",
        type=float,
        default=None,
        metavar="S",
        help="put the call on hold at S s (socket closes)",
    )
    sim.add_argument("--hold-for", type=float, default=3.0, metavar="S")
    sim.add_argument("--seed", type=int, default=None, help="random seed for impairments")
    sim.add_argument(
        "--ready-json",
        action="store_true",
        help="print one JSON line (base URL, demo credentials) instead of the banner",
    )
    sim.add_argument(
        "--stop-on-stdin-eof",
        action="store_true",
        help="stop when standard input closes (a parent process that started it has exited)",
    )
    _add_push_args(sim)
    _add_relay_parser(sub)

    rep = sub.add_parser(
        "repair", allow_abbrev=False, help="fix the WAV headers of an interrupted session folder"
    )
    rep.add_argument("folder", nargs="+")

    report = sub.add_parser(
        "report", allow_abbrev=False, help="write a self-contained HTML review of a session"
    )
    report.add_argument("folder", metavar="DIR", help="the session folder")
    report.add_argument("--out", help="the HTML file to write (default DIR/report.html)")
    return parser


def _add_push_args(sim: argparse.ArgumentParser) -> None:
    """`simulate --push`: play a platform pushing calls into a relay (credentials: RELAY_* env)."""
    push = sim.add_argument_group("platform push (to a relay)")
    push.add_argument("--push", choices=["cxone", "audiohook", "twilio"], help="push calls")
    push.add_argument("--to", help="the relay's URL (http(s)://host:port or a ws(s) ingest URL)")
    push.add_argument("--calls", type=int, default=1, help="concurrent calls (default 1)")
    push.add_argument("--ca-file", help="PEM CA to trust for a wss:// relay")


def _add_relay_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`relay`: the server platforms push into; secrets also from RELAY_* env and the config."""
    relay = sub.add_parser("relay", allow_abbrev=False, help="serve platform audio to listeners")
    relay.add_argument("--listen", metavar="HOST:PORT", help="default 127.0.0.1:0 (free port)")
    relay.add_argument("--tls-cert", help="PEM certificate (chain)")
    relay.add_argument("--tls-key", help="PEM private key for --tls-cert")
    relay.add_argument("--tls-self-signed", action="store_true", help="a throwaway CA + cert")
    relay.add_argument("--config", metavar="relay.toml", help="settings and per-client rules")
    for name, env in (
        ("audiohook-api-key", "RELAY_AUDIOHOOK_API_KEY"),
        ("audiohook-client-secret", "RELAY_AUDIOHOOK_CLIENT_SECRET"),
        ("cxone-auth-header", "RELAY_CXONE_AUTH_HEADER"),
        ("twilio-auth-token", "RELAY_TWILIO_AUTH_TOKEN"),
    ):
        relay.add_argument(f"--{name}", help=f"prefer env {env} or the config file (argv warns)")
    relay.add_argument(
        "--client", action="append", metavar="ID:SECRET", help="a listener hearing all calls"
    )
    relay.add_argument("--bus", metavar="redis://HOST:PORT", help="share calls between relays")
    relay.add_argument("--check-config", action="store_true", help="validate and exit")
    relay.add_argument("--demo", action="store_true", help="also push a demo call per platform")
