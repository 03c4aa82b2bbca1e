from dataclasses import replace
from pathlib import Path

import pytest

from cxone_desktop.core.dsp import DspSettings
from cxone_desktop.errors import InputError
from cxone_desktop.ui.connect_model import ConnectValues, to_session_config, validate

GOOD = ConnectValues(location="acme", client_id="cid", client_secret="s3cr3t", call_id="call-1")


def test_a_complete_form_is_valid() -> None:
    assert validate(GOOD) == {}


def test_tenant_and_base_url_share_one_field() -> None:
    cfg = to_session_config(GOOD, dsp=DspSettings())
    assert cfg.endpoints.base_url == "https://acme.niceincontact.com"
    cfg = to_session_config(
        ConnectValues(**{**GOOD.__dict__, "location": "http://127.0.0.1:8080/"}), dsp=DspSettings()
    )
    assert cfg.endpoints.base_url == "http://127.0.0.1:8080"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"location": ""}, "location"),
        ({"location": "acme.niceincontact.com"}, "location"),
        ({"location": "ftp://x"}, "location"),
        ({"client_id": " "}, "client_id"),
        ({"client_secret": ""}, "client_secret"),
        ({"call_id": "a b/c"}, "call_id"),
        ({"ca_file": "/no/such/file.pem"}, "ca_file"),
        ({"ca_file": "/etc/hostname"}, "ca_file"),  # exists, but holds no PEM certificate
        ({"poll_interval_s": 0.05}, "poll_interval"),
    ],
)
def test_each_bad_field_gets_its_own_message(change: dict, field: str) -> None:
    errors = validate(ConnectValues(**{**GOOD.__dict__, **change}))
    assert set(errors) == {field}
    assert errors[field][0].isupper()


def test_session_config_carries_every_advanced_option(tmp_path: Path) -> None:
    from cxone_desktop.simulator.tls import make_throwaway_certificate

    ca = make_throwaway_certificate(["cxone.test"], tmp_path).ca_path
    values = ConnectValues(
        **{
            **GOOD.__dict__,
            "auth_style": "basic",
            "token_in": "header",
            "verify_tls": False,
            "ca_file": str(ca),
            "poll_interval_s": 5.0,
            "encoding": "mulaw",
            "scope": "agent:voice:stream interaction:view",
        }
    )
    cfg = to_session_config(values, dsp=DspSettings(gain=2.0), out_dir=tmp_path)
    assert cfg.auth.scope == "agent:voice:stream interaction:view"
    assert (cfg.auth.style, cfg.stream.token_in, cfg.tls.verify, cfg.tls.ca_file) == (
        "basic",
        "header",
        False,
        str(ca),
    )
    assert (cfg.poll_interval_s, cfg.encoding, cfg.dsp.gain, cfg.out_dir) == (
        5.0,
        "mulaw",
        2.0,
        tmp_path,
    )


def test_bad_values_raise_input_error_naming_the_field() -> None:
    with pytest.raises(InputError) as exc:
        to_session_config(ConnectValues(**{**GOOD.__dict__, "call_id": ""}), dsp=DspSettings())
    assert exc.value.field == "call_id"


def test_repr_never_shows_the_secret() -> None:
    assert "s3cr3t" not in repr(GOOD)
    assert "s3cr3t" not in str(GOOD)


def test_the_picker_asks_only_once_the_form_says_where_and_as_whom() -> None:
    from cxone_desktop.ui.connect_model import directory_source

    good = ConnectValues(location="http://127.0.0.1:9", client_id="cid", client_secret="pa55")
    made = directory_source(good)
    assert made is not None and made.endpoints.base_url == "http://127.0.0.1:9"
    assert made.credentials.client_id == "cid" and "pa55" not in repr(made)
    for missing in ({"location": ""}, {"location": "bad tenant!"}, {"client_id": " "},
                    {"client_secret": ""}):  # fmt: skip
        assert directory_source(replace(good, **missing)) is None  # type: ignore[arg-type]
