"""The voice stream over real loopback sockets: content, events, closes, impairments."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import pytest
import websockets

from cxone_desktop.core.codecs import encode_mulaw
from cxone_desktop.simulator import Impairments
from cxone_desktop.simulator.config import Fragmentation
from cxone_desktop.simulator.server import CXoneSimulator

from .support import CALL, config, fetch_token, listen, stream_url

MakeWav = Callable[..., tuple[Path, bytes]]
FRAME = 320


async def test_a_whole_call_streams_then_ends_with_call_ended_and_1000(call_wav: MakeWav) -> None:
    path, source = call_wav(15)
    async with CXoneSimulator(config(path)) as sim:
        heard = await listen(stream_url(sim, await fetch_token(sim)))
        assert heard.events[0] == {
            "event": "call.started",
            "callId": CALL,
            "encoding": "pcm16",
            "sampleRate": 8000,
            "channels": 1,
            "perspective": "mixed",
            "platform": "cxone",
            "perspectives": [],
        }
        assert heard.events[-1] == {"event": "call.ended"}
        assert heard.close_code == 1000
        assert bytes(heard.audio) == source == sim.sent_audio(CALL)
        assert set(heard.sizes) == {FRAME}
        assert sim.call_state(CALL) == "ended"
        assert sim.connections(CALL) == 1 and sim.open_connections(CALL) == 0
        async with httpx.AsyncClient() as http:
            state = await http.get(
                f"{sim.base_url}/api/v2/interactions/{CALL}/call",
                headers={"Authorization": f"Bearer {sim.issue_token()}"},
            )
        body = state.json()
        assert body["state"] == "ended" and body["mediaPositionMs"] == 300
        assert body["startedAt"].endswith("Z") and body["endedAt"] > body["startedAt"]
        # An ended call refuses new listeners with 403 and says why.
        with pytest.raises(websockets.InvalidStatus) as caught:
            async with websockets.connect(stream_url(sim, sim.issue_token())):
                pass
        assert caught.value.response.status_code == 403
        assert b"call_ended" in (caught.value.response.body or b"")


async def test_the_bearer_header_works_as_well_as_the_query(call_wav: MakeWav) -> None:
    path, source = call_wav(5)
    async with CXoneSimulator(config(path)) as sim:
        token = await fetch_token(sim)
        heard = await listen(
            stream_url(sim), additional_headers={"Authorization": f"Bearer {token}"}
        )
        assert heard.close_code == 1000 and bytes(heard.audio) == source


@pytest.mark.parametrize(
    ("mode", "low", "high"),
    [("aligned", 320, 320), ("random", 1, 1000), ("tiny", 1, 7), ("merged", 640, 1280)],
)
async def test_every_fragmentation_mode_over_the_wire(
    call_wav: MakeWav, mode: Fragmentation, low: int, high: int
) -> None:
    path, source = call_wav(20, seed=4)
    imp = Impairments(fragment=mode, seed=11)
    async with CXoneSimulator(config(path, impairments=imp)) as sim:
        heard = await listen(stream_url(sim, sim.issue_token()))
    assert bytes(heard.audio) == source
    *body, last = heard.sizes
    assert all(low <= n <= high for n in body) and 1 <= last <= high  # the last one is the flush


async def test_loss_skips_whole_frames_and_keeps_the_rest_in_order(call_wav: MakeWav) -> None:
    path, source = call_wav(50, seed=5)
    frames = [source[i : i + FRAME] for i in range(0, len(source), FRAME)]
    imp = Impairments(loss=0.2, burst_loss=0.05, burst_frames=3, seed=3)
    async with CXoneSimulator(config(path, impairments=imp)) as sim:
        heard = await listen(stream_url(sim, sim.issue_token()))
        assert bytes(heard.audio) == sim.sent_audio(CALL)
    got = [bytes(heard.audio[i : i + FRAME]) for i in range(0, len(heard.audio), FRAME)]
    indices = [frames.index(f) for f in got]
    assert indices == sorted(set(indices))
    assert 5 <= 50 - len(got) <= 40
    assert heard.close_code == 1000  # loss does not end the call early


async def test_jitter_and_tiny_fragments_still_deliver_every_byte_in_order(
    call_wav: MakeWav,
) -> None:
    path, source = call_wav(20, seed=6)
    imp = Impairments(fragment="tiny", jitter_ms=30, seed=2)
    async with CXoneSimulator(config(path, impairments=imp)) as sim:
        heard = await listen(stream_url(sim, sim.issue_token()))
    assert bytes(heard.audio) == source


async def test_mulaw_output_is_the_g711_encoding_of_the_pcm(call_wav: MakeWav) -> None:
    path, source = call_wav(10)
    async with CXoneSimulator(config(path, encoding="mulaw")) as sim:
        heard = await listen(stream_url(sim, sim.issue_token()))
    assert heard.events[0]["encoding"] == "mulaw"
    assert bytes(heard.audio) == encode_mulaw(np.frombuffer(source, "<i2"))
    assert set(heard.sizes) == {160}


async def test_drop_after_gives_the_client_1006_and_a_reconnect_resumes_live(
    call_wav: MakeWav,
) -> None:
    path, source = call_wav(80)
    imp = Impairments(drop_after_s=0.2)
    async with CXoneSimulator(config(path, impairments=imp)) as sim:
        first = await listen(stream_url(sim, sim.issue_token()))
        assert first.close_code == 1006
        assert not any(e["event"] == "call.ended" for e in first.events)
        await asyncio.sleep(0.1)  # audio that plays while we are away is gone
        second = await listen(stream_url(sim, sim.issue_token()))
        assert second.close_code == 1006
        assert sim.connections(CALL) == 2
        assert bytes(first.audio) == source[: len(first.audio)]
        start = source.index(bytes(second.audio[:FRAME]))
        assert start >= len(first.audio) + 4 * FRAME
        assert bytes(second.audio) == source[start : start + len(second.audio)]
        assert sim.sent_audio(CALL) == bytes(first.audio + second.audio)


async def test_hold_closes_with_reason_hold_and_the_call_resumes(call_wav: MakeWav) -> None:
    path, source = call_wav(40)
    imp = Impairments(hold_at_s=0.2, hold_for_s=0.4)
    async with CXoneSimulator(config(path, impairments=imp)) as sim, httpx.AsyncClient() as http:
        token = sim.issue_token()
        before = await listen(stream_url(sim, token))
        assert before.close_code == 1000 and before.close_reason == "hold"
        assert before.events[-1] == {"event": "call.hold"}
        assert bytes(before.audio) == source[: 10 * FRAME]

        url = f"{sim.base_url}/api/v2/interactions/{CALL}/call"
        headers = {"Authorization": f"Bearer {token}"}
        assert (await http.get(url, headers=headers)).json()["state"] == "on_hold"
        assert sim.call_state(CALL) == "on_hold"
        with pytest.raises(websockets.InvalidStatus) as caught:
            async with websockets.connect(stream_url(sim, token)):
                pass
        assert caught.value.response.status_code == 403

        while (await http.get(url, headers=headers)).json()["state"] != "active":
            await asyncio.sleep(0.02)
        after = await listen(stream_url(sim, token))
        assert after.close_code == 1000 and after.events[-1] == {"event": "call.ended"}
        assert len(after.audio) >= 10 * FRAME
        assert bytes(after.audio) == source[-len(after.audio) :]
        assert sim.call_state(CALL) == "ended"


async def test_an_expired_token_does_not_cut_a_running_stream(call_wav: MakeWav) -> None:
    path, source = call_wav(25)
    async with CXoneSimulator(config(path, token_ttl_s=0.1)) as sim:
        heard = await listen(stream_url(sim, sim.issue_token()))
    assert heard.close_code == 1000 and bytes(heard.audio) == source


async def test_pings_are_answered_while_streaming(call_wav: MakeWav) -> None:
    path, _ = call_wav(25)
    sim = CXoneSimulator(config(path))
    async with sim, websockets.connect(stream_url(sim, sim.issue_token())) as ws:
        await ws.recv()
        latency = await asyncio.wait_for(await ws.ping(), timeout=1.0)
        assert latency >= 0


async def test_two_calls_stream_independently(call_wav: MakeWav) -> None:
    path, source = call_wav(10)
    async with CXoneSimulator(config(path, call_ids=("a", "b"))) as sim:
        token = sim.issue_token()
        a, b = await asyncio.gather(
            listen(stream_url(sim, token, "a")), listen(stream_url(sim, token, "b"))
        )
        assert bytes(a.audio) == bytes(b.audio) == source
        assert sim.sent_audio("a") == sim.sent_audio("b") == source


async def test_a_client_hanging_up_frees_the_connection(call_wav: MakeWav) -> None:
    path, _ = call_wav(250, seed=1)
    async with CXoneSimulator(config(path, loop=True)) as sim:
        async with websockets.connect(stream_url(sim, sim.issue_token())) as ws:
            await ws.recv()
            await ws.recv()
            assert sim.open_connections(CALL) == 1
        for _ in range(50):
            if sim.open_connections(CALL) == 0:
                break
            await asyncio.sleep(0.01)
        assert sim.open_connections(CALL) == 0
        assert sim.call_state(CALL) == "active"


async def test_stop_closes_open_streams_with_1001(call_wav: MakeWav) -> None:
    path, _ = call_wav(250)
    sim = CXoneSimulator(config(path, loop=True))
    await sim.start()
    listener = asyncio.create_task(listen(stream_url(sim, sim.issue_token())))
    while sim.open_connections(CALL) == 0:
        await asyncio.sleep(0.01)
    await sim.stop()
    heard = await listener
    assert heard.close_code == 1001


# -- network models over real sockets: what a listener's clock sees ---------------------------


async def test_a_batching_sender_delivers_frames_ahead_of_their_time(call_wav: MakeWav) -> None:
    path, source = call_wav(100, seed=8)  # 2 s
    imp = Impairments(batch_frames=3, seed=21)
    async with CXoneSimulator(config(path, impairments=imp)) as sim:
        heard = await listen(stream_url(sim, sim.issue_token()))
    assert bytes(heard.audio) == source
    assert max(heard.sizes) <= 3 * FRAME and len(set(heard.sizes)) > 10
    # Completion time of each frame against a steady 20 ms clock through the first message:
    # frames a message completes beyond its first arrive up to two frames early.
    done, total = [], 0
    for t, n in zip(heard.times, heard.sizes, strict=True):
        total += n
        done += [t] * (total // FRAME - len(done))
    lead = [k * 0.020 - (t - done[0]) for k, t in enumerate(done)]
    assert max(lead) > 0.030  # early by more than a frame: the old envelope estimate broke here


async def test_large_frames_arrive_every_100_to_200_ms(call_wav: MakeWav) -> None:
    path, source = call_wav(150, seed=9)  # 3 s
    imp = Impairments(large_frames_ms=(100, 200), seed=22)
    async with CXoneSimulator(config(path, impairments=imp)) as sim:
        heard = await listen(stream_url(sim, sim.issue_token()))
    assert bytes(heard.audio) == source
    assert {n // FRAME for n in heard.sizes[:-1]} <= set(range(5, 11))
    gaps = np.diff(heard.times)
    assert gaps.min() > 0.03 and np.median(gaps) > 0.1  # loopback adds little


async def test_a_delay_spike_stalls_then_delivers_the_backlog_at_once(call_wav: MakeWav) -> None:
    path, source = call_wav(125, seed=10)  # 2.5 s, a stall at 1 s
    imp = Impairments(spike_every_s=1.0, spike_ms=(400, 400), seed=23)
    async with CXoneSimulator(config(path, impairments=imp)) as sim:
        heard = await listen(stream_url(sim, sim.issue_token()))
    assert bytes(heard.audio) == source
    gaps = np.diff(heard.times)
    stall = int(np.argmax(gaps))
    assert 0.3 < gaps[stall] < 0.6
    burst = [t for t in heard.times[stall + 1 :] if t - heard.times[stall + 1] < 0.15]
    assert len(burst) >= 15  # 400 ms of frames, delivered in far less


async def test_a_drifting_sender_clock_shows_in_the_arrival_rate(call_wav: MakeWav) -> None:
    path, source = call_wav(150, seed=11)  # 3 s at +1 %: 30 ms early by the end
    imp = Impairments(drift_ppm=10_000, seed=24)
    async with CXoneSimulator(config(path, impairments=imp)) as sim:
        heard = await listen(stream_url(sim, sim.issue_token()))
    assert bytes(heard.audio) == source
    period = np.polyfit(np.arange(len(heard.times)), heard.times, 1)[0]  # robust to a late wake
    assert period == pytest.approx(0.020 / 1.01, rel=0.003)


async def test_a_recorded_trace_replays_over_the_wire(call_wav: MakeWav, tmp_path: Path) -> None:
    from cxone_desktop.core.arrival_trace import ArrivalTrace

    path, source = call_wav(50, seed=12)
    times = tuple(7.0 + 0.09 * k for k in range(10))
    trace = ArrivalTrace(times, tuple([1600] * 10))  # 5 frames every 90 ms
    async with CXoneSimulator(config(path, impairments=Impairments(arrival_trace=trace))) as sim:
        heard = await listen(stream_url(sim, sim.issue_token()))
    assert bytes(heard.audio) == source and heard.sizes == [1600] * 10
    assert np.median(np.diff(heard.times)) == pytest.approx(0.09, abs=0.01)
    assert heard.times[-1] - heard.times[0] == pytest.approx(0.81, abs=0.05)
