"""The connect form's remembered fields in QSettings (never the secret: that is the keyring's)."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from cxone_desktop.ui.connect_model import ConnectValues

GROUP = "connect"


def load_values(settings: QSettings) -> tuple[ConnectValues, bool]:
    """The remembered fields (secret empty), and whether the secret was to be remembered."""
    s = settings
    s.beginGroup(GROUP)
    try:
        values = ConnectValues(
            location=str(s.value("location", "")),
            client_id=str(s.value("client_id", "")),
            call_id=str(s.value("call_id", "")),
            auth_style=str(s.value("auth_style", "json")),
            scope=str(s.value("scope", "")),
            token_in=str(s.value("token_in", "query")),
            verify_tls=as_bool(s.value("verify_tls", True)),
            ca_file=str(s.value("ca_file", "")),
            poll_interval_s=float(s.value("poll_interval_s", 2.0)),  # type: ignore[arg-type]
            encoding=str(s.value("encoding", "pcm16")),
            playout_mode=str(s.value("playout_mode", "low-delay")),
            save_trace=as_bool(s.value("save_trace", False)),
        )
        remember = as_bool(s.value("remember_secret", False))
    finally:
        s.endGroup()
    return values, remember


def save_values(settings: QSettings, values: ConnectValues, *, remember_secret: bool) -> None:
    """Remember every field but the secret."""
    s = settings
    s.beginGroup(GROUP)
    try:
        for key in ("location", "client_id", "call_id", "auth_style", "scope", "token_in",
                    "verify_tls", "ca_file", "poll_interval_s", "encoding", "playout_mode",
                    "save_trace"):  # fmt: skip
            s.setValue(key, getattr(values, key))
        s.setValue("remember_secret", remember_secret)
    finally:
        s.endGroup()
    s.sync()


def as_bool(value: object) -> bool:
    """QSettings gives 'true'/'false' strings from INI files and bools from the registry."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)
