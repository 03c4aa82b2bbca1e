"""How late (or early) frames arrive relative to the sender's clock: a forgetting histogram.

NetEq keeps a histogram of packet delays and takes its target from a quantile;
here the same histogram also serves as the likelihood of an arrival time when
the slot decoder weighs where a frame belongs. Values are seconds relative to
the sender-clock estimate (negative = early, as batching senders make them).
The histogram forgets old arrivals (about 20 s of frames) so it follows a
network that changes, and starts from a broad prior worth a few frames so the
first second of a call is not judged on three arrivals.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

Float = npt.NDArray[np.float64]

#: Bin width and range (s). Arrivals outside land in the end bins' tails.
BIN_S = 0.002
LOW_S = -0.300
HIGH_S = 1.200
#: Forgetting: each arrival weighs 1/count until that falls to FORGET.
FORGET = 1.0 / 1000.0
#: The prior's share of the likelihood fades as (1 + arrivals / PRIOR_FRAMES)⁻² (never in
#: the quantiles): a tenth after 10 arrivals, under 1 % after 50.
PRIOR_FRAMES = 5.0
#: Mixed into the likelihood so an arrival the histogram has never seen stays possible:
#: late ones decay slowly (stalls happen), early ones fast (a sender is rarely early).
OUTLIER_WEIGHT = 0.0001
#: Blur of the histogram (s), and a wider one mixed in at a small weight.
NEAR_BLUR_S = 0.003
WIDE_BLUR_S = 0.015
WIDE_WEIGHT = 0.02
LATE_TAIL_S = 1.0
EARLY_TAIL_S = 0.015
#: The least chance `survival` gives an arrival later than any seen.
SURVIVAL_FLOOR = 0.001


class DelayHistogram:
    """Add arrival offsets (s); read quantiles and log-likelihoods of offsets."""

    def __init__(self, *, prior_spread_s: float = 0.030) -> None:
        self._bins = round((HIGH_S - LOW_S) / BIN_S)
        centers: Float = LOW_S + (np.arange(self._bins, dtype=np.float64) + 0.5) * BIN_S
        self._centers = centers
        prior = np.exp(-0.5 * np.square(centers / prior_spread_s))
        self._prior: Float = prior / prior.sum()
        self._mass: Float = np.zeros(self._bins)
        self._count = 0
        self._log_density: Float | None = None
        self._peak: float | None = None
        self._survival: Float | None = None
        self._cumulative: Float | None = None
        self._log_cdf: Float | None = None
        self._quantiles: dict[float, float] = {}  # asked for each slot, changed twice a second
        tail = np.where(
            centers >= 0,
            np.exp(-centers / LATE_TAIL_S) / LATE_TAIL_S,
            np.exp(centers / EARLY_TAIL_S) / EARLY_TAIL_S,
        )
        self._tail: Float = 0.5 * tail * BIN_S / float(np.sum(0.5 * tail * BIN_S))

    @property
    def count(self) -> int:
        """Arrivals added so far."""
        return self._count

    def add(self, offset_s: float) -> None:
        weight = max(FORGET, 1.0 / (self._count + 1))
        self._mass *= 1.0 - weight
        self._mass[self._bin(offset_s)] += weight
        self._count += 1
        self._forget_derived()

    def replace(self, offsets_s: npt.ArrayLike) -> None:
        """Forget everything: the arrivals are exactly these offsets (s), equally weighted."""
        index = self._bins_of(offsets_s)
        mass = np.bincount(index, minlength=self._bins).astype(np.float64)
        self._mass = mass / max(1.0, float(mass.sum()))
        self._count = int(index.shape[0])
        self._forget_derived()

    def replace_censored(self, offsets_s: Float, bounded: npt.NDArray[np.bool_]) -> None:
        """Forget everything: these offsets (s) were seen, the `bounded` ones only as upper
        bounds (the frame's own delay was at most that: it came held up behind another).
        The distribution is the reverse Kaplan–Meier estimate: a bound's mass goes to the
        values seen below it, in proportion."""
        index = self._bins_of(offsets_s)
        seen = np.bincount(index[~bounded], minlength=self._bins).astype(np.float64)
        at_risk = np.cumsum(np.bincount(index, minlength=self._bins))  # offsets ≤ each bin
        hazard = np.divide(seen, at_risk, out=np.zeros(self._bins), where=at_risk > 0)
        # F(top of bin b) = product over the bins above b of (1 − hazard).
        stay = np.log(np.maximum(1.0 - hazard, 1e-300))
        above = np.concatenate([np.cumsum(stay[::-1])[::-1][1:], [0.0]])
        mass = np.exp(above) * hazard
        if np.any(seen):  # what lies below the lowest value seen goes to it
            lowest = int(np.flatnonzero(seen)[0])
            mass[lowest] += max(0.0, 1.0 - float(mass.sum()))
        self._mass = mass / max(1e-300, float(mass.sum()))
        self._count = int(index.shape[0])
        self._forget_derived()

    def _bins_of(self, offsets_s: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """The bin of each offset, a non-finite one in the last."""
        values = np.asarray(offsets_s, dtype=np.float64).reshape(-1)
        index = self._index(values)
        index[~np.isfinite(values)] = self._bins - 1
        return index

    def _forget_derived(self) -> None:
        """The mass changed: what was worked out from it is out of date."""
        self._log_density = self._peak = None
        self._survival = None
        self._cumulative = None
        self._log_cdf = None
        self._quantiles.clear()

    def log_cumulative(self, offsets_s: Float) -> Float:
        """log P(offset ≤ each value), from the same smoothed density as `log_likelihood`."""
        if self._log_cdf is None:
            cdf = np.cumsum(np.exp(self._densities()) * BIN_S)
            self._log_cdf = np.log(np.maximum(cdf / max(1e-300, float(cdf[-1])), 1e-12))
        result: Float = self._log_cdf[self._index(offsets_s)]
        return result

    def quantile(self, q: float) -> float:
        """The offset (s) that fraction `q` of the (recent) arrivals did not exceed (0: none)."""
        if self._count == 0:
            return 0.0
        known = self._quantiles.get(q)
        if known is not None:
            return known
        if self._cumulative is None:
            self._cumulative = np.cumsum(self._mass)
        cumulative = self._cumulative
        index = int(np.searchsorted(cumulative, q * cumulative[-1]))
        value = self._quantiles[q] = float(self._centers[min(index, self._bins - 1)] + BIN_S / 2)
        return value

    def tail_mass(self, offset_s: float) -> float:
        """Fraction of (recent) arrivals later than `offset_s` (0.5 before any arrival)."""
        if self._count == 0:
            return 0.5
        cumulative = float(self._mass[: self._bin(offset_s) + 1].sum())
        return max(0.0, 1.0 - cumulative / float(self._mass.sum()))

    def survival(self, offsets_s: Float) -> Float:
        """Fraction of (recent) arrivals later than each offset (s), never quite 0 (an arrival
        later than any seen stays possible); 0.5 before any arrival."""
        if self._count == 0:
            return np.full(np.shape(offsets_s), 0.5)
        result: Float = self._survivals()[self._index(offsets_s)]
        return result

    def _survivals(self) -> Float:
        """Survival per bin."""
        if self._survival is None:
            later = 1.0 - np.cumsum(self._mass) / max(1e-300, float(self._mass.sum()))
            self._survival = np.maximum(later, SURVIVAL_FLOOR)
        return self._survival

    def peak_log_likelihood(self) -> float:
        """The highest `log_likelihood` any offset has."""
        if self._peak is None:
            self._peak = float(np.max(self._densities()))
        return self._peak

    def log_likelihood(self, offsets_s: Float) -> Float:
        """log density (per s) of each offset, outliers included."""
        result: Float = self._densities()[self._index(offsets_s)]
        beyond = offsets_s > HIGH_S
        if np.logical_or.reduce(beyond, axis=None):  # far beyond the range: the late tail's slope
            extra = (offsets_s[beyond] - HIGH_S) / LATE_TAIL_S
            result = result.copy()
            result[beyond] -= extra
        return result

    def log_likelihood_at(self, offset_s: float) -> float:
        """`log_likelihood` of one offset, in Python floats (the same bin, the same tail)."""
        value = float(self._densities()[self._bin(offset_s)])
        if offset_s > HIGH_S:
            value -= (offset_s - HIGH_S) / LATE_TAIL_S
        return value

    def survival_at(self, offset_s: float) -> float:
        """`survival` of one offset."""
        if self._count == 0:
            return 0.5
        return float(self._survivals()[self._bin(offset_s)])

    def _densities(self) -> Float:
        """log density per bin."""
        if self._log_density is None:
            prior = (1.0 + self._count / PRIOR_FRAMES) ** -2
            seen = (1.0 - prior) * self._mass + prior * self._prior
            # A few ms of blur (the range seen is a sample of the true one), then a wider blur
            # at a small weight: an arrival just past the latest seen is unusual, not absurd.
            smooth = np.convolve(seen, _kernel(NEAR_BLUR_S), mode="same")
            wide = np.convolve(seen, _kernel(WIDE_BLUR_S), mode="same")
            mixed = (1.0 - WIDE_WEIGHT - OUTLIER_WEIGHT) * smooth + WIDE_WEIGHT * wide
            mixed += OUTLIER_WEIGHT * self._tail
            self._log_density = np.log(np.maximum(mixed, 1e-300) / BIN_S)
        return self._log_density

    def _index(self, offsets_s: Float) -> npt.NDArray[np.int64]:
        """The bin of each offset, the end bins taking what lies beyond (as `np.clip` would,
        in two ufunc calls instead of its Python wrapper)."""
        index = ((offsets_s - LOW_S) / BIN_S).astype(np.int64)
        np.maximum(index, 0, out=index)
        np.minimum(index, self._bins - 1, out=index)
        return index

    def _bin(self, offset_s: float) -> int:
        if not math.isfinite(offset_s):
            return self._bins - 1
        return min(self._bins - 1, max(0, int((offset_s - LOW_S) / BIN_S)))


def _kernel(sigma_s: float) -> Float:
    """A normalized Gaussian over histogram bins, ±3 sigma."""
    half = max(1, round(3 * sigma_s / BIN_S))
    x = np.arange(-half, half + 1) * BIN_S
    k: Float = np.exp(-0.5 * np.square(x / sigma_s))
    normalized: Float = k / k.sum()
    return normalized
