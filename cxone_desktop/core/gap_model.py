"""How the waveform's clues at a frame boundary add up to odds that a frame is missing there.

The clues (`frame_continuity`: pitch phase; `boundary_prediction`: short-term
prediction, two ways, each direction, over several spans; the level; how much
came after the boundary) each see some gaps the others miss, and how far one
may be trusted depends on the others: the pitch phase is blind where the
period divides the frame, the prediction where a new sound starts, both in
noise. A small neural network (one tanh layer of 16, the average of three
trained from different starts) weighs them. At loud boundaries of the
benchmark's two calls it ranks gaps above joins with AUC 0.964 / 0.967 (with
one frame after the boundary, 0.954 / 0.965), where the former hand-fitted
logistic weighing of phase and prediction gave 0.947 / 0.936 (a logistic
regression of more clues did no better); on recorded human voice 0.979
against 0.958.

It was trained by `benchmarks/train_gap_model.py` on speech that is in no
benchmark: other espeak-ng voices and flite's, other sentences, pauses of
line noise, and telephone tones that start and stop at full strength (DTMF,
call-progress tones, beeps: a jump where nothing is missing, which speech alone
does not show), with 5 % of frames dropped. It outputs log P(clues | gap) −
log P(clues | join): the training set's prior odds are taken off, so the
decoder's own loss prior stands.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from cxone_desktop.core import gap_model_weights as weights

Float = npt.NDArray[np.float64]
#: One member of the average: hidden weights (clue × unit), hidden biases, output weights,
#: output bias.
Member = tuple[Sequence[Sequence[float]], Sequence[float], Sequence[float], float]
#: The clues, in the order `log_odds` takes them.
CLUES: tuple[str, ...] = weights.CLUES

#: Each clue is held within this range before it is weighed (a ratio of a silent side's
#: residual can be anything).
CLUE_RANGE = (-10.0, 20.0)


class GapModel:
    """A trained network; `log_odds` of one boundary's clues (in `CLUES` order)."""

    def __init__(
        self,
        mean: Sequence[float],
        scale: Sequence[float],
        members: Sequence[Member],
        prior_log_odds: float,
    ) -> None:
        self._mean = np.array(mean, dtype=np.float64)
        self._scale = np.array(scale, dtype=np.float64)
        self._hidden = np.array([m[0] for m in members], dtype=np.float64)  # (m, clues, units)
        self._hidden_bias = np.array([m[1] for m in members], dtype=np.float64)  # (m, units)
        self._out = np.array([m[2] for m in members], dtype=np.float64)  # (m, units)
        self._members = len(members)
        # The members' outputs are averaged; less the training set's prior odds.
        self._out_bias = float(np.mean([m[3] for m in members])) - prior_log_odds

    @classmethod
    def trained(cls) -> GapModel:
        """The model `gap_model_weights` holds."""
        return cls(weights.MEAN, weights.SCALE, weights.MEMBERS, weights.PRIOR_LOG_ODDS)

    def log_odds(self, clues: npt.ArrayLike) -> float:
        """log P(clues | a frame is missing) − log P(clues | none is)."""
        x = np.clip(np.asarray(clues, dtype=np.float64), *CLUE_RANGE)
        x = (x - self._mean) / self._scale
        hidden = np.tanh(np.einsum("c,mch->mh", x, self._hidden) + self._hidden_bias)
        return float(np.einsum("mh,mh->", hidden, self._out)) / self._members + self._out_bias
