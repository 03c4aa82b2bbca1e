"""Recorded session folders for the review tests (see session_fixture.py for their timeline)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.review.session_fixture import build_session


@pytest.fixture
def mono_session(tmp_path: Path) -> Path:
    return build_session(tmp_path, stereo=False)


@pytest.fixture
def stereo_session(tmp_path: Path) -> Path:
    return build_session(tmp_path, stereo=True, cues=True, name="stereo-20261124T101112Z")
