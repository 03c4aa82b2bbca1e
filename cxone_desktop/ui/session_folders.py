"""The File menu's actions on session folders: export a call, review one, repair the ones a
crash left behind, and choose or open where new ones go.

The window keeps the menus and decides when each action is enabled; these say how each
went in the status bar, the banner and aloud.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, SignalInstance
from PySide6.QtWidgets import QFileDialog, QMainWindow

from cxone_desktop.errors import RecordingError
from cxone_desktop.ui.call_news import CallNews
from cxone_desktop.ui.controller import SessionController
from cxone_desktop.ui.error_text import Notice, describe_error
from cxone_desktop.ui.recordings_folder import RecordingsFolder, home_relative, recovered_notice
from cxone_desktop.ui.session_export import SessionExporter


class SessionFolders:
    """Export, review, recovery and the recordings folder, for the main window."""

    def __init__(
        self,
        window: QMainWindow,
        settings: QSettings,
        *,
        controller: SessionController,
        exporter: SessionExporter,
        news: CallNews,
        may_open_device: Callable[[], bool],
        window_closed: SignalInstance,
        out_dir: Path | None,
        remember: bool,
    ) -> None:
        self._window = window
        self._controller = controller
        self._exporter = exporter
        self._news = news
        self._may_open_device = may_open_device
        self._window_closed = window_closed  # a review window closes with the main one
        self.recordings = RecordingsFolder(settings, out_dir=out_dir, remember=remember)

    def export_session(self, *, excel: bool = False) -> list[Path]:
        """Everything of the current or last call into a folder the user picks; the files."""
        folder = self._controller.folder
        if folder is None or not folder.is_dir():
            notice = Notice("Nothing to export yet.", "Connect to a call first.", "info")
            self._news.show_notice(notice)
            return []
        into = self._exporter.ask_folder()
        if into is None:
            return []
        try:
            result = self._exporter.export(
                folder, into, live_summary=self._controller.checkpoint(), excel=excel
            )
        except RecordingError as exc:
            self._news.show_notice(describe_error(exc), assertive=True)
            return []
        text = f"Exported {len(result.written)} file(s) to {home_relative(result.dest)}"
        self._window.statusBar().showMessage(text, 8000)
        self._news.announcer.say(f"{text}.")
        return result.written

    def recordings_dir(self) -> Path:
        """Where new session folders go: --out, else the folder chosen in settings, else default."""
        return self.recordings.current()

    def set_recordings_dir(self, folder: Path) -> None:
        """Use `folder` for the next calls, and remember it (unless in demo mode)."""
        self.recordings.set(folder)
        self._say_new_folder(folder)

    def choose_recordings_dir(self) -> None:
        folder = self.recordings.choose(self._window)
        if folder is not None:
            self._say_new_folder(folder)

    def open_recordings(self) -> None:
        folder = self._controller.folder
        if folder is None or not folder.is_dir():
            folder = self.recordings_dir()
        self.recordings.open(folder)

    def recover_interrupted(self) -> list[Path]:
        """Fix the WAV headers of sessions a crash left behind, and say so (never raises)."""
        folders = self.recordings.recover()
        notice = recovered_notice(folders)
        if notice is not None:
            self._news.show_notice(notice)
        return folders

    def open_review(self, folder: Path | None = None) -> Any:
        """Open a recorded session in a review window (asks for the folder if none given)."""
        from cxone_desktop.errors import ReviewError
        from cxone_desktop.ui.review_window import open_review_window

        if folder is None:
            path = QFileDialog.getExistingDirectory(
                self._window, "Open a recorded session", str(self.recordings_dir())
            )
            if not path:
                return None
            folder = Path(path)
        try:
            window = open_review_window(
                folder, may_open_device=self._may_open_device, opener=self.open_review
            )
        except ReviewError as exc:
            self._news.show_notice(Notice(exc.message, exc.remedy))
            return None
        self._window_closed.connect(window.close)
        return window

    def _say_new_folder(self, folder: Path) -> None:
        self._window.statusBar().showMessage(f"New recordings go to {home_relative(folder)}", 8000)
