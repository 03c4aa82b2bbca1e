"""One list of what counts as a secret, and the scrubbers built on it.

The log filter (`cxone/log_redaction.py`), URL redaction (`cxone/endpoints.py`) and the
session files (`session/session_format.py`) all ask this module, so a name added here is
hidden everywhere at once. Matching is by name, case-insensitive, on any part of it:
`client_secret`, `X-Api-Key` and `refresh_token` are secret; `token_in` names a setting.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

REDACTED = "***"
#: What `redact` puts in place of containers nested deeper than it walks.
TOO_DEEP = "…(nested too deeply)"
#: How deep `redact` walks; far beyond any document the app writes.
MAX_DEPTH = 64

#: Parts of a field, header or query name whose value is a credential.
SECRET_NAME_PARTS = (
    "token",
    "secret",
    "password",
    "passwd",
    "passphrase",
    "authorization",
    "authorisation",
    "api_key",
    "api-key",
    "apikey",
    "credential",
    "cookie",
)
#: In a URL's query or fragment more names carry credentials (OAuth codes, signed URLs).
URL_SECRET_NAME_PARTS = (*SECRET_NAME_PARTS, "pwd", "key", "sig", "auth", "code", "bearer")
#: Names that contain a secret part but name a setting, not a credential.
PUBLIC_NAMES = frozenset({"token_in"})

_NAME = r"[A-Za-z0-9_.-]*(?:{})[A-Za-z0-9_.-]*".format(
    "|".join(re.escape(p) for p in SECRET_NAME_PARTS)
)
#: `name=value` in a query string, a form body or free text.
_ASSIGNMENT_RE = re.compile(rf"(?<![A-Za-z0-9_.-])({_NAME})=([^&\s\"'#]+)", re.IGNORECASE)
#: `"name": "value"` in JSON quoted inside a message (an error body, a logged response).
_JSON_PAIR_RE = re.compile(rf'("({_NAME})"\s*:\s*")((?:[^"\\]|\\.)*)(")', re.IGNORECASE)
_AUTH_SCHEME_RE = re.compile(r"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+")


def is_secret_name(name: str, *, in_url: bool = False) -> bool:
    """Whether a value stored under `name` must never be shown."""
    lowered = name.lower()
    if lowered in PUBLIC_NAMES:
        return False
    parts = URL_SECRET_NAME_PARTS if in_url else SECRET_NAME_PARTS
    return any(p in lowered for p in parts)


def redact_text(text: str) -> str:
    """The text with `name=value`, `"name": "value"` and Bearer/Basic credentials as ***."""
    text = _ASSIGNMENT_RE.sub(_assignment, text)
    text = _JSON_PAIR_RE.sub(_json_pair, text)
    return _AUTH_SCHEME_RE.sub(rf"\1 {REDACTED}", text)


def redact(value: Any, *, max_depth: int = MAX_DEPTH) -> Any:
    """A copy of `value` with anything named like a secret replaced by "***".

    Mappings are matched by key, recursively; strings go through `redact_text`. Other
    values are returned as they are. Below `max_depth` levels a container becomes
    TOO_DEEP: a server's document nested 900 deep must not overflow the stack here.
    """
    if isinstance(value, Mapping | list | tuple) and max_depth <= 0:
        return TOO_DEEP
    if isinstance(value, Mapping):
        return {
            str(k): REDACTED if is_secret_name(str(k)) else redact(v, max_depth=max_depth - 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v, max_depth=max_depth - 1) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def _assignment(match: re.Match[str]) -> str:
    name = match.group(1)
    return match.group(0) if name.lower() in PUBLIC_NAMES else f"{name}={REDACTED}"


def _json_pair(match: re.Match[str]) -> str:
    if match.group(2).lower() in PUBLIC_NAMES:
        return match.group(0)
    return f"{match.group(1)}{REDACTED}{match.group(4)}"
