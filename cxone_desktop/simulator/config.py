"""What the simulator serves and how badly it behaves, validated on construction."""

from __future__ import annotations

import argparse
import math
import re
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cxone_desktop.core.arrival_trace import ArrivalTrace, parse_arrival_trace
from cxone_desktop.errors import AGENT_SCOPE, VIEW_SCOPE, InputError

Fragmentation = Literal["aligned", "random", "tiny", "merged"]
WireEncoding = Literal["pcm16", "mulaw"]

FRAGMENT_MODES: tuple[Fragmentation, ...] = ("aligned", "random", "tiny", "merged")
WIRE_ENCODINGS: tuple[WireEncoding, ...] = ("pcm16", "mulaw")
KNOWN_SCOPES: tuple[str, ...] = (AGENT_SCOPE, VIEW_SCOPE)
FRAME_MS = 20
MAX_BATCH_FRAMES = 50
MAX_LARGE_FRAME_MS = 2000
MAX_DRIFT_PPM = 10_000.0

# Call IDs go into URL paths; keep them to what CXone interaction IDs look like.
_CALL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def _require(ok: bool, name: str, message: str) -> None:
    if not ok:
        raise InputError(name, message)


def _finite_non_negative(value: float, name: str) -> None:
    _require(math.isfinite(value) and value >= 0, name, "must be a number >= 0")


def _probability(value: float, name: str) -> None:
    _require(math.isfinite(value) and 0.0 <= value <= 1.0, name, "must be between 0 and 1")


