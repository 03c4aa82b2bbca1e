"""SimulatorConfig / Impairments validation and `simulate` argument mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxone_desktop.cli import build_parser
from cxone_desktop.errors import InputError
from cxone_desktop.simulator import Impairments, SimulatorConfig


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"fragment": "huge"}, "fragment"),
        ({"jitter_ms": -1.0}, "jitter_ms"),
        ({"loss": 1.5}, "loss"),
        ({"burst_loss": float("nan")}, "burst_loss"),
        ({"burst_frames": 0}, "burst_frames"),
        ({"drop_after_s": 0.0}, "drop_after_s"),
        ({"hold_at_s": -2.0}, "hold_at_s"),
        ({"hold_at_s": 0.0}, "hold_at_s"),  # would never hold: the call starts at 0
        ({"hold_for_s": 0.0}, "hold_for_s"),
    ],
)
def test_bad_impairments_name_their_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as caught:
        Impairments(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"port": 70000}, "port"),
        ({"client_id": ""}, "client_id"),
        ({"call_ids": ()}, "call_ids"),
        ({"call_ids": ("a/b",)}, "call_ids"),
        ({"call_ids": ("a", "a")}, "call_ids"),
        ({"encoding": "opus"}, "encoding"),
        ({"token_ttl_s": 0.0}, "token_ttl_s"),
        ({"rate_limit": -1}, "rate_limit"),
        ({"granted_scopes": ("admin",)}, "granted_scopes"),
        ({"audio_path": Path("/no/such.wav")}, "audio_path"),
    ],
)
def test_bad_config_names_its_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as caught:
        SimulatorConfig(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_the_secret_stays_out_of_repr() -> None:
    assert "s3cr3t" not in repr(SimulatorConfig(client_secret="s3cr3t"))


def test_defaults_match_the_contract() -> None:
    config = SimulatorConfig()
    assert (config.client_id, config.client_secret, config.call_ids) == (
        "demo-client",
        "demo-secret",
        ("demo-call",),
    )
    assert config.granted_scopes == ("agent:voice:stream", "interaction:view")
    assert config.impairments == Impairments()


def test_from_args_maps_every_simulate_argument(tmp_path: Path) -> None:
    audio = tmp_path / "a.wav"
    audio.write_bytes(b"")
    args = build_parser().parse_args(
        ["simulate", "--host", "0.0.0.0", "--port", "8443", "--client-id", "me",
         "--client-secret", "pw", "--call-id", "c1", "--call-id", "c2", "--audio", str(audio),
         "--loop", "--encoding", "mulaw", "--fragment", "tiny", "--jitter-ms", "5",
         "--loss", "0.1", "--burst-loss", "0.01", "--burst-frames", "3", "--drop-after", "9",
         "--token-ttl", "60", "--rate-limit", "2", "--hold-at", "4", "--hold-for", "2",
         "--seed", "7"]
    )  # fmt: skip
    config = SimulatorConfig.from_args(args)
    assert (config.host, config.port, config.client_id, config.client_secret) == (
        "0.0.0.0",
        8443,
        "me",
        "pw",
    )
    assert config.call_ids == ("c1", "c2") and config.audio_path == audio
    assert config.loop and config.encoding == "mulaw"
    assert (config.token_ttl_s, config.rate_limit) == (60.0, 2)
    assert config.impairments == Impairments(
        fragment="tiny",
        jitter_ms=5.0,
        loss=0.1,
        burst_loss=0.01,
        burst_frames=3,
        drop_after_s=9.0,
        hold_at_s=4.0,
        hold_for_s=2.0,
        seed=7,
    )


def test_from_args_defaults_to_the_demo_tenant() -> None:
    config = SimulatorConfig.from_args(build_parser().parse_args(["simulate"]))
    assert config == SimulatorConfig()
