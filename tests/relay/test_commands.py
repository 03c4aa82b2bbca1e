"""`relay`, `relay --demo` and `simulate --push` as a user runs them: real processes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .support import PUSH_ENV

PY = [sys.executable, "-m", "cxone_desktop"]


def start(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [*PY, *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"listening on (\S+)", line)
    if not match:
        proc.kill()
        raise AssertionError(line + proc.stderr.read())  # type: ignore[union-attr]
    return proc, match.group(1)


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=20) == 0


def token(base: str, client: str, secret: str) -> str:
    response = httpx.post(
        f"{base}/oauth2/token", data={"grant_type": "client_credentials"}, auth=(client, secret)
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


@pytest.fixture
def relay(tmp_path) -> Iterator[str]:
    config = tmp_path / "relay.toml"
    config.write_text("[cxone]\nhold_grace_s = 0.3\n")
    proc, url = start(
        ["relay", "--listen", "127.0.0.1:0", "--client", "qa:qa-pw", "--config", str(config)],
        PUSH_ENV,
    )
    try:
        yield url
    finally:
        stop(proc)


@pytest.mark.parametrize("platform", ["twilio", "cxone", "audiohook"])
def test_simulate_push_pushes_calls_the_relay_takes(
    relay: str, platform: str, tmp_path: Path
) -> None:
    out = subprocess.run(
        [
            *PY,
            "simulate",
            "--push",
            platform,
            "--to",
            relay,
            "--calls",
            "2",
            "--audio",
            str(write_short_wav(tmp_path / "call.wav")),
        ],
        env={**os.environ, **PUSH_ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert f"pushed 2 of 2 {platform} call(s)" in out.stdout
    ids = re.findall(rf"pushing {platform} call (\S+)", out.stdout)
    assert len(ids) == 2
    bearer = {"Authorization": f"Bearer {token(relay, 'qa', 'qa-pw')}"}
    deadline = time.monotonic() + 20
    for call_id in ids:
        while True:
            body = httpx.get(f"{relay}/api/v2/interactions/{call_id}/call", headers=bearer).json()
            if body["state"] == "ended" or time.monotonic() > deadline:
                break
            time.sleep(0.1)  # a CXone call ends after its hold grace
        assert body["platform"] == platform and body["state"] == "ended"


def test_push_without_credentials_says_which_variable(relay: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAY_")}
    out = subprocess.run(
        [*PY, "simulate", "--push", "twilio", "--to", relay],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "RELAY_TWILIO_AUTH_TOKEN" in out.stderr


def test_relay_demo_has_a_live_call_per_platform() -> None:
    proc, url = start(["relay", "--demo", "--listen", "127.0.0.1:0"], {})
    try:
        bearer = {"Authorization": f"Bearer {token(url, 'demo-client', 'demo-secret')}"}
        deadline = time.monotonic() + 30
        while True:
            calls = httpx.get(f"{url}/api/v2/calls", headers=bearer).json()["calls"]
            if len(calls) == 3 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert sorted(c["platform"] for c in calls) == ["audiohook", "cxone", "twilio"]
        assert all(c["channels"] == 2 and c["state"] == "active" for c in calls)
    finally:
        stop(proc)


def write_short_wav(path: Path) -> Path:
    import wave

    import numpy as np

    t = np.arange(8000) / 8000
    stereo = np.column_stack(
        [5000 * np.sin(2 * np.pi * 300 * t), 4000 * np.sin(2 * np.pi * 500 * t)]
    )
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(stereo.astype("<i2").tobytes())
    return path


def test_push_loss_leaves_out_twilio_messages_and_refuses_unstamped_platforms(
    relay: str, tmp_path: Path
) -> None:
    wav = str(write_short_wav(tmp_path / "call.wav"))
    push = [*PY, "simulate", "--to", relay, "--audio", wav, "--loss", "0.1", "--seed", "3"]
    env = {**os.environ, **PUSH_ENV}
    out = subprocess.run(
        [*push, "--push", "twilio"], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    left_out = re.search(r"(\d+) media messages left out", out.stdout)
    assert left_out and int(left_out.group(1)) > 0 and "pushed 1 of 1" in out.stdout
    for platform in ("cxone", "audiohook"):
        out = subprocess.run(
            [*push, "--push", platform], env=env, capture_output=True, text=True, timeout=60
        )
        assert out.returncode == 2 and "twilio only" in out.stderr
        assert "pushing" not in out.stdout  # refused before any call
