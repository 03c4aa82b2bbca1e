"""A stop cuts short whatever the session waits for; an exception out of a call becomes an
outcome, an error for the result and one thing said to the user."""

from __future__ import annotations

import asyncio
import logging

import pytest

from cxone_desktop.errors import (
    CallAlreadyEnded,
    CXoneError,
    InternalError,
    InvalidCredentials,
    TransientError,
)
from cxone_desktop.session.call_decision import CallFacts
from cxone_desktop.session.call_failure import call_failure
from cxone_desktop.session.observer import SessionEvent, SessionObserver
from cxone_desktop.session.session_news import SessionNews
from cxone_desktop.session.stop_request import Stopped, StopRequest


async def test_a_wait_nobody_stops_returns_its_result() -> None:
    stop = StopRequest(CallFacts())

    async def answer() -> int:
        return 2

    assert await stop.until_stopped(answer()) == 2


async def test_a_stop_cancels_the_wait_and_keeps_the_first_reason() -> None:
    facts = CallFacts()
    stop = StopRequest(facts)
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def forever() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()

    async def stop_once_waiting() -> None:
        await started.wait()
        stop.request("stopped by the user")
        stop.request("--duration 5 s reached")

    stopper = asyncio.create_task(stop_once_waiting())
    with pytest.raises(Stopped):
        await stop.until_stopped(forever())
    await stopper
    assert cancelled.is_set() and facts.stop_reason == "stopped by the user"


class _Heard(SessionObserver):
    def __init__(self) -> None:
        self.errors: list[CXoneError] = []
        self.events: list[str] = []

    def on_error(self, error: CXoneError) -> None:
        self.errors.append(error)

    def on_event(self, event: SessionEvent) -> None:
        self.events.append(str(event["kind"]))


def _news() -> tuple[SessionNews, _Heard]:
    news, heard = SessionNews(), _Heard()
    news.observers.append(heard)
    return news, heard


def test_a_call_that_had_already_ended_is_a_normal_end() -> None:
    news, heard = _news()
    ended = CallAlreadyEnded("Call c-1 has ended; there is nothing to stream (410).", status=410)
    assert call_failure(ended, news) == ("ended", None)
    assert heard.events == ["call_already_ended"] and heard.errors == []


@pytest.mark.parametrize(
    ("exc", "outcome"),
    [(InvalidCredentials("refused"), "auth_failed"), (TransientError("5 tries"), "stream_failed")],
)
def test_the_users_errors_are_reported_as_they_are(exc: CXoneError, outcome: str) -> None:
    news, heard = _news()
    assert call_failure(exc, news) == (outcome, exc)
    assert heard.errors == [exc]


def test_a_bug_becomes_an_internal_error_with_its_traceback_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    news, heard = _news()
    with caplog.at_level(logging.ERROR):
        outcome, error = call_failure(KeyError("frames"), news)
    assert outcome == "failed" and isinstance(error, InternalError)
    assert "KeyError" in error.message and heard.errors == [error]
    assert any(r.exc_info and r.exc_info[0] is KeyError for r in caplog.records)
