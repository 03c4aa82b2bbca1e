import math

import numpy as np
import pytest

from cxone_desktop.core.dsp import ENVELOPE_MS, DspChain, DspSettings, db_to_gain, gain_to_db

RATE = 8000


def seed_process(samples: np.ndarray, gain: float, threshold: int) -> np.ndarray:
    """The seed's per-sample loop, written out literally."""
    out = []
    for s in samples.reshape(-1).tolist():
        v = s * gain
        if abs(v) < threshold:
            v = 0.0
        v = min(max(v, -32768.0), 32767.0)
        out.append(int(v))  # Go's int16(v) truncates toward zero
    return np.array(out, dtype=np.int16).reshape(samples.shape)


def tone(amplitude: float, ms: float, hz: float = 200.0, phase: float = 0.0) -> np.ndarray:
    t = np.arange(int(RATE * ms / 1000)) / RATE
    return np.round(amplitude * np.sin(2 * np.pi * hz * t + phase)).astype(np.int16)


def frames_of(x: np.ndarray) -> np.ndarray:
    return x[: len(x) // 160 * 160].reshape(-1, 160)


ALL = np.resize(np.arange(-32768, 32768, dtype=np.int16), (410, 160))  # every int16 value


@pytest.mark.parametrize(
    ("gain", "threshold"), [(1.2, 200), (1.0, 200), (2.5, 0), (0.7, 1000), (3.0, 5), (1.1, 17)]
)
def test_seed_mode_matches_the_seed_loop_for_every_input(gain: float, threshold: int) -> None:
    chain = DspChain(DspSettings(gain=gain, noise_threshold=threshold, gate_mode="seed"))
    np.testing.assert_array_equal(chain.process(ALL), seed_process(ALL, gain, threshold))


def test_seed_semantics_gate_before_clamp_and_truncation() -> None:
    chain = DspChain(DspSettings(gain=1.2, noise_threshold=200))
    x = np.array([166, 167, -167, 30000, -30000, 100, -5], np.int16)
    # 166*1.2 = 199.2 < 200 → 0; 167*1.2 = 200.4 → 200 (truncated); clamps at the rails.
    assert chain.process(x).tolist() == [0, 200, -200, 32767, -32768, 0, 0]


def test_unity_gain_with_gate_off_is_bit_exact_passthrough() -> None:
    for settings in (
        DspSettings(gain=1.0, gate_mode="off"),
        DspSettings(gain=1.0, noise_threshold=0, gate_mode="seed"),
        DspSettings(gain=1.0, noise_threshold=0, gate_mode="smooth"),
    ):
        out = DspChain(settings).process(ALL)
        np.testing.assert_array_equal(out, ALL)
        assert out is not ALL


def test_gate_off_still_applies_gain_and_clamp() -> None:
    chain = DspChain(DspSettings(gain=2.0, noise_threshold=500, gate_mode="off"))
    assert chain.process(np.array([10, -20000, 20000], np.int16)).tolist() == [20, -32768, 32767]


@pytest.mark.parametrize("mode", ["off", "seed", "smooth"])
def test_shapes_and_dtype_are_kept(mode: str) -> None:
    chain = DspChain(DspSettings(gate_mode=mode))  # type: ignore[arg-type]
    for shape in [(160,), (3, 160), (0, 160), (100,)]:
        out = chain.process(np.full(shape, 3000, np.int16))
        assert out.shape == shape and out.dtype == np.int16
    with pytest.raises(TypeError):
        chain.process(np.zeros(160, np.float32))  # type: ignore[arg-type]


def test_update_takes_effect_on_the_next_call() -> None:
    chain = DspChain(DspSettings(gain=1.0, noise_threshold=0))
    x = np.full(160, 100, np.int16)
    assert chain.process(x)[0] == 100
    chain.update(DspSettings(gain=2.0, noise_threshold=0))
    assert chain.settings.gain == 2.0
    assert chain.process(x)[0] == 200
    chain.update(DspSettings(gain=2.0, noise_threshold=250))
    assert chain.process(x)[0] == 0


def test_settings_validation_and_db_helpers() -> None:
    for bad in (
        {"gain": -1.0},
        {"gain": math.nan},
        {"noise_threshold": -1},
        {"noise_threshold": 1.5},
        {"gate_mode": "hard"},
        {"hold_ms": -1.0},
        {"release_ms": math.inf},
        {"hysteresis_ratio": 0.0},
        {"hysteresis_ratio": 1.5},
    ):
        with pytest.raises(ValueError, match=next(iter(bad))):
            DspSettings(**bad)  # type: ignore[arg-type]
    assert db_to_gain(0.0) == 1.0
    assert db_to_gain(6.0) == pytest.approx(1.9953, rel=1e-4)
    assert gain_to_db(db_to_gain(-12.5)) == pytest.approx(-12.5)
    assert gain_to_db(0.0) == -math.inf
    s = DspSettings.from_db(6.0, noise_threshold=0)
    assert s.gain == pytest.approx(1.9953, rel=1e-4) and s.gain_db == pytest.approx(6.0)
    assert DspSettings().gain == 1.2 and DspSettings().noise_threshold == 200


def smooth(**kw: float) -> DspChain:
    return DspChain(DspSettings(gain=1.0, noise_threshold=200, gate_mode="smooth", **kw))


def run_framewise(chain: DspChain, x: np.ndarray) -> np.ndarray:
    return np.concatenate([chain.process(f) for f in frames_of(x)])


def test_smooth_gate_keeps_quiet_tail_during_hold_then_fades_without_clicks() -> None:
    loud = tone(2000, 200)
    tail = tone(150, 400, phase=2 * np.pi * 200 * 0.2)  # below the open level, above close
    quiet = tone(60, 400, phase=2 * np.pi * 200 * 0.6)  # below close (100)
    x = np.concatenate([loud, tail, quiet])
    out = run_framewise(smooth(hold_ms=60, release_ms=40), x)
    n_loud, n_tail = len(loud), len(tail)
    # Hysteresis: once open (after the 1 ms attack), the tail above threshold*ratio is untouched.
    np.testing.assert_array_equal(out[16 : n_loud + n_tail], x[16 : n_loud + n_tail])
    q0 = n_loud + n_tail
    hold = int(0.060 * RATE)
    # Hold: the first 60 ms of the quiet part still pass (within the 1 ms envelope block).
    np.testing.assert_array_equal(out[q0 : q0 + hold - 8], x[q0 : q0 + hold - 8])
    # Then a release ramp: closed by envelope window + hold + release (+ a block), never a step.
    closed_at = q0 + int((ENVELOPE_MS + 60 + 40) / 1000 * RATE) + 16
    assert np.all(out[closed_at:] == 0)
    steps = np.abs(np.diff(out[q0:].astype(np.int32)))
    natural = np.abs(np.diff(x[q0:].astype(np.int32))).max()
    assert steps.max() <= natural + 2
    # The seed gate chops the same quiet part to zero at once (and mangles the tail).
    seeded = DspChain(DspSettings(gain=1.0, noise_threshold=200)).process(frames_of(x))
    assert np.all(seeded.reshape(-1)[q0:] == 0)
    assert not np.array_equal(seeded.reshape(-1)[n_loud:q0], x[n_loud:q0])


def test_smooth_gate_opens_quickly_and_ramps_in() -> None:
    x = np.concatenate([tone(50, 100), tone(3000, 100)])
    out = run_framewise(smooth(), x)
    assert np.all(out[:800] == 0)  # closed on noise below the threshold
    onset = 800
    # Fully open within ATTACK (1 ms) + one envelope block of the onset.
    np.testing.assert_array_equal(out[onset + 24 :], x[onset + 24 :])
    # The fade-in adds at most amplitude/8 per sample (1 ms at 8 kHz) to the tone's own slope.
    natural = np.abs(np.diff(x.astype(np.int32))).max()
    assert np.abs(np.diff(out.astype(np.int32))).max() <= natural + 3000 / 8 + 1


def test_smooth_gate_does_not_chop_zero_crossings() -> None:
    x = tone(1500, 400, hz=190)
    out = run_framewise(smooth(), x)
    # After the 1 ms attack, a steady tone above threshold passes untouched.
    np.testing.assert_array_equal(out[16:], x[16:])
    seeded = DspChain(DspSettings(gain=1.0)).process(frames_of(x)).reshape(-1)
    assert (seeded[16:] != x[16:]).sum() > 0  # the seed zeroes every crossing


def test_smooth_gate_state_carries_across_frame_boundaries() -> None:
    x = np.concatenate([tone(2000, 100), tone(40, 300)])
    whole = smooth().process(frames_of(x))
    framewise = run_framewise(smooth(), x)
    # Identical up to float rounding of the ramp (±1 LSB).
    np.testing.assert_allclose(whole.reshape(-1), framewise, atol=1, rtol=0)


def test_smooth_gate_threshold_zero_is_off() -> None:
    x = tone(30, 100)
    out = DspChain(DspSettings(gain=1.0, noise_threshold=0, gate_mode="smooth")).process(x)
    np.testing.assert_array_equal(out, x)


def test_smooth_gate_with_gain_clamps_after_gating() -> None:
    chain = DspChain(DspSettings(gain=4.0, noise_threshold=200, gate_mode="smooth"))
    x = tone(20000, 100)
    out = run_framewise(chain, x)
    assert out.max() == 32767 and out.min() == -32768


def test_smooth_gate_compares_the_gained_level() -> None:
    chain = DspChain(DspSettings(gain=2.0, noise_threshold=200, gate_mode="smooth"))
    x = tone(150, 200, hz=190)  # 300 after gain: above the threshold
    out = run_framewise(chain, x)
    np.testing.assert_array_equal(out[16:], x[16:].astype(np.int32) * 2)


def test_smooth_gate_only_ever_attenuates() -> None:
    rng = np.random.default_rng(5)
    # Speech-like bursts: random loudness per 30 ms segment over noise.
    levels = rng.choice([0.0, 40.0, 150.0, 800.0, 5000.0], size=60)
    x = rng.standard_normal(60 * 240) * np.repeat(levels, 240) + rng.normal(0, 20, 60 * 240)
    x = np.clip(x, -32768, 32767).astype(np.int16)
    settings = DspSettings(gain=1.5, noise_threshold=300, gate_mode="smooth")
    out = run_framewise(DspChain(settings), x).astype(np.int32)
    ungated = DspChain(DspSettings(gain=1.5, gate_mode="off")).process(x).astype(np.int32)
    ungated = ungated[: out.size]
    assert np.all(np.abs(out) <= np.abs(ungated))
    assert np.all(out * ungated >= 0)  # never flips a sign
    assert 0 < np.count_nonzero(out) < np.count_nonzero(ungated)


@pytest.mark.parametrize("gain_db", [1e6, 60.0, float("nan")])
def test_an_impossible_gain_in_db_is_a_value_error_naming_gain(gain_db: float) -> None:
    with pytest.raises(ValueError, match=r"^gain must"):
        DspSettings.from_db(gain_db)


def test_bypass_plays_what_was_received_whatever_the_gain_and_gate() -> None:
    rng = np.random.default_rng(4)
    frames = rng.integers(-3000, 3000, size=(3, 160)).astype(np.int16)
    for mode in ("seed", "smooth"):
        chain = DspChain(DspSettings(gain=3.0, noise_threshold=2000, gate_mode=mode, bypass=True))
        assert np.array_equal(chain.process(frames), frames)
    settings = DspSettings(gain=3.0, bypass=True)
    assert settings.effective_gain == 1.0 and not settings.gate_active
    with pytest.raises(ValueError, match="bypass"):
        DspSettings(bypass="yes")  # type: ignore[arg-type]
