"""Settings: secrets hidden, validation on construction, backoff arithmetic, TLS choices."""

from __future__ import annotations

import logging
import random
import ssl
from pathlib import Path

import pytest

from cxone_desktop.cxone import settings as settings_mod
from cxone_desktop.cxone.retry import parse_retry_after
from cxone_desktop.cxone.settings import (
    AuthSettings,
    Credentials,
    RetryPolicy,
    StreamSettings,
    TlsSettings,
)
from cxone_desktop.errors import InputError

from .fakes import SECRET


def test_credentials_repr_and_str_never_show_the_secret() -> None:
    creds = Credentials(client_id="my-client", client_secret=SECRET)
    for shown in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert SECRET not in shown
        assert "my-client" in shown


def test_credentials_require_both_fields() -> None:
    with pytest.raises(InputError) as ei:
        Credentials(client_id="  ", client_secret="x")
    assert ei.value.field == "client_id"
    with pytest.raises(InputError) as ei:
        Credentials(client_id="id", client_secret="")
    assert ei.value.field == "client_secret"
    assert Credentials(client_id=" id ", client_secret="x").client_id == "id"


def test_auth_and_stream_settings_refuse_unknown_choices() -> None:
    with pytest.raises(InputError):
        AuthSettings(style="jwt")  # type: ignore[arg-type]
    with pytest.raises(InputError):
        StreamSettings(token_in="cookie")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        StreamSettings(handshake_timeout_s=0)
    assert AuthSettings(scope="  a   b ").scope == "a b"
    assert AuthSettings(scope="  ").scope is None


def test_retry_policy_validates() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(base_delay_s=5, max_delay_s=1)
    with pytest.raises(ValueError):
        RetryPolicy(max_total_s=float("nan"))


def test_full_jitter_stays_within_the_exponential_cap() -> None:
    policy = RetryPolicy(base_delay_s=0.5, max_delay_s=4.0)
    rng = random.Random(7)
    for attempt, cap in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 4.0), (40, 4.0)]:
        draws = [policy.delay(attempt, None, rng) for _ in range(300)]
        assert all(0.0 <= d <= cap for d in draws)
        assert max(draws) > 0.8 * cap  # jitter spans the range, not a constant
        assert min(draws) < 0.2 * cap


def test_retry_after_wins_over_jitter() -> None:
    policy = RetryPolicy(max_delay_s=1.0)
    assert policy.delay(1, 7.0, random.Random(1)) == 7.0
    assert policy.delay(3, 0.0, random.Random(1)) == 0.0
    assert policy.delay(1, -3.0, random.Random(1)) == 0.0


def test_parse_retry_after_reads_seconds_and_http_dates() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:10 GMT", now=now) == 10.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("inf") is None


def test_tls_verify_on_by_default_and_ca_file_is_trusted(tls_material: object) -> None:
    ctx = TlsSettings().ssl_context()
    assert isinstance(ctx, ssl.SSLContext)
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    ca = tls_material.ca_file  # type: ignore[attr-defined]
    with_ca = TlsSettings(ca_file=str(ca)).ssl_context()
    assert isinstance(with_ca, ssl.SSLContext)
    subjects = [c["subject"] for c in with_ca.get_ca_certs()]
    assert any(("commonName", "Throwaway Test CA") in rdn for s in subjects for rdn in s)


def test_missing_or_bad_ca_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as ei:
        TlsSettings(ca_file=str(tmp_path / "nope.pem"))
    assert ei.value.field == "ca_file"
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    with pytest.raises(InputError) as ei:
        TlsSettings(ca_file=str(junk))  # refused where it is typed, not at connect time
    assert ei.value.field == "ca_file"


def test_verify_off_warns_once(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings_mod, "_warned_insecure", False)
    caplog.set_level(logging.WARNING)
    assert TlsSettings(verify=False).ssl_context() is False
    assert TlsSettings(verify=False).ssl_context() is False
    warnings = [r for r in caplog.records if "verification is OFF" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
