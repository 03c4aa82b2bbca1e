"""Turns session errors and events into the plain words the error banner shows.

Kept apart from the widgets so the wording is tested without Qt. Never puts a
token or secret in the text: only the error's own message, codes and counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cxone_desktop.errors import (
    AudioOutputError,
    CallAlreadyEnded,
    CXoneError,
    HandshakeRejected,
    InvalidCredentials,
    MissingScope,
    RateLimited,
    RecordingError,
    RetriesExhausted,
    ServiceUnavailable,
    StreamClosedAbnormally,
    StreamSilent,
    StreamTokenRejected,
    TokenResponseInvalid,
)

SCOPE_ADVICE = (
    "Check the client ID and secret, that the application has the 'agent:voice:stream' "
    "scope, and that the call is connected and bound to an agent."
)


@dataclass(frozen=True)
class Notice:
    """What the banner shows: a headline, what to do, and how serious it is."""

    title: str
    remedy: str
    severity: str = "error"  # "error" | "warning" | "info"
    #: A passing trouble the app is working around (a retry, a reconnect): streaming
    #: again clears it. Anything else stays until the user dismisses it.
    transient: bool = False


def describe_error(err: CXoneError) -> Notice:
    """Headline and remedy for an error the session reported; never an exception class name.

    Connection trouble the session works around (a drop, a retry, an unreachable server)
    is transient: the window clears it when streaming resumes or the user disconnects.
    """
    if isinstance(err, InvalidCredentials):
        return Notice("Sign-in refused (401): wrong client ID or secret.", SCOPE_ADVICE)
    if isinstance(err, MissingScope):
        return Notice(
            "Access denied (403): missing scope or the call is not agent-bound.",
            err.remedy or SCOPE_ADVICE,
        )
    if isinstance(err, RateLimited):
        wait = (
            f"retrying in {err.retry_after_s:.0f} s"
            if err.retry_after_s is not None
            else "retrying shortly"
        )
        return Notice(
            f"Too many requests (429): backing off, {wait}.", err.remedy, "warning", transient=True
        )
    if isinstance(err, StreamTokenRejected):
        title = err.message if str(err.status) in err.message else ""
        if not title:
            said = f" The server said: {err.reason}" if err.reason else ""
            title = f"The audio stream refused the token ({err.status}).{said}"
        return Notice(title, err.remedy or SCOPE_ADVICE)
    if isinstance(err, HandshakeRejected):
        title = err.message or f"The audio stream refused the connection ({err.status})."
        return Notice(title, err.remedy, "info" if isinstance(err, CallAlreadyEnded) else "error")
    if isinstance(err, StreamClosedAbnormally):
        return Notice(
            f"Connection dropped ({err.shown_code}): reconnecting while the call is active.",
            "Nothing to do unless it keeps happening; if the call has ended the session stops.",
            "warning",
            transient=True,
        )
    if isinstance(err, StreamSilent):
        return Notice(
            "No audio is coming although the call is up: reconnecting.",
            "Nothing to do unless it keeps happening; the app gives up after its reconnect budget.",
            "warning",
            transient=True,
        )
    if isinstance(err, RetriesExhausted):
        return Notice("Could not reconnect to the audio stream.", err.remedy)
    if isinstance(err, AudioOutputError):
        return Notice("No audio output device.", err.remedy, "warning")
    if isinstance(err, RecordingError):
        # The message names the file and the OS's reason (disk full, permission): keep it.
        return Notice(f"The recording cannot be written: {err.message}", err.remedy, "warning")
    if isinstance(err, ServiceUnavailable):
        # The message says what was tried (host, port) and why it failed (DNS, refused…).
        return Notice(err.message or "CXone is not reachable.", err.remedy, transient=True)
    if isinstance(err, TokenResponseInvalid):
        return Notice("The token endpoint answered something unexpected.", err.remedy)
    return Notice(err.message or "Something went wrong.", err.remedy)


def describe_progress(event: dict[str, Any]) -> Notice | None:
    """A banner for events the user should see while the app works around trouble."""
    kind = event.get("kind")
    delay = event.get("delay_s")
    wait = f"{float(delay):.0f} s" if isinstance(delay, int | float) else "a moment"
    if kind == "retry":
        error = event.get("error", "")
        if error == "RateLimited":
            return Notice(
                f"Too many requests (429): backing off, retrying in {wait}.",
                "Nothing to do; the server is throttling and the app waits as it asks.",
                "warning",
                transient=True,
            )
        said = str(event.get("message") or "").strip()
        headline = said if said else "A request to CXone failed."
        if not headline.endswith((".", "!", "?")):
            headline += "."
        return Notice(
            f"{headline} Retrying in {wait}.",
            "Nothing to do unless it keeps failing; check the network or the CXone status.",
            "warning",
            transient=True,
        )
    if kind == "reconnect_wait":
        return Notice(
            f"Reconnecting: attempt {event.get('attempt')} failed, next try in {wait}.",
            "The call is still up; the app keeps trying while it lasts.",
            "warning",
            transient=True,
        )
    return None


def describe_event(event: dict[str, Any]) -> tuple[str, str] | None:
    """(what, detail) for a history line about a session event, or None to skip it."""
    kind = event.get("kind")
    if kind == "retry":
        delay = event.get("delay_s")
        wait = f" in {float(delay):.1f} s" if isinstance(delay, int | float) else ""
        why = str(event.get("message") or "") or _RETRY_WORDS.get(
            str(event.get("error", "")), "a failed request"
        )
        return "Retry", f"{wait.strip()}: {why}" if wait else why
    if kind == "reconnect_wait":
        return "Reconnect", (
            f"attempt {event.get('attempt')} failed; next in {event.get('delay_s')} s"
        )
    if kind == "closed":
        code = event.get("code") or "no close frame"
        reason = event.get("reason") or ""
        return "Closed", f"{code} {reason}".strip()
    if kind == "call_state":
        return "Call", str(event.get("status"))
    if kind == "control":
        return "Control", str(event.get("name") or "unnamed message")
    if kind == "duration_reached":
        return "Duration", "reached; stopping"
    if kind == "partial_frame":
        return "Stream", f"partial frame of {event.get('bytes')} bytes dropped"
    if kind == "stall":
        return "No audio", f"nothing received for {_seconds(event.get('silent_s'))}"
    if kind == "stall_cleared":
        return "Audio back", f"after {_seconds(event.get('silent_s'))} without audio"
    if kind == "gap":
        what = "hold" if event.get("gap_kind") == "hold" else "outage"
        return "Gap", (
            f"{what} of {_seconds(event.get('duration_s'))}: at "
            f"{_position(event.get('raw_position_s'))} in raw.wav, "
            f"{_position(event.get('processed_position_s'))} in processed.wav"
        )
    return None


#: History wording for a retry event that carried no message (the error is a class name).
_RETRY_WORDS = {
    "RateLimited": "too many requests (429)",
    "ServiceUnavailable": "the server did not answer",
}


def _seconds(value: object) -> str:
    return f"{float(value):.1f} s" if isinstance(value, int | float) else "a while"


def _position(value: object) -> str:
    """`1:07.4` (minutes:seconds) of a position in a recording."""
    if not isinstance(value, int | float):
        return "?"
    minutes, seconds = divmod(max(0.0, float(value)), 60)
    return f"{int(minutes)}:{seconds:04.1f}"
