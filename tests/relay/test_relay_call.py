"""A call's perspectives on the event loop: a stalled one is filled by the sweeper (with silence
here: it has sent nothing to continue)."""

from __future__ import annotations

import asyncio

import numpy as np

from cxone_desktop.core.perspective_aligner import FRAME_SAMPLES
from cxone_desktop.relay.fanout import Listener, ListenerShape
from cxone_desktop.relay.relay_call import RelayCall
from cxone_desktop.relay.relay_metrics import RelayMetrics

from .support import until
from .test_fanout import FakeSocket


async def test_a_stalled_perspective_is_filled_after_the_wait_and_counted() -> None:
    metrics = RelayMetrics()
    call = RelayCall("c-1", "cxone", metrics=metrics, wait_s=0.05, loop=asyncio.get_running_loop())
    sock = FakeSocket()
    call.fanout.add(
        Listener(
            sock,
            ListenerShape(channels=2),
            client_id="qa",
            label="l",
            capacity_frames=50,
            metrics=metrics,
        )
    )
    call.join("agent")
    call.join("customer")
    call.write("agent", np.full(FRAME_SAMPLES, 700, dtype=np.int16))
    assert sock.binary == []  # waiting for the customer's frame
    await until(lambda: sock.binary, 5, "the sweeper to release the frame")
    stereo = np.frombuffer(sock.binary[0], "<i2")
    assert (stereo[0::2] == 700).all() and not stereo[1::2].any()
    call.write("customer", np.full(FRAME_SAMPLES, 5, dtype=np.int16))  # late: dropped
    assert metrics.registry.get_sample_value("relay_late_samples_total") == FRAME_SAMPLES
    call.end("test")
    assert [e["event"] for e in sock.text][-1] == "call.ended"
