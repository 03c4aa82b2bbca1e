"""Train the waveform's gap model (`core/gap_model.py`) and write its weights.

The model must not learn the calls it is measured on, so it is trained on a
corpus of its own: sentences none of the benchmark calls speak, in voices they
do not use (other espeak-ng voices and variants, and flite's, a different
synthesizer), at random levels, with pauses of line noise, and 40 s of telephone
tones (DTMF, call-progress tones, beeps) that start and stop at full strength,
half of them on a frame boundary (`make_tones`). Each boundary of
that corpus with 5 % of its frames dropped gives two examples (a frame missing
before it, or not; with two frames after it and with one, as a short queue
has; in pauses too, which show it what noise does to the clues);
the clues are what `ContinuityProbe.clues` computes live.
A few small networks (one tanh layer) are trained from different starts with
Adam on the cross-entropy, and averaged.

It then reports the model against the benchmark calls (the demo call and the
second call of `quality.py`, training seeds 1-10 of their losses: never seen
in training), and against recorded human voice (alsa-utils' test clips, when
installed): AUC and log-loss at the loud boundaries, where the model speaks
(in pauses the pitch phase does, alone).

    apt-get install espeak-ng flite alsa-utils
    .venv/bin/python benchmarks/train_gap_model.py [--write] [--members 3]

`--write` rewrites `cxone_desktop/core/gap_model_weights.py`. Prints a JSON
object as the last line.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality import DEMO, make_second_call, read_wav

from cxone_desktop.core.boundary_prediction import RATIO_NAMES
from cxone_desktop.core.frame_continuity import QUIET_POWER, ContinuityProbe
from cxone_desktop.core.gap_model import CLUE_RANGE, GapModel
from cxone_desktop.simulator.call_audio import load_call_audio

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / "cxone_desktop" / "core" / "gap_model_weights.py"
RATE, N = 8000, 160
LOSS = 0.05
CLUES = ("pitch_phase", *RATIO_NAMES, "level", "after_frames")
LEVEL = CLUES.index("level")
#: Recorded human voice the report also scores (alsa-utils' test clips, 11 s).
ALSA_CLIPS = Path("/usr/share/sounds/alsa")

TEXTS = (
    "Thanks for calling customer support, my name is Jordan. How can I help you today?",
    "I'd like to change the delivery address on my account, please.",
    "Sure, could you confirm the postcode and the first line of the address?",
    "It's forty two Maple Avenue, and the postcode is seven four nine.",
    "Perfect, that's updated now. You'll get an email confirming the change.",
    "While I have you, my internet keeps dropping out every evening around nine.",
    "Let me run a quick line test. This might take about a minute or so.",
    "Okay, I can see some errors on the line. I'll book an engineer for Thursday morning.",
    "Is there anything else I can help you with? No, that's everything, thank you very much.",
    "Your reference number is Q R seven, five, five, one, zero. Have a lovely evening.",
)
#: (voice, pitch, words a minute): none is a benchmark call's (those are en-us+f3,
#: en-gb+m3, en-gb-scotland+f2, en-029+m5).
ESPEAK_VOICES = (
    ("en-gb-x-rp+m1", 45, 170),
    ("en-us-nyc+f1", 70, 160),
    ("en-gb-x-gbclan+m7", 30, 145),
    ("en-gb-x-gbcwmd+f4", 65, 175),
    ("en-us+m2", 50, 155),
    ("en+f5", 55, 165),
    ("en-us+klatt2", 40, 150),
    ("en-gb+klatt4", 60, 160),
)
FLITE_VOICES = ("kal", "kal16", "awb", "rms", "slt")
SENTENCES_PER_VOICE = 4
CORPUS_SEEDS = (1, 2, 3)
REPORT_SEEDS = tuple(range(1, 11))


def make_corpus(directory: Path) -> np.ndarray:
    """The training speech (about 5 minutes), spoken now."""
    for tool in ("espeak-ng", "flite"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed for the training corpus: apt-get install {tool}")
    rng = np.random.default_rng(3)
    commands: list[list[str]] = []
    for voice, pitch, speed in ESPEAK_VOICES:
        for t in rng.choice(len(TEXTS), SENTENCES_PER_VOICE, replace=False):
            commands.append(["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(speed)])
            commands[-1] += ["-w", "{path}", TEXTS[t]]
    for voice in FLITE_VOICES:
        for t in rng.choice(len(TEXTS), SENTENCES_PER_VOICE, replace=False):
            commands.append(["flite", "-voice", voice, "-t", TEXTS[t], "-o", "{path}"])
    parts: list[np.ndarray] = []
    for k, command in enumerate(commands):
        path = directory / f"sentence{k}.wav"
        subprocess.run(
            [str(path) if a == "{path}" else a for a in command], check=True, capture_output=True
        )
        speech = load_call_audio(path).astype(np.float64)
        speech *= rng.uniform(0.2, 0.8) * 32767 / max(1.0, float(np.abs(speech).max()))
        pause = rng.normal(0, rng.uniform(5, 60), int(RATE * rng.uniform(0.2, 0.6)))
        parts += [speech, pause]
    parts.append(make_tones(rng, sum(part.size for part in parts)))
    audio = np.concatenate(parts)
    return np.clip(np.rint(audio), -32768, 32767).astype(np.int16)


#: Telephone tones the corpus also carries (Hz): DTMF's rows and columns, call-progress pairs.
DTMF_LOW, DTMF_HIGH = (697, 770, 852, 941), (1209, 1336, 1477, 1633)
PROGRESS = ((350, 440), (440, 480), (480, 620), (400, 450), (425,), (950, 1400, 1800))
TONES_S = 40.0


def make_tones(rng: np.random.Generator, start: int) -> np.ndarray:
    """Telephone tones (DTMF digits, call-progress tones, single beeps) starting and stopping
    at full strength, in line noise, from sample `start` of the corpus on: a jump in the
    waveform where nothing is missing, which speech alone does not teach the model (without
    these, a tone's onset in a batched message read as a lost frame). Half start and stop on
    a frame boundary, as a media server that makes them per packet does."""
    parts: list[np.ndarray] = []
    total = 0
    while total < TONES_S * RATE:
        aligned = rng.random() < 0.5
        kind = rng.integers(3)
        if kind == 0:
            freqs: tuple[float, ...] = (rng.choice(DTMF_LOW), rng.choice(DTMF_HIGH))
            length = rng.uniform(0.06, 0.15)
        elif kind == 1:
            freqs = tuple(PROGRESS[rng.integers(len(PROGRESS))])
            length = rng.uniform(0.2, 1.0)
        else:
            freqs = (rng.uniform(300, 1500),)
            length = rng.uniform(0.1, 0.6)
        t = np.arange(int(length * RATE) // N * N if aligned else int(length * RATE)) / RATE
        phases = rng.uniform(0, 2 * np.pi, len(freqs))
        tone = sum(np.sin(2 * np.pi * f * t + ph) for f, ph in zip(freqs, phases, strict=True))
        tone *= rng.uniform(0.1, 0.6) * 32767 / len(freqs)
        pause = rng.normal(0, rng.uniform(5, 60), int(RATE * rng.uniform(0.05, 0.4)))
        if aligned:  # the pause before it ends on a boundary
            pause = pause[: max(0, pause.size - (start + total + pause.size) % N)]
        parts += [pause, tone + rng.normal(0, 10, t.size)]
        total += t.size + pause.size
    return np.concatenate(parts)


def boundaries(
    audio: np.ndarray, seed: int, after_frames: tuple[int, ...] = (2, 1)
) -> Iterator[tuple[np.ndarray, np.ndarray, bool]]:
    """(two received frames before, one or two after, a frame is missing between) at each
    boundary of `audio` with LOSS of its frames dropped, as the playout queue sees them (with
    one frame after it when that is all that has come)."""
    frames = audio[: len(audio) // N * N].reshape(-1, N).astype(np.float64)
    kept = np.flatnonzero(np.random.default_rng(seed).random(len(frames)) >= LOSS)
    for k in range(2, len(kept) - 2):
        before = frames[kept[k - 2 : k]].reshape(-1)
        for count in after_frames:
            after = frames[kept[k : k + count]].reshape(-1)
            yield before, after, bool(kept[k] - kept[k - 1] > 1)


def examples(
    audio: np.ndarray,
    seeds: tuple[int, ...],
    loud_only: bool = False,
    after_frames: tuple[int, ...] = (2, 1),
) -> tuple[np.ndarray, np.ndarray]:
    """Clues and labels at every boundary the model speaks for."""
    probe = ContinuityProbe(RATE, N)
    rows, labels = [], []
    for seed in seeds:
        for before, after, gap in boundaries(audio, seed, after_frames):
            clues = probe.clues(before, after)
            if clues is not None and (not loud_only or np.exp(clues[LEVEL]) - 1.0 >= QUIET_POWER):
                rows.append(clues)
                labels.append(gap)
    return np.array(rows), np.array(labels)


def train_member(x: np.ndarray, y: np.ndarray, seed: int, hidden: int, epochs: int) -> Any:
    """One network: (w1, b1, w2, b2) on standardized clues, trained with Adam."""
    rng = np.random.default_rng(seed)
    n, d = x.shape
    params = [
        rng.normal(0, 1 / np.sqrt(d), (d, hidden)),
        np.zeros(hidden),
        rng.normal(0, 1 / np.sqrt(hidden), hidden),
        np.array([np.log(y.mean() / (1 - y.mean()))]),
    ]
    first = [np.zeros_like(p) for p in params]
    second = [np.zeros_like(p) for p in params]
    step, rate, l2, batch = 0, 3e-3, 1e-4, 512
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch):
            rows = order[start : start + batch]
            xb, yb = x[rows], y[rows]
            h = np.tanh(xb @ params[0] + params[1])
            p = 1 / (1 + np.exp(-(h @ params[2] + params[3][0])))
            g = (p - yb) / len(rows)
            gh = np.outer(g, params[2]) * (1 - h * h)
            grads = (xb.T @ gh + l2 * params[0], gh.sum(0), h.T @ g + l2 * params[2], [g.sum()])
            step += 1
            for i, grad in enumerate(grads):
                first[i] = 0.9 * first[i] + 0.1 * np.asarray(grad)
                second[i] = 0.999 * second[i] + 0.001 * np.asarray(grad) ** 2
                corrected = first[i] / (1 - 0.9**step)
                params[i] = params[i] - rate * corrected / (
                    np.sqrt(second[i] / (1 - 0.999**step)) + 1e-8
                )
    return params


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (ties count half)."""
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2)[inverse]
    positives, negatives = labels.sum(), (~labels).sum()
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def log_loss(log_odds: np.ndarray, labels: np.ndarray) -> float:
    p = np.clip(1 / (1 + np.exp(-log_odds)), 1e-9, 1 - 1e-9)
    return float(-np.mean(np.where(labels, np.log(p), np.log(1 - p))))


