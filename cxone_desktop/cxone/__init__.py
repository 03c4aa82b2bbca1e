"""The CXone platform client: the only code that knows the wire.

Endpoints and settings are validated on construction; `TokenProvider` gets and
caches OAuth tokens; `VoiceStream` yields the call's audio and control messages;
`CallStatePoller` reads the call's state; `CallDirectory` lists the live calls where the
server keeps such a list (the relay, the simulator). Errors are those of `cxone_desktop.errors`.
"""

from cxone_desktop.cxone.call_directory import CallDirectory, ListedCall
from cxone_desktop.cxone.call_state import CallInfo, CallStatePoller, CallStatus
from cxone_desktop.cxone.control_event import ControlEvent, ControlKind
from cxone_desktop.cxone.endpoints import Endpoints, redact_url, validate_call_id
from cxone_desktop.cxone.settings import (
    AuthSettings,
    AuthStyle,
    Credentials,
    RetryPolicy,
    StreamSettings,
    TlsSettings,
    TokenTransport,
)
from cxone_desktop.cxone.token_provider import AccessToken, TokenProvider
from cxone_desktop.cxone.voice_stream import CloseKind, StreamEnd, VoiceStream

__all__ = [
    "AccessToken",
    "AuthSettings",
    "AuthStyle",
    "CallDirectory",
    "CallInfo",
    "CallStatePoller",
    "CallStatus",
    "CloseKind",
    "ControlEvent",
    "ControlKind",
    "Credentials",
    "Endpoints",
    "ListedCall",
    "RetryPolicy",
    "StreamEnd",
    "StreamSettings",
    "TlsSettings",
    "TokenProvider",
    "TokenTransport",
    "VoiceStream",
    "redact_url",
    "validate_call_id",
]
