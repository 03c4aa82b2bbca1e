"""What one pull of the playout buffer hands out: the frames due, and which were made up."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class PlayoutBatch:
    """Frames due for playout, in order; `concealed[i]` says frame i holds synthesized audio."""

    frames: npt.NDArray[np.int16]  # (n, frame_samples)
    concealed: npt.NDArray[np.bool_]  # (n,)

    def __len__(self) -> int:
        return int(self.frames.shape[0])
