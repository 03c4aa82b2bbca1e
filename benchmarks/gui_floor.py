"""The floor under `gui_cpu`: the app's wake-ups with none of its work.

A bare PySide6 + qasync process that does what the app does each second at the same
moments, and nothing else: it receives the call's WebSocket messages (50 a second,
through `websockets`, as the app does), writes a 20 ms stereo frame of silence to the
app's own QAudioSink wrapper every 20 ms, and repaints a widget the size of the
waveform lanes 20 times a second (a polyline of its width). No jitter buffer, DSP,
recording, metrics, envelopes or layout. What the app costs above this is the work
our code adds; what this costs is the price of the toolkit, the sound server's client
and the X connection at those rates on this host (`gui_cpu.py --floor` runs both side
by side in the same windows).

    .venv/bin/python benchmarks/gui_floor.py --base-url URL --call-id ID --quit-after S
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import numpy as np  # noqa: E402
import websockets  # noqa: E402
from PySide6.QtCore import QPointF, QTimer  # noqa: E402
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPolygonF  # noqa: E402
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget  # noqa: E402

from cxone_desktop.ui.audio_output import QtPlayoutSink  # noqa: E402
from cxone_desktop.ui.event_loop import AppEventLoop  # noqa: E402

#: The waveform lanes' area in the app's default window (pixels), its repaint rate, a slot.
LANES_W, LANES_H = 600, 105
PAINT_MS = 50
SLOT_S = 0.020


class Trace(QWidget):
    """An opaque widget drawing the newest samples as one polyline."""

    def __init__(self) -> None:
        super().__init__()
        self.setFixedSize(LANES_W, LANES_H)
        self.samples = np.zeros(LANES_W)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(17, 24, 39))
        p.setPen(QColor(56, 189, 248))
        middle = LANES_H / 2
        points = [QPointF(x, middle * (1 + v)) for x, v in enumerate(self.samples.tolist())]
        p.drawPolyline(QPolygonF(points))
        p.end()


async def run(args: argparse.Namespace) -> None:
    window = QWidget()
    trace = Trace()
    QVBoxLayout(window).addWidget(trace)
    window.resize(1280, 800)
    window.show()
    sink = QtPlayoutSink()
    sink.set_channels(2)
    received: list[bytes] = []

    async def listen() -> None:
        async with httpx.AsyncClient() as client:
            reply = await client.post(
                f"{args.base_url}/oauth2/token",
                data={"grant_type": "client_credentials", "client_id": args.client_id,
                      "client_secret": args.client_secret,
                      "scope": "agent:voice:stream interaction:view"},
            )  # fmt: skip
            token = reply.json()["access_token"]
        url = args.base_url.replace("http", "ws", 1) + f"/agent/voice/{args.call_id}/stream"
        headers = {"Authorization": f"Bearer {token}"}
        async with websockets.connect(url, additional_headers=headers) as ws:
            async for message in ws:
                if isinstance(message, bytes):
                    received.append(message)

    async def play() -> None:
        due = time.monotonic()
        silence = np.zeros((1, 320), dtype=np.int16)  # 20 ms, two parties
        while True:
            due += SLOT_S
            await asyncio.sleep(max(0.001, due - time.monotonic()))
            if received:
                newest = np.frombuffer(b"".join(received), dtype="<i2")[-LANES_W:]
                received.clear()
                trace.samples = np.resize(newest / 32768.0, LANES_W)
            sink.write(silence)

    timer = QTimer()
    timer.timeout.connect(trace.update)
    timer.start(PAINT_MS)
    tasks = [asyncio.ensure_future(listen()), asyncio.ensure_future(play())]
    await asyncio.sleep(args.quit_after)
    for task in tasks:
        task.cancel()
    sink.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--call-id", required=True)
    ap.add_argument("--client-id", default="demo-client")
    ap.add_argument("--client-secret", default="demo-secret")
    ap.add_argument("--quit-after", type=float, required=True)
    args = ap.parse_args()
    app = QApplication(sys.argv[:1])
    loop = AppEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(run(args))
    finally:
        loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