@dataclass(frozen=True)
class Impairments:
    """Network trouble applied to every stream connection; combinable, seeded.

    `fragment` chooses message sizes: 320-byte frames ("aligned"), 1–1000 bytes
    ("random"), 1–7 bytes ("tiny") or 2–4 whole frames ("merged"); a message
    leaves when its last byte's frame is due. A batching sender (`batch_frames`
    N) sends messages of 1..N frames' bytes, split anywhere, as soon as the
    first frame in them is due, so later frames arrive early. Large frames
    (`large_frames_ms`) send 100–200 ms of audio per message once it is all due.
    Lost frames are never sent but the media clock keeps running: independent
    `loss`, fixed bursts (`burst_loss`, `burst_frames`) and a Gilbert–Elliott
    channel (`ge_enter` good→bad, `ge_leave` bad→good per frame, `ge_bad_loss`
    lost in the bad state). Jitter delays each message by up to `jitter_ms`
    without reordering. Every `spike_every_s` the path stalls for `spike_ms`
    (a range) and then delivers the backlog at once. `drift_ppm` makes the
    sender's clock run fast (> 0) or slow. `arrival_trace` replays recorded
    message times and sizes instead of every model above. `drop_after_s` aborts
    the TCP connection (no close frame, the client sees 1006) after that long on
    each connection; `hold_at_s` puts the call on hold at that media position
    for `hold_for_s`. See `arrival_schedule.py` for the exact rules.
    """

    fragment: Fragmentation = "aligned"
    jitter_ms: float = 0.0
    loss: float = 0.0
    burst_loss: float = 0.0
    burst_frames: int = 5
    drop_after_s: float | None = None
    hold_at_s: float | None = None
    hold_for_s: float = 3.0
    seed: int | None = None
    batch_frames: int = 0
    large_frames_ms: tuple[int, int] | None = None
    spike_every_s: float | None = None
    spike_ms: tuple[float, float] = (200.0, 500.0)
    ge_enter: float = 0.0
    ge_leave: float = 0.25
    ge_bad_loss: float = 1.0
    drift_ppm: float = 0.0
    arrival_trace: ArrivalTrace | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        _require(
            self.fragment in FRAGMENT_MODES,
            "fragment",
            f"must be one of {', '.join(FRAGMENT_MODES)}",
        )
        _finite_non_negative(self.jitter_ms, "jitter_ms")
        _probability(self.loss, "loss")
        _probability(self.burst_loss, "burst_loss")
        _require(self.burst_frames >= 1, "burst_frames", "must be at least 1")
        if self.drop_after_s is not None:
            _require(
                math.isfinite(self.drop_after_s) and self.drop_after_s > 0,
                "drop_after_s",
                "must be a number > 0",
            )
        if self.hold_at_s is not None:
            _require(
                math.isfinite(self.hold_at_s) and self.hold_at_s > 0,
                "hold_at_s",
                "must be a number > 0 (the call has to start before it can be held)",
            )
        _require(
            math.isfinite(self.hold_for_s) and self.hold_for_s > 0, "hold_for_s", "must be > 0"
        )
        self._check_network_models()

    def _check_network_models(self) -> None:
        _require(
            0 <= self.batch_frames <= MAX_BATCH_FRAMES,
            "batch_frames",
            f"must be between 0 (off) and {MAX_BATCH_FRAMES}",
        )
        if self.large_frames_ms is not None:
            low, high = self.large_frames_ms
            _require(
                FRAME_MS <= low <= high <= MAX_LARGE_FRAME_MS
                and low % FRAME_MS == 0
                and high % FRAME_MS == 0,
                "large_frames_ms",
                f"must be whole 20 ms frames, from 20 to {MAX_LARGE_FRAME_MS} ms, low <= high",
            )
        framings = [self.fragment != "aligned", self.batch_frames > 0, bool(self.large_frames_ms)]
        _require(
            sum(framings) <= 1,
            "fragment",
            "choose one way to cut messages: --fragment, --batch-frames or --large-frames",
        )
        if self.spike_every_s is not None:
            _require(
                math.isfinite(self.spike_every_s) and self.spike_every_s > 0,
                "spike_every_s",
                "must be a number of seconds > 0",
            )
        low_ms, high_ms = self.spike_ms
        _require(
            math.isfinite(high_ms) and 0 < low_ms <= high_ms,
            "spike_ms",
            "must be a range of milliseconds > 0, low <= high",
        )
        if self.spike_every_s is not None:
            _require(
                high_ms / 1000 < self.spike_every_s,
                "spike_ms",
                "a stall must be shorter than the time between stalls",
            )
        _probability(self.ge_enter, "ge_enter")
        _probability(self.ge_leave, "ge_leave")
        _probability(self.ge_bad_loss, "ge_bad_loss")
        _require(
            self.ge_enter == 0 or self.ge_leave > 0,
            "ge_leave",
            "must be > 0, or the bad state never ends",
        )
        _require(
            math.isfinite(self.drift_ppm) and abs(self.drift_ppm) <= MAX_DRIFT_PPM,
            "drift_ppm",
            f"must be within ±{MAX_DRIFT_PPM:g} ppm",
        )
        if self.arrival_trace is not None:
            others = (
                self.jitter_ms,
                self.loss,
                self.burst_loss,
                self.ge_enter,
                self.drift_ppm,
                self.spike_every_s,
                *framings,
            )
            _require(
                self.arrival_trace.total_bytes > 0,
                "arrival_trace",
                "the trace carries no audio bytes; record one from a call that streamed",
            )
            _require(
                not any(others),
                "arrival_trace",
                "a trace replays the recorded network as it was; drop the other network options "
                "(fragment, jitter, loss, bursts, spikes, drift)",
            )


