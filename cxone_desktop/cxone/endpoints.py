"""Where the CXone endpoints are, and the URL rules: validation, escaping, redaction.

Everything here is pure string work, checked before any network call so that a bad
tenant, base URL or call ID is reported against the field the user typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

from cxone_desktop.errors import InputError
from cxone_desktop.redaction import is_secret_name

_TENANT_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_CALL_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~:@+=-]*$")
CALL_ID_MAX_LEN = 128
_PATH_KEYS = ("token_path", "stream_path", "call_state_path")


@dataclass(frozen=True)
class Endpoints:
    """The tenant's base URL plus the three paths the client uses.

    `stream_path` holds `{callId}`, `call_state_path` holds `{interactionId}`.
    """

    base_url: str
    token_path: str = "/oauth2/token"
    stream_path: str = "/agent/voice/{callId}/stream"
    call_state_path: str = "/api/v2/interactions/{interactionId}/call"

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", _normalize_base_url(self.base_url))
        for key, placeholder in (
            ("token_path", None),
            ("stream_path", "{callId}"),
            ("call_state_path", "{interactionId}"),
        ):
            path = getattr(self, key)
            if not isinstance(path, str) or not path.startswith("/"):
                raise InputError(key, "the path must start with '/'.")
            if any(c.isspace() or c in "?#" for c in path):
                raise InputError(key, "the path must not contain spaces, '?' or '#'.")
            if placeholder is not None and placeholder not in path:
                raise InputError(key, f"the path must contain {placeholder}.")

    @classmethod
    def from_input(
        cls, *, tenant: str | None = None, base_url: str | None = None, **paths: str | None
    ) -> Endpoints:
        """Build from what the user typed: a tenant name or a base URL (exactly one).

        Path overrides that are None keep their defaults.
        """
        unknown = set(paths) - set(_PATH_KEYS)
        if unknown:
            raise TypeError(f"unknown endpoint path(s): {', '.join(sorted(unknown))}")
        overrides = {k: v for k, v in paths.items() if v is not None}
        tenant = tenant.strip() if tenant else None
        base_url = base_url.strip() if base_url else None
        if tenant and base_url:
            raise InputError("tenant", "give either a tenant or a base URL, not both.")
        if base_url:
            return cls(base_url=base_url, **overrides)
        if not tenant:
            raise InputError("tenant", "enter the tenant name (or a base URL).")
        return cls(base_url=f"https://{validate_tenant(tenant)}.niceincontact.com", **overrides)

    @property
    def token_url(self) -> str:
        return self.base_url + self.token_path

    @property
    def secure(self) -> bool:
        """True when the base URL is https (and the stream wss)."""
        return self.base_url.startswith("https://")

    def stream_url(self, call_id: str) -> str:
        """The WebSocket URL for a call: ws for http, wss for https; the ID is escaped."""
        path = self.stream_path.replace("{callId}", _escape(call_id))
        ws_base = ("wss://" if self.secure else "ws://") + self.base_url.split("://", 1)[1]
        return ws_base + path

    def call_state_url(self, call_id: str) -> str:
        return self.base_url + self.call_state_path.replace("{interactionId}", _escape(call_id))


def validate_tenant(tenant: str) -> str:
    """A tenant is one DNS label (letters, digits, hyphens); returned lower-cased."""
    t = tenant.strip().lower()
    if "://" in t or "." in t or "/" in t:
        raise InputError(
            "tenant",
            "enter only the tenant name (the part before .niceincontact.com), "
            "or a full base URL starting with https:// (--base-url on the command line).",
        )
    if not _TENANT_RE.match(t):
        raise InputError(
            "tenant",
            "a tenant name is 1 to 63 letters, digits or hyphens, "
            "and does not start or end with a hyphen.",
        )
    return t


def validate_call_id(call_id: str) -> str:
    """Check a call (interaction) ID and return it stripped.

    Allowed: letters, digits and `. _ ~ : @ + = -`, starting with a letter or digit,
    at most 128 characters, so the ID is one clean path segment on every server.
    """
    if not isinstance(call_id, str) or not call_id.strip():
        raise InputError("call_id", "enter the call (interaction) ID.")
    cid = call_id.strip()
    if len(cid) > CALL_ID_MAX_LEN:
        raise InputError("call_id", f"a call ID is at most {CALL_ID_MAX_LEN} characters.")
    if not _CALL_ID_RE.match(cid):
        raise InputError(
            "call_id",
            "a call ID starts with a letter or digit and holds only letters, digits "
            "and . _ ~ : @ + = - (no spaces or slashes).",
        )
    return cid


def redact_url(url: str) -> str:
    """The URL with any credential in it replaced by `***`, for logs and messages.

    Covers `access_token` and any query or fragment key that looks token-ish
    (token, secret, key, signature, code, ...) plus a password in the user info.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:***@{host}" if ":" in userinfo else f"***@{host}"
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            parts.path,
            _redact_query(parts.query),
            _redact_query(parts.fragment),
        )
    )


def _redact_query(query: str) -> str:
    if not query:
        return query
    out = []
    for item in query.split("&"):
        key, sep, _value = item.partition("=")
        if sep and is_secret_name(unquote_plus(key), in_url=True):
            out.append(f"{key}=***")
        else:
            out.append(item)
    return "&".join(out)


def _escape(call_id: str) -> str:
    return quote(validate_call_id(call_id), safe="")


def _normalize_base_url(base_url: str) -> str:
    """Validate a base URL and return it as scheme://host[:port][/prefix] with no trailing /."""
    if not isinstance(base_url, str) or not base_url.strip():
        raise InputError("base_url", "enter a base URL such as https://acme.niceincontact.com.")
    raw = base_url.strip()
    if any(c.isspace() or ord(c) < 0x20 for c in raw):
        raise InputError("base_url", "the base URL must not contain spaces.")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise InputError("base_url", "the base URL could not be parsed (check the port).") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InputError("base_url", "the base URL must start with http:// or https://.")
    if "@" in parts.netloc:
        raise InputError("base_url", "the base URL must not contain a user name or password.")
    host = parts.hostname
    if not host:
        raise InputError("base_url", "the base URL has no host name.")
    if parts.query or parts.fragment or raw.endswith(("?", "#")):
        raise InputError("base_url", "the base URL must not have a query (?) or fragment (#).")
    if port == 0:
        raise InputError("base_url", "port 0 is not a usable port.")
    host_out = f"[{host}]" if ":" in host else host
    netloc = host_out if port is None else f"{host_out}:{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"
