"""The call's wire-facing lifetimes: token provider, call-state poller and the socket.

Opens the voice stream, reopens it after a close (paced and bounded in time by the
`ReconnectBudget` while the call is up, waiting out holds without spending it), reads
and watches the call state (the watcher survives any failure of the poller), and
closes it all. Keeps `CallFacts` current and reports through `SessionNews`; what to do
after a close is decided elsewhere (`call_decision`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import replace

from cxone_desktop.cxone.call_state import CallStatePoller, CallStatus
from cxone_desktop.cxone.token_provider import TokenProvider
from cxone_desktop.cxone.voice_stream import VoiceStream
from cxone_desktop.errors import (
    AuthError,
    CallAlreadyEnded,
    CallStateError,
    CXoneError,
    RetriesExhausted,
    ServiceUnavailable,
    StreamClosedAbnormally,
    TransientError,
)
from cxone_desktop.session.call_decision import CallFacts, NextStep, before_attempt
from cxone_desktop.session.config import SessionConfig
from cxone_desktop.session.reconnect_budget import ReconnectBudget
from cxone_desktop.session.session_news import SessionNews

log = logging.getLogger(__name__)

#: Wait at least this long before polling the call state again after it failed.
CALL_STATE_RETRY_S = 5.0
#: While the call is on hold, ask the call-state endpoint this often (at most).
HOLD_POLL_S = 1.0


class CallLink:
    """One call's token provider, poller and current stream (None until connected)."""

    def __init__(
        self,
        config: SessionConfig,
        facts: CallFacts,
        news: SessionNews,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        rng: random.Random,
    ) -> None:
        self._config = config
        self._facts = facts
        self._news = news
        self._clock = clock
        self._sleep = sleep
        self._rng = rng
        self._tokens = TokenProvider(
            config.endpoints, config.credentials, auth=config.auth, tls=config.tls,
            retry=config.retry,
        )  # fmt: skip
        self._tokens.on_retry = self._on_retry
        self._poller = CallStatePoller(
            config.endpoints, config.call_id, self._tokens, tls=config.tls, retry=config.retry,
            interval_s=config.poll_interval_s,
        )  # fmt: skip
        self.stream: VoiceStream | None = None
        #: Paces reconnects; the session tells it when audio arrives.
        self.budget = ReconnectBudget(config.reconnect, rng)
        #: 2 once the session chose to hear the parties apart (interleaved, agent left).
        self.channels = 1

    async def choose_channels(self, wanted: bool | None) -> int:
        """2 to hear the parties apart (the stream is then opened with `?channels=2`): the
        caller's word (the picker's list), else the call state's. Said as a `parties` event."""
        offered = wanted if wanted is not None else await self.offers_two_parties()
        self.channels = 2 if offered else 1
        how = "call state" if wanted is None else "asked by the caller"
        self._news.event("parties", parties=self.channels, how=how)
        return self.channels

    async def offers_two_parties(self) -> bool | None:
        """Whether the server offers the call's parties apart, by its call state (one try);
        None when it could not say (the reason is an event). Token errors propagate."""
        await self._tokens.token()
        try:
            info = await self._poller.fetch(single_attempt=True)
        except CXoneError as exc:
            self._news.event("parties_unknown", message=exc.message)
            return None
        return info.two_party

    async def connect(self, *, single_attempt: bool = False) -> VoiceStream:
        """Open the stream; `single_attempt` leaves the backoff to the caller."""
        cfg = self._config
        await self._tokens.token()
        stream = VoiceStream(
            cfg.endpoints, cfg.call_id, self._tokens, settings=cfg.stream, tls=cfg.tls,
            retry=replace(cfg.retry, max_attempts=1) if single_attempt else cfg.retry,
            rng=self._rng, channels=self.channels,
        )  # fmt: skip
        await stream.connect()
        self.stream = stream
        self.budget.connected(self._clock())
        self._facts.note_connected()
        self._news.event("connected", url_path=cfg.endpoints.stream_path, channels=self.channels)
        return stream

    async def status(self) -> CallStatus | None:
        """The call-state endpoint's word now, in one attempt; None (reported) if no answer.

        One attempt: around a close the reconnect pacing is the budget's, not the poller's.
        """
        try:
            status = (await self._poller.fetch(single_attempt=True)).status
        except CXoneError as exc:
            self._news.error(exc)
            return None
        self._facts.note_status(status)
        return status

    async def reconnect(self) -> VoiceStream | None:
        """A new connection while the call is up; None when it has ended meanwhile.

        Every attempt waits its `ReconnectBudget` delay first; RetriesExhausted once the
        outage has outlasted the budget.
        """
        budget = self.budget
        last: CXoneError | None = None
        attempts = 0
        retry_after: float | None = None
        while True:
            delay = budget.next_delay(self._clock(), retry_after)
            if delay is None:
                healthy = f"no connection carried {budget.policy.healthy_after_s:g} s of audio"
                said = f"last error: {last.message}" if last else healthy
                raise RetriesExhausted(
                    f"Could not keep the audio stream open: {budget.failures} tries in "
                    f"{budget.policy.budget_s:g} s while the call was up ({said})"
                )
            if attempts:  # "attempt N failed; next in …" (the first wait follows the drop)
                self._news.event("reconnect_wait", attempt=attempts, delay_s=round(delay, 2))
            await self._sleep(delay)
            decision = before_attempt(self._facts, await self.status())
            if decision.step is NextStep.END:
                return None
            if decision.step is NextStep.WAIT:  # holds can last: they spend no budget
                budget.reset()
                await self._sleep(min(self._config.poll_interval_s, HOLD_POLL_S))
                retry_after = None
                continue
            attempts += 1
            try:
                return await self._attempt()
            except CallAlreadyEnded:
                return None
            except AuthError:
                if await self.status() == "ended":
                    return None  # a stale call refuses the token: not a credentials problem
                raise
            except (TransientError, RetriesExhausted, StreamClosedAbnormally) as exc:
                last = exc
            retry_after = last.retry_after_s if isinstance(last, TransientError) else None

    async def _attempt(self) -> VoiceStream:
        """One connection attempt, cut off where the budget ends (a token fetch included)."""
        budget = self.budget
        left = budget.policy.budget_s - budget.spent_s(self._clock())
        limit = max(left, self._config.stream.handshake_timeout_s)
        try:
            async with asyncio.timeout(limit):
                return await self.connect(single_attempt=True)
        except TimeoutError:
            raise ServiceUnavailable(
                f"The audio stream did not open within {limit:.0f} s."
            ) from None

    async def watch(self) -> None:
        """Poll the call state while connected; an outage is reported once, then ridden out.

        Returns (after closing the stream) once the server says the call has ended.
        """
        poller = self._poller
        last: str | None = None
        failing = False
        while True:
            try:
                info = await poller.fetch()
            except Exception as exc:  # any failure, not only ours: the watcher must live on
                if not failing:  # the stream goes on; polling resumes when it can
                    self._news.error(_as_call_state_error(exc))
                failing = True
                await self._sleep(max(poller.interval_s, CALL_STATE_RETRY_S))
                continue
            if failing:
                self._news.event("call_state_restored")
                failing = False
            if info.status != last:
                self._news.event("call_state", status=info.status)
                last = info.status
            self._facts.note_status(info.status)
            if self._facts.ended:
                await self.close_stream()
                return
            await self._sleep(poller.interval_s)

    async def close_stream(self) -> None:
        """Close the current stream, if any; its async iteration then ends."""
        if self.stream is not None:
            with contextlib.suppress(Exception):
                await self.stream.close()

    async def aclose(self) -> None:
        """Close the stream, the poller's and the token provider's HTTP clients."""
        await self.close_stream()
        await self._poller.aclose()
        await self._tokens.aclose()

    def _on_retry(self, err: Exception, delay_s: float) -> None:
        said = {"message": err.message} if isinstance(err, CXoneError) else {}
        self._news.event("retry", error=type(err).__name__, delay_s=delay_s, **said)


def _as_call_state_error(exc: Exception) -> CXoneError:
    """Ours as it is; anything else (a bug, a library's surprise) reported as a poller failure."""
    if isinstance(exc, CXoneError):
        return exc
    log.error("the call-state poller failed; restarting it", exc_info=exc)
    return CallStateError(
        f"The call-state poller failed ({type(exc).__name__}); polling restarts shortly "
        "and the stream goes on."
    )
