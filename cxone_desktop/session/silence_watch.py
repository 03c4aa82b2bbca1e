"""A stream that is open but carries no audio: said, and reconnected, after a while.

A server that answers pings and sends nothing kept `record` "streaming" forever at
0 kbps. Pings prove the peer is there, not that the call's audio comes: after
`timeout_s` with no audio while the call is up (not on hold, not over, not being
stopped) the session says so and reconnects. The watch itself is pure (times are
passed in); `run` is the timer the session gives it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from cxone_desktop.cxone.voice_stream import StreamEnd

#: Default seconds without audio, while the call is up, before the stream is called silent.
SILENCE_TIMEOUT_S = 30.0


def seconds_since_audio(last_audio_s: float | None, opened_s: float, now_s: float) -> float:
    """Seconds without audio on the current connection: since its last audio, or since it
    opened if none came yet (audio from an earlier connection does not count)."""
    since = opened_s if last_audio_s is None or last_audio_s < opened_s else last_audio_s
    return max(0.0, now_s - since)


class SilenceWatch:
    """Tells once per connection when it has been silent for `timeout_s`."""

    def __init__(self, timeout_s: float = SILENCE_TIMEOUT_S) -> None:
        if not timeout_s > 0:
            raise ValueError("timeout_s must be > 0")
        self.timeout_s = timeout_s
        self._opened_s: float | None = None
        self._last_audio_s: float | None = None
        #: This connection was called silent (and is being closed for it).
        self.tripped = False

    def opened(self, now_s: float) -> None:
        """A connection opened: its silence counts from now."""
        self._opened_s = now_s
        self.tripped = False

    def heard(self, now_s: float) -> None:
        self._last_audio_s = now_s

    def silent_for(self, now_s: float) -> float:
        if self._opened_s is None:
            return 0.0
        return seconds_since_audio(self._last_audio_s, self._opened_s, now_s)

    def check(self, now_s: float, *, call_up: bool) -> bool:
        """True once, when the connection has been silent `timeout_s` while the call is up.

        Time when the call is not up (hold, ending) does not count: the clock restarts.
        """
        if self._opened_s is None or self.tripped:
            return False
        if not call_up:
            self._opened_s = now_s
            self._last_audio_s = None
            return False
        if self.silent_for(now_s) >= self.timeout_s:
            self.tripped = True
            return True
        return False

    def end_of(self, end: StreamEnd) -> StreamEnd:
        """How the session should read a close: one we made for silence is no normal end."""
        if not self.tripped:
            return end
        return StreamEnd(code=None, reason=f"no audio for {self.timeout_s:g} s")

    async def run(
        self,
        clock: Callable[[], float],
        *,
        call_up: Callable[[], bool],
        on_silent: Callable[[], Awaitable[None]],
    ) -> None:
        """Check a few times per timeout (at least once a second) until cancelled."""
        while True:
            await asyncio.sleep(min(1.0, self.timeout_s / 4))
            if self.check(clock(), call_up=call_up()):
                await on_silent()
