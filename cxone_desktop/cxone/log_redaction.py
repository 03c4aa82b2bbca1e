"""Scrub credentials from log records written by libraries that see the raw wire.

websockets logs the request line (with `?access_token=`) and headers (with
`Authorization: Bearer`) at DEBUG; the stream hands it a logger carrying this filter.
What counts as a secret is decided in one place, `cxone_desktop.redaction`.
"""

from __future__ import annotations

import logging

from cxone_desktop.redaction import redact_text

__all__ = ["RedactingFilter", "redact_text", "redacting_logger"]


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
