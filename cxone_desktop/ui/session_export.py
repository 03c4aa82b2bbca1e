"""File ▸ Export session…: every file of a session into `<chosen folder>/<session name>/`.

The recordings and metrics go through `session.export.export_session`, which copies
them consistently even while the call still records. Other files a session folder
may hold (arrivals.csv, cue or annotation files written beside the recordings) are
copied as they are, a text file up to its last complete line. One subfolder per
session, so exporting another call to the same place replaces nothing. The folder
chosen last time is offered next time (QSettings).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QWidget

from cxone_desktop.errors import RecordingError
from cxone_desktop.private_files import describe_os_error, open_private, replace_file
from cxone_desktop.session.export import export_session
from cxone_desktop.session.session_format import UTF8_BOM

EXPORT_FOLDER_KEY = "export/last_folder"
#: Text files cut at their last complete line (a writer may be mid-line).
_LINE_FILES = (".csv", ".jsonl", ".txt", ".tsv")


@dataclass(frozen=True)
class ExportResult:
    dest: Path
    written: list[Path]


class SessionExporter:
    """Asks where, copies everything, remembers the place."""

    def __init__(self, parent: QWidget, settings: QSettings, *, remember: bool) -> None:
        self._parent = parent
        self._settings = settings
        self._remember = remember
        self._last: Path | None = None

    def last_folder(self) -> Path:
        """Where the dialog opens: the folder chosen last time, else the home folder."""
        if self._last is not None:
            return self._last
        stored = self._settings.value(EXPORT_FOLDER_KEY)
        return Path(str(stored)) if stored else Path.home()

    def ask_folder(self) -> Path | None:
        """The folder to export into, from a dialog (tests replace this method)."""
        path = QFileDialog.getExistingDirectory(
            self._parent, "Export session to folder", str(self.last_folder())
        )
        return Path(path) if path else None

    def export(
        self,
        folder: Path,
        into: Path,
        *,
        live_summary: Mapping[str, Any] | None = None,
        excel: bool = False,
    ) -> ExportResult:
        """Copy session `folder` to `into/<folder name>/`; raises RecordingError naming a file.

        `excel` starts every CSV with a UTF-8 BOM, which Excel needs to read it as UTF-8.
        """
        dest = into / folder.name
        written = export_session(
            folder,
            dest,
            raw=True,
            processed=True,
            metrics=True,
            live_summary=live_summary,
            csv_bom=excel,
        )
        done = {p.name for p in written}
        for src in sorted(folder.iterdir()):
            if src.name.startswith(".") or src.name in done or not src.is_file():
                continue  # the recording marker, temp files, what export_session wrote
            written.append(_copy_as_is(src, dest / src.name, bom=excel and src.suffix == ".csv"))
        self._last = into
        if self._remember:
            self._settings.setValue(EXPORT_FOLDER_KEY, str(into))
        return ExportResult(dest, written)


def _copy_as_is(src: Path, target: Path, *, bom: bool) -> Path:
    """Copy `src` (a text file up to its last complete line) via a 0600 temp file."""
    tmp = target.with_name(f".{target.name}.part")
    try:
        data = src.read_bytes()
        if src.suffix in _LINE_FILES and data and not data.endswith(b"\n"):
            data = data[: data.rfind(b"\n") + 1]
        if bom and not data.startswith(UTF8_BOM.encode("utf-8")):
            data = UTF8_BOM.encode("utf-8") + data
        fd = open_private(tmp, exclusive=False)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        replace_file(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise RecordingError(f"Cannot export {src} to {target}: {describe_os_error(exc)}") from exc
    return target
