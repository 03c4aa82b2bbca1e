"""The simulator serving a call's two parties: mixed by default, one party, or interleaved
stereo, and its calls list in the relay's shape. Real sockets on loopback."""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np
import pytest
import websockets

from cxone_desktop.core.codecs import encode_mulaw
from cxone_desktop.errors import AGENT_SCOPE, VIEW_SCOPE, InputError
from cxone_desktop.simulator import SimulatorConfig
from cxone_desktop.simulator.server import CXoneSimulator

from .support import CALL, Heard, fetch_token, listen, noise_samples, stream_url, write_wav

FRAMES = 12


def stereo_call(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    """Loud, unlike noise on each side (so a swap or a mix shows), agent left."""
    agent = noise_samples(FRAMES, seed=11)
    customer = (noise_samples(FRAMES, seed=12) // 3).astype(np.int16)
    both = np.empty(agent.size * 2, dtype=np.int16)
    both[0::2], both[1::2] = agent, customer
    return write_wav(tmp_path / "two.wav", both, channels=2), agent, customer


def saturating_mix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.clip(a.astype(np.int32) + b, -32768, 32767).astype(np.int16)


async def hear(path: Path, query: str, **config: object) -> Heard:
    """A whole call as one listener with `query` hears it (its own simulator: from frame 0)."""
    async with CXoneSimulator(SimulatorConfig(audio_path=path, two_party=True, **config)) as sim:  # type: ignore[arg-type]
        return await listen(f"{stream_url(sim, await fetch_token(sim))}&{query}")


def pcm(heard: Heard) -> np.ndarray:
    return np.frombuffer(bytes(heard.audio), "<i2")


async def test_each_shape_carries_exactly_its_parties(tmp_path: Path) -> None:
    path, agent, customer = stereo_call(tmp_path)
    stereo = await hear(path, "channels=2")
    only_agent = await hear(path, "perspective=agent")
    only_customer = await hear(path, "perspective=customer")
    mixed = await hear(path, "")
    heard = pcm(stereo)
    assert np.array_equal(heard[0::2], agent) and np.array_equal(heard[1::2], customer)
    assert np.array_equal(pcm(only_agent), agent)
    assert np.array_equal(pcm(only_customer), customer)
    assert np.array_equal(pcm(mixed), saturating_mix(agent, customer))
    assert stereo.events[0]["channels"] == 2 and stereo.events[0]["perspective"] == "mixed"
    assert only_agent.events[0]["channels"] == 1 and only_agent.events[0]["perspective"] == "agent"
    assert mixed.events[0]["perspectives"] == ["agent", "customer"]
    assert set(stereo.sizes) == {640}


async def test_mulaw_stereo_is_interleaved_before_encoding(tmp_path: Path) -> None:
    path, agent, customer = stereo_call(tmp_path)
    stereo = await hear(path, "channels=2", encoding="mulaw")
    both = np.empty(agent.size * 2, dtype=np.int16)
    both[0::2], both[1::2] = agent, customer
    assert bytes(stereo.audio) == encode_mulaw(both)
    assert set(stereo.sizes) == {320}


async def test_the_calls_list_has_the_relays_shape_and_needs_the_view_scope(
    tmp_path: Path,
) -> None:
    path, _, _ = stereo_call(tmp_path)
    config = SimulatorConfig(audio_path=path, two_party=True, call_ids=("a-1", "b-2"))
    async with CXoneSimulator(config) as sim, httpx.AsyncClient() as http:
        listed = await http.get(
            f"{sim.base_url}/api/v2/calls",
            headers={"Authorization": f"Bearer {sim.issue_token()}"},
        )
        refused = await http.get(
            f"{sim.base_url}/api/v2/calls",
            headers={"Authorization": f"Bearer {sim.issue_token((AGENT_SCOPE,))}"},
        )
        anonymous = await http.get(f"{sim.base_url}/api/v2/calls")
        # A call that has been heard to its end drops out of the list, as on the relay.
        await listen(stream_url(sim, sim.issue_token(), call_id="a-1"))
        after = await http.get(
            f"{sim.base_url}/api/v2/calls",
            headers={"Authorization": f"Bearer {sim.issue_token((VIEW_SCOPE,))}"},
        )
    assert listed.status_code == 200
    calls = listed.json()["calls"]
    assert [c["id"] for c in calls] == ["a-1", "b-2"]
    first = calls[0]
    assert set(first) == {
        "id", "platform", "state", "startedAt", "durationS", "parties", "perspectives", "channels",
    }  # fmt: skip
    assert first["channels"] == 2 and first["perspectives"] == ["agent", "customer"]
    assert first["state"] == "active" and first["parties"]["agent"]["name"]
    assert refused.status_code == 403 and anonymous.status_code == 401
    assert [c["id"] for c in after.json()["calls"]] == ["b-2"]


async def test_a_one_party_call_refuses_the_two_party_shapes_and_says_why(
    call_wav,
) -> None:
    path, _ = call_wav(5)
    async with CXoneSimulator(SimulatorConfig(audio_path=path)) as sim:
        token = await fetch_token(sim)
        for query in ("channels=2", "perspective=customer"):
            with pytest.raises(websockets.InvalidStatus) as caught:
                async with websockets.connect(f"{stream_url(sim, token)}&{query}"):
                    pass
            assert caught.value.response.status_code == 400
            assert b"one mixed channel" in (caught.value.response.body or b"")
        async with httpx.AsyncClient() as http:
            listed = await http.get(
                f"{sim.base_url}/api/v2/calls", headers={"Authorization": f"Bearer {token}"}
            )
            state = await http.get(
                f"{sim.base_url}/api/v2/interactions/{CALL}/call",
                headers={"Authorization": f"Bearer {token}"},
            )
    (entry,) = listed.json()["calls"]
    assert entry["channels"] == 1 and entry["perspectives"] == []
    assert state.json()["channels"] == 1


async def test_stereo_with_a_perspective_is_refused(tmp_path: Path) -> None:
    path, _, _ = stereo_call(tmp_path)
    async with CXoneSimulator(SimulatorConfig(audio_path=path, two_party=True)) as sim:
        with pytest.raises(websockets.InvalidStatus) as caught:
            url = f"{stream_url(sim, sim.issue_token())}&channels=2&perspective=agent"
            async with websockets.connect(url):
                pass
    assert caught.value.response.status_code == 400
    assert b"agent left, customer right" in (caught.value.response.body or b"")


def test_two_parties_from_a_mono_file_is_refused_naming_the_file(call_wav) -> None:
    path, _ = call_wav(5)
    with pytest.raises(InputError, match="stereo WAV"):
        CXoneSimulator(SimulatorConfig(audio_path=path, two_party=True))


def test_the_bundled_demo_call_has_two_parties() -> None:
    sim = CXoneSimulator(SimulatorConfig(two_party=True))
    call = sim._call("demo-call")
    assert call.channels == 2
    stereo = call.media.media("stereo").frames
    left = np.frombuffer(b"".join(stereo), "<i2")[0::2]
    right = np.frombuffer(b"".join(stereo), "<i2")[1::2]
    # Agent and customer speak at different times: the two sides are far from alike.
    loud_left, loud_right = np.abs(left) > 3000, np.abs(right) > 3000
    assert loud_left.sum() > 8000 and loud_right.sum() > 8000
    assert (loud_left & loud_right).sum() < 0.3 * min(loud_left.sum(), loud_right.sum())
