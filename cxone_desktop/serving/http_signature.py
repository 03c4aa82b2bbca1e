"""HTTP message signatures (RFC 9421) with hmac-sha256: sign a request, verify one.

AudioHook signs its WebSocket upgrade this way. Verification rebuilds the signature
base from the *parsed* `Signature-Input` (never from the raw text), compares in
constant time, and reports why it failed with the result codes of the AudioHook
reference implementation, so logs read the same on both sides. Policy (which
components are required, nonce rules, replay) belongs to the caller.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from cxone_desktop.serving.structured_fields import (
    InnerList,
    Item,
    Parameters,
    StructuredFieldError,
    parse_dictionary,
    serialize_bare_item,
    serialize_dictionary,
    serialize_inner_list,
    serialize_item,
)

#: Derived components we can resolve; others are refused rather than guessed.
DERIVED_COMPONENTS = (
    "@method",
    "@authority",
    "@scheme",
    "@target-uri",
    "@request-target",
    "@path",
    "@query",
    "@status",
)
#: How far a signer's clock may run ahead of ours, in seconds.
MAX_CLOCK_SKEW_S = 3.0
_OBS_FOLD = re.compile(r"[ \t]*\r\n[ \t]+")


class VerifyCode(StrEnum):
    VERIFIED = "VERIFIED"
    FAILED = "FAILED"
    UNSIGNED = "UNSIGNED"
    EXPIRED = "EXPIRED"
    INVALID = "INVALID"
    PRECONDITION = "PRECONDITION"
    UNSUPPORTED = "UNSUPPORTED"


@dataclass(frozen=True)
class VerifyResult:
    """The outcome; `reason` names the problem and never holds a key or signature."""

    code: VerifyCode
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.code is VerifyCode.VERIFIED

    def __str__(self) -> str:
        return f"{self.code.value}: {self.reason}" if self.reason else self.code.value


@dataclass(frozen=True)
class SignatureParams:
    """The signature's parameters as the signer stated them."""

    keyid: str | None = None
    nonce: str | None = None
    alg: str | None = None
    created: int | None = None
    expires: int | None = None


@dataclass(frozen=True)
class ResolvedKey:
    """The key to check with; `known` False means "check anyway, then fail" (no timing tell)."""

    key: bytes = field(repr=False)
    known: bool = True


KeyResolver = Callable[[SignatureParams], "ResolvedKey | VerifyResult"]
DerivedLookup = Callable[[str], "str | None"]


def canonical_field_value(value: str) -> str:
    """RFC 9421 §2.1: trim, and unfold obsolete line folding."""
    return _OBS_FOLD.sub(" ", value.strip())


def sign_request(
    components: Sequence[tuple[str, str]],
    *,
    key: bytes,
    keyid: str,
    nonce: str,
    created: int,
    expires: int,
    label: str = "sig1",
) -> dict[str, str]:
    """`Signature-Input` and `Signature` header values for (name, value) components, in order.

    Parameters go in the order AudioHook's reference client uses
    (keyid, nonce, alg, created, expires).
    """
    items = [Item(name.lower()) for name, _ in components]
    params: Parameters = [
        ("keyid", keyid),
        ("nonce", nonce),
        ("alg", "hmac-sha256"),
        ("created", created),
        ("expires", expires),
    ]
    inner = InnerList(items, params)
    lines = [
        f"{serialize_item(item)}: {canonical_field_value(value)}"
        for item, (_, value) in zip(items, components, strict=True)
    ]
    lines.append(f'"@signature-params": {serialize_inner_list(inner)}')
    mac = hmac.new(key, "\n".join(lines).encode(), hashlib.sha256).digest()
    return {
        "Signature-Input": serialize_dictionary({label: inner}),
        "Signature": serialize_dictionary({label: Item(mac)}),
    }


