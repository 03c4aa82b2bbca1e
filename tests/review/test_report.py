"""`cxone-desktop report`: one self-contained page with the call's facts, checked for content
and rendered by a real browser (Debian's chromium)."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from cxone_desktop.cli import main
from cxone_desktop.review.annotations import AnnotationStore
from cxone_desktop.review.evaluation import Evaluation
from cxone_desktop.review.evaluation_form import load_form, shipped_forms

needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None, reason="chromium is not installed (quickstart installs it)"
)


def _form(name: str):  # type: ignore[no-untyped-def]
    return load_form(next(p for p in shipped_forms() if p.stem == name))


def marked_up(folder: Path) -> Path:
    notes = AnnotationStore(folder, author="ana")
    notes.add(5.2, None, "Greeting <b>skipped</b>", "compliance")
    notes.add(14.0, 16.5, "Customer kept waiting", "tone")
    form = _form("customer-service")
    for analyst, take_top in (("ana", True), ("bo", False)):
        ev = Evaluation(form, analyst)
        for q in form.questions:
            ev.answer(q.id, q.choices[-1] if take_top or q.id != "listened" else 0.0)
        ev.answer("greeting", 1.0, comment="said the name late", time_s=3.5)
        ev.save(folder)
    summary = json.loads((folder / "summary.json").read_text())
    summary["settings"]["client_secret"] = "s3cr3t-value"  # never recorded; must never show
    summary["settings"]["authorization"] = "Bearer abc.def"
    (folder / "summary.json").write_text(json.dumps(summary))
    return folder


def test_report_content(stereo_session: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = marked_up(stereo_session)
    assert main(["report", str(folder)]) == 0
    out = Path(capsys.readouterr().out.strip())
    assert out == folder / "report.html"
    assert (out.stat().st_mode & 0o777) == 0o600
    html = out.read_text()
    assert "Call call-77 — review report" in html
    # facts, the seed's figures and ours
    for text in ("2026-11-24T10:11:12.000Z", "Reconnects", "1 (2.0 s)", "1 (3.0 s)"):
        assert text in html
    for key in ("total packets", "dropped packets", "effective bitrate (kbps)", "E-model MOS"):
        assert key in html
    assert "ITU-T G.107" in html and "MOS 4.10" in html  # our mapping and the live estimate
    # state history, errors, notes (escaped), evaluations and calibration
    assert "connection dropped (1006)" in html and "call on hold" in html
    assert "Greeting &lt;b&gt;skipped&lt;/b&gt;" in html and "<b>skipped" not in html
    assert "Customer service call — ana" in html and "Customer service call — bo" in html
    assert "said the name late" in html and "Calibration: Customer service call (2 analysts" in html
    # relative links to the audio, no secrets, nothing fetched from elsewhere, no scripts
    assert "href='processed.wav'" in html and "href='raw.wav'" in html
    assert "s3cr3t" not in html and "Bearer" not in html
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)=["']https?://""", html)
    # two waveform lanes per stereo file, a spectrogram, marks, metric charts
    assert html.count("<svg") >= 10 and ">agent<" in html and ">customer<" in html


def test_embedded_spectrogram_is_a_png_qt_can_read(stereo_session: Path) -> None:
    from PySide6.QtGui import QImage

    assert main(["report", str(stereo_session)]) == 0
    html = (stereo_session / "report.html").read_text()
    data = re.search(r'href="data:image/png;base64,([^"]+)"', html)
    assert data is not None
    image = QImage.fromData(base64.b64decode(data.group(1)), "PNG")
    assert not image.isNull() and image.width() == 1000 and image.height() == 129


def test_report_elsewhere_links_back_to_the_folder(
    mono_session: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "reports" / "r.html"
    dest.parent.mkdir()
    assert main(["report", str(mono_session), "--out", str(dest)]) == 0
    html = dest.read_text()
    assert f"href='../{mono_session.name}/processed.wav'" in html
    assert "No notes on this call." in html and "No evaluations of this call yet." in html


def test_problems_are_shown_and_bad_folders_refused(
    mono_session: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (mono_session / "evaluation-x-20260101T000000Z.json").write_text("{")
    (mono_session / "summary.json").unlink()
    assert main(["report", str(mono_session)]) == 0
    html = (mono_session / "report.html").read_text()
    assert "Read with care" in html and "summary.json is missing" in html
    assert "is not an evaluation file" in html
    assert main(["report", str(tmp_path / "nowhere")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_review_package_stays_qt_free(stereo_session: Path) -> None:
    """The report renders where no GUI or network stack is installed (a headless server)."""
    code = (
        "import sys, json; from pathlib import Path;"
        "from cxone_desktop.review.report_command import write_report;"
        f"write_report(Path({str(stereo_session)!r}));"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'PySide6','asyncio','websockets','httpx','qasync','aiohttp','pyqtgraph'});"
        "print(json.dumps(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={profile}",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=90,
            env={**os.environ, "HOME": profile},
        )


@needs_chromium
def test_chromium_renders_the_report(stereo_session: Path, tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    folder = marked_up(stereo_session)
    assert main(["report", str(folder)]) == 0
    url = (folder / "report.html").as_uri()
    dom = _chromium("--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count("<svg") == (folder / "report.html").read_text().count("<svg")
    assert "Customer kept waiting" in dom.stdout
    shot = tmp_path / "report.png"
    run = _chromium(f"--screenshot={shot}", "--window-size=1280,2000", url)
    assert run.returncode == 0 and shot.exists(), run.stderr[-2000:]
    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1280, 2000)
    colours = {image.pixel(x, y) for x in range(0, 1280, 8) for y in range(0, 2000, 8)}
    assert len(colours) > 200  # text, charts and the spectrogram, not a blank page
    # the spectrogram's darkest colour (silence in the outage and the hold) is on screen
    dark = [c for c in colours if (c >> 16 & 255, c >> 8 & 255, c & 255) == (13, 8, 135)]
    assert dark


@needs_chromium
def test_the_report_fits_a_1024_pixel_window(stereo_session: Path, tmp_path: Path) -> None:
    """The charts are drawn 1,100 units wide; a narrower window scales them rather than
    cutting them off behind a horizontal scroll bar."""
    from PySide6.QtGui import QImage

    assert main(["report", str(stereo_session)]) == 0
    shot = tmp_path / "narrow.png"
    url = (stereo_session / "report.html").as_uri()
    run = _chromium(f"--screenshot={shot}", "--window-size=1024,1800", url)
    assert run.returncode == 0 and shot.exists(), run.stderr[-2000:]
    image = QImage(str(shot))
    silence = [
        x
        for x in range(0, image.width(), 2)
        for y in range(0, image.height(), 4)
        if (image.pixel(x, y) & 0xFFFFFF) == 0x0D0887  # the spectrogram's darkest colour
    ]
    assert silence, "no spectrogram on screen"
    assert max(silence) < 1024 - 20  # it ends inside the window, a margin short of its edge
