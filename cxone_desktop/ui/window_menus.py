"""The window's actions, shortcuts and menus (File: Alt+F, Call: Alt+C)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QMainWindow

from cxone_desktop import portable


def mute_shortcut(macos: bool = portable.IS_MACOS) -> str:
    """Ctrl+M, except on macOS: there Qt's "Ctrl" is Cmd, and Cmd+M is the system's Minimize.

    Cmd+Shift+M is what Teams uses for mute on a Mac.
    """
    return "Ctrl+Shift+M" if macos else "Ctrl+M"


@dataclass(frozen=True)
class WindowSlots:
    """What each action does (the window's methods)."""

    connect: Callable[[], object]
    disconnect: Callable[[], object]
    mute: Callable[[], object]
    export: Callable[[], object]
    export_excel: Callable[[], object]
    open_folder: Callable[[], object]
    choose_folder: Callable[[], object]
    vdi_buffer: Callable[[bool], object]
    quit: Callable[[], object]
    escape: Callable[[], object]
    open_review: Callable[[], object]


@dataclass(frozen=True)
class WindowActions:
    connect: QAction
    disconnect: QAction
    mute: QAction
    export: QAction
    export_excel: QAction
    open_folder: QAction
    choose_folder: QAction
    vdi_buffer: QAction
    quit: QAction
    escape: QShortcut
    open_review: QAction


def build_menus(window: QMainWindow, slots: WindowSlots, *, vdi_buffer_ms: int) -> WindowActions:
    def action(text: str, shortcut: str | None, slot: Callable[..., object]) -> QAction:
        act = QAction(text, window)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        act.triggered.connect(slot)
        window.addAction(act)
        return act

    export = action("&Export session…", "Ctrl+E", slots.export)
    export.setToolTip(
        "Copy everything of this call (both recordings, metrics, summary, events and "
        "any other file in its folder) into a folder named after it"
    )
    vdi = action("Large audio &buffer (Citrix, remote desktop)", None, slots.vdi_buffer)
    vdi.setCheckable(True)
    vdi.setToolTip(
        f"Buffer {vdi_buffer_ms} ms of audio in the sound device: no dropouts when the "
        "audio crosses the network to a thin client, at the cost of that much delay"
    )
    quit_action = action("&Quit", None, slots.quit)
    # Ctrl+Q / Cmd+Q where the platform has one (Windows has none: Alt+F4 closes).
    quit_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Quit))
    quit_action.setMenuRole(QAction.MenuRole.QuitRole)
    # Escape closes the banner; window-wide, so it works wherever focus is.
    escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), window)
    escape.setContext(Qt.ShortcutContext.WindowShortcut)
    escape.activated.connect(slots.escape)
    acts = WindowActions(
        connect=action("&Connect", "Ctrl+Return", slots.connect),
        disconnect=action("&Disconnect", "Ctrl+D", slots.disconnect),
        mute=action("&Mute", mute_shortcut(), slots.mute),
        export=export,
        export_excel=action("Export session for E&xcel (CSV with BOM)…", None, slots.export_excel),
        open_folder=action("&Open recordings folder", None, slots.open_folder),
        choose_folder=action("Recordings &folder…", None, slots.choose_folder),
        vdi_buffer=vdi,
        quit=quit_action,
        escape=escape,
        open_review=action("Open recorded &session…", "Ctrl+O", slots.open_review),
    )
    acts.disconnect.setEnabled(False)
    acts.export.setEnabled(False)
    acts.export_excel.setEnabled(False)

    menu = window.menuBar()
    file_menu = menu.addMenu("&File")
    file_menu.setWindowTitle("File")  # the popup's accessible name
    file_items = (acts.open_review, None, acts.export, acts.export_excel, None, acts.open_folder,
                  acts.choose_folder, None)  # fmt: skip
    for act in file_items:
        if act is None:
            file_menu.addSeparator()
        else:
            file_menu.addAction(act)
    file_menu.addAction(acts.quit)
    call_menu = menu.addMenu("&Call")
    call_menu.setWindowTitle("Call")
    for act in (acts.connect, acts.disconnect, acts.mute, None, acts.vdi_buffer):
        if act is None:
            call_menu.addSeparator()
        else:
            call_menu.addAction(act)
    return acts
