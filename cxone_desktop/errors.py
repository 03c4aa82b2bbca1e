"""Every error the app raises on purpose, in one hierarchy.

Each message tells the user what happened and what to do about it. None may
contain a token or a secret: build messages from facts (status codes, field
names, URLs passed through `redact_url`), never from credentials.

    CXoneError
    ├── InputError                    a field the user typed is wrong (names the field)
    ├── InvalidTransition             the call state machine refused a transition
    ├── AuthError                     the credentials or the token are the problem
    │   ├── InvalidCredentials        401 from the token endpoint
    │   ├── MissingScope              403: scope or call not agent-bound
    │   ├── TokenResponseInvalid      the token endpoint answered nonsense (also a ProtocolError)
    │   ├── TokenRequestRefused       the token endpoint refused the request (400 and others)
    │   └── StreamTokenRejected       the stream refused the token (also a HandshakeRejected)
    ├── TransientError                worth another try later (carries retry_after_s)
    │   ├── RateLimited               429 after all retries
    │   └── ServiceUnavailable        5xx / connect errors after all retries
    ├── StreamError
    │   ├── HandshakeRejected         the WebSocket upgrade was refused (carries status)
    │   │   ├── StreamTokenRejected   …because of the token or the credentials
    │   │   ├── CallNotFound          …because the server does not know the call
    │   │   └── CallAlreadyEnded      …because the call is over (a normal end, not a failure)
    │   ├── StreamClosedAbnormally    1006 or any close that is not 1000/1001
    │   ├── StreamSilent              no audio for a while although the call is up
    │   ├── StreamNeverOpened         --duration passed before the stream opened
    │   └── RetriesExhausted          reconnects spent while the call was still up
    ├── CallStateError                the call-state endpoint failed
    │   └── CallStateInvalid          …with a document outside the protocol (also a ProtocolError)
    ├── ProtocolError                 a server document too large, too deep or not JSON
    ├── InternalError                 a bug stopped the session; the recording is kept
    ├── CallListError                 the calls list (GET /api/v2/calls) failed
    │   └── NoCallDirectory           …because the server keeps none (404): type the call ID
    ├── TlsVerificationFailed         the server's certificate was not trusted (no retry)
    ├── RedirectRefused               a request carrying a credential was redirected (not followed)
    ├── AudioOutputError              no sound device / server; streaming carries on
    ├── RecordingError                the session folder cannot be written
    └── ReviewError                   a recorded session cannot be reviewed as asked
        ├── SessionReadError          the folder or one of its files cannot be read
        └── FormError                 an evaluation form or evaluation file is invalid
"""

from __future__ import annotations

AGENT_SCOPE = "agent:voice:stream"
VIEW_SCOPE = "interaction:view"


class CXoneError(Exception):
    """Root of every error the app raises on purpose."""

    #: A short remedy for the UI; subclasses set it.
    remedy: str = ""

    def __init__(self, message: str, *, remedy: str | None = None) -> None:
        super().__init__(message)
        if remedy is not None:
            self.remedy = remedy

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class InputError(CXoneError):
    """A value the user typed is unusable; `field` names it for the form."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", remedy=f"Correct the {field} field.")
        self.field = field


class InvalidTransition(CXoneError):
    """The call state machine refused a transition; nothing changed."""


class AuthError(CXoneError):
    """Getting or using an access token failed."""


class InvalidCredentials(AuthError):
    remedy = (
        f"Check the client ID and secret, and that the application has the '{AGENT_SCOPE}' scope."
    )


class MissingScope(AuthError):
    remedy = (
        f"Grant the application the '{AGENT_SCOPE}' and '{VIEW_SCOPE}' scopes, and make sure "
        "the call is connected and bound to an agent."
    )


class TransientError(CXoneError):
    """Another attempt may work later; `retry_after_s` is the server's hint, if it gave one."""

    def __init__(
        self, message: str, *, retry_after_s: float | None = None, remedy: str | None = None
    ) -> None:
        super().__init__(message, remedy=remedy)
        self.retry_after_s = retry_after_s


