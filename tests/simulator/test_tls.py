"""HTTPS and WSS with a CA the client trusts, made with openssl (tests) or by the simulator."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import websockets

from cxone_desktop.errors import InputError
from cxone_desktop.simulator.server import CXoneSimulator
from cxone_desktop.simulator.tls import make_throwaway_certificate, server_ssl_context

from .support import config, listen, stream_url


def openssl_ca_and_server_cert(directory: Path) -> tuple[Path, Path, Path]:
    """(ca.pem, server.pem, server.key) for 127.0.0.1/localhost via the openssl CLI."""

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)

    run(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=Test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
    )
    run(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    )
    (directory / "ext.cnf").write_text(
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
    )
    run(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        "ext.cnf",
        "-out",
        "server.pem",
    )
    return directory / "ca.pem", directory / "server.pem", directory / "server.key"


async def test_https_and_wss_with_an_openssl_ca(
    tmp_path: Path, call_wav: Callable[..., tuple[Path, bytes]]
) -> None:
    ca, cert, key = openssl_ca_and_server_cert(tmp_path)
    audio, source = call_wav(5)
    trust = ssl.create_default_context(cafile=str(ca))
    async with CXoneSimulator(config(audio, ssl_context=server_ssl_context(cert, key))) as sim:
        assert sim.base_url.startswith("https://127.0.0.1:")
        async with httpx.AsyncClient(verify=trust) as http:
            response = await http.post(
                f"{sim.base_url}/oauth2/token",
                data={"grant_type": "client_credentials"},
                auth=("demo-client", "demo-secret"),
            )
        assert response.status_code == 200
        url = stream_url(sim, response.json()["access_token"])
        assert url.startswith("wss://")
        heard = await listen(url, ssl=trust)
        assert heard.close_code == 1000 and bytes(heard.audio) == source
        # Without the CA the client must refuse the certificate.
        with pytest.raises(ssl.SSLCertVerificationError):
            async with websockets.connect(url, ssl=ssl.create_default_context()):
                pass


async def test_the_throwaway_certificate_is_trusted_through_its_ca(
    tmp_path: Path, call_wav: Callable[..., tuple[Path, bytes]]
) -> None:
    made = make_throwaway_certificate(["sim.example"], tmp_path / "tls")
    assert made.key_path.stat().st_mode & 0o077 == 0
    audio, _ = call_wav(3)
    context = server_ssl_context(made.cert_path, made.key_path)
    async with CXoneSimulator(config(audio, ssl_context=context)) as sim:
        trust = ssl.create_default_context(cafile=str(made.ca_path))
        token = await fetch_token_tls(sim, trust)
        heard = await listen(stream_url(sim, token), ssl=trust)
        assert heard.close_code == 1000


async def fetch_token_tls(sim: CXoneSimulator, trust: ssl.SSLContext) -> str:
    async with httpx.AsyncClient(verify=trust) as http:
        response = await http.post(
            f"{sim.base_url}/oauth2/token",
            json={
                "grant_type": "client_credentials",
                "client_id": "demo-client",
                "client_secret": "demo-secret",
            },
        )
    assert response.status_code == 200
    return str(response.json()["access_token"])


def test_a_missing_key_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="tls-cert"):
        server_ssl_context(tmp_path / "nope.pem", tmp_path / "nope.key")
