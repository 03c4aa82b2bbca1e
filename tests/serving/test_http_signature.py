"""RFC 9421 verification and signing against published vectors, and the ways a signature fails."""

from __future__ import annotations

import base64

import pytest

from cxone_desktop.serving.http_signature import (
    ResolvedKey,
    SignatureParams,
    VerifyCode,
    VerifyResult,
    sign_request,
    verify_signature,
)
from cxone_desktop.serving.structured_fields import (
    InnerList,
    Item,
    StructuredFieldError,
    Token,
    parse_dictionary,
    serialize_dictionary,
)

from . import signature_vectors as v

AH_KEY = base64.b64decode(v.AUDIOHOOK_SECRET_B64)


def resolver(keyid: str, key: bytes):
    def resolve(params: SignatureParams) -> ResolvedKey:
        if params.keyid == keyid:
            return ResolvedKey(key)
        return ResolvedKey(b"\0" * 32, known=False)

    return resolve


def audiohook_derived(name: str) -> str | None:
    return v.AUDIOHOOK_REQUEST_TARGET if name == "@request-target" else None


def test_rfc_appendix_b25_vector_verifies_with_authority_given() -> None:
    result = verify_signature(
        v.RFC_B25_HEADERS,
        derived=lambda name: v.RFC_B25_AUTHORITY if name == "@authority" else None,
        key_resolver=resolver(v.RFC_B25_KEYID, base64.b64decode(v.RFC_B25_KEY_B64)),
        now=v.RFC_B25_CREATED,
    )
    assert result == VerifyResult(VerifyCode.VERIFIED)


def test_rfc_vector_takes_authority_from_host() -> None:
    headers = {**v.RFC_B25_HEADERS, "host": v.RFC_B25_AUTHORITY}
    result = verify_signature(
        headers,
        derived=lambda name: None,
        key_resolver=resolver(v.RFC_B25_KEYID, base64.b64decode(v.RFC_B25_KEY_B64)),
        now=v.RFC_B25_CREATED,
    )
    assert result.ok


def test_audiohook_documentation_example_verifies_in_any_header_order() -> None:
    for headers in (v.AUDIOHOOK_HEADERS, dict(reversed(list(v.AUDIOHOOK_HEADERS.items())))):
        result = verify_signature(
            headers,
            derived=audiohook_derived,
            key_resolver=resolver(v.AUDIOHOOK_API_KEY, AH_KEY),
            now=v.AUDIOHOOK_CREATED + 1,
            required_components=("@request-target", "@authority", "x-api-key"),
            max_age_s=10,
        )
        assert result.ok, result


def test_our_signer_reproduces_the_reference_builder_vector() -> None:
    h = v.AUDIOHOOK_HEADERS
    signed = sign_request(
        [
            ("@request-target", v.AUDIOHOOK_REQUEST_TARGET),
            ("host", h["host"]),
            ("audiohook-organization-id", h["audiohook-organization-id"]),
            ("audiohook-session-id", h["audiohook-session-id"]),
            ("audiohook-correlation-id", h["audiohook-correlation-id"]),
            ("x-api-key", h["x-api-key"]),
        ],
        key=AH_KEY,
        keyid=v.AUDIOHOOK_API_KEY,
        nonce=v.AUDIOHOOK_NONCE,
        created=v.AUDIOHOOK_CREATED,
        expires=3282026430,
    )
    assert signed == {
        "Signature-Input": v.AUDIOHOOK_BUILDER_INPUT,
        "Signature": v.AUDIOHOOK_BUILDER_SIGNATURE,
    }


