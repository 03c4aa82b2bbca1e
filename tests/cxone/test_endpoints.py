"""Endpoints: validation before any network call, URL building, escaping, redaction."""

from __future__ import annotations

import pytest

from cxone_desktop.cxone.endpoints import Endpoints, redact_url, validate_call_id
from cxone_desktop.errors import InputError


def test_tenant_builds_the_niceincontact_urls() -> None:
    ep = Endpoints.from_input(tenant="  Acme-01 ")
    assert ep.base_url == "https://acme-01.niceincontact.com"
    assert ep.token_url == "https://acme-01.niceincontact.com/oauth2/token"
    assert ep.stream_url("123") == "wss://acme-01.niceincontact.com/agent/voice/123/stream"
    assert ep.call_state_url("123") == (
        "https://acme-01.niceincontact.com/api/v2/interactions/123/call"
    )


@pytest.mark.parametrize(
    "tenant",
    ["-acme", "acme-", "ac me", "acme.niceincontact.com", "https://acme", "a" * 64, "ac_me", "é"],
)
def test_bad_tenant_is_refused_naming_the_field(tenant: str) -> None:
    with pytest.raises(InputError) as ei:
        Endpoints.from_input(tenant=tenant)
    assert ei.value.field == "tenant"


def test_tenant_that_looks_like_a_url_points_to_the_base_url_field() -> None:
    with pytest.raises(InputError, match="base URL"):
        Endpoints.from_input(tenant="acme.niceincontact.com")


def test_neither_or_both_of_tenant_and_base_url_is_refused() -> None:
    with pytest.raises(InputError) as ei:
        Endpoints.from_input()
    assert ei.value.field == "tenant"
    with pytest.raises(InputError, match="not both"):
        Endpoints.from_input(tenant="acme", base_url="http://127.0.0.1:8080")


@pytest.mark.parametrize(
    ("base", "ws"),
    [
        ("http://127.0.0.1:8080", "ws://127.0.0.1:8080/agent/voice/c1/stream"),
        ("https://example.test:8443/", "wss://example.test:8443/agent/voice/c1/stream"),
        ("HTTPS://Example.test", "wss://example.test/agent/voice/c1/stream"),
        ("http://[::1]:9000/prefix/", "ws://[::1]:9000/prefix/agent/voice/c1/stream"),
    ],
)
def test_base_url_scheme_maps_to_ws_scheme(base: str, ws: str) -> None:
    assert Endpoints.from_input(base_url=base).stream_url("c1") == ws


@pytest.mark.parametrize(
    "base",
    [
        "ftp://host",
        "127.0.0.1:8080",
        "http://",
        "http://host:99999",
        "http://host:abc",
        "http://user:pw@host",
        "http://host/?x=1",
        "http://host/#frag",
        "http://ho st",
        "",
    ],
)
def test_bad_base_url_is_refused_naming_the_field(base: str) -> None:
    with pytest.raises(InputError) as ei:
        Endpoints(base_url=base)
    assert ei.value.field == "base_url"


def test_base_url_error_never_echoes_a_password() -> None:
    with pytest.raises(InputError) as ei:
        Endpoints.from_input(base_url="https://bob:hunter2@host")
    assert "hunter2" not in str(ei.value)


def test_path_templates_are_configurable_and_checked() -> None:
    ep = Endpoints.from_input(
        base_url="http://h:1",
        token_path="/auth/token",
        stream_path="/v9/{callId}/ws",
        call_state_path=None,
    )
    assert ep.token_url == "http://h:1/auth/token"
    assert ep.stream_url("x") == "ws://h:1/v9/x/ws"
    assert ep.call_state_url("x") == "http://h:1/api/v2/interactions/x/call"
    with pytest.raises(InputError) as ei:
        Endpoints(base_url="http://h", stream_path="/agent/voice/stream")
    assert ei.value.field == "stream_path"
    with pytest.raises(InputError):
        Endpoints(base_url="http://h", token_path="oauth2/token")
    with pytest.raises(TypeError):
        Endpoints.from_input(base_url="http://h", bogus_path="/x")


def test_call_id_is_escaped_in_every_url() -> None:
    ep = Endpoints.from_input(base_url="http://h")
    assert ep.stream_url("a:b@c+d=e") == "ws://h/agent/voice/a%3Ab%40c%2Bd%3De/stream"
    assert ep.call_state_url("a:b") == "http://h/api/v2/interactions/a%3Ab/call"


@pytest.mark.parametrize(
    "bad", ["", "   ", "a/b", "../x", ".", "..", "a b", "a?b", "a#b", "x" * 129]
)
def test_bad_call_id_is_refused(bad: str) -> None:
    with pytest.raises(InputError) as ei:
        validate_call_id(bad)
    assert ei.value.field == "call_id"
    with pytest.raises(InputError):
        Endpoints.from_input(base_url="http://h").stream_url(bad)


def test_good_call_ids_pass_stripped() -> None:
    assert validate_call_id(" 1234567890 ") == "1234567890"
    uuid = "3f2c1d9e-8b7a-4c6d-9e0f-1a2b3c4d5e6f"
    assert validate_call_id(uuid) == uuid
    assert validate_call_id("x" * 128) == "x" * 128


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "wss://h/agent/voice/1/stream?access_token=abc.def",
            "wss://h/agent/voice/1/stream?access_token=***",
        ),
        ("https://h/p?a=1&client_secret=zz&b=2", "https://h/p?a=1&client_secret=***&b=2"),
        ("https://h/p?x=1&api_key=K&sig=S", "https://h/p?x=1&api_key=***&sig=***"),
        ("https://h/cb#access_token=T&state=9", "https://h/cb#access_token=***&state=9"),
        ("https://u:pw@h/p", "https://u:***@h/p"),
        ("https://h/p?encoding=pcm16", "https://h/p?encoding=pcm16"),
        ("https://h/p", "https://h/p"),
    ],
)
def test_redact_url_hides_token_ish_values(url: str, expected: str) -> None:
    assert redact_url(url) == expected