@dataclass(frozen=True)
class SimulatorConfig:
    """One simulated CXone tenant: credentials, calls, audio and impairments.

    `audio_path` None streams the bundled demo recording (the stereo one with `two_party`:
    agent left, customer right, served apart as well as mixed). The first `rate_limit`
    token requests are answered 429 with `Retry-After: 1`. With `ssl_context` the
    simulator serves HTTPS and WSS on the same port.
    """

    host: str = "127.0.0.1"
    port: int = 0
    client_id: str = "demo-client"
    client_secret: str = field(default="demo-secret", repr=False)
    call_ids: tuple[str, ...] = ("demo-call",)
    audio_path: Path | None = None
    loop: bool = False
    two_party: bool = False
    encoding: WireEncoding = "pcm16"
    impairments: Impairments = field(default_factory=Impairments)
    token_ttl_s: float = 3600.0
    rate_limit: int = 0
    granted_scopes: tuple[str, ...] = (AGENT_SCOPE, VIEW_SCOPE)
    ssl_context: ssl.SSLContext | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        _require(bool(self.host), "host", "must not be empty")
        _require(0 <= self.port <= 65535, "port", "must be between 0 and 65535")
        _require(bool(self.client_id), "client_id", "must not be empty")
        _require(bool(self.client_secret), "client_secret", "must not be empty")
        _require(bool(self.call_ids), "call_ids", "name at least one call")
        for call_id in self.call_ids:
            _require(
                bool(_CALL_ID.match(call_id)),
                "call_ids",
                f"{call_id!r} is not a call ID (letters, digits, '.', '_', '-'; up to 128)",
            )
        _require(len(set(self.call_ids)) == len(self.call_ids), "call_ids", "are repeated")
        _require(
            self.encoding in WIRE_ENCODINGS,
            "encoding",
            f"must be one of {', '.join(WIRE_ENCODINGS)}",
        )
        _require(
            math.isfinite(self.token_ttl_s) and self.token_ttl_s > 0, "token_ttl_s", "must be > 0"
        )
        _require(self.rate_limit >= 0, "rate_limit", "must be >= 0")
        unknown = set(self.granted_scopes) - set(KNOWN_SCOPES)
        _require(not unknown, "granted_scopes", f"unknown scope(s): {', '.join(sorted(unknown))}")
        if self.audio_path is not None:
            _require(self.audio_path.is_file(), "audio_path", f"no such file: {self.audio_path}")

    @classmethod
    def from_args(
        cls, args: argparse.Namespace, *, ssl_context: ssl.SSLContext | None = None
    ) -> SimulatorConfig:
        """From `cxone-desktop simulate` arguments (see cli.py); the caller sets up TLS."""
        defaults = cls()
        impairments = Impairments(
            fragment=args.fragment,
            jitter_ms=args.jitter_ms,
            loss=args.loss,
            burst_loss=args.burst_loss,
            burst_frames=args.burst_frames,
            drop_after_s=args.drop_after,
            hold_at_s=args.hold_at,
            hold_for_s=args.hold_for,
            seed=args.seed,
            batch_frames=args.batch_frames,
            large_frames_ms=_int_range(args.large_frames, "large-frames"),
            spike_every_s=args.spike_every,
            spike_ms=_float_range(args.spike_ms, "spike-ms"),
            ge_enter=args.ge_enter,
            ge_leave=args.ge_leave,
            ge_bad_loss=args.ge_bad_loss,
            drift_ppm=args.drift_ppm,
            arrival_trace=_load_trace(args.arrival_trace),
        )
        return cls(
            host=args.host,
            port=args.port,
            client_id=args.client_id or defaults.client_id,
            client_secret=args.client_secret or defaults.client_secret,
            call_ids=tuple(args.call_id) if args.call_id else defaults.call_ids,
            audio_path=Path(args.audio) if args.audio else None,
            loop=args.loop,
            two_party=bool(getattr(args, "two_party", False)),
            encoding=args.encoding,
            impairments=impairments,
            token_ttl_s=args.token_ttl,
            rate_limit=args.rate_limit,
            ssl_context=ssl_context,
        )


def _float_range(text: str, name: str) -> tuple[float, float]:
    """ "200-500" → (200.0, 500.0); "300" → (300.0, 300.0)."""
    low, _, high = text.partition("-")
    try:
        values = (float(low), float(high or low))
    except ValueError:
        raise InputError(name, f"expected a number or a range like 200-500, got {text!r}") from None
    return values


def _int_range(text: str | None, name: str) -> tuple[int, int] | None:
    if text is None:
        return None
    low, high = _float_range(text, name)
    if low != int(low) or high != int(high):
        raise InputError(name, "expected whole milliseconds, e.g. 100-200")
    return int(low), int(high)


def _load_trace(path: str | None) -> ArrivalTrace | None:
    if path is None:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("arrival-trace", f"cannot read {path}: {exc}") from None
    return parse_arrival_trace(text, name="arrival-trace")
