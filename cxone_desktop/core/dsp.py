"""Gain, noise gate and clamp on decoded frames: the seed's `Process`, vectorized.

Order is the seed's: multiply by the gain, gate, then clamp to int16 and
truncate toward zero (Go's float→int16 conversion). Gain 1.0 with the gate off
is bit-exact passthrough.

Gate modes:

- ``"seed"``: a sample whose gained magnitude is below the threshold becomes 0,
  exactly as the seed. Cheap, but it chops quiet speech and every zero crossing.
- ``"smooth"``: an envelope gate. It opens when the envelope (the peak over the
  last 10 ms, in 1 ms blocks) reaches the threshold, closes only once it has
  stayed below ``threshold * hysteresis_ratio`` for ``hold_ms``, and then fades
  out over ``release_ms`` (opening fades in over 1 ms), so gain never steps and
  speech tails survive. State carries across frames.
- ``"off"``: gain and clamp only.

A threshold of 0 disables the gate in every mode.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.audio_format import DEFAULT_FORMAT, AudioFormat

GateMode = Literal["off", "seed", "smooth"]
GATE_MODES: tuple[GateMode, ...] = get_args(GateMode)

#: How long the smooth gate takes to open fully; short so onsets are kept.
ATTACK_MS = 1.0
#: Envelope block length of the smooth gate.
BLOCK_MS = 1.0
#: The smooth gate's envelope is the peak over this long: half a period of a 50 Hz voice.
ENVELOPE_MS = 10.0
MAX_GAIN = 100.0
_MAX_TABLES = 16

Float64Array = npt.NDArray[np.float64]
Int16Array = npt.NDArray[np.int16]


_ALL_INT16: Float64Array = np.arange(65536, dtype=np.uint16).view(np.int16).astype(np.float64)
_ALL_INT16.flags.writeable = False


def db_to_gain(db: float) -> float:
    """Decibels → linear amplitude gain (0 dB → 1.0)."""
    return float(10.0 ** (db / 20.0))


def gain_to_db(gain: float) -> float:
    """Linear amplitude gain → decibels; 0 maps to -inf."""
    if gain < 0:
        raise ValueError(f"gain must be >= 0, got {gain}")
    return -math.inf if gain == 0 else 20.0 * math.log10(gain)


@dataclass(frozen=True)
class DspSettings:
    """What the DSP chain does; validated on construction (ValueError names the field)."""

    gain: float = 1.2
    noise_threshold: int = 200
    gate_mode: GateMode = "seed"
    hold_ms: float = 60.0
    release_ms: float = 40.0
    hysteresis_ratio: float = 0.5
    #: QA listening: play what was received (0 dB, no gate) whatever the other fields say.
    bypass: bool = False

    def __post_init__(self) -> None:
        if not _finite(self.gain) or not 0.0 <= self.gain <= MAX_GAIN:
            raise ValueError(f"gain must be a number in 0..{MAX_GAIN:g}, got {self.gain!r}")
        if (
            not isinstance(self.noise_threshold, int)
            or isinstance(self.noise_threshold, bool)
            or not 0 <= self.noise_threshold <= 32768
        ):
            raise ValueError(
                f"noise_threshold must be an integer in 0..32768, got {self.noise_threshold!r}"
            )
        if self.gate_mode not in GATE_MODES:
            raise ValueError(
                f"gate_mode must be one of {', '.join(GATE_MODES)}, got {self.gate_mode!r}"
            )
        if not _finite(self.hold_ms) or not 0.0 <= self.hold_ms <= 5000.0:
            raise ValueError(f"hold_ms must be in 0..5000, got {self.hold_ms!r}")
        if not _finite(self.release_ms) or not 0.0 <= self.release_ms <= 5000.0:
            raise ValueError(f"release_ms must be in 0..5000, got {self.release_ms!r}")
        if not _finite(self.hysteresis_ratio) or not 0.0 < self.hysteresis_ratio <= 1.0:
            raise ValueError(f"hysteresis_ratio must be in (0, 1], got {self.hysteresis_ratio!r}")
        if not isinstance(self.bypass, bool):
            raise ValueError(f"bypass must be true or false, got {self.bypass!r}")

    @classmethod
    def from_db(cls, gain_db: float, **kwargs: Any) -> DspSettings:
        """Settings with the gain given in decibels."""
        try:
            gain = db_to_gain(gain_db)
        except OverflowError:
            raise ValueError(
                f"gain must be a number in 0..{MAX_GAIN:g}, got {gain_db!r} dB"
            ) from None
        return cls(gain=gain, **kwargs)

    @property
    def gain_db(self) -> float:
        return gain_to_db(self.gain)

    @property
    def gate_active(self) -> bool:
        """Whether any gate runs: not bypassed, a mode other than off and a threshold above 0."""
        return not self.bypass and self.gate_mode != "off" and self.noise_threshold > 0

    @property
    def effective_gain(self) -> float:
        """The gain applied: 1.0 when bypassed."""
        return 1.0 if self.bypass else self.gain

    def with_changes(self, **changes: Any) -> DspSettings:
        """A copy with some fields replaced (validated again)."""
        return replace(self, **changes)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class DspChain:
    """Applies DspSettings to int16 frames, keeping the smooth gate's state across calls.

    `update` may be called from another thread: it swaps one reference, and
    `process` reads the settings once per call, so a change lands on the next call.
    Scratch buffers are reused; only the returned array is allocated.
    """

    def __init__(
        self, settings: DspSettings = DspSettings(), fmt: AudioFormat = DEFAULT_FORMAT
    ) -> None:
        self._settings = settings
        self._fmt = fmt
        self._block = max(1, round(fmt.rate_hz * fmt.channels * BLOCK_MS / 1000.0))
        self._ms_per_sample = 1000.0 / (fmt.rate_hz * fmt.channels)
        self._block_ms = self._block * self._ms_per_sample
        self._scratch: Float64Array = np.empty(0)
        self._work: Float64Array = np.empty(0)
        self._ramp: Float64Array = np.empty(0)
        self._tables: dict[tuple[float, int], Int16Array] = {}
        # Smooth gate state: current gate gain, hysteresis state, blocks since it was active.
        self._gate_gain = 0.0
        self._gate_active = False
        self._blocks_since_active = math.inf
        self._blocks_below = 0
        self._envelope_blocks = max(1, round(ENVELOPE_MS / self._block_ms))

    @property
    def settings(self) -> DspSettings:
        return self._settings

    @property
    def gate_gain(self) -> float:
        """The smooth gate's current gain, 0 (closed) .. 1 (open); for meters."""
        return self._gate_gain

    def update(self, settings: DspSettings) -> None:
        """Use `settings` from the next `process` call on; gate state is kept."""
        self._settings = settings

    def reset(self) -> None:
        """Forget the smooth gate's state (closed), e.g. for a new stream."""
        self._gate_gain = 0.0
        self._gate_active = False
        self._blocks_since_active = math.inf
        self._blocks_below = 0

    def process(self, frames: npt.NDArray[np.int16]) -> Int16Array:
        """Return processed int16 samples shaped like `frames`: (n, 160) or (160,)."""
        s = self._settings
        x = np.asarray(frames)
        if x.dtype != np.int16:
            raise TypeError(f"expected int16 frames, got dtype {x.dtype}")
        gate = s.gate_active
        if s.bypass or (s.gain == 1.0 and not gate):
            return x.copy()
        if not gate or s.gate_mode == "seed":
            # Memoryless: one lookup per sample in a table of all 65536 inputs.
            return self._table(s.gain, s.noise_threshold if gate else 0)[x.view(np.uint16)]
        flat = x.reshape(-1)
        if flat.size == 0:
            return np.empty(x.shape, dtype=np.int16)
        gains = self._smooth_gains(flat, s)
        if gains is None:  # open throughout
            return self._table(s.gain, 0)[x.view(np.uint16)]
        if isinstance(gains, float):  # closed throughout
            return np.zeros(x.shape, dtype=np.int16)
        v = self._buffers(flat.size)
        np.multiply(flat, s.gain, out=v)
        v *= gains
        np.clip(v, -32768.0, 32767.0, out=v)
        return v.astype(np.int16).reshape(x.shape)  # float→int truncates toward zero, as Go

    def _table(self, gain: float, threshold: int) -> Int16Array:
        """The seed's output for every int16 input (threshold 0: no gate), cached."""
        key = (gain, threshold)
        cached = self._tables.get(key)
        if cached is None:
            v = _ALL_INT16 * gain
            if threshold:
                v[np.abs(v) < threshold] = 0.0
            np.clip(v, -32768.0, 32767.0, out=v)
            cached = v.astype(np.int16)  # truncates toward zero, as Go's int16(v)
            if len(self._tables) >= _MAX_TABLES:
                self._tables.clear()
            self._tables[key] = cached
        return cached

    def _buffers(self, size: int) -> Float64Array:
        if self._scratch.size < size:
            self._scratch = np.empty(size)
        return self._scratch[:size]

    def _ramp_to(self, size: int) -> Float64Array:
        """1, 2, …, size as floats (cached)."""
        if self._ramp.size < size:
            self._ramp = np.arange(1, size + 1, dtype=np.float64)
        return self._ramp[:size]

    def _smooth_gains(self, flat: Int16Array, s: DspSettings) -> Float64Array | float | None:
        """Advance the envelope gate over `flat`; its gain per sample.

        None when the gate stays fully open, 0.0 when it stays fully closed,
        else an array (a view of a scratch buffer, valid until the next call).
        """
        size = flat.size
        block = self._block
        starts = np.arange(0, size, block)
        # Block peaks of |x|, in exact integers (abs(-32768) does not fit int16).
        peaks = np.maximum(
            np.maximum.reduceat(flat, starts).astype(np.int32),
            -np.minimum.reduceat(flat, starts).astype(np.int32),
        ).tolist()
        gain = s.gain
        open_level = s.noise_threshold
        close_level = open_level * s.hysteresis_ratio
        hold_blocks = s.hold_ms / self._block_ms
        envelope_blocks = self._envelope_blocks
        active = self._gate_active
        below = self._blocks_below
        since = self._blocks_since_active
        # Per 1 ms block: open at the threshold; close after ENVELOPE_MS entirely below
        # threshold * ratio (the envelope, a peak over ENVELOPE_MS, fell below it); then
        # the hold counts down. `runs` collects (first block, target) where the target changes.
        runs: list[tuple[int, bool]] = []
        previous: bool | None = None
        for i, peak in enumerate(peaks):
            level = peak * gain
            if level >= open_level:
                active = True
                below = 0
            elif level < close_level:
                below += 1
                if below >= envelope_blocks:
                    active = False
            else:
                below = 0
            since = 0.0 if active else since + 1.0
            target = since <= hold_blocks
            if target is not previous:
                runs.append((i, target))
                previous = target
        self._gate_active = active
        self._blocks_below = below
        self._blocks_since_active = since

        g0 = self._gate_gain
        if len(runs) == 1:
            if runs[0][1] and g0 >= 1.0:
                return None
            if not runs[0][1] and g0 <= 0.0:
                return 0.0
        up = self._ms_per_sample / ATTACK_MS
        down = self._ms_per_sample / s.release_ms if s.release_ms > 0 else 1.0
        if self._work.size < size:
            self._work = np.empty(size)
        gains = self._work[:size]
        # Within a run the gain slews linearly toward its target and saturates there.
        bounds = [first * block for first, _ in runs[1:]] + [size]
        start = 0
        for (_, opening), stop in zip(runs, bounds, strict=True):
            seg = gains[start:stop]
            if opening:
                if g0 >= 1.0:
                    seg.fill(1.0)
                else:
                    np.multiply(self._ramp_to(stop - start), up, out=seg)
                    seg += g0
                    np.minimum(seg, 1.0, out=seg)
            elif g0 <= 0.0:
                seg.fill(0.0)
            else:
                np.multiply(self._ramp_to(stop - start), -down, out=seg)
                seg += g0
                np.maximum(seg, 0.0, out=seg)
            g0 = float(seg[-1])
            start = stop
        self._gate_gain = g0
        return gains
