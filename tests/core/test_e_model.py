"""E-model: G.107's default rating, Annex B, G.113 Appendix I loss figures, burstiness."""

from __future__ import annotations

import numpy as np
import pytest

from cxone_desktop.core import e_model


def test_defaults_give_the_g107_default_rating_and_its_mos() -> None:
    # G.107 §7.7: with every parameter at its default R = 93.2 (MOS 4.41 by Annex B).
    assert e_model.r_factor(0.0) == pytest.approx(93.2, abs=0.01)
    assert e_model.mos_from_r(93.2) == pytest.approx(4.41, abs=0.005)
    assert e_model.simultaneous_impairment() == pytest.approx(1.41, abs=0.01)


@pytest.mark.parametrize(
    ("r", "mos"),
    [(-5.0, 1.0), (0.0, 1.0), (50.0, 2.575), (60.0, 3.1), (80.0, 4.024), (100.0, 4.5), (120, 4.5)],
)
def test_annex_b_mapping(r: float, mos: float) -> None:
    # 1 + 0.035R + R(R-60)(100-R)·7e-6, by hand: R=80 → 1 + 2.8 + 80·20·20·7e-6 = 4.024.
    assert e_model.mos_from_r(r) == pytest.approx(mos, abs=1e-3)


def test_mos_never_leaves_the_scale_where_the_cubic_dips_below_1() -> None:
    # By hand at R = 3: 1 + 0.105 + 3·(−57)·97·7e-6 = 0.989; a call that bad reads 1.0.
    assert e_model.mos_from_r(3.0) == 1.0
    mos = [e_model.mos_from_r(r) for r in np.linspace(-10.0, 110.0, 1201)]
    assert min(mos) == 1.0 and max(mos) == 4.5
    assert np.all(np.diff(mos) >= 0)  # never falls as R rises


def test_ie_eff_follows_g113_appendix_i_for_g711() -> None:
    # 95·Ppl/(Ppl/BurstR + Bpl), by hand.
    assert e_model.effective_equipment_impairment(0.0) == 0.0
    assert e_model.effective_equipment_impairment(5.0) == pytest.approx(95 * 5 / (5 + 25.1))
    assert e_model.effective_equipment_impairment(5.0, 2.0) == pytest.approx(95 * 5 / (2.5 + 25.1))
    no_plc = e_model.effective_equipment_impairment(2.0, codec=e_model.G711_NO_PLC)
    assert no_plc == pytest.approx(95 * 2 / (2 + 4.3))
    assert e_model.r_factor(5.0) == pytest.approx(93.2 - 95 * 5 / 30.1, abs=0.01)


def test_bursty_loss_rates_worse_than_random_loss() -> None:
    assert e_model.r_factor(3.0, burst_ratio=4.0) < e_model.r_factor(3.0, burst_ratio=1.0)
    assert e_model.effective_equipment_impairment(3.0, burst_ratio=0.2) == pytest.approx(
        e_model.effective_equipment_impairment(3.0, burst_ratio=1.0)
    )  # BurstR below 1 is not a thing: treated as random


@pytest.mark.parametrize("delay_ms", [50, 100, 150, 200, 250, 300])
def test_delay_impairment_tracks_the_published_approximation(delay_ms: float) -> None:
    # Cole & Rosenbluth's fit of G.107 for default parameters: Id ≈ 0.024·Ta + 0.11·(Ta−177.3)⁺.
    approx = 0.024 * delay_ms + 0.11 * max(0.0, delay_ms - 177.3)
    assert 93.2 - e_model.r_factor(0.0, 1.0, delay_ms) == pytest.approx(approx, abs=1.0)


def test_idd_is_zero_up_to_100_ms_then_grows() -> None:
    rs = [e_model.r_factor(0.0, 1.0, d) for d in (0, 100, 150, 200, 400)]
    assert rs == sorted(rs, reverse=True)
    # Idd at Ta = 200 ms: X = 1, 25·(2^(1/6) − 3·(1+3^-6)^(1/6) + 2) = 3.04 (by hand).
    drop_150_200 = e_model.r_factor(0, 1, 150) - e_model.r_factor(0, 1, 200)
    assert drop_150_200 > 3.0


def test_burst_ratio_from_runs() -> None:
    assert e_model.burst_ratio_from_runs([1, 1, 1, 1], 0.04) == pytest.approx(1.0)
    assert e_model.burst_ratio_from_runs([5, 5, 5], 0.10) == pytest.approx(4.5)
    assert e_model.burst_ratio_from_runs([], 0.0) == 1.0


def _gilbert(p: float, q: float, slots: int, rng: np.random.Generator) -> np.ndarray:
    lost = np.zeros(slots, dtype=bool)
    u = rng.random(slots)
    state = False
    for i in range(slots):
        state = u[i] < p if not state else u[i] >= q
        lost[i] = state
    return lost


def test_burst_ratio_from_per_second_counts_recovers_the_gilbert_model() -> None:
    rng = np.random.default_rng(5)
    random_loss = (rng.random((1200, 50)) < 0.05).sum(axis=1)
    assert e_model.burst_ratio_from_counts(random_loss, 50) == pytest.approx(1.0, abs=0.15)
    for p, q in ((0.01, 0.2), (0.02, 0.5)):
        counts = _gilbert(p, q, 1200 * 50, rng).reshape(-1, 50).sum(axis=1)
        assert e_model.burst_ratio_from_counts(counts, 50) == pytest.approx(1 / (p + q), rel=0.2)


def test_burst_ratio_from_counts_with_too_little_to_tell() -> None:
    assert e_model.burst_ratio_from_counts([], 50) == 1.0
    assert e_model.burst_ratio_from_counts([0, 0, 3], 50) == 1.0  # one lossy second
    assert e_model.burst_ratio_from_counts([50, 0, 0, 0, 50, 0], 50) == 50.0  # whole seconds


def test_estimate_reports_its_parts() -> None:
    est = e_model.estimate(2.0, 1.5, 180.0)
    assert est.r == pytest.approx(e_model.r_factor(2.0, 1.5, 180.0))
    assert est.mos == pytest.approx(e_model.mos_from_r(est.r))
    assert est.r == pytest.approx(93.2 - est.delay_impairment - est.ie_eff, abs=0.05)
