"""Which frame each WebSocket message began in, from the message sizes alone.

A sender that batches sends a message when the frame holding its first byte is
due, so for a frame completed by a later message, the arrival of the first
message that began inside it is the better clue to its due time. This mirrors
the reassembler's carry (the session feeds both every message), so it knows
where each message began without seeing the bytes.
"""

from __future__ import annotations

import math


class MessageSizes:
    """Feed every message's size with the frames it completed; get each frame's "began" time."""

    def __init__(self, frame_bytes: int) -> None:
        self._frame_bytes = frame_bytes
        self._carry = 0  # bytes of the frame in progress
        self._began = math.nan  # arrival of the first message that began inside it
        self._consistent = True

    def began_times(self, frames: int, arrival_s: float, message_bytes: int | None) -> list[float]:
        """Per frame the message completed: when a message before this one began inside it
        (nan if none did, or if message sizes are unknown or stopped adding up)."""
        began = [math.nan] * frames
        if message_bytes is None or not self._consistent:
            return began
        total = self._carry + message_bytes
        if total // self._frame_bytes != frames:
            self._consistent = False  # not every message was reported: stop using sizes
            return began
        if frames:
            # Only an earlier message that began inside the frame says more than its completion.
            began[0] = self._began
            self._began = math.nan
        elif message_bytes > 0 and math.isnan(self._began):
            self._began = arrival_s  # this message begins in the frame in progress
        self._carry = total - frames * self._frame_bytes
        return began

    def restart(self) -> None:
        """A new connection: the session flushed the partial frame, sizes may add up again."""
        self._carry = 0
        self._began = math.nan
        self._consistent = True
