"""Where new session folders go, the File menu's folder actions, and what the status bar says.

The folder is `--out` for one run, else the one chosen in the File menu (remembered
in QSettings), else the platform default (the user's Documents, which survives a
VDI logoff).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QWidget

from cxone_desktop.session.config import default_recordings_dir, legacy_recordings_dir
from cxone_desktop.ui.error_text import Notice

log = logging.getLogger(__name__)

RECORDINGS_KEY = "recordings/folder"


class RecordingsFolder:
    """The recordings folder setting and its dialogs."""

    def __init__(self, settings: QSettings, *, out_dir: Path | None, remember: bool) -> None:
        self._settings = settings
        self._out_dir = out_dir  # --out: wins over the remembered folder for this run
        self._remember = remember

    @property
    def overridden(self) -> bool:
        """--out (or a demo run's choice) decides for this run."""
        return self._out_dir is not None

    def current(self) -> Path:
        if self._out_dir is not None:
            return self._out_dir
        stored = self._settings.value(RECORDINGS_KEY)
        return Path(str(stored)) if stored else default_recordings_dir()

    def set(self, folder: Path) -> None:
        """Use `folder` for the next calls, and remember it (unless in demo mode)."""
        self._out_dir = None if self._remember else folder
        if self._remember:
            self._settings.setValue(RECORDINGS_KEY, str(folder))

    def choose(self, parent: QWidget) -> Path | None:
        path = QFileDialog.getExistingDirectory(
            parent, "Folder for new recordings", str(self.current())
        )
        if not path:
            return None
        self.set(Path(path))
        return Path(path)

    @staticmethod
    def open(folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def recover(self, report: Callable[[str], None] | None = None) -> list[Path]:
        """Repair the sessions a crash left behind here (and in the pre-0.2 default).

        Folders still being recorded are left alone; never raises, so the app always starts.
        """
        from cxone_desktop.session.repair import recover_interrupted

        places = [self.current()]
        if self._out_dir is None:
            places.append(legacy_recordings_dir())
        say = report or (lambda line: log.info("repaired %s", line))
        return recover_interrupted(places, lambda r: say(r.line()))


def recovered_notice(folders: list[Path]) -> Notice | None:
    """What the banner says after startup repaired sessions a crash left behind."""
    if not folders:
        return None
    names = ", ".join(f.name for f in folders[:3]) + (" …" if len(folders) > 3 else "")
    return Notice(
        f"Recovered {len(folders)} recording(s) cut short by a crash: {names}.",
        "Their WAV files were repaired and hold everything up to the crash; "
        "open the recordings folder to export them.",
        "info",
    )


def recording_status(folder: Path | None, *, running: bool, failed: bool) -> str:
    """The status bar's words about the recording: only what is true right now."""
    if running:
        if failed:
            return "Not recording: the files cannot be written (see the message above)"
        return f"Recording in {home_relative(folder)}" if folder is not None else ""
    if folder is not None and folder.is_dir():
        return f"Last recording: {home_relative(folder)}"
    return ""


def home_relative(path: Path | None) -> str:
    """`~/…` for paths under the home folder: shorter, and no user name in screenshots."""
    if path is None:
        return ""
    try:
        return str(Path("~") / path.relative_to(Path.home()))
    except ValueError:
        return str(path)
