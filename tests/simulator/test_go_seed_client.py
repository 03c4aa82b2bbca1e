"""The seed's own shape of client (Go, gorilla/websocket) streams a whole call from the simulator.

Real host shape: https://demo.niceincontact.com on port 443, pointed at 127.0.0.1 through
/etc/hosts for the duration of the test, with a certificate signed by a throwaway CA that
the Go client trusts through SSL_CERT_FILE. Needs root (port 443, /etc/hosts) and Go with
gorilla/websocket from Debian (golang-github-gorilla-websocket-dev).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cxone_desktop.simulator import Impairments, SimulatorConfig
from cxone_desktop.simulator.server import CXoneSimulator
from cxone_desktop.simulator.tls import make_throwaway_certificate, server_ssl_context

from .support import noise_samples, write_wav

HOST = "demo.niceincontact.com"
SOURCE = Path(__file__).parent / "go_seed_client" / "main.go"
GOPATH = "/usr/share/gocode"  # where Debian's golang-*-dev packages put their sources


@pytest.fixture(scope="module")
def seed_client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("go") is None:
        pytest.fail("needs the Go toolchain: `bash packaging/quickstart.sh test` installs it")
    out = tmp_path_factory.mktemp("go") / "seed_client"
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": GOPATH,
        "GOFLAGS": "",
        "GOCACHE": os.environ.get("GOCACHE", str(tmp_path_factory.getbasetemp() / "gocache")),
    }
    result = subprocess.run(
        ["go", "build", "-o", str(out), str(SOURCE)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, (
        f"go build failed (is gorilla/websocket installed?):\n{result.stderr}"
    )
    return out


@pytest.fixture
def hosts_entry() -> Iterator[None]:
    """Point demo.niceincontact.com at 127.0.0.1, and put /etc/hosts back afterwards."""
    hosts = Path("/etc/hosts")
    original = hosts.read_bytes() if hosts.exists() else None  # a bare chroot may have none
    try:
        hosts.write_bytes((original or b"").rstrip(b"\n") + f"\n127.0.0.1 {HOST}\n".encode())
    except PermissionError:
        pytest.fail("this test must run as root: it edits /etc/hosts and serves port 443")
    try:
        yield
    finally:
        if original is None:
            hosts.unlink()
        else:
            hosts.write_bytes(original)


async def test_the_seed_shaped_go_client_streams_the_whole_call(
    seed_client: Path, hosts_entry: None, tmp_path: Path
) -> None:
    audio = write_wav(tmp_path / "two-seconds.wav", noise_samples(100, seed=8))
    tls = make_throwaway_certificate([HOST], tmp_path / "tls")
    config = SimulatorConfig(
        host="127.0.0.1",
        port=443,
        audio_path=audio,
        impairments=Impairments(fragment="random", seed=5),
        ssl_context=server_ssl_context(tls.cert_path, tls.key_path),
    )
    async with CXoneSimulator(config) as sim:
        assert sim.base_url == "https://127.0.0.1"
        process = await asyncio.create_subprocess_exec(
            str(seed_client),
            env={**os.environ, "SSL_CERT_FILE": str(tls.ca_path), "CXONE_TENANT": "demo",
                 "CXONE_CLIENT_ID": "demo-client", "CXONE_CLIENT_SECRET": "demo-secret",
                 "CXONE_CALL_ID": "demo-call"},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), timeout=30)
        sent = sim.sent_audio("demo-call")
        state = sim.call_state("demo-call")
    assert process.returncode == 0, err.decode()
    counts = re.search(rb"bytes=(\d+) frames=(\d+) remainder=(\d+)", out)
    assert counts, out
    assert int(counts[1]) == len(sent) == 100 * 320
    assert (int(counts[2]), int(counts[3])) == (100, 0)
    assert b'"event":"call.started"' in err and b'"event":"call.ended"' in err
    assert state == "ended"
