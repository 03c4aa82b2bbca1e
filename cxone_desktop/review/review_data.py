"""Everything the review window shows about one session, computed once when it opens.

Envelope pyramids are built on first use per recording (the raw one only if the
analyst looks at raw audio), so opening an hour-long call costs one pass over
the processed recording.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cxone_desktop.review.call_quality import CallQuality, call_quality
from cxone_desktop.review.envelope_pyramid import EnvelopePyramid
from cxone_desktop.review.session_reader import SessionRecording, open_session
from cxone_desktop.review.silence import silent_stretches
from cxone_desktop.review.timeline import Mark, build_marks


@dataclass
class ReviewData:
    recording: SessionRecording
    marks: list[Mark]
    quality: CallQuality | None
    _pyramids: dict[str, EnvelopePyramid] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return self.recording.folder

    def pyramid(self, track_name: str) -> EnvelopePyramid:
        if track_name not in self._pyramids:
            track = self.recording.tracks[track_name]
            self._pyramids[track_name] = EnvelopePyramid(track.wav.samples)
        return self._pyramids[track_name]

    def silences(self, track_name: str, min_s: float) -> list[tuple[int, int]]:
        """Silent stretches of at least `min_s` in a recording, as frame ranges."""
        track = self.recording.tracks[track_name]
        return silent_stretches(self.pyramid(track_name), track.rate_hz, min_s=min_s)


def load_review(folder: Path) -> ReviewData:
    """Open a session for review (raises SessionReadError when it cannot be)."""
    rec = open_session(folder)
    marks = build_marks(rec)
    return ReviewData(rec, marks, call_quality(rec, marks))
