"""The frame queue's record of how each frame arrived."""

from __future__ import annotations

import numpy as np

from cxone_desktop.core.frame_queue import BUNCH_S, FrameQueue


def test_a_frame_completed_right_behind_the_one_before_came_bunched_even_across_a_pop() -> None:
    queue = FrameQueue(160, 1, 8000)
    frame = np.zeros(160, dtype=np.int16)
    for done in (1.000, 1.030, 1.030, 1.0305, 1.060):
        queue.append(frame, done, float("nan"), 0.0)
    assert queue.bunched(5).tolist() == [False, False, True, True, False]
    assert [queue.bunched_at(j) for j in range(5)] == queue.bunched(5).tolist()
    queue.pop()
    queue.pop()  # the head (1.030) now follows a popped frame completed at the same time
    assert queue.bunched(3).tolist() == [True, True, False]
    assert [queue.bunched_at(j) for j in range(3)] == [True, True, False]
    queue.forget_before()  # a new timeline: nothing before the head
    assert queue.bunched(1).tolist() == [False]
    queue.append(frame, 1.060 + 0.6 * BUNCH_S, float("nan"), 0.0)
    queue.append(frame, 1.060 + 2.0 * BUNCH_S, float("nan"), 0.0)
    assert queue.bunched(5).tolist()[-2:] == [True, False]