class RateLimited(TransientError):
    remedy = "Wait a moment and try again; the server is throttling."


class ProtocolError(CXoneError):
    """A server sent a document outside the protocol's limits or shape (size, nesting, JSON)."""

    remedy = (
        "The server is not behaving as CXone does: check the tenant or base URL; if it "
        "persists, report it to whoever runs that server."
    )


class TokenResponseInvalid(AuthError, ProtocolError):
    remedy = "The token endpoint is not speaking OAuth 2.0; check the tenant or base URL."


class TokenRequestRefused(AuthError):
    """The token endpoint answered with an OAuth error (or a status) no retry will fix."""

    remedy = "Check the tenant or base URL, the auth style and the scope."


class StreamError(CXoneError):
    """The voice stream failed."""


class HandshakeRejected(StreamError):
    """The upgrade was refused; `reason` is the server's own words (safe to show), if any."""

    def __init__(
        self, message: str, *, status: int, reason: str = "", remedy: str | None = None
    ) -> None:
        super().__init__(message, remedy=remedy)
        self.status = status
        self.reason = reason


class StreamTokenRejected(HandshakeRejected, AuthError):
    remedy = (
        f"Check the client ID and secret, and that the application has the '{AGENT_SCOPE}' scope."
    )


class CallNotFound(HandshakeRejected):
    remedy = "Check the call ID (and the tenant or base URL): the server does not know this call."


class CallAlreadyEnded(HandshakeRejected):
    remedy = "The call is over; its recording so far (if any) is finalized."


class StreamClosedAbnormally(StreamError):
    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(
            message, remedy="The connection dropped; reconnecting while the call lasts."
        )
        self.code = code

    @property
    def shown_code(self) -> int:
        """The close code as users know it: 1006 when no close frame came."""
        return self.code if self.code is not None else 1006


class StreamSilent(StreamError):
    remedy = "The server sent no audio although the call is up; reconnecting while it lasts."


class StreamNeverOpened(StreamError):
    remedy = "Check the network and the base URL, or give --duration more time."


class RetriesExhausted(StreamError):
    remedy = "The call may still be running: check the network and connect again."


class CallStateError(CXoneError):
    """The call-state endpoint failed."""


class CallStateInvalid(CallStateError, ProtocolError):
    remedy = ProtocolError.remedy


class InternalError(CXoneError):
    """Not the server, not the user: a bug. The session stops; its files are kept."""

    remedy = "The recording so far is kept. Please report this with the session's events.jsonl."


class CallListError(CXoneError):
    """The live calls could not be listed; typing a call ID still works."""

    remedy = "Type the call ID instead; the list is refreshed again in a few seconds."


class NoCallDirectory(CallListError):
    """The server has no calls list (404): a plain CXone tenant. The picker hides."""

    remedy = "Type the call (interaction) ID: this server does not list its calls."


class ServiceUnavailable(TransientError):
    remedy = "The CXone service or the network is down; try again later."


class TlsVerificationFailed(CXoneError):
    remedy = (
        "If the server uses a private CA, pass its certificate with --ca-file; "
        "check that the host name matches the certificate."
    )


class RedirectRefused(CXoneError):
    remedy = (
        "Point the base URL (or the path options) at the server that answers, not at one "
        "that redirects; a credential is never sent on to another server."
    )


class AudioOutputError(CXoneError):
    remedy = "Streaming and recording carry on; connect a sound device or start a sound server."


class RecordingError(CXoneError):
    remedy = "Free disk space or choose another recordings folder; streaming continues."


class ReviewError(CXoneError):
    """Reviewing a recorded session failed; nothing in the session folder was changed."""

    remedy = "Check the session folder and try again."


class SessionReadError(ReviewError):
    remedy = (
        "Open a session folder (it holds raw.wav or processed.wav); if the app crashed while "
        "recording, run `cxone-desktop repair FOLDER` first."
    )


class FormError(ReviewError):
    remedy = "Fix the form file at the place named, or pick another form."
