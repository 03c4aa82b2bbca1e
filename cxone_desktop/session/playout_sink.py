"""What the pipeline plays into: the app's sound device (`ui/audio_output.QtPlayoutSink`),
a benchmark's counter, or nothing (`record`)."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt


class PlayoutSink(Protocol):
    """Receives processed int16 frames (n, samples) on the 20 ms playout clock."""

    def set_channels(self, channels: int) -> None:
        """The frames that follow are interleaved over `channels` (1 mono, 2 agent/customer)."""
        ...

    def write(self, frames: npt.NDArray[np.int16]) -> None: ...
