"""Read a running app the way a Linux screen reader does (AT-SPI), and say what it found.

Run by Debian's /usr/bin/python3 (pyatspi is a Debian package, not in the venv) inside a
D-Bus session with the accessibility bus up (see test_atspi.py):

    python3 atspi_probe.py APP_NAME TIMEOUT_S -- COMMAND...

It listens for `object:announcement` events, then starts COMMAND (the app), waits until
an announcement about Streaming arrives (or TIMEOUT_S passes), walks the app's
accessible tree and prints one JSON line: every focusable or interactive object, the
ones without a name (and no label relation), and every announcement heard. Stdlib and
pyatspi only.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pyatspi
from gi.repository import GLib

INTERACTIVE_ROLES = {
    "push button",
    "toggle button",
    "check box",
    "radio button",
    "text",
    "password text",
    "entry",
    "slider",
    "spin button",
    "combo box",
    "menu item",
    "check menu item",
    "page tab",
    "list",
    "tree",
    "tree table",
    "table",
}


def _app(name: str):
    desktop = pyatspi.Registry.getDesktop(0)
    for i in range(desktop.childCount):
        app = desktop.getChildAtIndex(i)
        if app is not None and app.name == name:
            return app
    return None


def _labelled(obj) -> bool:
    try:
        relations = obj.getRelationSet()
    except Exception:
        return False
    return any(r.getRelationType() == pyatspi.RELATION_LABELLED_BY for r in relations)


def _walk(obj, depth: int = 0, out: list | None = None) -> list:
    out = [] if out is None else out
    if obj is None or depth > 60:
        return out
    try:
        role = obj.getRoleName()
        states = obj.getState()
        name = obj.name or ""
        desc = obj.description or ""
    except Exception:
        return out
    focusable = states.contains(pyatspi.STATE_FOCUSABLE)
    if focusable or role in INTERACTIVE_ROLES:
        out.append(
            {
                "role": role,
                "name": name,
                "description": desc,
                "labelled_by": _labelled(obj),
                "focusable": focusable,
                "showing": states.contains(pyatspi.STATE_SHOWING),
            }
        )
    for i in range(obj.childCount):
        try:
            child = obj.getChildAtIndex(i)
        except Exception:
            continue
        _walk(child, depth + 1, out)
    return out


def main() -> int:
    app_name, timeout_s = sys.argv[1], float(sys.argv[2])
    command = sys.argv[sys.argv.index("--") + 1 :]
    heard: list[dict] = []
    result: dict = {"app_found": False, "announcements": heard}
    deadline = time.monotonic() + timeout_s
    state = {"process": None, "streaming_at": None}

    def on_announcement(event) -> None:
        text = str(event.any_data or "")
        heard.append({"text": text, "politeness": int(event.detail1)})
        if text.startswith("Streaming") and state["streaming_at"] is None:
            state["streaming_at"] = time.monotonic()

    def start_app() -> bool:
        state["process"] = subprocess.Popen(command)
        return False

    def check() -> bool:
        process = state["process"]
        streaming = state["streaming_at"]
        done = streaming is not None and time.monotonic() - streaming > 1.0
        if done or time.monotonic() > deadline or (process and process.poll() is not None):
            app = _app(app_name)
            result["app_found"] = app is not None
            controls = _walk(app) if app is not None else []
            result["controls"] = controls
            result["unnamed"] = [
                c for c in controls if not c["name"].strip() and not c["labelled_by"]
            ]
            pyatspi.Registry.stop()
            return False
        return True

    pyatspi.Registry.registerEventListener(on_announcement, "object:announcement")
    GLib.timeout_add(200, start_app)
    GLib.timeout_add(250, check)
    try:
        pyatspi.Registry.start()
    finally:
        process = state["process"]
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        result["app_exit"] = process.returncode if process is not None else None
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
