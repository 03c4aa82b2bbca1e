"""Connection failures in words: what was tried (host and port) and what to do; no class names."""

from __future__ import annotations

import asyncio
import socket
import ssl
from pathlib import Path

import httpx
import pytest
import websockets

from cxone_desktop.cxone.unreachable import describe_unreachable
from cxone_desktop.errors import ServiceUnavailable, TlsVerificationFailed


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _httpx_error(url: str, **kwargs) -> BaseException:
    async with httpx.AsyncClient(timeout=kwargs.pop("timeout", 2.0), **kwargs) as client:
        try:
            await client.get(url)
        except Exception as exc:
            return exc
    raise AssertionError("the request succeeded")


def _no_class_names(err: BaseException) -> None:
    for name in ("ConnectError", "gaierror", "ConnectTimeout", "SSLError", "OSError"):
        assert name not in str(err)


async def test_a_name_that_does_not_resolve_says_check_the_tenant() -> None:
    exc = await _httpx_error("https://acmee.invalid/oauth2/token")
    err = describe_unreachable(exc, "the token endpoint", "https://acmee.invalid/oauth2/token")
    assert isinstance(err, ServiceUnavailable)
    assert "acmee.invalid does not resolve" in err.message and "tenant" in err.remedy
    _no_class_names(err)


async def test_a_refused_connection_names_host_and_port() -> None:
    port = _closed_port()
    exc = await _httpx_error(f"http://127.0.0.1:{port}/x")
    err = describe_unreachable(exc, "the token endpoint", f"http://127.0.0.1:{port}/x")
    assert f"127.0.0.1:{port}" in err.message and "refused" in err.message
    _no_class_names(err)


async def test_a_silent_server_is_a_timeout_with_the_address() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)  # accepts the TCP connection, never answers
    port = server.getsockname()[1]
    try:
        exc = await _httpx_error(f"http://127.0.0.1:{port}/x", timeout=0.3)
    finally:
        server.close()
    err = describe_unreachable(exc, "the call-state endpoint", f"http://127.0.0.1:{port}/x")
    assert "did not answer in time" in err.message and f"127.0.0.1:{port}" in err.message


async def test_an_untrusted_certificate_says_what_is_wrong_with_it(tmp_path: Path) -> None:
    from cxone_desktop.simulator.tls import make_throwaway_certificate, server_ssl_context

    cert = make_throwaway_certificate(["other.example.test"], tmp_path)
    context = server_ssl_context(cert.cert_path, cert.key_path)

    async def handler(ws: websockets.ServerConnection) -> None:
        await ws.close()

    async with websockets.serve(handler, "127.0.0.1", 0, ssl=context) as srv:
        port = srv.sockets[0].getsockname()[1]
        trust = ssl.create_default_context(cafile=str(cert.ca_path))
        with pytest.raises(Exception) as ei:
            await websockets.connect(f"wss://127.0.0.1:{port}/s", ssl=trust, open_timeout=3,
                                     server_hostname="wrong.example.test")  # fmt: skip
        untrusted = await asyncio.wait_for(
            _httpx_error(f"https://127.0.0.1:{port}/s", verify=ssl.create_default_context()), 5
        )
    url = f"wss://wrong.example.test:{port}/s"
    wrong_host = describe_unreachable(ei.value, "the voice stream", url)
    assert isinstance(wrong_host, TlsVerificationFailed)
    assert "another host name" in wrong_host.message
    assert f"wrong.example.test:{port}" in wrong_host.message
    unknown_ca = describe_unreachable(untrusted, "the token endpoint", f"https://127.0.0.1:{port}")
    assert isinstance(unknown_ca, TlsVerificationFailed)
    assert "does not trust" in unknown_ca.message or "self-signed" in unknown_ca.message
    assert "--ca-file" in unknown_ca.remedy
