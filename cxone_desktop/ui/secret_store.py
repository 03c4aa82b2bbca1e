"""The client secret in the system keyring, only when the user ticks "Remember".

No usable backend (a headless box, no Secret Service) means we say so and store
nothing: the secret never goes to QSettings or any file of ours.
"""

from __future__ import annotations

import logging

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

SERVICE = "cxone-desktop"


def _usable(backend: KeyringBackend) -> bool:
    """False for the fail/null backends and for a chainer with nothing in it."""
    name = type(backend).__module__ + "." + type(backend).__name__
    if name.startswith(("keyring.backends.fail", "keyring.backends.null")):
        return False
    if name == "keyring.backends.chainer.ChainerBackend":
        return bool(getattr(backend, "backends", []))
    try:
        return float(backend.priority) > 0
    except Exception:
        return True


class SecretStore:
    """Load, save and forget one client secret per client ID."""

    def __init__(self, service: str = SERVICE) -> None:
        self.service = service

    def available(self) -> bool:
        try:
            return _usable(keyring.get_keyring())
        except Exception:
            return False

    def unavailable_reason(self) -> str:
        return (
            "No system keyring is available here, so the secret will not be remembered; "
            "enter it each time (or set CXONE_CLIENT_SECRET)."
        )

    def load(self, client_id: str) -> str | None:
        if not client_id or not self.available():
            return None
        try:
            return keyring.get_password(self.service, client_id)
        except keyring.errors.KeyringError as exc:
            log.warning("could not read the keyring: %s", type(exc).__name__)
            return None

    def save(self, client_id: str, secret: str) -> bool:
        """True when stored; False (and nothing stored) without a usable keyring."""
        if not client_id or not secret or not self.available():
            return False
        try:
            keyring.set_password(self.service, client_id, secret)
        except keyring.errors.KeyringError as exc:
            log.warning("could not write the keyring: %s", type(exc).__name__)
            return False
        return True

    def forget(self, client_id: str) -> None:
        if not client_id or not self.available():
            return
        try:
            keyring.delete_password(self.service, client_id)
        except keyring.errors.PasswordDeleteError:
            pass
        except keyring.errors.KeyringError as exc:
            log.warning("could not delete from the keyring: %s", type(exc).__name__)
