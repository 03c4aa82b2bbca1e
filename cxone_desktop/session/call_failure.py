"""What an exception out of a call means for its result, and what the user is told.

The session catches everything so its files are always finalized; this sorts what it
caught: a call that had already ended is a normal end, an auth refusal and a stream
that failed past its retries are the user's to fix, anything else is a bug.
"""

from __future__ import annotations

import logging

from cxone_desktop.errors import AuthError, CallAlreadyEnded, CXoneError, InternalError
from cxone_desktop.session.session_news import SessionNews
from cxone_desktop.session.session_result import Outcome

log = logging.getLogger(__name__)


def call_failure(exc: Exception, news: SessionNews) -> tuple[Outcome, CXoneError | None]:
    """The outcome and the error for the result (None: no failure), said once via `news`."""
    if isinstance(exc, CallAlreadyEnded):
        news.event("call_already_ended", message=exc.message)
        return "ended", None  # a normal end, not a failure
    if isinstance(exc, AuthError):
        news.error(exc)
        return "auth_failed", exc
    if isinstance(exc, CXoneError):  # transient errors past their retries included
        news.error(exc)
        return "stream_failed", exc
    log.error("the session failed", exc_info=exc)  # a bug: finalize honestly, not crash
    error = InternalError(
        f"An internal error stopped the session ({type(exc).__name__}: {exc!s:.200})."
    )
    news.error(error)
    return "failed", error
