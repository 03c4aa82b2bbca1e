"""What a refused stream handshake means: the token, the call ID, or the call being over.

A 401 or 403 at the stream is ambiguous on its face. The server's body (an OAuth-style
`{"error": …, "message": …}`) or its `WWW-Authenticate` header says which; only a
refusal that blames the token or the credentials is an authentication problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cxone_desktop.cxone.bounded_json import loads_bounded
from cxone_desktop.errors import (
    AGENT_SCOPE,
    CallAlreadyEnded,
    CallNotFound,
    HandshakeRejected,
    ProtocolError,
    StreamTokenRejected,
)

_SNIPPET_CHARS = 200
_TOKEN_CODES = frozenset(
    {"invalid_token", "insufficient_scope", "invalid_client", "unauthorized", "expired_token"}
)
_NOT_FOUND_CODES = frozenset({"not_found", "call_not_found", "unknown_call", "no_such_call"})
_ENDED_CODES = frozenset({"call_ended", "ended", "interaction_ended"})


@dataclass(frozen=True)
class ServerRefusal:
    """The refusal as the server put it: its error code and its words (both safe to show)."""

    status: int
    code: str
    said: str
    www_authenticate: str

    @property
    def blames_token(self) -> bool:
        """The server says the token or the credentials are the problem."""
        return self.code in _TOKEN_CODES or "invalid_token" in self.www_authenticate

    @property
    def unexplained(self) -> bool:
        return not self.code and not self.said and not self.www_authenticate

    @property
    def worth_fresh_token(self) -> bool:
        """A stale token may be the cause: try once more with a fresh one."""
        return self.status in (401, 403) and (
            self.status == 401 or self.blames_token or self.unexplained
        )


def read_refusal(
    status: int, body: bytes | bytearray | None, www_authenticate: str | None, token: str
) -> ServerRefusal:
    """Parse what the server said; the token is scrubbed from anything kept."""
    text = (body or b"").decode("utf-8", "replace").strip()
    code = ""
    said = text
    try:
        data: Any = loads_bounded(text, what="the refusal") if text else None
    except ProtocolError:
        data = None
    if isinstance(data, dict):
        if isinstance(data.get("error"), str):
            code = data["error"].strip().lower()
        said = ""
        for key in ("message", "error_description", "reason", "error"):
            if isinstance(data.get(key), str):
                said = data[key]
                break
    return ServerRefusal(
        status=status,
        code=_clean(code, token)[:64],
        said=_clean(said, token)[:_SNIPPET_CHARS],
        www_authenticate=_clean(www_authenticate or "", token)[:_SNIPPET_CHARS],
    )


def rejection_error(refusal: ServerRefusal, call_id: str) -> HandshakeRejected:
    """The typed error for a refusal that no retry will fix."""
    status, said = refusal.status, refusal.said
    server = f" The server said: {said}" if said else ""
    if status == 404 or refusal.code in _NOT_FOUND_CODES:
        return CallNotFound(
            f"The server does not know call {call_id} ({status}).{server}",
            status=status,
            reason=said,
        )
    if refusal.code in _ENDED_CODES:
        return CallAlreadyEnded(
            f"Call {call_id} has ended; there is nothing to stream ({status}).{server}",
            status=status,
            reason=said,
        )
    if status == 401 or refusal.blames_token:
        scope = (
            f" The token lacks the '{AGENT_SCOPE}' scope."
            if refusal.code == "insufficient_scope"
            else ""
        )
        return StreamTokenRejected(
            f"The audio stream refused the access token ({status}), even a freshly issued "
            f"one.{scope}{server}",
            status=status,
            reason=said,
        )
    if status == 403:
        if said:
            return HandshakeRejected(
                f"The audio stream refused call {call_id} (403).{server}",
                status=status,
                reason=said,
                remedy="Do what the server's message asks, then connect again.",
            )
        return HandshakeRejected(
            f"The audio stream refused call {call_id} (403) without saying why.",
            status=status,
            remedy=(
                "Check that the call is connected and bound to an agent, and that the "
                f"application has the '{AGENT_SCOPE}' scope."
            ),
        )
    return HandshakeRejected(
        f"The audio stream refused the connection ({status}).{server}",
        status=status,
        reason=said,
        remedy="Check the base URL or tenant; if it persists, the server may be misconfigured.",
    )


def _clean(text: str, token: str) -> str:
    """Printable characters only, and never the token."""
    text = "".join(c if c.isprintable() else " " for c in text)
    return text.replace(token, "***") if token else text
