"""The main window: connect form and call state on the left, sound and network on the right.

One QTimer at 20 fps (FRAME_INTERVAL_MS) reads the session's rings and redraws; nothing
redraws per packet. The File menu's session-folder actions are `SessionFolders`';
stopping the call on Disconnect, on close and at logoff is `CallStopper`'s.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow

from cxone_desktop.core.dsp import DspSettings
from cxone_desktop.core.listen_mode import LISTEN_MODES, ListenMode
from cxone_desktop.core.state_machine import CallState
from cxone_desktop.errors import CXoneError, InputError, RecordingError
from cxone_desktop.session.session_result import SessionResult
from cxone_desktop.ui.announcer import Announcer
from cxone_desktop.ui.audio_output import VDI_BUFFER_MS, QtPlayoutSink
from cxone_desktop.ui.call_news import CallNews
from cxone_desktop.ui.call_state_panel import CallStatePanel
from cxone_desktop.ui.call_stopper import CallStopper
from cxone_desktop.ui.connect_form import ConnectForm
from cxone_desktop.ui.connect_model import ConnectValues, to_session_config
from cxone_desktop.ui.controller import SessionController, SessionFactory
from cxone_desktop.ui.controls_panel import ControlsPanel
from cxone_desktop.ui.error_banner import ErrorBanner
from cxone_desktop.ui.error_text import Notice
from cxone_desktop.ui.focus_ring import FocusRing
from cxone_desktop.ui.live_display import LiveDisplay
from cxone_desktop.ui.metrics_view import MetricsView
from cxone_desktop.ui.recordings_folder import recording_status
from cxone_desktop.ui.secret_store import SecretStore
from cxone_desktop.ui.session_export import SessionExporter
from cxone_desktop.ui.session_folders import SessionFolders
from cxone_desktop.ui.waveform_view import WaveformView
from cxone_desktop.ui.window_layout import build_layout
from cxone_desktop.ui.window_menus import WindowSlots, build_menus, mute_shortcut

__all__ = ["MainWindow", "mute_shortcut"]

log = logging.getLogger(__name__)

FRAME_INTERVAL_MS = 50
#: A larger sound-device buffer for remote desktops (Citrix, VMware Horizon, RDP).
VDI_BUFFER_KEY = "audio/vdi_buffer"
#: QA listening: gain 0 dB and no gate whatever the sliders say.
BYPASS_KEY = "dsp/bypass"
#: What the listener hears of a two-party call (mixed, both, agent, customer).
LISTEN_MODE_KEY = "audio/listen_mode"
WINDOW_TITLE = "CXone Voice Desktop"


class MainWindow(QMainWindow):
    """Everything the listener sees; talks to the session only through the controller."""

    #: Emitted once the window has really closed (after any running call was stopped).
    closed = Signal()

    def __init__(
        self,
        *,
        settings: QSettings,
        secrets: SecretStore | None = None,
        playout: QtPlayoutSink | None = None,
        controller: SessionController | None = None,
        session_factory: SessionFactory | None = None,
        out_dir: Path | None = None,
        remember_settings: bool = True,
    ) -> None:
        super().__init__()
        self.setWindowTitle(WINDOW_TITLE)
        self._display_lost = False
        self._fit_to_screen(1280, 800)
        self._settings = settings
        self._remember = remember_settings
        self._recording_failed = False
        self._busy = False
        self._picker_held = False  # the picker polled, and was stopped on the way out

        vdi = str(settings.value(VDI_BUFFER_KEY, "false")).lower() == "true"
        buffer_ms = VDI_BUFFER_MS if vdi else 200
        self.playout = (
            playout if playout is not None else QtPlayoutSink(self, device_buffer_ms=buffer_ms)
        )
        self.controller = controller or SessionController(
            self, playout_sink=self.playout, session_factory=session_factory
        )
        self.stopper = CallStopper(self.controller, close_window=self.close)

        self.banner = ErrorBanner()
        self.form = ConnectForm(settings, secrets or SecretStore())
        self.state_panel = CallStatePanel()
        mode = str(settings.value(LISTEN_MODE_KEY, "both"))
        self.controls = ControlsPanel(
            DspSettings(bypass=str(settings.value(BYPASS_KEY, "false")).lower() == "true"),
            listen_mode=mode if mode in LISTEN_MODES else "both",  # type: ignore[arg-type]
        )
        self.waveform = WaveformView()
        self.metrics = MetricsView()
        self.display = LiveDisplay(self.waveform, self.metrics, self.controls.parties)

        self.layout_parts = build_layout(
            banner=self.banner,
            form=self.form,
            state_panel=self.state_panel,
            waveform=self.waveform,
            metrics=self.metrics,
            controls=self.controls,
        )
        self.setCentralWidget(self.layout_parts.central)

        self.folder_label = QLabel()
        self.folder_label.setObjectName("folder_label")
        self.statusBar().addWidget(self.folder_label, 1)

        self.exporter = SessionExporter(self, settings, remember=remember_settings)
        self.announcer = Announcer(self)
        self.news = CallNews(
            banner=self.banner,
            state_panel=self.state_panel,
            metrics=self.metrics,
            announcer=self.announcer,
            set_title=self._set_title,
        )
        self.folders = SessionFolders(
            self,
            settings,
            controller=self.controller,
            exporter=self.exporter,
            news=self.news,
            # A review's own sink: never opened once the live sink saw the sound server die.
            may_open_device=lambda: not self.playout.stalled,
            window_closed=self.closed,
            out_dir=out_dir,
            remember=remember_settings,
        )
        self.focus_ring = FocusRing(self)
        self._build_actions()
        self._wire()
        self.controls.set_devices(self.playout.devices(), self.playout.device)
        self.controls.set_output_status(self.playout.status)

        self._frame_timer = QTimer(self)
        self._frame_timer.setInterval(FRAME_INTERVAL_MS)
        self._frame_timer.timeout.connect(self.tick)
        self._frame_timer.start()

    def _fit_to_screen(self, width: int, height: int) -> None:
        """Open at `width`×`height`, or at what the screen has room for (a 1366×768 laptop,
        a VDI window) so no edge starts off screen."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is not None:
            room = screen.availableGeometry()
            frame = 40  # title bar and borders the window manager adds
            width, height = min(width, room.width()), min(height, room.height() - frame)
        self.resize(width, height)

    # ---- actions ---------------------------------------------------------------------------
    def _build_actions(self) -> None:
        acts = build_menus(
            self,
            WindowSlots(
                connect=self.connect_call,
                disconnect=self.disconnect_call,
                mute=self.controls.mute.toggle,
                export=self.folders.export_session,
                export_excel=lambda: self.folders.export_session(excel=True),
                open_folder=self.folders.open_recordings,
                choose_folder=self.folders.choose_recordings_dir,
                vdi_buffer=self.set_vdi_buffer,
                quit=self.close,
                escape=self.dismiss_notice,
                open_review=lambda: self.folders.open_review(),
            ),
            vdi_buffer_ms=VDI_BUFFER_MS,
        )
        self.connect_action, self.disconnect_action = acts.connect, acts.disconnect
        self.mute_action, self.quit_action = acts.mute, acts.quit
        self.export_action, self.export_excel_action = acts.export, acts.export_excel
        self.open_folder_action, self.choose_folder_action = acts.open_folder, acts.choose_folder
        self.vdi_buffer_action, self.escape_shortcut = acts.vdi_buffer, acts.escape
        self.review_action = acts.open_review
        self.vdi_buffer_action.setChecked(self.playout.device_buffer_ms >= VDI_BUFFER_MS)
        key = self.mute_action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        self.controls.mute.setToolTip(f"Mute playback ({key}); recording carries on")

    def _wire(self) -> None:
        c = self.controller
        self.form.connect_requested.connect(self.connect_call)
        self.form.connect_refused.connect(self._refuse_form)
        self.controls.value_spoken.connect(self.announcer.say)
        self.form.disconnect_requested.connect(self.disconnect_call)
        news = self.news
        c.state_changed.connect(news.on_state)
        c.error_raised.connect(news.on_error)
        c.error_raised.connect(self._on_error)
        c.event_received.connect(news.on_event)
        c.event_received.connect(self._on_event)
        c.metrics_updated.connect(news.on_metrics)
        c.busy_changed.connect(self._on_busy)
        c.session_finished.connect(self._on_finished)
        self.controls.dsp_changed.connect(lambda _s: c.set_dsp(*self.controls.party_dsp_settings()))
        parties = self.controls.parties
        parties.listen_mode_changed.connect(self._on_listen_mode)
        self.waveform.audibility_changed.connect(c.set_audible)
        self.form.listed_call_changed.connect(self._on_listed_call)
        self.controls.bypass.toggled.connect(self._remember_bypass)
        self.controls.volume_changed.connect(self.playout.set_volume)
        self.controls.mute_toggled.connect(self.playout.set_muted)
        self.controls.device_chosen.connect(self.playout.set_device)
        self.playout.status_changed.connect(self.controls.set_output_status)
        self.playout.devices_changed.connect(
            lambda: self.controls.set_devices(self.playout.devices(), self.playout.device)
        )

    # ---- public face -----------------------------------------------------------------------
    def fill(self, values: ConnectValues) -> None:
        """Put values in the form (demo mode, command-line arguments)."""
        self.form.set_values(values)

    def connect_call(self) -> bool:
        """Start a session from the form; False (and messages shown) when it cannot."""
        if self.controller.running or self.stopper.closing:
            return False
        if not self.form.is_valid():
            self._refuse_form()
            return False
        values = self.form.values()
        agent_dsp, customer_dsp = self.controls.party_dsp_settings()
        listed = self.form.listed_call()
        try:
            config = to_session_config(
                values,
                dsp=agent_dsp,
                customer_dsp=customer_dsp,
                out_dir=self.folders.recordings_dir(),
                channels=self.controls.parties.preferred_mode,
                two_party=listed.two_party if listed is not None else None,
            )
        except InputError as exc:
            self.form.show_all_messages()
            self.form.focus_first_invalid()
            self.show_notice(Notice(exc.message, exc.remedy))
            return False
        if self._remember:
            self.form.save_settings()
        self.banner.clear()
        self._recording_failed = False
        self.state_panel.reset()
        self.metrics.clear()
        self.metrics.set_playout_mode(config.playout_mode)
        self.display.new_call()
        self.controller.start(config)
        self.controller.set_audible(self.waveform.audibility())
        return True

    def _refuse_form(self) -> None:
        """Say what is wrong, under each field and aloud, and go to the first such field."""
        self.form.show_all_messages()
        self.form.focus_first_invalid()
        self.announcer.say(f"Cannot connect. {self.form.first_error_text()}", assertive=True)

    def disconnect_call(self) -> None:
        self.stopper.stop()

    def set_vdi_buffer(self, on: bool) -> None:
        """Play through a larger device buffer (remembered); reopens the output."""
        self.playout.set_device_buffer_ms(VDI_BUFFER_MS if on else 200)
        if self._remember:
            self._settings.setValue(VDI_BUFFER_KEY, "true" if on else "false")

    def _on_listen_mode(self, mode: ListenMode) -> None:
        self.controller.set_listen_mode(mode)
        if self._remember:
            self._settings.setValue(LISTEN_MODE_KEY, mode)

    def _on_listed_call(self, listed: object) -> None:
        """Before connecting: a call the picker lists as one mixed channel can be heard mixed
        only (the window says so at once); otherwise every mode, until the call says."""
        if self._busy:
            return
        two_party = getattr(listed, "two_party", None)
        self.controls.parties.set_parties(1 if two_party is False else None)

    def _remember_bypass(self, on: bool) -> None:
        if self._remember:
            self._settings.setValue(BYPASS_KEY, "true" if on else "false")

    def show_notice(self, notice: Notice, *, assertive: bool | None = None) -> None:
        """Put `notice` in the banner and announce it."""
        self.news.show_notice(notice, assertive=assertive)

    def dismiss_notice(self) -> bool:
        """Escape: close the banner if one is shown."""
        if self.banner.isHidden():
            return False
        self.banner.clear()
        return True

    # ---- the display tick ------------------------------------------------------------------
    def _set_title(self, what: str) -> None:
        if not self._display_lost:
            self.setWindowTitle(f"{WINDOW_TITLE} — {what}")

    def display_lost(self) -> None:
        """The X server or desktop session is gone; the call is about to be stopped. Stop
        what would still talk to the display: setting the native title after the break
        crashed the process (SIGSEGV inside Xlib) before the call had stopped, about one
        run in ten under load; redrawing is pointless with nothing to draw on."""
        self._display_lost = True
        self._frame_timer.stop()

    def tick(self) -> None:
        """~30 times a second: redraw from ring buffers only what changed."""
        self.state_panel.refresh_clock(time.monotonic())
        self.focus_ring.refresh()  # the focused control may have scrolled or moved
        live = self.controller.live
        if live is None:
            return
        self.display.refresh(live, running=self.controller.running)

    # ---- controller signals (CallNews shows and says the rest) ----------------------------
    def _on_error(self, err: CXoneError) -> None:
        if isinstance(err, RecordingError) and self._busy:
            self._recording_failed = True
            self._show_folder()

    def _on_event(self, event: dict[str, Any]) -> None:
        if event.get("kind") == "session_started":
            self._show_folder()

    def _on_busy(self, busy: bool) -> None:
        self._busy = busy  # the controller's task is still finishing when this says False
        if self.stopper.closing:  # the call ended on the way out: no list to choose from
            self._picker_held = self._picker_held or self.form.picker.timer.isActive()
            self.form.picker.stop()
        elif not busy and self._picker_held:  # the way out was called off (logoff cancelled)
            self._picker_held = False
            self.form.picker.start()
        self.form.set_busy(busy)
        self.connect_action.setEnabled(not busy)
        self.disconnect_action.setEnabled(busy)
        self._show_folder()

    def _on_finished(self, result: SessionResult | None) -> None:
        self.news.on_finished(result)
        self._on_listed_call(self.form.listed_call())
        self._show_folder()
        if self.state_panel.current_state not in (CallState.TERMINATED, CallState.IDLE):
            log.warning("session finished in %s", self.state_panel.current_state)

    def _show_folder(self) -> None:
        folder = self.controller.folder
        has = folder is not None and folder.is_dir()
        self.export_action.setEnabled(has)
        self.export_excel_action.setEnabled(has)
        text = recording_status(folder, running=self._busy, failed=self._recording_failed)
        self.folder_label.setText(text)
        self.folder_label.setToolTip(str(folder) if text and folder is not None else "")

    # ---- closing (CallStopper holds the close until the call's files are final) ------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if self.stopper.may_close():
            self._frame_timer.stop()
            self.form.picker.stop()
            self.playout.close()
            event.accept()
            self.closed.emit()
            return
        event.ignore()
        if self.stopper.stop_then_close():
            self.statusBar().showMessage("Stopping the call and finalizing files…")
