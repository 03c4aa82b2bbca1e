"""TLS for the simulator; the code lives in `cxone_desktop.serving.tls`, shared with the relay."""

from cxone_desktop.serving.tls import (
    ThrowawayCertificate,
    make_throwaway_certificate,
    server_ssl_context,
)

__all__ = ["ThrowawayCertificate", "make_throwaway_certificate", "server_ssl_context"]
