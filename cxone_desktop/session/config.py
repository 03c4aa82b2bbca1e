"""Everything one call needs, validated before any network call."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from cxone_desktop.core.audio_format import Encoding
from cxone_desktop.core.dsp import DspSettings
from cxone_desktop.core.listen_mode import LISTEN_MODES, ListenMode
from cxone_desktop.core.playout_policy import PlayoutMode
from cxone_desktop.cxone.endpoints import Endpoints, validate_call_id
from cxone_desktop.cxone.settings import (
    AuthSettings,
    Credentials,
    RetryPolicy,
    StreamSettings,
    TlsSettings,
)
from cxone_desktop.errors import InputError
from cxone_desktop.session.reconnect_budget import ReconnectPolicy
from cxone_desktop.session.silence_watch import SILENCE_TIMEOUT_S

APP_NAME = "CXone Voice Desktop"
#: The call-state poll interval the app accepts, in seconds (the form's spin box uses it too).
POLL_INTERVAL_MIN_S, POLL_INTERVAL_MAX_S = 0.2, 300.0


def default_recordings_dir() -> Path:
    """Where session folders go unless the user chose another place: the user's Documents.

    Not the app-data folder: VDI desktops with non-persistent profiles (Citrix, VMware
    Horizon) wipe %LOCALAPPDATA% at logoff, while Documents is redirected to a share.
    """
    return platformdirs.user_documents_path() / APP_NAME / "recordings"


def legacy_recordings_dir() -> Path:
    """Where versions before 0.2 put session folders; startup repair still looks there."""
    return platformdirs.user_data_path(APP_NAME, appauthor=False) / "recordings"


@dataclass(frozen=True)
class SessionConfig:
    """One call: where it is, how to authenticate, how to play and record it.

    Holds the client secret (inside `credentials`, hidden from repr); never
    serialize this object whole — use `public_settings()`.

    `two_party`: None asks the server (its call state) whether the parties can be had
    apart, True knows it (the calls list said so), False takes the mono mix. `channels`
    is what is played and written to processed.wav when they can (`listen_mode`).
    """

    endpoints: Endpoints
    call_id: str
    credentials: Credentials
    auth: AuthSettings = field(default_factory=AuthSettings)
    tls: TlsSettings = field(default_factory=TlsSettings)
    stream: StreamSettings = field(default_factory=StreamSettings)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    #: Reconnects after a drop: paced, and given up after `reconnect.budget_s` of outage.
    reconnect: ReconnectPolicy = field(default_factory=ReconnectPolicy)
    #: Seconds with no audio while the call is up before the stream is called silent.
    silence_timeout_s: float = SILENCE_TIMEOUT_S
    dsp: DspSettings = field(default_factory=DspSettings)
    encoding: Encoding = "pcm16"
    out_dir: Path | None = None
    poll_interval_s: float = 2.0
    duration_s: float | None = None
    jitter_target_ms: float = 40.0
    channels: ListenMode = "mixed"
    two_party: bool | None = None
    #: The customer's own gain and gate on a two-party call; None: the same as `dsp`.
    customer_dsp: DspSettings | None = None
    #: "low-delay" (up to 120 ms, the default: listening; up to a message's span for a sender
    #: of 100-200 ms messages) or "quality" (up to 400 ms and a
    #: longer look-ahead: the cleanest processed.wav the network allows, for QA).
    playout_mode: str = "low-delay"
    #: Write arrivals.csv (each message's arrival time and size) beside the recording.
    save_trace: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "call_id", validate_call_id(self.call_id))
        PlayoutMode.parse(self.playout_mode)  # InputError naming the field
        if self.channels not in LISTEN_MODES:
            raise InputError("channels", f"choose one of {', '.join(LISTEN_MODES)}")
        if not self.credentials.client_id.strip():
            raise InputError("client_id", "is empty; enter the OAuth client ID of your application")
        if not self.credentials.client_secret:
            raise InputError("client_secret", "is empty; enter the OAuth client secret")
        if not POLL_INTERVAL_MIN_S <= self.poll_interval_s <= POLL_INTERVAL_MAX_S:
            raise InputError(
                "poll_interval",
                f"must be between {POLL_INTERVAL_MIN_S:g} and {POLL_INTERVAL_MAX_S:g} seconds",
            )
        if self.duration_s is not None and not (
            math.isfinite(self.duration_s) and self.duration_s > 0
        ):
            raise InputError("duration", "must be a positive number of seconds")
        if not (math.isfinite(self.silence_timeout_s) and self.silence_timeout_s > 0):
            raise InputError("silence_timeout", "must be a positive number of seconds")

    @property
    def recordings_dir(self) -> Path:
        return self.out_dir if self.out_dir is not None else default_recordings_dir()

    def public_settings(self) -> dict[str, object]:
        """Settings for summary.json and the UI: everything but the secret."""
        return {
            "base_url": self.endpoints.base_url,
            "call_id": self.call_id,
            "client_id": self.credentials.client_id,
            "auth_style": self.auth.style,
            "scope": self.auth.scope,
            "token_path": self.endpoints.token_path,
            "stream_path": self.endpoints.stream_path,
            "call_state_path": self.endpoints.call_state_path,
            "token_in": self.stream.token_in,
            "tls_verify": self.tls.verify,
            "ca_file": self.tls.ca_file,
            "encoding": self.encoding,
            "gain": self.dsp.gain,
            "noise_threshold": self.dsp.noise_threshold,
            "gate_mode": self.dsp.gate_mode,
            "bypass_processing": self.dsp.bypass,
            "poll_interval_s": self.poll_interval_s,
            "jitter_target_ms": self.jitter_target_ms,
            "duration_s": self.duration_s,
            "reconnect_budget_s": self.reconnect.budget_s,
            "silence_timeout_s": self.silence_timeout_s,
            "channels": self.channels,
            "two_party": self.two_party,
            "playout_mode": self.playout_mode,
            "save_trace": self.save_trace,
            "customer_dsp": None
            if self.customer_dsp is None
            else {
                "gain": self.customer_dsp.gain,
                "noise_threshold": self.customer_dsp.noise_threshold,
                "gate_mode": self.customer_dsp.gate_mode,
            },
        }
