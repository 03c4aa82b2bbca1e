"""Scrub credentials from log records written by libraries that see the raw wire.

websockets logs the request line (with `?access_token=`) and headers (with
`Authorization: Bearer`) at DEBUG; the stream hands it a logger carrying this filter.
"""

from __future__ import annotations

import logging
import re

_QUERY_SECRET_RE = re.compile(
    r"(?i)([?&#;\s](?:access_token|id_token|refresh_token|token|client_secret|secret)=)[^&\s\"'#]+"
)
_AUTH_HEADER_RE = re.compile(r"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+")


def redact_text(text: str) -> str:
    """The text with token-ish query values and Authorization credentials replaced by ***."""
    text = _QUERY_SECRET_RE.sub(r"\1***", text)
    return _AUTH_HEADER_RE.sub(r"\1 ***", text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message through `redact_text` (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler to report
            return True
        clean = redact_text(msg)
        if clean != msg:
            record.msg = clean
            record.args = None
        return True


def redacting_logger(name: str) -> logging.Logger:
    """A logger that scrubs every record logged to it directly."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
    return logger
