"""No POSIX-only (or Windows-only) call outside `cxone_desktop/portable.py`.

An AST scan of the package: attributes of `os` and `signal` that one platform lacks,
event-loop methods Windows' loops do not implement, platform-only modules, and paths
into `/proc`, `/dev`, `/sys`. Each rule is first shown to catch a snippet, so the scan
cannot pass by seeing nothing.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "cxone_desktop"
PLATFORM_MODULE = PACKAGE / "portable.py"

#: `os.X` that Windows lacks (or, for kill, that does something else there).
OS_ONLY_POSIX = frozenset({
    "pwrite", "pread", "pwritev", "preadv", "kill", "killpg", "getuid", "geteuid", "getgid",
    "getegid", "getgroups", "fork", "forkpty", "setsid", "getsid", "getpgid", "setpgid",
    "getpgrp", "chown", "lchown", "fchown", "mkfifo", "mknod", "statvfs", "fstatvfs",
    "getloadavg", "sync", "wait3", "wait4", "waitid", "uname", "nice", "sched_getaffinity",
    "sched_setaffinity", "posix_fadvise", "posix_fallocate", "sendfile", "openpty", "ttyname",
    "O_NONBLOCK", "O_CLOEXEC", "O_NOFOLLOW", "O_DIRECTORY", "O_SYNC", "O_DSYNC", "WNOHANG",
    "fchmod", "fchdir", "chroot", "getpriority", "setpriority", "sysconf", "pathconf",
})  # fmt: skip
#: `signal.X` that Windows lacks.
SIGNAL_ONLY_POSIX = frozenset({
    "SIGKILL", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGCHLD", "SIGPIPE", "SIGALRM", "SIGQUIT",
    "SIGSTOP", "SIGCONT", "SIGTSTP", "SIGWINCH", "alarm", "setitimer", "getitimer", "pause",
    "siginterrupt", "pthread_kill", "pthread_sigmask", "sigwait", "SIG_BLOCK",
})  # fmt: skip
#: Event-loop methods Windows' loops raise NotImplementedError for (Proactor: readers too).
LOOP_METHODS = frozenset({
    "add_signal_handler", "remove_signal_handler", "add_reader", "add_writer",
    "remove_reader", "remove_writer",
})  # fmt: skip
#: Modules that exist on one platform only.
PLATFORM_MODULES = frozenset({
    "fcntl", "termios", "tty", "pty", "pwd", "grp", "resource", "posix", "syslog", "crypt",
    "msvcrt", "winreg", "_winapi", "winsound", "nt",
})  # fmt: skip
PATH_PREFIXES = ("/proc/", "/dev/", "/sys/", "/proc", "/dev/null")


def violations(source: str, filename: str = "<snippet>") -> list[str]:
    """`file:line: what` for every platform-only use in `source`."""
    found: list[str] = []

    def add(node: ast.AST, what: str) -> None:
        found.append(f"{filename}:{getattr(node, 'lineno', 0)}: {what}")

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute):
            base = node.value.id if isinstance(node.value, ast.Name) else None
            if base == "os" and node.attr in OS_ONLY_POSIX:
                add(node, f"os.{node.attr}")
            elif base == "signal" and node.attr in SIGNAL_ONLY_POSIX:
                add(node, f"signal.{node.attr}")
            elif base == "socket" and node.attr == "AF_UNIX":
                add(node, "socket.AF_UNIX")
            elif base == "ctypes" and node.attr in ("windll", "WinDLL", "WINFUNCTYPE"):
                add(node, f"ctypes.{node.attr}")
            elif node.attr in LOOP_METHODS:
                add(node, f".{node.attr}()")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PLATFORM_MODULES:
                    add(node, f"import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module.split(".")[0] in PLATFORM_MODULES:
                add(node, f"from {module} import …")
            names = {a.name for a in node.names}
            if module == "os" and names & OS_ONLY_POSIX:
                add(node, f"from os import {', '.join(sorted(names & OS_ONLY_POSIX))}")
            if module == "signal" and names & SIGNAL_ONLY_POSIX:
                add(node, f"from signal import {', '.join(sorted(names & SIGNAL_ONLY_POSIX))}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value.startswith(PATH_PREFIXES):
                add(node, f"path {node.value!r}")
        elif isinstance(node, ast.JoinedStr):
            first = node.values[0] if node.values else None
            if isinstance(first, ast.Constant) and str(first.value).startswith(PATH_PREFIXES):
                add(node, f"path f{first.value!r}…")
    return found


@pytest.mark.parametrize(
    "snippet",
    [
        "os.pwrite(fd, b'', 0)",
        "from os import pread",
        "os.kill(pid, 0)",
        "os.geteuid()",
        "loop.add_signal_handler(signal.SIGINT, f)",
        "asyncio.get_running_loop().remove_signal_handler(2)",
        "loop.add_reader(fd, cb)",
        "import fcntl",
        "import msvcrt",
        "from fcntl import flock",
        "signal.signal(signal.SIGHUP, f)",
        "open('/proc/self/stat')",
        "Path(f'/proc/{pid}/stat')",
        "open('/dev/full', 'wb')",
        "os.open(p, os.O_RDONLY | os.O_NONBLOCK)",
        "ctypes.windll.kernel32",
    ],
)
def test_the_scan_catches_each_kind_of_platform_only_call(snippet: str) -> None:
    assert violations(snippet), snippet


def test_the_scan_lets_portable_calls_through() -> None:
    ok = "os.write(fd, b'')\nos.replace(a, b)\nsignal.signal(signal.SIGINT, f)\nos.devnull\n"
    assert violations(ok) == []


def test_no_platform_only_call_outside_the_platform_module() -> None:
    files = sorted(p for p in PACKAGE.rglob("*.py") if p != PLATFORM_MODULE)
    assert len(files) > 50  # the whole package was scanned
    found = [v for f in files for v in violations(f.read_text(encoding="utf-8"), str(f))]
    assert found == [], "\n".join(found)


def test_the_platform_module_is_small_and_is_where_they_are() -> None:
    source = PLATFORM_MODULE.read_text(encoding="utf-8")
    assert violations(source)  # it does hold them
    assert len(source.splitlines()) <= 400
