"""`gui --demo`: the bundled CXone simulator in a process of its own, and the form values for it.

The simulator paces audio in real time; in the app's process it would share the Qt
thread, so a UI stall would look like network jitter and its CPU would count as the
app's. It is started through the command line (`cxone-desktop simulate --ready-json
--stop-on-stdin-eof`), exactly as a user would run it, and stops when the app closes
its standard input, or dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import subprocess
import sys
import tempfile
from typing import IO

from cxone_desktop.errors import CXoneError
from cxone_desktop.ui.connect_model import ConnectValues

log = logging.getLogger(__name__)

#: How long the simulator may take to say where it listens (imports included).
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0


class DemoSimulatorFailed(CXoneError):
    remedy = "Run `cxone-desktop simulate` in a terminal to see why, or connect to a real tenant."


def self_command() -> list[str]:
    """How to run this app's command line again: the frozen binary, or this interpreter."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "cxone_desktop"]


class DemoSimulator:
    """The simulator process; `values` fill the connect form for its demo call."""

    def __init__(
        self, process: subprocess.Popen[bytes], values: ConnectValues, stderr: IO[bytes]
    ) -> None:
        self._process = process
        self._stderr = stderr
        self.values = values

    @classmethod
    async def start(cls, *extra_args: str) -> DemoSimulator:
        """Start it on a free loopback port and wait until it listens.

        The demo call has two parties (the stereo demo call), so the picker lists it and
        the app hears agent and customer apart.
        """
        command = [*self_command(), "simulate", "--host", "127.0.0.1", "--port", "0",
                   "--two-party", "--ready-json", "--stop-on-stdin-eof",
                   *extra_args]  # fmt: skip
        # Its log goes to a file: a pipe nobody reads would block it once full.
        stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr
        )
        loop = asyncio.get_running_loop()
        assert process.stdout is not None
        try:
            line = await asyncio.wait_for(
                loop.run_in_executor(None, process.stdout.readline), START_TIMEOUT_S
            )
            ready = json.loads(line)
            values = ConnectValues(
                location=str(ready["base_url"]),
                client_id=str(ready["client_id"]),
                client_secret=str(ready["client_secret"]),
                call_id=str(ready["call_ids"][0]),
            )
        except (TimeoutError, ValueError, KeyError, IndexError, TypeError) as exc:
            why = _last_error_line(process, stderr) or type(exc).__name__
            _kill(process)
            stderr.close()
            raise DemoSimulatorFailed(f"The demo simulator did not start: {why}") from exc
        log.info("demo simulator (pid %d) at %s", process.pid, values.location)
        return cls(process, values, stderr)

    @property
    def running(self) -> bool:
        return self._process.poll() is None

    async def stop(self) -> int | None:
        """Close its standard input (it stops itself), then make sure; its exit code."""
        process = self._process
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(loop.run_in_executor(None, process.wait), STOP_TIMEOUT_S)
        except TimeoutError:
            log.warning("the demo simulator did not stop in %.0f s; killing it", STOP_TIMEOUT_S)
            _kill(process)
            return process.returncode
        finally:
            self._stderr.close()
            if process.stdout is not None:  # the pipe its address came on
                process.stdout.close()


def _last_error_line(process: subprocess.Popen[bytes], stderr: IO[bytes]) -> str:
    """The last thing the simulator said on stderr (or how it exited)."""
    text = ""
    with contextlib.suppress(OSError, ValueError):
        stderr.seek(0)
        text = stderr.read().decode("utf-8", "replace")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if lines:
        return lines[-1][:300]
    code = process.poll()
    return "" if code is None else f"it exited with code {code}"


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(OSError):
        process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_TIMEOUT_S)