def verify_signature(
    headers: Mapping[str, str],
    *,
    derived: DerivedLookup,
    key_resolver: KeyResolver,
    now: float,
    required_components: Sequence[str] = (),
    max_age_s: float | None = None,
) -> VerifyResult:
    """Check the first signature on a request.

    `headers` maps lower-case field names to their values (repeated fields joined
    with ", "); `derived` resolves "@request-target" and friends ("@authority"
    falls back to Host). `now` is Unix time in seconds.
    """
    try:
        inputs = parse_dictionary(headers.get("signature-input", ""))
    except StructuredFieldError:
        return _fail(VerifyCode.INVALID, 'Failed to parse "signature-input" header field')
    try:
        signatures = parse_dictionary(headers.get("signature", ""))
    except StructuredFieldError:
        return _fail(VerifyCode.INVALID, 'Failed to parse "signature" header field')
    if not inputs:
        if not signatures:
            return _fail(VerifyCode.UNSIGNED, 'No "signature" and "signature-input" header fields')
        return _fail(VerifyCode.INVALID, 'Found "signature" but no "signature-input" header field')
    if not signatures:
        return _fail(VerifyCode.INVALID, 'Found "signature-input" but no "signature" header field')

    label, base = next(iter(inputs.items()))
    signature = signatures.get(label)
    if signature is None:
        return _fail(VerifyCode.INVALID, f"Signature with label {label} not found")
    if not isinstance(signature, Item) or not isinstance(signature.value, bytes):
        return _fail(VerifyCode.INVALID, f'Invalid "signature" header field value ({label})')
    if not isinstance(base, InnerList):
        return _fail(VerifyCode.INVALID, "Signature-Input member must be an inner list")
    params = _signature_params(base)
    if isinstance(params, VerifyResult):
        return params

    timing = _check_time(params, now, max_age_s)
    if timing is not None:
        return timing

    lines = _signature_base_lines(base, headers, derived, required_components)
    if isinstance(lines, VerifyResult):
        return lines
    lines.append(f'"@signature-params": {serialize_inner_list(base)}')

    resolved = key_resolver(params)
    if isinstance(resolved, VerifyResult):
        return resolved
    alg = params.alg or "hmac-sha256"
    computed = hmac.new(resolved.key, "\n".join(lines).encode(), hashlib.sha256).digest()
    matches = hmac.compare_digest(signature.value, computed)
    if alg != "hmac-sha256":
        return _fail(VerifyCode.UNSUPPORTED, f"Signature algorithm {alg} is not supported")
    if matches and resolved.known:
        return VerifyResult(VerifyCode.VERIFIED)
    return _fail(VerifyCode.FAILED, "Signatures do not match")


def _fail(code: VerifyCode, reason: str) -> VerifyResult:
    return VerifyResult(code, reason)


def _signature_params(base: InnerList) -> SignatureParams | VerifyResult:
    if not base.params:
        return _fail(VerifyCode.INVALID, "Signature-Input has no parameters")
    found: dict[str, str | int] = {}
    for key, value in base.params:
        if key in ("alg", "keyid", "nonce"):
            if not isinstance(value, str):
                return _fail(VerifyCode.INVALID, f"the {key} parameter must be a String")
            found[key] = str(value)
        elif key in ("created", "expires"):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                return _fail(VerifyCode.INVALID, f"the {key} parameter must be an Integer")
            found[key] = value
        else:
            return _fail(VerifyCode.INVALID, f"unknown signature parameter {key}")
    return SignatureParams(**found)  # type: ignore[arg-type]


def _check_time(
    params: SignatureParams, now: float, max_age_s: float | None
) -> VerifyResult | None:
    if params.created is not None and params.created > now + MAX_CLOCK_SKEW_S:
        return _fail(VerifyCode.PRECONDITION, 'Invalid "created" parameter value (in the future)')
    if params.expires is not None and params.expires <= now:
        return _fail(VerifyCode.EXPIRED, "the signature's expires time has passed")
    if max_age_s is not None:
        if params.created is None:
            return _fail(VerifyCode.PRECONDITION, 'Cannot determine signature age (no "created")')
        if now - params.created > max_age_s:
            return _fail(VerifyCode.EXPIRED, f"the signature is more than {max_age_s:g} s old")
    return None


def _signature_base_lines(
    base: InnerList,
    headers: Mapping[str, str],
    derived: DerivedLookup,
    required_components: Sequence[str],
) -> list[str] | VerifyResult:
    remaining = set(required_components)
    seen: set[str] = set()
    lines: list[str] = []
    for item in base.items:
        name = item.value
        if not isinstance(name, str) or isinstance(name, bool):
            return _fail(VerifyCode.INVALID, "covered components must be Strings")
        encoded = serialize_item(item)
        if encoded in seen:
            return _fail(VerifyCode.INVALID, f"Duplicate {encoded} component reference")
        if item.params:
            return _fail(
                VerifyCode.UNSUPPORTED, f"component parameters are not supported ({encoded})"
            )
        if name.startswith("@"):
            if name == "@signature-params":
                return _fail(VerifyCode.INVALID, '"@signature-params" must not be covered')
            if name not in DERIVED_COMPONENTS:
                return _fail(VerifyCode.INVALID, f"Unknown derived component {encoded}")
            value = derived(name)
            if not value and name == "@authority":
                host = headers.get("host")
                value = canonical_field_value(host) if host else None
            if not value:
                return _fail(VerifyCode.PRECONDITION, f"Cannot resolve component {encoded}")
        else:
            if name in ("signature", "signature-input"):
                return _fail(VerifyCode.UNSUPPORTED, f"covering {encoded} is not supported")
            raw = headers.get(name)
            if not raw:
                return _fail(
                    VerifyCode.PRECONDITION,
                    f"Header field {serialize_bare_item(name)} not present",
                )
            value = canonical_field_value(raw)
        lines.append(f"{encoded}: {value}")
        seen.add(encoded)
        remaining.discard(name)
    if remaining:
        missing = ",".join(sorted(remaining))
        return _fail(
            VerifyCode.PRECONDITION,
            f"Signature does not cover the required component(s): {missing}",
        )
    return lines
