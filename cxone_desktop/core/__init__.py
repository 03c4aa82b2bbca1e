"""The pure audio core: formats, codecs, framing, DSP, call state and metrics.

numpy and the standard library only: no I/O, no asyncio, no Qt, no clock
reads inside the logic (times are passed in), so everything here is tested
with plain pytest. Import from the modules; the common names are re-exported
here for convenience.
"""

from cxone_desktop.core.audio_format import DEFAULT_FORMAT, AudioFormat, Encoding
from cxone_desktop.core.codecs import decode, encode
from cxone_desktop.core.dsp import DspChain, DspSettings, GateMode, db_to_gain, gain_to_db
from cxone_desktop.core.metrics import MetricsSnapshot, StreamMetrics
from cxone_desktop.core.reassembler import FrameReassembler
from cxone_desktop.core.ring_buffer import RecordRing, RingBuffer
from cxone_desktop.core.state_machine import CallState, CallStateMachine, Transition

__all__ = [
    "DEFAULT_FORMAT",
    "AudioFormat",
    "CallState",
    "CallStateMachine",
    "DspChain",
    "DspSettings",
    "Encoding",
    "FrameReassembler",
    "GateMode",
    "MetricsSnapshot",
    "RecordRing",
    "RingBuffer",
    "StreamMetrics",
    "Transition",
    "db_to_gain",
    "decode",
    "encode",
    "gain_to_db",
]
