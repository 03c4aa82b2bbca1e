"""Every OS-specific call the app makes, behind one small face.

Windows has no `os.pwrite`/`os.pread`, no `loop.add_signal_handler`, no `fcntl` and no
`/proc`, and there `os.kill(pid, 0)` terminates the process instead of probing it; macOS
has no `/proc` either. The rest of the package calls this module instead, and
`tests/portability` holds it to that: an AST scan finds no POSIX-only call outside this
file, and a test mode that deletes `os.pwrite`/`os.pread` and makes `add_signal_handler`
raise runs the recorder, `record`, export and repair on the fallbacks below.

Fallbacks are chosen at call time (not import time), so a test that removes a call
in-process exercises them too. Windows-only branches cannot run here; they are kept
short and named in the README's "Windows, macOS and VDI" section as untested.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the review imports this module where no event loop is wanted
    import asyncio

log = logging.getLogger(__name__)

IS_WINDOWS = sys.platform == "win32"
IS_MACOS = sys.platform == "darwin"
IS_LINUX = sys.platform.startswith("linux")

#: File modes (0600/0700) protect files on POSIX only; Windows ignores them (ACLs rule).
POSIX_MODES = not IS_WINDOWS
#: Windows byte-range locks are mandatory: lock one byte far past any content, so other
#: processes can still read the marker. POSIX `flock` locks the whole file, advisory.
_WINDOWS_LOCK_OFFSET = 1 << 30
#: Windows errors for "another program has this file open" (access denied, sharing and
#: lock violations): a player or Excel holding a file we want to replace.
_WINDOWS_IN_USE = frozenset({5, 32, 33})


# -- positioned I/O ------------------------------------------------------------------------


def pwrite(fd: int, data: bytes | bytearray | memoryview, offset: int) -> None:
    """Write all of `data` at `offset` without moving the file position for later writes."""
    view = memoryview(data).cast("B")
    native = getattr(os, "pwrite", None)
    if native is not None:
        while view:
            n = native(fd, view, offset)
            if n <= 0:
                raise OSError(errno.EIO, "pwrite wrote nothing")
            view, offset = view[n:], offset + n
        return
    # Windows: seek, write, seek back (the file's owner is single-threaded).
    position = os.lseek(fd, 0, os.SEEK_CUR)
    try:
        os.lseek(fd, offset, os.SEEK_SET)
        while view:
            n = os.write(fd, view)
            if n <= 0:
                raise OSError(errno.EIO, "write wrote nothing")
            view = view[n:]
    finally:
        os.lseek(fd, position, os.SEEK_SET)


def pread(fd: int, size: int, offset: int) -> bytes:
    """Up to `size` bytes from `offset` (fewer only at the end of the file)."""
    native = getattr(os, "pread", None)
    if native is not None:
        data: bytes = native(fd, size, offset)
        return data
    position = os.lseek(fd, 0, os.SEEK_CUR)
    try:
        os.lseek(fd, offset, os.SEEK_SET)
        chunks: list[bytes] = []
        while size > 0:
            chunk = os.read(fd, size)
            if not chunk:
                break
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)
    finally:
        os.lseek(fd, position, os.SEEK_SET)


# -- file locks ------------------------------------------------------------------------------


def lock_file(fd: int) -> bool:
    """Take an exclusive lock on `fd`'s file without waiting.

    True: held until `unlock_file` or until the process ends (the OS drops it however the
    process ends, which is what makes it a liveness test). False: another open file holds
    it, in this process or another. Raises OSError where the file system has no locks.
    """
    if sys.platform == "win32":  # spelled out so type checkers see the branch
        import msvcrt

        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EDEADLK):
                return False
            raise
        finally:
            os.lseek(fd, 0, os.SEEK_SET)
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def unlock_file(fd: int) -> None:
    """Release a lock taken by `lock_file` (closing the file releases it too)."""
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        finally:
            os.lseek(fd, 0, os.SEEK_SET)
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)


def file_in_use(exc: OSError) -> bool:
    """True when `exc` means another program holds the file open (Windows sharing rules).

    POSIX lets a file be replaced or deleted while others read it, so there it is never so.
    """
    return isinstance(exc, PermissionError) and getattr(exc, "winerror", None) in _WINDOWS_IN_USE


# -- page cache ------------------------------------------------------------------------------


def drop_cached_pages(path: str | os.PathLike[str]) -> bool:
    """Ask the OS to forget `path`'s pages in its cache, so the next read comes from the disk.

    Written pages are flushed first (only clean pages can be dropped). True when the OS
    took the request (`posix_fadvise`, Linux and the BSDs); False where there is no such
    call (Windows, macOS), and then nothing was done. For benchmarks of a cold open.
    """
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        advise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
    return True


# -- console -----------------------------------------------------------------------------------


def make_console_streams_safe() -> None:
    """Never crash printing non-ASCII: stdout redirected on Windows is cp1252, not UTF-8."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:
            continue
        with contextlib.suppress(ValueError, OSError):
            reconfigure(errors="replace")


