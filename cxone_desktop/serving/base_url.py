"""The URL a local client reaches one of our servers at, whatever address it is bound to."""

from __future__ import annotations

#: Bind addresses that mean "every interface": a client on this machine uses loopback.
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def local_base_url(host: str, port: int, *, tls: bool, omit_default_port: bool = False) -> str:
    """`http(s)://host:port`, with IPv6 literals bracketed.

    `omit_default_port` drops `:443`/`:80` so a certificate's host name and the URL a user
    types match exactly (the simulator's banner prints it).
    """
    scheme = "https" if tls else "http"
    if host in WILDCARD_HOSTS:
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    if omit_default_port and port == (443 if tls else 80):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"
