"""SimulatorConfig / Impairments validation and `simulate` argument mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxone_desktop.cli_parser import build_parser
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


def test_from_args_maps_the_network_models(tmp_path: Path) -> None:
    trace = tmp_path / "arrivals.csv"
    trace.write_text("time_s,bytes\n1.0,320\n1.02,640\n", encoding="utf-8")
    args = build_parser().parse_args(
        ["simulate", "--batch-frames", "3", "--spike-every", "10", "--spike-ms", "250-400",
         "--ge-enter", "0.01", "--ge-leave", "0.3", "--ge-bad-loss", "0.9",
         "--drift-ppm", "-800", "--jitter-ms", "40", "--seed", "2"]
    )  # fmt: skip
    imp = SimulatorConfig.from_args(args).impairments
    assert (imp.batch_frames, imp.spike_every_s, imp.spike_ms) == (3, 10.0, (250.0, 400.0))
    assert (imp.ge_enter, imp.ge_leave, imp.ge_bad_loss, imp.drift_ppm) == (0.01, 0.3, 0.9, -800)
    large = build_parser().parse_args(["simulate", "--large-frames", "100-200"])
    assert SimulatorConfig.from_args(large).impairments.large_frames_ms == (100, 200)
    replay = build_parser().parse_args(["simulate", "--arrival-trace", str(trace)])
    loaded = SimulatorConfig.from_args(replay).impairments.arrival_trace
    assert loaded is not None and loaded.sizes == (320, 640)


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["--large-frames", "150"], "large_frames_ms"),  # not whole 20 ms frames
        (["--large-frames", "big"], "large-frames"),
        (["--spike-ms", "500-200", "--spike-every", "5"], "spike_ms"),
        (["--spike-ms", "900", "--spike-every", "0.5"], "spike_ms"),
        (["--batch-frames", "3", "--fragment", "random"], "fragment"),
        (["--ge-enter", "0.1", "--ge-leave", "0"], "ge_leave"),
        (["--drift-ppm", "50000"], "drift_ppm"),
        (["--arrival-trace", "/no/such/arrivals.csv"], "arrival-trace"),
    ],
)
def test_bad_network_options_name_their_field(argv: list[str], field: str) -> None:
    args = build_parser().parse_args(["simulate", *argv])
    with pytest.raises(InputError) as caught:
        SimulatorConfig.from_args(args)
    assert caught.value.field == field


def test_a_trace_replays_the_network_alone(tmp_path: Path) -> None:
    trace = tmp_path / "arrivals.csv"
    trace.write_text("time_s,bytes\n1.0,320\n", encoding="utf-8")
    args = build_parser().parse_args(["simulate", "--arrival-trace", str(trace), "--loss", "0.1"])
    with pytest.raises(InputError) as caught:
        SimulatorConfig.from_args(args)
    assert "drop the other network options" in caught.value.message


def test_the_banner_lists_the_network_models() -> None:
    from cxone_desktop.simulator.command import banner

    imp = Impairments(large_frames_ms=(200, 200), spike_every_s=8, drift_ppm=500, ge_enter=0.01)
    text = banner("http://127.0.0.1:1", SimulatorConfig(impairments=imp), None)
    for part in ("large-frames=200-200", "spike-every=8", "spike-ms=200-500", "drift-ppm=500",
                 "ge-enter=0.01", "ge-leave=0.25"):  # fmt: skip
        assert part in text
