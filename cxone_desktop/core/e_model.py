"""Listening quality from network figures: the ITU-T G.107 E-model and its Annex B MOS.

    R = Ro − Is − Id − Ie,eff + A                       (G.107 §7.1)

Every parameter takes its G.107 Table 1 default except the delays, so with no
delay and no loss R = 93.2 (Ro − Is − Id(0) = 93.2) and the formula reads, as it
is usually quoted, R = 93.2 − Id − Ie,eff with Id the delay impairment beyond the
default. The delays are the one-way delay we can see (`one_way_delay_ms`): mean
one-way delay T = absolute delay Ta, round trip Tr = 2T.

    Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl / BurstR + Bpl)   (Ppl in %)

with G.113 Appendix I for G.711: Ie = 0, Bpl = 25.1 with packet-loss concealment
(G.711 Appendix I), 4.3 without. BurstR = 1 is random loss, > 1 bursty: for a
two-state (Gilbert) loss model BurstR = 1/(p + q) = mean loss run × (1 − Ppl).
MOS from R is Annex B: 1 + 0.035 R + R (R − 60)(100 − R) · 7·10⁻⁶ for 0 < R < 100.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: What the figures are called wherever they are shown.
MAPPING_LABEL = "E-model (ITU-T G.107), G.711 per G.113 App. I, MOS per G.107 Annex B"

# G.107 Table 1 defaults (loudness in dB, noise in dBm0p / dBmp, delays in ms).
_SLR, _RLR, _STMR, _LSTR, _DS = 8.0, 2.0, 15.0, 18.0, 3.0
_TELR, _WEPL, _QDU = 65.0, 110.0, 1.0
_NC, _NFOR, _PS, _PR, _A = -70.0, -64.0, 35.0, 35.0, 0.0


@dataclass(frozen=True)
class CodecImpairment:
    """G.113 Appendix I figures for one codec: Ie and the packet-loss robustness Bpl."""

    name: str
    ie: float
    bpl: float


G711_PLC = CodecImpairment("G.711 with PLC (G.113 App. I)", ie=0.0, bpl=25.1)
G711_NO_PLC = CodecImpairment("G.711 without PLC (G.113 App. I)", ie=0.0, bpl=4.3)


def _log10(x: float) -> float:
    return math.log10(x)


def _noise_floor() -> tuple[float, float]:
    """(No, Ro): total noise and basic signal-to-noise ratio for the defaults."""
    olr = _SLR + _RLR
    nos = _PS - _SLR - _DS - 100.0 + 0.004 * (_PS - olr - _DS - 14.0) ** 2
    pre = _PR + 10.0 * _log10(1.0 + 10.0 ** ((10.0 - _LSTR) / 10.0))
    nor = _RLR - 121.0 + pre + 0.008 * (pre - 35.0) ** 2
    nfo = _NFOR + _RLR
    no = 10.0 * _log10(sum(10.0 ** (n / 10.0) for n in (_NC, nos, nor, nfo)))
    return no, 15.0 - 1.5 * (_SLR + no)


_NO, _RO = _noise_floor()


def _ist(t_ms: float) -> float:
    """Sidetone impairment Ist; depends on T only through the echo term of STMRo."""
    stmro = -10.0 * _log10(
        10.0 ** (-_STMR / 10.0) + math.exp(-t_ms / 4.0) * 10.0 ** (-_TELR / 10.0)
    )

    def term(a: float, b: float, c: float) -> float:
        return float((1.0 + ((stmro + a) / b) ** c) ** (1.0 / c))

    return (
        12.0 * term(-13.0, 6.0, 8.0)
        - 28.0 * term(1.0, 19.4, 35.0)
        - 13.0 * term(-3.0, 33.0, 13.0)
        + 29.0
    )


def simultaneous_impairment(t_ms: float = 0.0) -> float:
    """Is = Iolr + Ist + Iq for the defaults (≈ 1.41)."""
    olr = _SLR + _RLR
    xolr = olr + 0.2 * (64.0 + _NO - _RLR)
    iolr = 20.0 * ((1.0 + (xolr / 8.0) ** 8) ** (1.0 / 8.0) - xolr / 8.0)
    q = 37.0 - 15.0 * _log10(_QDU)
    g = 1.07 + 0.258 * q + 0.0602 * q * q
    y = (_RO - 100.0) / 15.0 + 46.0 / 8.4 - g / 9.0
    z = 46.0 / 30.0 - g / 40.0
    iq = 15.0 * _log10(1.0 + 10.0**y + 10.0**z)
    return float(iolr + _ist(t_ms) + iq)


def delay_impairment(one_way_delay_ms: float) -> float:
    """Id = Idte + Idle + Idd for a one-way delay (T = Ta, Tr = 2T), G.107 §7.3."""
    t = max(0.0, float(one_way_delay_ms))
    ist = _ist(t)
    # Talker echo.
    terv = (
        _TELR - 40.0 * _log10((1.0 + t / 10.0) / (1.0 + t / 150.0)) + 6.0 * math.exp(-0.3 * t * t)
    )
    if _STMR < 9.0:
        terv += ist / 2.0
    re = 80.0 + 2.5 * (terv - 14.0)
    roe = -1.5 * (_NO - _RLR)
    idte = ((roe - re) / 2.0 + math.sqrt((roe - re) ** 2 / 4.0 + 100.0) - 1.0) * (
        1.0 - math.exp(-t)
    )
    if _STMR > 20.0:
        idte = math.sqrt(idte * idte + ist * ist)
    # Listener echo.
    rle = 10.5 * (_WEPL + 7.0) * (2.0 * t + 1.0) ** -0.25
    idle = (_RO - rle) / 2.0 + math.sqrt((_RO - rle) ** 2 / 4.0 + 169.0)
    # Absolute delay.
    idd = 0.0
    if t > 100.0:
        x = _log10(t / 100.0) / _log10(2.0)
        idd = 25.0 * (
            (1.0 + x**6) ** (1.0 / 6.0) - 3.0 * (1.0 + (x / 3.0) ** 6) ** (1.0 / 6.0) + 2.0
        )
    return float(idte + idle + idd)


def effective_equipment_impairment(
    loss_pct: float, burst_ratio: float = 1.0, codec: CodecImpairment = G711_PLC
) -> float:
    """Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl / BurstR + Bpl); `loss_pct` is Ppl in percent."""
    ppl = min(100.0, max(0.0, float(loss_pct)))
    burst = max(1.0, float(burst_ratio))
    return codec.ie + (95.0 - codec.ie) * ppl / (ppl / burst + codec.bpl)


def r_factor(
    loss_pct: float,
    burst_ratio: float = 1.0,
    one_way_delay_ms: float = 0.0,
    codec: CodecImpairment = G711_PLC,
) -> float:
    """The transmission rating R (0…~93.2); 93.2 with no delay and no loss."""
    return (
        _RO
        - simultaneous_impairment(one_way_delay_ms)
        - delay_impairment(one_way_delay_ms)
        - effective_equipment_impairment(loss_pct, burst_ratio, codec)
        + _A
    )


def mos_from_r(r: float) -> float:
    """G.107 Annex B: the estimated conversational MOS (1…4.5) for a rating R.

    The cubic dips below 1 for 0 < R < 6.5 (0.98 at R ≈ 3): held at 1, the scale's floor,
    so a call that bad reads as bad as any worse one, not worse than the scale allows."""
    if r <= 0.0:
        return 1.0
    if r >= 100.0:
        return 4.5
    return max(1.0, 1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6)


def burst_ratio_from_runs(run_lengths: Sequence[int], loss_fraction: float) -> float:
    """BurstR from observed loss runs: mean run length × (1 − loss fraction), at least 1.

    For random loss the mean run is 1/(1 − p), giving 1; longer runs than that are bursty.
    """
    runs = [int(n) for n in run_lengths if n > 0]
    if not runs or loss_fraction <= 0.0:
        return 1.0
    p = min(float(loss_fraction), 0.999)
    return max(1.0, (sum(runs) / len(runs)) * (1.0 - p))


def burst_ratio_from_counts(lost_per_interval: npt.ArrayLike, slots_per_interval: int) -> float:
    """BurstR estimated from loss counts per interval (e.g. frames lost per second).

    Loss runs are not on record, but their burstiness shows in how the counts spread:
    for a Gilbert model with lag-one correlation ρ = 1 − p − q (BurstR = 1/(1 − ρ)) the
    variance of a count over n slots is n·P(1 − P)·D(ρ, n), with
    D = (1 + ρ)/(1 − ρ) − 2ρ(1 − ρⁿ)/(n(1 − ρ)²). The observed dispersion is solved
    for ρ. Returns 1 (random) when there is too little loss to tell.
    """
    counts = np.asarray(lost_per_interval, dtype=np.float64)
    n = int(slots_per_interval)
    if counts.size < 2 or n < 2:
        return 1.0
    counts = np.clip(counts, 0.0, n)
    p = float(counts.mean()) / n
    if p <= 0.0 or p >= 1.0 or np.count_nonzero(counts) < 2:
        return 1.0
    observed = float(counts.var(ddof=1)) / (n * p * (1.0 - p))
    if not math.isfinite(observed) or observed <= 1.0:
        return 1.0

    def dispersion(rho: float) -> float:
        return (1.0 + rho) / (1.0 - rho) - 2.0 * rho * (1.0 - rho**n) / (n * (1.0 - rho) ** 2)

    top = 1.0 - 1.0 / n  # BurstR ≤ n: a run as long as the whole interval is all we can tell
    if observed >= dispersion(top):
        return float(n)
    lo, hi = 0.0, top
    for _ in range(60):
        mid = (lo + hi) / 2.0
        if dispersion(mid) < observed:
            lo = mid
        else:
            hi = mid
    return 1.0 / (1.0 - (lo + hi) / 2.0)


@dataclass(frozen=True)
class QualityEstimate:
    """One E-model evaluation: its inputs and its outputs."""

    loss_pct: float
    burst_ratio: float
    one_way_delay_ms: float
    ie_eff: float
    delay_impairment: float
    r: float
    mos: float


def estimate(
    loss_pct: float,
    burst_ratio: float = 1.0,
    one_way_delay_ms: float = 0.0,
    codec: CodecImpairment = G711_PLC,
) -> QualityEstimate:
    """R and MOS with the impairments that made them."""
    r = r_factor(loss_pct, burst_ratio, one_way_delay_ms, codec)
    return QualityEstimate(
        loss_pct=float(loss_pct),
        burst_ratio=max(1.0, float(burst_ratio)),
        one_way_delay_ms=float(one_way_delay_ms),
        ie_eff=effective_equipment_impairment(loss_pct, burst_ratio, codec),
        delay_impairment=delay_impairment(one_way_delay_ms) - delay_impairment(0.0),
        r=r,
        mos=mos_from_r(r),
    )
