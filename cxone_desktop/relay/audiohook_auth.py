"""Who may push AudioHook audio: the API key, and the RFC 9421 signature when a secret is set.

Policy as the AudioHook reference server applies it: all six components covered
(`@request-target @authority audiohook-organization-id audiohook-session-id
audiohook-correlation-id x-api-key`), a nonce of at least 22 characters, keyid equal
to X-API-KEY, at most `max_signature_age_s` old. On top: a nonce is accepted once
(replay), and an unknown key is still checked against a random key so its timing
matches a known one.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable, Mapping

from cxone_desktop.relay.config import AudioHookSettings
from cxone_desktop.serving.http_signature import (
    MAX_CLOCK_SKEW_S,
    ResolvedKey,
    SignatureParams,
    VerifyCode,
    VerifyResult,
    canonical_field_value,
    verify_signature,
)

REQUIRED_COMPONENTS = (
    "@request-target",
    "@authority",
    "audiohook-organization-id",
    "audiohook-session-id",
    "audiohook-correlation-id",
    "x-api-key",
)
MIN_NONCE_CHARS = 22


class AudioHookAuthenticator:
    def __init__(
        self, settings: AudioHookSettings, *, now: Callable[[], float] = time.time
    ) -> None:
        self._settings = settings
        self._now = now
        self._nonces: dict[str, float] = {}  # nonce → when it may be forgotten

    def check(self, headers: Mapping[str, str], request_target: str) -> VerifyResult:
        """`headers`: lower-case names → values; `request_target`: path and query as sent."""
        api_key_field = headers.get("x-api-key")
        if not api_key_field:
            return VerifyResult(VerifyCode.PRECONDITION, 'Missing "X-API-KEY" header field')
        api_key = canonical_field_value(api_key_field)
        known_key = hmac.compare_digest(api_key.encode(), self._settings.api_key.encode())
        secret = self._settings.client_secret
        if secret is None:
            if known_key:
                return VerifyResult(VerifyCode.VERIFIED)
            return VerifyResult(VerifyCode.FAILED, "unknown API key")

        def resolve(params: SignatureParams) -> ResolvedKey | VerifyResult:
            if not params.nonce:
                return VerifyResult(VerifyCode.PRECONDITION, 'Missing "nonce" signature parameter')
            if len(params.nonce) < MIN_NONCE_CHARS:
                return VerifyResult(
                    VerifyCode.PRECONDITION, 'Provided "nonce" signature parameter is too small'
                )
            if params.keyid != api_key:
                return VerifyResult(
                    VerifyCode.PRECONDITION, "X-API-KEY header field and signature keyid mismatch"
                )
            if known_key:
                return ResolvedKey(secret)
            return ResolvedKey(secrets.token_bytes(32), known=False)

        now = self._now()
        result = verify_signature(
            headers,
            derived=lambda name: request_target if name == "@request-target" else None,
            key_resolver=resolve,
            now=now,
            required_components=REQUIRED_COMPONENTS,
            max_age_s=self._settings.max_signature_age_s,
        )
        if not result.ok:
            return result
        return self._first_use(_nonce_of(headers), now)

    def _first_use(self, nonce: str, now: float) -> VerifyResult:
        for seen, forget_at in list(self._nonces.items()):
            if forget_at <= now:
                del self._nonces[seen]
        if nonce in self._nonces:
            return VerifyResult(VerifyCode.FAILED, "nonce already used (replayed request)")
        # A signature is only accepted while fresh, so the nonce can be forgotten after that.
        self._nonces[nonce] = now + self._settings.max_signature_age_s + MAX_CLOCK_SKEW_S
        return VerifyResult(VerifyCode.VERIFIED)


def _nonce_of(headers: Mapping[str, str]) -> str:
    from cxone_desktop.serving.structured_fields import InnerList, parse_dictionary

    inputs = parse_dictionary(headers.get("signature-input", ""))
    base = next(iter(inputs.values()))
    assert isinstance(base, InnerList)  # verified just before
    return next(str(v) for k, v in base.params if k == "nonce")
