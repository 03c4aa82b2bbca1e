"""`cxone-desktop record` as a user runs it: real processes, the simulator in another process."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import write_voice_like_wav

PY = [sys.executable, "-m", "cxone_desktop"]


def wait_for_output(stream, needle: str, timeout_s: float = 20.0) -> str:
    """Read `stream` until a line holds `needle`; fail (never hang) after `timeout_s`."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in iter(stream.readline, ""):
            lines.put(line)
            if needle in line:
                return
        lines.put("")  # end of stream

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout_s
    seen = ""
    while needle not in seen:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"no {needle!r} within {timeout_s} s; got: {seen}") from None
        if not line:
            raise AssertionError(f"stream ended before {needle!r}; got: {seen}")
        seen += line
    return seen


@pytest.fixture
def simulator(tmp_path: Path, request) -> Iterator[str]:
    """`cxone-desktop simulate` in its own process; yields its base URL."""
    extra = getattr(request, "param", [])
    audio = tmp_path / "call.wav"
    write_voice_like_wav(audio, 1.5)
    proc = subprocess.Popen(
        [*PY, "simulate", "--port", "0", "--call-id", "c-1", "--audio", str(audio), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = wait_for_output(proc.stdout, "listening on")
        match = re.search(r"listening on (\S+)", line)
        assert match, line + proc.stderr.read()
        yield match.group(1)
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0


def record(base_url: str, out: Path, *extra: str, secret: str = "demo-secret", **popen):
    env = {**os.environ, "CXONE_CLIENT_SECRET": secret}
    args = [
        *PY,
        "record",
        "--base-url",
        base_url,
        "--client-id",
        "demo-client",
        "--call-id",
        "c-1",
        "--out",
        str(out),
        *extra,
    ]
    return subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen
    )


def test_record_writes_a_session_folder_and_prints_its_path_last(simulator, tmp_path):
    proc = record(simulator, tmp_path / "out")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    lines = out.strip().splitlines()
    folder = Path(lines[-1])
    assert folder.parent == tmp_path / "out" and folder.name.startswith("c-1-")
    summary = json.loads(lines[-2])
    for key in (
        "total_packets",
        "dropped_packets",
        "total_bytes",
        "avg_latency_ms",
        "effective_bitrate",
    ):
        assert key in summary
    assert summary["total_bytes"] > 20000
    assert "[state] STREAMING" in err and "[state] TERMINATED" in err
    with wave.open(str(folder / "raw.wav")) as w:
        assert w.getnframes() * 2 == summary["total_bytes"]
    assert "demo-secret" not in out + err


def test_the_readme_describes_every_file_column_key_and_event_of_a_recording(simulator, tmp_path):
    """A QA analyst reads the README to know what each figure means: none may go missing."""
    proc = record(simulator, tmp_path / "out", "--save-trace", "--playout", "quality")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    folder = Path(out.strip().splitlines()[-1])
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([^`\n]+)`", readme))
    documented |= {part.strip() for item in documented for part in item.split(",")}
    names = {p.name for p in folder.iterdir()}
    assert "arrivals.csv" in names  # --save-trace
    columns = (folder / "metrics.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["settings"]["playout_mode"] == "quality"
    kinds = {json.loads(line)["kind"] for line in (folder / "events.jsonl").open()}
    wanted = names | set(columns.split(",")) | set(summary) | set(summary["metrics"]) | kinds
    missing = sorted(n for n in wanted if n not in documented and not n.startswith("."))
    assert not missing, f"README.md does not describe: {missing}"


def test_scope_and_path_options_reach_the_wire(simulator, tmp_path):
    ok = record(simulator, tmp_path / "ok", "--scope", "agent:voice:stream interaction:view",
                "--stream-path", "/agent/voice/{callId}/stream")  # fmt: skip
    out, err = ok.communicate(timeout=30)
    assert ok.returncode == 0, err
    summary = json.loads((Path(out.strip().splitlines()[-1]) / "summary.json").read_text())
    assert summary["settings"]["scope"] == "agent:voice:stream interaction:view"
    # A scope the server does not grant reaches it, and is refused.
    bad_scope = record(simulator, tmp_path / "s", "--scope", "admin:all")
    _, err = bad_scope.communicate(timeout=30)
    assert bad_scope.returncode == 3 and "refused the client (400)" in err, err


def test_a_secret_file_saved_by_notepad_with_a_bom_and_crlf_works(simulator, tmp_path):
    secret_file = tmp_path / "secret.txt"
    secret_file.write_bytes("\ufeffdemo-secret\r\n".encode())
    proc = record(simulator, tmp_path / "out", "--secret-file", str(secret_file),
                  "--duration", "0.5", secret="")  # fmt: skip
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "demo-secret" not in out + err


def test_wrong_secret_exits_3_in_seconds_saying_the_credentials_were_rejected(simulator, tmp_path):
    started = time.monotonic()
    proc = record(simulator, tmp_path / "out", secret="not-the-secret")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 3
    assert time.monotonic() - started < 10
    assert "rejected" in err and "401" in err
    assert err.count("Check the client ID and secret") == 1  # the remedy is said once
    assert "not-the-secret" not in out + err
    assert json.loads(out.splitlines()[-1])["outcome"] == "auth_failed"
    assert not any((tmp_path / "out").iterdir())  # no folder for a call that never started


def test_bad_input_exits_2_naming_the_field(tmp_path):
    proc = subprocess.run(
        [
            *PY,
            "record",
            "--tenant",
            "not a tenant!",
            "--client-id",
            "x",
            "--call-id",
            "c",
            "--out",
            str(tmp_path),
        ],
        env={**os.environ, "CXONE_CLIENT_SECRET": "s"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    assert "tenant" in proc.stderr


@pytest.mark.parametrize("flag", ["--client-secret", "--secret", "--secret-fil"])
def test_secret_is_never_taken_from_argv_nor_echoed(tmp_path, flag):
    proc = subprocess.run(
        [
            *PY,
            "record",
            "--base-url",
            "http://127.0.0.1:9",
            "--client-id",
            "x",
            "--call-id",
            "c",
            "--out",
            str(tmp_path),
            flag,
            "hunter2-secret",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    if flag != "--secret-fil":  # a typo is the user's own text; no abbreviation matches it
        assert "never taken from the command line" in proc.stderr
        assert "hunter2-secret" not in proc.stdout + proc.stderr
    else:
        assert "unrecognized arguments" in proc.stderr and "cannot read" not in proc.stderr


def _record_input_error(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PY, "record", "--base-url", "http://127.0.0.1:9", "--client-id", "x", "--call-id", "c",
         *extra],
        env={**os.environ, "CXONE_CLIENT_SECRET": "s"},
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (["--duration", "nan"], "duration:"),
        (["--duration", "0"], "duration:"),
        (["--noise-threshold", "-5"], "noise_threshold:"),
        (["--gain", "1000"], "gain:"),
        (["--ca-file", "{junk}"], "ca_file:"),
        (["--out", "{file}/sub"], "out:"),
    ],
)
def test_each_bad_value_exits_2_before_any_network_call_naming_its_field(tmp_path, extra, field):
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    extra = [e.format(junk=junk, file=a_file) for e in extra]
    if "--out" not in extra:
        extra += ["--out", str(tmp_path / "out")]
    proc = _record_input_error(tmp_path, *extra)
    assert proc.returncode == 2, proc.stderr
    assert f"cxone-desktop record: {field}" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize("simulator", [["--loop"]], indirect=True)
def test_sigint_finalizes_the_files_and_exits_130(simulator, tmp_path):
    proc = record(simulator, tmp_path / "out")
    wait_for_output(proc.stderr, "STREAMING")
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=15)
    assert proc.returncode == 130
    folder = Path(out.strip().splitlines()[-1])
    assert (folder / "summary.json").exists()
    with wave.open(str(folder / "processed.wav")) as w:
        assert w.getnframes() > 8000


@pytest.mark.parametrize("simulator", [["--loop"]], indirect=True)
def test_an_interrupted_session_is_repaired_on_the_next_start(simulator, tmp_path):
    out = tmp_path / "out"
    proc = record(simulator, out)
    wait_for_output(proc.stderr, "STREAMING")
    time.sleep(1.2)
    proc.kill()  # kill -9: no finalize, headers as last patched
    proc.wait(timeout=10)
    (crashed,) = [p for p in out.iterdir() if (p / ".recording").exists()]

    again = record(simulator, out, "--duration", "0.5")
    _, err = again.communicate(timeout=30)
    assert again.returncode == 0, err
    assert "[repair]" in err and crashed.name in err
    assert not (crashed / ".recording").exists()
    with wave.open(str(crashed / "raw.wav")) as w:
        assert w.getnframes() >= 0.5 * 8000  # ~1.2 s streamed, at most ~1 s lost to the kill


@pytest.mark.parametrize("simulator", [["--loop"]], indirect=True)
def test_kill_9_mid_call_leaves_wavs_that_hold_all_but_a_second(simulator, tmp_path):
    import shutil
    import stat

    import numpy as np

    source = np.frombuffer(_wav_frames(tmp_path / "call.wav"), np.int16)
    out = tmp_path / "out"
    proc = record(simulator, out, "--gain", "1", "--gate-mode", "off")
    wait_for_output(proc.stderr, "STREAMING")
    streamed_from = time.monotonic()
    time.sleep(3.0)
    proc.kill()
    streamed_s = time.monotonic() - streamed_from
    proc.wait(timeout=10)
    (folder,) = out.iterdir()

    raw = np.frombuffer(_wav_frames(folder / "raw.wav"), np.int16)
    played = np.frombuffer(_wav_frames(folder / "processed.wav"), np.int16)
    # At most ~1 s lost to the kill (headers are patched every second), plus scheduling slack.
    assert len(raw) >= (streamed_s - 1.3) * 8000
    assert len(played) >= (streamed_s - 1.4) * 8000
    # What is there is exactly what was sent: the looping source from its start.
    looped = np.tile(source, 4)
    assert np.array_equal(raw, looped[: len(raw)])
    for name in ("raw.wav", "processed.wav"):
        assert shutil.which("sox"), "sox is part of the test rig (packaging/quickstart.sh)"
        info = subprocess.run(["sox", "--i", "-s", str(folder / name)],
                              capture_output=True, text=True, check=True)  # fmt: skip
        assert int(info.stdout) >= (streamed_s - 1.4) * 8000
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    rows = (folder / "metrics.csv").read_text().strip().splitlines()[1:]
    assert streamed_s - 2 <= len(rows) <= streamed_s + 1  # one row a second, ~1 s lost at most

    # The repair that the next start runs rebuilds a summary with the seed's figures.
    fixed = subprocess.run([*PY, "repair", str(folder)], capture_output=True, text=True)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["finished_cleanly"] is False and summary["outcome"] == "interrupted"
    assert 0 < summary["total_bytes"] <= len(raw) * 2  # as of the last metrics row
    assert summary["total_packets"] > 0 and summary["dropped_packets"] == 0
    assert {"avg_latency_ms", "effective_bitrate", "duration_s", "settings"} <= set(summary)
    assert [h["state"] for h in summary["state_history"]] == ["CONNECTING", "STREAMING"]


def _wav_frames(path: Path) -> bytes:
    with wave.open(str(path), "rb") as w:
        return w.readframes(w.getnframes())
