"""Relay settings: TOML + environment + argv, secrets from files and env, `--check-config`."""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from cxone_desktop.cli_parser import build_parser
from cxone_desktop.errors import InputError
from cxone_desktop.relay.call_summary import CallSummary
from cxone_desktop.relay.config import load_config

PY = [sys.executable, "-m", "cxone_desktop"]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "relay.toml"
    path.write_text(text)
    return path


def args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["relay", *argv])


def test_toml_rules_secrets_from_files_and_env(tmp_path: Path) -> None:
    (tmp_path / "qa.secret").write_text("qa-from-file\n")
    path = write(
        tmp_path,
        f"""
[listen]
address = "0.0.0.0:8443"
[audiohook]
api_key_env = "AH_KEY"
client_secret_file = "{tmp_path / "ah.secret"}"
[cxone]
auth_header = "X-Auth: literal-in-file"
contact_id_fields = ["ContactID", "contactId"]
hold_grace_s = 12
[twilio]
public_url = "wss://relay.example.com/ingest/twilio"
[[client]]
id = "qa"
secret_file = "{tmp_path / "qa.secret"}"
calls = "all"
[[client]]
id = "desk-7"
secret_env = "DESK_SECRET"
agents = ["agent-7"]
platforms = ["cxone"]
""",
    )
    (tmp_path / "ah.secret").write_text("c2VjcmV0LXNlY3JldC1zZWNyZXQ=\n")
    env = {"AH_KEY": "ah-key", "DESK_SECRET": "desk-secret", "RELAY_TWILIO_AUTH_TOKEN": "tw"}
    config = load_config(args("--config", str(path)), environ=env)
    assert (config.host, config.port) == ("0.0.0.0", 8443)
    assert (
        config.audiohook is not None and config.audiohook.client_secret == b"secret-secret-secret"
    )
    assert config.cxone.auth_header == ("X-Auth", "literal-in-file")
    assert config.cxone.contact_id_fields == ("ContactID", "contactId")
    assert config.twilio.auth_token == "tw"
    qa, desk = config.clients
    assert qa.secret == "qa-from-file" and qa.all_calls
    assert desk.secret == "desk-secret" and desk.agent_ids == {"agent-7"}
    from datetime import UTC, datetime

    call = CallSummary(
        "c", "cxone", "active", datetime.now(UTC), parties={"agent": {"id": "agent-7"}}
    )
    assert desk.allows(call) and not desk.allows(
        CallSummary("c", "twilio", "active", call.started_at, parties=call.parties)
    )
    assert "secret" not in repr(config).lower().replace("client_secret=", "")
    assert "desk-secret" not in repr(config) and "qa-from-file" not in repr(config)


@pytest.mark.parametrize(
    ("toml", "field"),
    [
        ('[[client]]\nid = "x"\nsecret_env = "MISSING"\ncalls = "all"', "client x"),
        ('[[client]]\nid = "x"\nsecret = "s"', "client"),
        ('[audiohook]\nclient_secret = "c2VjcmV0"', "audiohook-client-secret"),
        ('[audiohook]\napi_key = "k"\nclient_secret = "not base64!"', "audiohook-client-secret"),
        ('[cxone]\nauth_header = "no colon"', "cxone-auth-header"),
        ("[listen\n", "config"),
    ],
)
def test_bad_settings_name_the_field(tmp_path: Path, toml: str, field: str) -> None:
    with pytest.raises(InputError) as caught:
        load_config(args("--config", str(write(tmp_path, toml))), environ={})
    assert caught.value.field == field


def test_argv_secrets_work_with_a_warning_that_does_not_show_them(caplog) -> None:
    caplog.set_level(logging.WARNING)
    config = load_config(
        args("--twilio-auth-token", "tok-on-argv", "--client", "qa:pw-on-argv"), environ={}
    )
    assert config.twilio.auth_token == "tok-on-argv" and config.clients[0].secret == "pw-on-argv"
    text = caplog.text
    assert "command line" in text and "tok-on-argv" not in text and "pw-on-argv" not in text


def test_check_config_validates_and_exits(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[cxone]\nauth_header_env = "CX"\n'
        '[[client]]\nid = "qa"\nsecret_env = "QA"\ncalls = "all"\n',
    )
    env = {"CX": "X-A: very-secret-header", "QA": "qa-pw", "PATH": "/usr/bin:/bin"}
    ok = subprocess.run(
        [*PY, "relay", "--config", str(path), "--check-config"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert "configuration OK" in ok.stdout and "ingest cxone:     on" in ok.stdout
    assert "very-secret-header" not in ok.stdout + ok.stderr and "qa-pw" not in ok.stdout
    bad = subprocess.run(
        [*PY, "relay", "--config", str(path), "--check-config"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert bad.returncode == 2 and "QA is not set" in bad.stderr


def test_the_packaged_example_config_loads(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / "packaging" / "relay.example.toml"
    text = example.read_text().replace("/etc/cxone-relay", str(tmp_path))
    for name, value in {
        "audiohook.key": "ah-key",
        "audiohook.secret": "c2VjcmV0",
        "cxone.header": "X-A: b",
        "qa-team.secret": "qa",
        "fullchain.pem": "",
        "privkey.pem": "",
    }.items():
        (tmp_path / name).write_text(value)
    env = {"TWILIO_AUTH_TOKEN": "t", "DESK_1002_SECRET": "d", "CXONE_STUDIO_SECRET": "s"}
    config = load_config(path=write(tmp_path, text), environ=env)
    assert [c.client_id for c in config.clients] == ["qa-team", "desk-agent-1002", "cxone-studio"]
    assert config.clients[2].ingest and config.bus_url == "redis://10.0.0.5:6379"
    assert config.twilio.public_url == "wss://relay.example.com/ingest/twilio"
