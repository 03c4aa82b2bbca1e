"""Twilio's X-Twilio-Signature against twilio-python's published vectors."""

from __future__ import annotations

from cxone_desktop.serving.twilio_signature import twilio_signature, twilio_signature_valid

from . import signature_vectors as v


def test_computes_twilio_python_vector() -> None:
    assert twilio_signature(v.TWILIO_TOKEN, v.TWILIO_URL, v.TWILIO_PARAMS) == v.TWILIO_EXPECTED


def test_validates_with_default_port_added_or_any_port_removed() -> None:
    assert twilio_signature_valid(v.TWILIO_TOKEN, v.TWILIO_URL, v.TWILIO_EXPECTED, v.TWILIO_PARAMS)
    assert twilio_signature_valid(
        v.TWILIO_TOKEN, v.TWILIO_URL, v.TWILIO_EXPECTED_WITH_443, v.TWILIO_PARAMS
    )
    with_port = v.TWILIO_URL.replace(".com", ".com:1234")
    assert twilio_signature_valid(v.TWILIO_TOKEN, with_port, v.TWILIO_EXPECTED, v.TWILIO_PARAMS)
    http_port = with_port.replace("https", "http")
    assert twilio_signature_valid(
        v.TWILIO_TOKEN, http_port, v.TWILIO_EXPECTED_HTTP_1234, v.TWILIO_PARAMS
    )


def test_wrong_token_url_or_signature_is_refused() -> None:
    assert not twilio_signature_valid("54321", v.TWILIO_URL, v.TWILIO_EXPECTED, v.TWILIO_PARAMS)
    assert not twilio_signature_valid(
        v.TWILIO_TOKEN, v.TWILIO_URL + "&x=1", v.TWILIO_EXPECTED, v.TWILIO_PARAMS
    )
    assert not twilio_signature_valid(v.TWILIO_TOKEN, v.TWILIO_URL, "", v.TWILIO_PARAMS)
    url = "wss://relay.example.com/ingest/twilio"
    assert twilio_signature_valid("tok", url, twilio_signature("tok", url))