def weights_module(mean: np.ndarray, scale: np.ndarray, members: list[Any], prior: float) -> str:
    """The weights as a Python module (six numbers a line)."""

    def floats(a: Any, indent: str) -> str:
        values = [f"{float(f'{v:.6g}')!r}" for v in np.asarray(a).reshape(-1)]
        lines = [", ".join(values[i : i + 6]) for i in range(0, len(values), 6)]
        inner = f",\n{indent}    ".join(lines)
        return f"[\n{indent}    {inner},\n{indent}]"

    lines = [
        '"""The gap model\'s weights, written by `benchmarks/train_gap_model.py --write` (do not',
        'edit: retrain). See `gap_model.py`."""',
        "",
        "# fmt: off",
        "CLUES = (",
        *(f"    {name!r}," for name in CLUES),
        ")",
        f"MEAN = {floats(mean, '')}",
        f"SCALE = {floats(scale, '')}",
        f"PRIOR_LOG_ODDS = {prior!r}",
        "#: Per member: hidden weights (clue × unit), hidden biases, output weights, output bias.",
        "MEMBERS = [",
    ]
    for w1, b1, w2, b2 in members:
        rows = ",\n            ".join(floats(row, "            ") for row in w1)
        lines += [
            "    (",
            f"        [\n            {rows},\n        ],",
            f"        {floats(b1, '        ')},",
            f"        {floats(w2, '        ')},",
            f"        {float(f'{b2[0]:.6g}')!r},",
            "    ),",
        ]
    lines += ["]", "# fmt: on", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="rewrite gap_model_weights.py")
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=60)
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = make_corpus(Path(tmp))
        calls = {"demo": read_wav(DEMO), "second": make_second_call(Path(tmp))}
    clips = sorted(c for c in ALSA_CLIPS.glob("*.wav") if c.stem != "Noise")
    if clips:  # recorded human voice, where the corpus is synthesized
        calls["alsa_voice"] = np.concatenate([load_call_audio(c) for c in clips])
    x, y = examples(corpus, CORPUS_SEEDS)
    x = np.clip(x, *CLUE_RANGE)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    standardized = (x - mean) / scale
    members = [
        train_member(standardized, y.astype(float), seed, args.hidden, args.epochs)
        for seed in range(args.members)
    ]
    prior = float(np.log(y.mean() / (1 - y.mean())))
    text = weights_module(mean, scale, members, prior)
    report: dict[str, Any] = {
        "corpus_s": round(len(corpus) / RATE, 1),
        "examples": len(y),
        "gaps": int(y.sum()),
    }
    if args.write:
        WEIGHTS.write_text(text)
    # The report: the model as written (its weights rounded) against the benchmark calls.
    written: dict[str, Any] = {}
    exec(compile(text, "gap_model_weights", "exec"), written)
    model = GapModel(written["MEAN"], written["SCALE"], written["MEMBERS"], prior)
    for name, audio in calls.items():
        for count in (2, 1):  # where the model speaks: loud boundaries
            cx, cy = examples(audio, REPORT_SEEDS, loud_only=True, after_frames=(count,))
            scores = np.array([model.log_odds(row) for row in cx])
            report[f"{name}_{count}_after"] = {
                "auc_loud": round(auc(scores, cy), 4),
                "log_loss_loud": round(log_loss(scores + prior, cy), 4),
                "log_loss_prior_only": round(log_loss(np.full(len(cy), prior), cy), 4),
            }
    report["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
