"""The relay's settings from a TOML file, the environment and the command line (in rising order).

A platform whose credentials are not configured has its ingest path refused, so a
relay never takes audio from anyone by accident. Secrets come from files or
environment variables (`*_file`, `*_env` keys); literal values in argv are warned
about (see secret_source.py).
"""

from __future__ import annotations

import argparse
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxone_desktop.errors import InputError
from cxone_desktop.relay.client_rules import ClientRule, rule_from_argument, rule_from_table
from cxone_desktop.relay.secret_source import resolve_secret

DEFAULT_CONTACT_ID_FIELDS = ("contactId", "ContactId", "contactID", "callId")
DEFAULT_AGENT_ID_FIELDS = ("agentId", "AgentId", "agentID")
DEFAULT_AUDIO_FIELDS = ("audio", "payload", "media", "data")
ENV = {
    "audiohook_api_key": "RELAY_AUDIOHOOK_API_KEY",
    "audiohook_client_secret": "RELAY_AUDIOHOOK_CLIENT_SECRET",
    "cxone_auth_header": "RELAY_CXONE_AUTH_HEADER",
    "twilio_auth_token": "RELAY_TWILIO_AUTH_TOKEN",
}


@dataclass(frozen=True)
class AudioHookSettings:
    """One AudioHook integration: its API key and (optional) client secret, base64 as Genesys
    shows it. Without a secret, unsigned connections with the right key are accepted."""

    api_key: str = field(repr=False)
    client_secret: bytes | None = field(default=None, repr=False)
    max_signature_age_s: float = 10.0


@dataclass(frozen=True)
class CXoneSettings:
    auth_header: tuple[str, str] | None = field(default=None, repr=False)  # (name, value)
    contact_id_fields: tuple[str, ...] = DEFAULT_CONTACT_ID_FIELDS
    agent_id_fields: tuple[str, ...] = DEFAULT_AGENT_ID_FIELDS
    audio_fields: tuple[str, ...] = DEFAULT_AUDIO_FIELDS
    hold_grace_s: float = 30.0


@dataclass(frozen=True)
class TwilioSettings:
    auth_token: str | None = field(default=None, repr=False)
    public_url: str | None = None  # the URL Twilio signs, when a proxy changes scheme or host