def verify_ah(headers: dict[str, str], now: float = v.AUDIOHOOK_CREATED + 1) -> VerifyResult:
    return verify_signature(
        headers,
        derived=audiohook_derived,
        key_resolver=resolver(v.AUDIOHOOK_API_KEY, AH_KEY),
        now=now,
        required_components=("@request-target", "@authority", "x-api-key"),
        max_age_s=10,
    )


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"audiohook-session-id": "30b0e395-84d3-4570-ac13-9a62d8f514c1"}, VerifyCode.FAILED),
        ({"signature": "sig1=:AAAAyBHRRyRoeLqy1IzOa9VYBuI8TgMFt2GRDkDuJh4=:"}, VerifyCode.FAILED),
        ({"signature": "sig1=:not base64!:"}, VerifyCode.INVALID),
        ({"signature-input": 'sig1=("x-api-key";created=1'}, VerifyCode.INVALID),
        ({"signature": "other=:NZBwyBHRRyRoeLqy1IzOa9VYBuI8TgMFt2GRDkDuJh4=:"}, VerifyCode.INVALID),
        ({"signature": "", "signature-input": ""}, VerifyCode.UNSIGNED),
        ({"x-api-key": ""}, VerifyCode.PRECONDITION),
    ],
)
def test_tampering_and_malformed_headers_fail_with_the_reference_codes(change, code) -> None:
    result = verify_ah({**v.AUDIOHOOK_HEADERS, **change})
    assert result.code is code, result


def test_age_expiry_and_future_created_are_refused() -> None:
    assert verify_ah(v.AUDIOHOOK_HEADERS, now=v.AUDIOHOOK_CREATED + 10).ok
    assert verify_ah(v.AUDIOHOOK_HEADERS, now=v.AUDIOHOOK_CREATED + 11).code is VerifyCode.EXPIRED
    assert verify_ah(v.AUDIOHOOK_HEADERS, now=v.AUDIOHOOK_CREATED - 60).code is (
        VerifyCode.PRECONDITION
    )
    assert verify_ah(v.AUDIOHOOK_HEADERS, now=3282026431).code is VerifyCode.EXPIRED


def test_a_signature_that_does_not_cover_a_required_component_is_refused() -> None:
    signed = sign_request(
        [("@authority", "h"), ("x-api-key", "k")],
        key=b"k" * 32,
        keyid="k",
        nonce="n" * 22,
        created=100,
        expires=130,
    )
    headers = {"x-api-key": "k", **{k.lower(): val for k, val in signed.items()}}
    result = verify_signature(
        headers,
        derived=lambda name: "h" if name == "@authority" else None,
        key_resolver=resolver("k", b"k" * 32),
        now=101,
        required_components=("@request-target", "@authority", "x-api-key"),
    )
    assert result.code is VerifyCode.PRECONDITION and "@request-target" in result.reason


def test_an_unknown_key_fails_even_when_the_dummy_key_would_match() -> None:
    signed = sign_request(
        [("x-api-key", "k")],
        key=b"\0" * 32,
        keyid="unknown",
        nonce="n" * 22,
        created=100,
        expires=130,
    )
    headers = {"x-api-key": "k", **{k.lower(): val for k, val in signed.items()}}
    result = verify_signature(
        headers, derived=lambda n: None, key_resolver=resolver("known", b"x"), now=101
    )
    assert result.code is VerifyCode.FAILED


def test_structured_fields_round_trip_and_reject_garbage() -> None:
    parsed = parse_dictionary('a=("x" "y";p=1);k=?0, b=:AQID:, c, d=tok;q="s\\"x"')
    assert isinstance(parsed["a"], InnerList) and parsed["a"].items[1].params == [("p", 1)]
    assert parsed["b"] == Item(b"\x01\x02\x03")
    assert parsed["c"] == Item(True)
    assert parsed["d"] == Item(Token("tok"), [("q", 's"x')])
    assert parse_dictionary(serialize_dictionary(parsed)) == parsed
    for bad in ('a=("x"', "a=1,", "A=1", 'a="\x01"', "a=:abc", "a=?2", "a=1 b=2"):
        with pytest.raises(StructuredFieldError):
            parse_dictionary(bad)
