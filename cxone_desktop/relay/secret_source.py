"""Where a relay secret comes from: an environment variable, a file, or (for tests) argv.

Secrets on a command line show in `ps` and shell history, so an argv value works but
is warned about. A file is read once, stripped of its trailing newline, and must not
be empty. Nothing here logs a value.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from cxone_desktop.errors import InputError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Secret:
    """A secret value and where it came from (for messages); the value never shows in a repr."""

    value: str = field(repr=False)
    origin: str

    def __str__(self) -> str:
        return f"<secret from {self.origin}>"


def resolve_secret(
    name: str,
    *,
    value: str | None = None,
    env: str | None = None,
    file: str | Path | None = None,
    argv: bool = False,
    environ: dict[str, str] | None = None,
) -> Secret | None:
    """The first of file, env var, literal value that is set; None when none is.

    `name` is the setting's name for messages; `argv` marks a literal that came from
    the command line (warned about). More than one source is an InputError: which
    one wins would be a guess.
    """
    environ = dict(os.environ) if environ is None else environ
    given = [s for s in (value is not None, bool(env), file is not None) if s]
    if len(given) > 1:
        raise InputError(
            name, "give the secret one way: a value, an environment variable or a file"
        )
    if file is not None:
        path = Path(file)
        try:
            text = path.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise InputError(name, f"cannot read the secret file {path}: {exc.strerror}") from exc
        if not text:
            raise InputError(name, f"the secret file {path} is empty")
        return Secret(text, f"file {path}")
    if env:
        text = environ.get(env, "")
        if not text:
            raise InputError(name, f"the environment variable {env} is not set or empty")
        return Secret(text, f"environment variable {env}")
    if value is not None:
        if not value:
            raise InputError(name, "the secret is empty")
        if argv:
            log.warning(
                "%s was given on the command line, where ps and shell history show it; "
                "use an environment variable or a file outside tests",
                name,
            )
        return Secret(value, "command line" if argv else "configuration file")
    return None