@dataclass(frozen=True)
class RelayConfig:
    host: str = "127.0.0.1"
    port: int = 0
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_self_signed: bool = False
    audiohook: AudioHookSettings | None = None
    cxone: CXoneSettings = field(default_factory=CXoneSettings)
    twilio: TwilioSettings = field(default_factory=TwilioSettings)
    clients: tuple[ClientRule, ...] = ()
    bus_url: str | None = None
    token_ttl_s: float = 3600.0
    listener_queue_frames: int = 50
    align_wait_ms: float = 100.0
    ended_retention_s: float = 300.0
    auth_failure_delay_s: float = 0.5

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise InputError("listen", "the port must be between 0 and 65535")
        if bool(self.tls_cert) != bool(self.tls_key):
            raise InputError("tls-cert", "--tls-cert and --tls-key go together")
        if self.tls_self_signed and self.tls_cert:
            raise InputError(
                "tls-self-signed", "use either --tls-self-signed or --tls-cert/--tls-key"
            )
        for name in ("token_ttl_s", "align_wait_ms", "ended_retention_s", "auth_failure_delay_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise InputError(name, "must be a number >= 0")
        if self.listener_queue_frames < 1:
            raise InputError("listener_queue_frames", "must be at least 1")
        if not (math.isfinite(self.cxone.hold_grace_s) and self.cxone.hold_grace_s >= 0):
            raise InputError("cxone.hold_grace_s", "must be a number >= 0")
        ids = [c.client_id for c in self.clients]
        if len(set(ids)) != len(ids):
            raise InputError("client", "a client ID is listed twice")
        if self.bus_url is not None and not self.bus_url.startswith(("redis://", "rediss://")):
            raise InputError("bus", "the bus URL must start with redis:// or rediss://")

    def client(self, client_id: str) -> ClientRule | None:
        return next((c for c in self.clients if c.client_id == client_id), None)

    def summary(self) -> list[str]:
        """Human lines for `--check-config` and the banner: what is enabled, no secret values."""
        ah = (
            "off (no API key)"
            if self.audiohook is None
            else ("on, signatures required" if self.audiohook.client_secret else "on, API key only")
        )
        cx = "on" if self.cxone.auth_header else "off (no auth header)"
        tw = "on" if self.twilio.auth_token else "off (no auth token)"
        return [
            f"  ingest audiohook: {ah}",
            f"  ingest cxone:     {cx}; contact ID from {', '.join(self.cxone.contact_id_fields)};"
            f" hold grace {self.cxone.hold_grace_s:g} s",
            f"  ingest twilio:    {tw}",
            f"  listener clients: {', '.join(c.client_id for c in self.clients) or 'none'}",
            f"  bus:              {self.bus_url or 'none (single instance)'}",
        ]


def parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise InputError("listen", f"use HOST:PORT, not {text!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


def load_config(
    args: argparse.Namespace | None = None,
    *,
    path: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> RelayConfig:
    """Merge the TOML file (if any), environment variables and `relay` arguments."""
    env = dict(os.environ if environ is None else environ)
    toml_path = path or (Path(args.config) if args is not None and args.config else None)
    doc: dict[str, Any] = {}
    if toml_path is not None:
        try:
            doc = tomllib.loads(toml_path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError("config", f"cannot read {toml_path}: {exc.strerror}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise InputError("config", f"{toml_path} is not valid TOML: {exc}") from exc
    a = args or argparse.Namespace()

    def arg(name: str) -> Any:
        return getattr(a, name, None)

    listen = doc.get("listen", {})
    host, port = "127.0.0.1", 0
    if isinstance(listen.get("address"), str):
        host, port = parse_listen(listen["address"])
    if arg("listen"):
        host, port = parse_listen(arg("listen"))
    tls = doc.get("tls", {})
    relay = doc.get("relay", {})

    clients = [
        rule_from_table(t, _secret(f"client {t.get('id')}", t, "secret", env).value)
        for t in doc.get("client", [])
    ]
    clients += [rule_from_argument(c) for c in arg("client") or []]
    if arg("client"):
        resolve_secret("--client", value="x", argv=True)  # the warning, once

    return RelayConfig(
        host=host,
        port=port,
        tls_cert=_path(arg("tls_cert") or tls.get("cert")),
        tls_key=_path(arg("tls_key") or tls.get("key")),
        tls_self_signed=bool(arg("tls_self_signed") or tls.get("self_signed", False)),
        audiohook=_audiohook(doc.get("audiohook", {}), a, env),
        cxone=_cxone(doc.get("cxone", {}), a, env),
        twilio=_twilio(doc.get("twilio", {}), a, env),
        clients=tuple(clients),
        bus_url=arg("bus") or doc.get("bus", {}).get("url"),
        token_ttl_s=float(relay.get("token_ttl_s", 3600.0)),
        listener_queue_frames=int(relay.get("listener_queue_frames", 50)),
        align_wait_ms=float(relay.get("align_wait_ms", 100.0)),
        ended_retention_s=float(relay.get("ended_retention_s", 300.0)),
    )


def _path(value: object) -> Path | None:
    return Path(str(value)) if value else None


def _secret(name: str, table: Mapping[str, Any], key: str, env: dict[str, str]) -> Any:
    found = resolve_secret(
        name,
        value=table.get(key),
        env=table.get(f"{key}_env"),
        file=table.get(f"{key}_file"),
        environ=env,
    )
    if found is None:
        raise InputError(name, f"set {key}_file, {key}_env or {key}")
    return found


def _layered(
    name: str,
    table: Mapping[str, Any],
    key: str,
    argv_value: str | None,
    env: dict[str, str],
    env_name: str,
) -> str | None:
    """argv, else the well-known environment variable, else the file's table."""
    if argv_value:
        found = resolve_secret(name, value=argv_value, argv=True)
    elif env.get(env_name):
        found = resolve_secret(name, env=env_name, environ=env)
    elif any(k in table for k in (key, f"{key}_env", f"{key}_file")):
        found = _secret(name, table, key, env)
    else:
        return None
    return None if found is None else str(found.value)


def _audiohook(
    table: Mapping[str, Any], a: argparse.Namespace, env: dict[str, str]
) -> AudioHookSettings | None:
    api_key = _layered(
        "audiohook-api-key",
        table,
        "api_key",
        getattr(a, "audiohook_api_key", None),
        env,
        ENV["audiohook_api_key"],
    )
    secret_b64 = _layered(
        "audiohook-client-secret",
        table,
        "client_secret",
        getattr(a, "audiohook_client_secret", None),
        env,
        ENV["audiohook_client_secret"],
    )
    if api_key is None:
        if secret_b64 is not None:
            raise InputError(
                "audiohook-client-secret", "an AudioHook client secret needs its API key"
            )
        return None
    secret: bytes | None = None
    if secret_b64 is not None:
        import base64
        import binascii

        try:
            secret = base64.b64decode(secret_b64, validate=True)
        except binascii.Error as exc:
            raise InputError(
                "audiohook-client-secret", "the client secret must be base64, as Genesys shows it"
            ) from exc
    return AudioHookSettings(
        api_key=api_key,
        client_secret=secret,
        max_signature_age_s=float(table.get("max_signature_age_s", 10.0)),
    )


def _cxone(table: Mapping[str, Any], a: argparse.Namespace, env: dict[str, str]) -> CXoneSettings:
    header_text = _layered(
        "cxone-auth-header",
        table,
        "auth_header",
        getattr(a, "cxone_auth_header", None),
        env,
        ENV["cxone_auth_header"],
    )
    header: tuple[str, str] | None = None
    if header_text is not None:
        name, sep, value = header_text.partition(":")
        if not sep or not name.strip() or not value.strip():
            raise InputError("cxone-auth-header", 'use "Name: value"')
        header = (name.strip(), value.strip())

    def fields(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = table.get(key, list(default))
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise InputError(f"cxone.{key}", "must be a non-empty list of field names")
        return tuple(value)

    return CXoneSettings(
        auth_header=header,
        contact_id_fields=fields("contact_id_fields", DEFAULT_CONTACT_ID_FIELDS),
        agent_id_fields=fields("agent_id_fields", DEFAULT_AGENT_ID_FIELDS),
        audio_fields=fields("audio_fields", DEFAULT_AUDIO_FIELDS),
        hold_grace_s=float(table.get("hold_grace_s", 30.0)),
    )


def _twilio(table: Mapping[str, Any], a: argparse.Namespace, env: dict[str, str]) -> TwilioSettings:
    token = _layered(
        "twilio-auth-token",
        table,
        "auth_token",
        getattr(a, "twilio_auth_token", None),
        env,
        ENV["twilio_auth_token"],
    )
    public_url = table.get("public_url")
    if public_url is not None and not str(public_url).startswith(("ws://", "wss://")):
        raise InputError("twilio.public_url", "must be the ws:// or wss:// URL given in TwiML")
    return TwilioSettings(auth_token=token, public_url=public_url)
