"""Decides which frames a stream never sends: independent losses and loss bursts.

Pure and seeded through the `random.Random` passed in. A burst starts at a
frame with probability `burst_loss` and then takes `burst_frames` frames in a
row; other frames are lost independently with probability `loss`.
"""

from __future__ import annotations

import random


class FrameLoss:
    """Call `lose()` once per frame, in order."""

    def __init__(
        self, loss: float, burst_loss: float, burst_frames: int, rng: random.Random
    ) -> None:
        self._loss = loss
        self._burst_loss = burst_loss
        self._burst_frames = burst_frames
        self._rng = rng
        self._burst_left = 0
        self.lost = 0

    def lose(self) -> bool:
        """True when this frame must not be sent."""
        if self._burst_left > 0:
            self._burst_left -= 1
        elif self._burst_loss > 0 and self._rng.random() < self._burst_loss:
            self._burst_left = self._burst_frames - 1
        elif not (self._loss > 0 and self._rng.random() < self._loss):
            return False
        self.lost += 1
        return True