class InterruptHandlers:
    """Ctrl+C, SIGTERM, Ctrl+Break and closing the console → `on_interrupt()` on `loop`.

    Where the loop supports it (POSIX) the loop's own signal handlers are used. Where
    `add_signal_handler` raises NotImplementedError (Windows' event loops, or the test
    mode) a plain `signal.signal` handler hands the call to the loop with
    `call_soon_threadsafe`. On Windows a console control handler also catches the close
    button, logoff and shutdown: Windows ends the process as soon as that handler
    returns, so it waits (at most `close_grace_s`; Windows allows about 5 s) until
    `finished()` says the files are final.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        on_interrupt: Callable[[], None],
        *,
        close_grace_s: float = 4.5,
    ) -> None:
        self._loop = loop
        self._on_interrupt = on_interrupt
        self._close_grace_s = close_grace_s
        self._done = threading.Event()
        self._loop_signals: list[int] = []
        self._previous: dict[int, Any] = {}
        self._console_handler: Any = None
        #: True when the loop's own signal support is in use; False for the fallback.
        self.native = True

    def install(self) -> InterruptHandlers:
        sigs = [signal.SIGINT, signal.SIGTERM]
        if hasattr(signal, "SIGBREAK"):  # Ctrl+Break, Windows only
            sigs.append(signal.SIGBREAK)
        for sig in sigs:
            try:
                self._loop.add_signal_handler(sig, self._on_interrupt)
                self._loop_signals.append(sig)
            except (NotImplementedError, RuntimeError):
                self.native = False
                with contextlib.suppress(ValueError, OSError):  # not the main thread
                    self._previous[sig] = signal.signal(sig, self._python_handler)
        if IS_WINDOWS:
            self._install_console_handler()
        return self

    def finished(self) -> None:
        """The program has finalized its files; a waiting console-close handler may return."""
        self._done.set()

    def uninstall(self) -> None:
        self.finished()
        for sig in self._loop_signals:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                self._loop.remove_signal_handler(sig)
        self._loop_signals.clear()
        for sig, previous in self._previous.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(sig, previous)
        self._previous.clear()
        if sys.platform == "win32" and self._console_handler is not None:
            import ctypes

            ctypes.windll.kernel32.SetConsoleCtrlHandler(self._console_handler, False)
            self._console_handler = None

    def _python_handler(self, signum: int, frame: object) -> None:
        # Runs in the main thread between two bytecodes; the loop may be waiting in select.
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            self._loop.call_soon_threadsafe(self._on_interrupt)

    def console_event(self, ctrl_type: int) -> bool:
        """What the Windows console control handler does (a thread Windows starts).

        Ctrl+C and Ctrl+Break (0, 1) are left to the signal handlers. Close, logoff and
        shutdown (2, 5, 6) ask the loop to stop, then wait for `finished()`.
        """
        if ctrl_type in (0, 1):
            return False
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._on_interrupt)
        self._done.wait(self._close_grace_s)
        return True

    def _install_console_handler(self) -> None:
        if sys.platform != "win32":
            return
        import ctypes
        from ctypes import wintypes

        prototype = ctypes.WINFUNCTYPE(wintypes.BOOL, wintypes.DWORD)
        self._console_handler = prototype(self.console_event)  # keep a reference
        if not ctypes.windll.kernel32.SetConsoleCtrlHandler(self._console_handler, True):
            log.warning("cannot watch the console's close button")
            self._console_handler = None


# -- X11 ---------------------------------------------------------------------------------

#: The ctypes callbacks handed to Xlib: they must live as long as the process.
_X11_HANDLERS: list[object] = []


def survive_x11_connection_loss(display: int) -> bool:
    """Let the process outlive its X server (it died, the desktop session ended).

    When Xlib finds its connection broken it calls the I/O error handler, whose default
    (and Qt's, which ends in it) calls exit(1), then the display's exit handler, which
    exits too. Whether that happens is a race: only an Xlib call made after the break
    (Qt makes a few) trips it. The app must stop its call and finalize its files first,
    so both handlers here return instead; the Xlib call in flight then fails and returns
    (libX11 ≥ 1.7). `display` is Xlib's `Display *` (Qt's `QX11Application.display()`).
    False where this cannot be done (no libX11, or one without exit handlers).
    """
    if IS_WINDOWS or not display:
        return False
    import ctypes

    try:
        xlib = ctypes.CDLL("libX11.so.6")
        set_io_handler, set_exit_handler = xlib.XSetIOErrorHandler, xlib.XSetIOErrorExitHandler
    except (OSError, AttributeError):
        return False
    io_handler_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
    exit_handler_type = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)
    set_io_handler.argtypes = [io_handler_type]
    set_io_handler.restype = ctypes.c_void_p
    set_exit_handler.argtypes = [ctypes.c_void_p, exit_handler_type, ctypes.c_void_p]
    set_exit_handler.restype = None
    io_handler = io_handler_type(_x11_io_error)
    exit_handler = exit_handler_type(_x11_io_error_exit)
    _X11_HANDLERS.extend((io_handler, exit_handler))
    set_io_handler(io_handler)
    set_exit_handler(display, exit_handler, None)
    return True


def _x11_io_error(_display: int | None) -> int:
    log.warning("the connection to the X server broke")
    return 0


def _x11_io_error_exit(_display: int | None, _data: int | None) -> None:
    """Instead of exit(1): the app's own shutdown follows (see `ui/launch.py`)."""
