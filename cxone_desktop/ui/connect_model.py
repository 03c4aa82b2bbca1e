"""What the connect form holds, how it is checked, and how it becomes a SessionConfig.

The form widget only draws; every rule lives here so it is tested without Qt,
and this is the only ui module besides the controller that knows `cxone/`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

from cxone_desktop.core.dsp import DspSettings
from cxone_desktop.core.listen_mode import ListenMode
from cxone_desktop.cxone.endpoints import Endpoints, validate_call_id
from cxone_desktop.cxone.settings import AuthSettings, Credentials, StreamSettings, TlsSettings
from cxone_desktop.errors import InputError
from cxone_desktop.session.call_list_feed import DirectorySource
from cxone_desktop.session.config import POLL_INTERVAL_MAX_S, POLL_INTERVAL_MIN_S, SessionConfig

AUTH_STYLES = ("json", "form", "basic")
TOKEN_TRANSPORTS = ("query", "header")
ENCODINGS = ("pcm16", "mulaw", "alaw")

#: Field names the form shows messages for (an InputError.field maps onto one of them).
FORM_FIELDS = ("location", "client_id", "client_secret", "call_id", "ca_file", "poll_interval")
_FIELD_ALIASES = {"tenant": "location", "base_url": "location"}


@dataclass(frozen=True)
class ConnectValues:
    """Everything typed into the form; `client_secret` never leaves memory except to keyring."""

    location: str = ""  # a tenant name or a base URL
    client_id: str = ""
    client_secret: str = ""
    call_id: str = ""
    auth_style: str = "json"
    scope: str = ""  # space separated; empty sends none (the seed's way)
    token_in: str = "query"
    verify_tls: bool = True
    ca_file: str = ""
    poll_interval_s: float = 2.0
    encoding: str = "pcm16"
    playout_mode: str = "low-delay"  # or "quality"
    save_trace: bool = False

    def __repr__(self) -> str:  # the secret must not reach a log through repr
        shown = ", ".join(
            f"{f.name}={'***' if f.name == 'client_secret' else getattr(self, f.name)!r}"
            for f in fields(self)
        )
        return f"ConnectValues({shown})"

    def without_secret(self) -> ConnectValues:
        return replace(self, client_secret="")


def endpoints_for(location: str) -> Endpoints:
    """A base URL when the text has a scheme (`http://…`, `https://…`), else a tenant name."""
    text = location.strip()
    if "://" in text:
        return Endpoints.from_input(base_url=text)
    return Endpoints.from_input(tenant=text)


def validate(values: ConnectValues) -> dict[str, str]:
    """Message per invalid field; empty when the form may connect."""
    errors: dict[str, str] = {}

    def check(name: str, fn: object) -> None:
        try:
            fn()  # type: ignore[operator]
        except InputError as exc:
            field = _FIELD_ALIASES.get(exc.field, exc.field)
            errors.setdefault(field if field in FORM_FIELDS else name, _message(exc))

    check("location", lambda: endpoints_for(values.location))
    if not values.client_id.strip():
        errors["client_id"] = "Enter the OAuth client ID."
    if not values.client_secret:
        errors["client_secret"] = "Enter the OAuth client secret."
    check("call_id", lambda: validate_call_id(values.call_id))
    if values.ca_file.strip():
        check("ca_file", lambda: TlsSettings(ca_file=values.ca_file.strip()))
    if not POLL_INTERVAL_MIN_S <= values.poll_interval_s <= POLL_INTERVAL_MAX_S:  # NaN fails
        errors["poll_interval"] = (
            f"Between {POLL_INTERVAL_MIN_S:g} and {POLL_INTERVAL_MAX_S:g} seconds."
        )
    return errors


def directory_source(values: ConnectValues) -> DirectorySource | None:
    """Where the call picker asks for live calls, or None while the form cannot say."""
    if not values.client_id.strip() or not values.client_secret:
        return None
    try:
        return DirectorySource(
            endpoints=endpoints_for(values.location),
            credentials=Credentials(values.client_id, values.client_secret),
            auth=AuthSettings(style=values.auth_style, scope=values.scope or None),  # type: ignore[arg-type]
            tls=TlsSettings(verify=values.verify_tls, ca_file=values.ca_file.strip() or None),
        )
    except InputError:
        return None


def to_session_config(
    values: ConnectValues,
    *,
    dsp: DspSettings,
    out_dir: Path | None = None,
    customer_dsp: DspSettings | None = None,
    channels: ListenMode = "mixed",
    two_party: bool | None = None,
) -> SessionConfig:
    """The session's configuration; raises InputError naming the first bad field.

    `two_party` is what the call picker knew about the call (None: ask the server).
    """
    return SessionConfig(
        endpoints=endpoints_for(values.location),
        call_id=values.call_id,
        credentials=Credentials(values.client_id, values.client_secret),
        auth=AuthSettings(style=values.auth_style, scope=values.scope or None),  # type: ignore[arg-type]
        tls=TlsSettings(verify=values.verify_tls, ca_file=values.ca_file.strip() or None),
        stream=StreamSettings(token_in=values.token_in),  # type: ignore[arg-type]
        dsp=dsp,
        encoding=values.encoding,  # type: ignore[arg-type]
        out_dir=out_dir,
        poll_interval_s=values.poll_interval_s,
        customer_dsp=customer_dsp,
        channels=channels,
        two_party=two_party,
        playout_mode=values.playout_mode,
        save_trace=values.save_trace,
    )


def values_from_environment(base: ConnectValues) -> ConnectValues:
    """Fill blanks from CXONE_TENANT, CXONE_CLIENT_ID, CXONE_CLIENT_SECRET, CXONE_CALL_ID."""
    env = os.environ
    return replace(
        base,
        location=base.location or env.get("CXONE_TENANT", ""),
        client_id=base.client_id or env.get("CXONE_CLIENT_ID", ""),
        client_secret=base.client_secret or env.get("CXONE_CLIENT_SECRET", ""),
        call_id=base.call_id or env.get("CXONE_CALL_ID", ""),
    )


def _message(exc: InputError) -> str:
    """The InputError text without its `field: ` prefix, capitalised."""
    text = exc.message
    prefix = f"{exc.field}: "
    if text.startswith(prefix):
        text = text[len(prefix) :]
    return text[:1].upper() + text[1:]
