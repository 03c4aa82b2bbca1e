"""`cxone-desktop simulate` as a user runs it: banner, serving, clean stop on signals."""

from __future__ import annotations

import json
import os
import re
import signal
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start(*args: str) -> tuple[subprocess.Popen[str], list[str]]:
    """Run `simulate` and return it with its banner lines (up to "Press Ctrl+C")."""
    process = subprocess.Popen(
        [sys.executable, "-m", "cxone_desktop", "simulate", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("Press Ctrl+C"):
            break
    return process, lines


def post_token(base_url: str, context: ssl.SSLContext | None = None) -> dict[str, object]:
    request = urllib.request.Request(
        f"{base_url}/oauth2/token",
        data=json.dumps(
            {"grant_type": "client_credentials", "client_id": "demo-client",
             "client_secret": "demo-secret"}
        ).encode(),
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=5, context=context) as response:
        return dict(json.load(response))


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_prints_how_to_connect_serves_and_stops_cleanly(signum: int) -> None:
    process, banner = start("--call-id", "c-1", "--call-id", "c-2")
    try:
        text = "\n".join(banner)
        url = re.search(r"listening on (http://127\.0\.0\.1:\d+)", text)
        assert url, text
        assert "client id:     demo-client" in text and "client secret: demo-secret" in text
        assert "c-1, c-2" in text
        assert f"cxone-desktop record --base-url {url[1]}" in text
        assert f"cxone-desktop gui --base-url {url[1]}" in text
        assert post_token(url[1])["token_type"] == "Bearer"
    finally:
        process.send_signal(signum)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "stopped" in out


def test_self_signed_tls_prints_a_ca_that_clients_can_trust() -> None:
    process, banner = start("--tls-self-signed")
    try:
        text = "\n".join(banner)
        url = re.search(r"listening on (https://127\.0\.0\.1:\d+)", text)
        ca = re.search(r"TLS CA:\s+(\S+)", text)
        assert url and ca, text
        assert f"--ca-file {ca[1]}" in text
        trust = ssl.create_default_context(cafile=ca[1])
        assert post_token(url[1], trust)["scope"] == "agent:voice:stream interaction:view"
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)
    assert process.returncode == 0
    assert not Path(ca[1]).exists()  # the throwaway CA goes with the process


def test_a_custom_secret_is_not_printed() -> None:
    process, banner = start("--client-secret", "hunter2-custom")
    try:
        assert "hunter2-custom" not in "\n".join(banner)
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)


def test_bad_arguments_exit_2_with_a_message(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cxone_desktop", "simulate", "--tls-cert", str(tmp_path / "x")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 2
    assert "--tls-key" in result.stderr


def test_the_printed_record_line_matches_what_is_served(tmp_path: Path) -> None:
    """μ-law needs --encoding in the line; every impairment in force is listed."""
    process, banner = start("--encoding", "mulaw", "--rate-limit", "2", "--token-ttl", "30",
                            "--hold-at", "5", "--seed", "9")  # fmt: skip
    try:
        text = "\n".join(banner)
        record_line = next(line for line in banner if "cxone-desktop record" in line)
        assert "--encoding mulaw" in record_line
        for shown in ("rate-limit=2", "token-ttl=30", "hold-at=5", "hold-for=3", "seed=9"):
            assert shown in text, text
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)


def test_a_given_certificate_prints_its_host_name_not_the_address(tmp_path: Path) -> None:
    from cxone_desktop.simulator.tls import make_throwaway_certificate

    tls = make_throwaway_certificate(["cxone.example.test"], tmp_path)
    process, banner = start("--tls-cert", str(tls.cert_path), "--tls-key", str(tls.key_path))
    try:
        text = "\n".join(banner)
        assert re.search(r"listening on https://cxone\.example\.test:\d+", text), text
        assert "cxone.example.test must resolve to 127.0.0.1" in text
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)
    assert process.returncode == 0


def test_the_banner_says_what_a_trace_holds() -> None:
    from cxone_desktop.core.arrival_trace import ArrivalTrace
    from cxone_desktop.simulator.arrival_schedule import ArrivalSchedule
    from cxone_desktop.simulator.command import banner
    from cxone_desktop.simulator.config import Impairments, SimulatorConfig

    frames = [(k * 0.02, bytes(320)) for k in range(1500)]
    sender = ArrivalSchedule(frames, Impairments(jitter_ms=20, loss=0.04), seed="v")
    original = list(sender)
    trace = ArrivalTrace(tuple(m.send_s for m in original), tuple(len(m.data) for m in original))
    config = SimulatorConfig(impairments=Impairments(arrival_trace=trace))
    text = banner("http://127.0.0.1:1", config, None)
    found = int(text.split("B/s stream, ")[1].split(" frames lost")[0])
    assert f"arrival-trace={len(trace)} messages of a 16000 B/s stream" in text
    assert sender.lost_frames - 4 <= found <= sender.lost_frames
