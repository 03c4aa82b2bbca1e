"""Fixtures: a hostile tenant on loopback, started and stopped per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .tenant import HostileTenant


@pytest.fixture
async def tenant() -> AsyncIterator[HostileTenant]:
    """A tenant that streams 0.6 s of audio and closes normally until a test scripts worse."""
    server = await HostileTenant().start()
    yield server
    await server.close()
