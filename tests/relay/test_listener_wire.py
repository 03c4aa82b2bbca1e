"""The listener side of the relay: tokens, handshake refusals, rules, shapes, live edge, REST."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import numpy as np
import pytest
import websockets

from cxone_desktop.core.codecs import decode_mulaw, decode_pcm16le
from cxone_desktop.relay.server import RelayServer
from cxone_desktop.simulator.push.push_command import call_id_of, make_push

from .support import AGENT_CLIENT, PUSH_ENV, QA, relay_config, synthetic_call, token, until


@pytest.fixture
async def relay() -> AsyncIterator[RelayServer]:
    async with RelayServer(relay_config()) as server:
        yield server


async def handshake_refusal(url: str, **kw: object) -> tuple[int, dict]:
    with pytest.raises(websockets.InvalidStatus) as caught:
        async with websockets.connect(url, **kw):  # type: ignore[arg-type]
            pass
    response = caught.value.response
    return response.status_code, json.loads(bytes(response.body or b"{}"))


async def open_call(
    relay: RelayServer,
    platform: str = "audiohook",
    agent: str = "agent-1001",
    seconds: float = 2.46,
):
    audio = synthetic_call(seconds)
    push = make_push(platform, f"{relay.ws_base_url}/ingest/{platform}", audio, PUSH_ENV)
    push.agent_id = agent
    push.gate = asyncio.Event()
    task = asyncio.create_task(push.run())
    call_id = call_id_of(push)
    await until(lambda: relay.registry.get(call_id) is not None, what="the call")
    return push, task, call_id, audio


async def listen(url: str, **kw: object) -> tuple[bytes, list[dict]]:
    audio, events = bytearray(), []
    async with websockets.connect(url, **kw) as ws:  # type: ignore[arg-type]
        async for m in ws:
            if isinstance(m, bytes):
                audio += m
            else:
                events.append(json.loads(m))
    return bytes(audio), events


async def test_token_endpoint_takes_json_form_and_basic(relay: RelayServer) -> None:
    url = f"{relay.base_url}/oauth2/token"
    async with httpx.AsyncClient() as http:
        as_json = await http.post(
            url,
            json={"grant_type": "client_credentials", "client_id": QA[0], "client_secret": QA[1]},
        )
        form = await http.post(
            url,
            data={"grant_type": "client_credentials", "client_id": QA[0], "client_secret": QA[1]},
        )
        basic = await http.post(url, data={"grant_type": "client_credentials"}, auth=QA)
        wrong = await http.post(
            url,
            json={"grant_type": "client_credentials", "client_id": QA[0], "client_secret": "nope"},
        )
    for response in (as_json, form, basic):
        body = response.json()
        assert response.status_code == 200 and body["token_type"] == "Bearer"
        assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
        assert "agent:voice:stream" in body["scope"].split()
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert "nope" not in wrong.text


async def test_stream_refusals_name_the_reason(relay: RelayServer) -> None:
    push, task, call_id, _ = await open_call(relay, agent="agent-1001")
    stream = f"{relay.ws_base_url}/agent/voice/{call_id}/stream"
    status, body = await handshake_refusal(f"{stream}?access_token=garbage")
    assert (
        status == 403
        and body["error"] == "invalid_token"
        and "not one this relay issued" in body["message"]
    )
    status, body = await handshake_refusal(stream)
    assert status == 403 and "No access token" in body["message"]
    qa = await token(relay.base_url)
    status, body = await handshake_refusal(
        f"{relay.ws_base_url}/agent/voice/nosuch/stream?access_token={qa}"
    )
    assert status == 404 and "No call nosuch" in body["message"]
    agent_token = await token(relay.base_url, AGENT_CLIENT)
    status, body = await handshake_refusal(f"{stream}?access_token={agent_token}")
    assert status == 403 and body["error"] == "access_denied"
    assert "may not hear" in body["message"] and "agent-1002" in body["message"]
    status, body = await handshake_refusal(
        f"{stream}?perspective=boss", additional_headers={"Authorization": f"Bearer {qa}"}
    )
    assert status == 400 and "perspective" in body["message"]
    push.gate.set()
    await task


async def test_an_expired_token_is_refused_saying_so() -> None:
    async with RelayServer(relay_config(token_ttl_s=0.0)) as relay:
        push, task, call_id, _ = await open_call(relay)
        stale = await token(relay.base_url)
        status, body = await handshake_refusal(
            f"{relay.ws_base_url}/agent/voice/{call_id}/stream?access_token={stale}"
        )
        assert status == 403 and "expired" in body["message"]
        push.gate.set()
        await task


async def test_rules_filter_the_calls_list_and_let_an_agent_hear_their_own_call(
    relay: RelayServer,
) -> None:
    mine = await open_call(relay, "twilio", agent="agent-1002")
    other = await open_call(relay, "cxone", agent="agent-1001")
    agent_token = await token(relay.base_url, AGENT_CLIENT)
    qa = await token(relay.base_url)
    async with httpx.AsyncClient() as http:
        listed = (
            await http.get(
                f"{relay.base_url}/api/v2/calls", headers={"Authorization": f"Bearer {agent_token}"}
            )
        ).json()
        everything = (
            await http.get(
                f"{relay.base_url}/api/v2/calls", headers={"Authorization": f"Bearer {qa}"}
            )
        ).json()
        unauth = await http.get(f"{relay.base_url}/api/v2/calls")
    assert [c["id"] for c in listed["calls"]] == [mine[2]]
    entry = listed["calls"][0]
    assert entry["platform"] == "twilio" and entry["state"] == "active"
    assert entry["parties"]["agent"] == {"id": "agent-1002"}
    assert entry["perspectives"] == ["agent", "customer"] and entry["channels"] == 2
    assert entry["startedAt"].endswith("Z") and entry["durationS"] >= 0
    assert {c["id"] for c in everything["calls"]} == {mine[2], other[2]}
    assert unauth.status_code == 401
    listening = asyncio.create_task(
        listen(f"{relay.ws_base_url}/agent/voice/{mine[2]}/stream?access_token={agent_token}")
    )
    await until(lambda: relay.registry.get(mine[2]).fanout.listeners)
    for push, task, *_ in (mine, other):
        push.gate.set()
        await task
    audio, events = await listening
    assert np.array_equal(decode_pcm16le(audio), mine[3].expected())
    assert events[0]["event"] == "call.started" and events[-1]["event"] == "call.ended"


@pytest.mark.parametrize(
    ("query", "decode", "expected"),
    [
        ("perspective=agent", decode_pcm16le, lambda a: a.expected("agent")),
        ("perspective=customer&encoding=mulaw", decode_mulaw, lambda a: a.expected("customer")),
        (
            "channels=2",
            decode_pcm16le,
            lambda a: np.column_stack([a.expected("agent"), a.expected("customer")]).reshape(-1),
        ),
    ],
)
async def test_perspectives_stereo_and_mulaw_are_exact(
    relay: RelayServer, query, decode, expected
) -> None:
    push, task, call_id, audio = await open_call(relay, "cxone")
    qa = await token(relay.base_url)
    listening = asyncio.create_task(
        listen(
            f"{relay.ws_base_url}/agent/voice/{call_id}/stream?{query}",
            additional_headers={"Authorization": f"Bearer {qa}"},
        )
    )
    await until(lambda: relay.registry.get(call_id).fanout.listeners)
    push.gate.set()
    await task
    got, events = await listening
    assert np.array_equal(decode(got), expected(audio))
    started = events[0]
    assert started["event"] == "call.started" and started["sampleRate"] == 8000
    assert started["channels"] == (2 if "channels=2" in query else 1)
    assert [e["event"] for e in events[-1:]] == ["call.ended"]


async def test_a_listener_joining_mid_call_starts_at_the_live_edge(relay: RelayServer) -> None:
    push, task, call_id, audio = await open_call(relay, "twilio", seconds=3.0)
    qa = await token(relay.base_url)
    call = relay.registry.get(call_id)
    push.gate.set()
    await until(lambda: call._aligner.edge >= 8000, what="a second of audio")
    got, _ = await listen(f"{relay.ws_base_url}/agent/voice/{call_id}/stream?access_token={qa}")
    await task
    heard = decode_pcm16le(got)
    expected = audio.expected()
    offset = expected.size - heard.size
    assert offset >= 8000 and offset % 160 == 0  # whole frames, nothing from before it joined
    assert np.array_equal(heard, expected[offset:])


async def test_call_state_and_events_follow_hold_and_end(relay: RelayServer) -> None:
    push, task, call_id, _ = await open_call(relay, "cxone", seconds=1.0)
    qa = await token(relay.base_url)
    url = f"{relay.base_url}/api/v2/interactions/{call_id}/call"
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {qa}"}) as http:
        body = (await http.get(url)).json()
        assert body["state"] == "active" and body["interactionId"] == call_id
        assert body["platform"] == "cxone" and "endedAt" not in body
        listening = asyncio.create_task(
            listen(f"{relay.ws_base_url}/agent/voice/{call_id}/stream?access_token={qa}")
        )
        await until(lambda: relay.registry.get(call_id).fanout.listeners)
        push.gate.set()
        await task  # both sockets closed: hold, then ended after the 0.5 s grace
        _, events = await listening
        body = (await http.get(url)).json()
    kinds = [e["event"] for e in events]
    assert kinds[0] == "call.started"
    assert kinds[-4:] == ["perspective.left", "perspective.left", "call.hold", "call.ended"]
    assert all(e["callId"] == call_id for e in events)
    assert body["state"] == "ended" and body["endedAt"].endswith("Z")
    assert "no CXone socket returned" in body["endReason"]
    status, refusal = await handshake_refusal(
        f"{relay.ws_base_url}/agent/voice/{call_id}/stream?access_token={qa}"
    )
    assert status == 403 and refusal["error"] == "call_ended"


async def test_healthz_and_metrics_report_calls_frames_and_auth_failures(
    relay: RelayServer,
) -> None:
    push, task, call_id, _ = await open_call(relay, "twilio", seconds=0.6)
    qa = await token(relay.base_url)
    listening = asyncio.create_task(
        listen(f"{relay.ws_base_url}/agent/voice/{call_id}/stream?access_token={qa}")
    )
    await until(lambda: relay.registry.get(call_id).fanout.listeners)
    async with httpx.AsyncClient() as http:
        health = (await http.get(f"{relay.base_url}/healthz")).json()
        assert health == {"status": "ok", "calls": 1, "listeners": 1}
        push.gate.set()
        await task
        await listening
        await http.post(
            f"{relay.base_url}/oauth2/token",
            auth=("qa-team", "wrong"),
            data={"grant_type": "client_credentials"},
        )
        text = (await http.get(f"{relay.base_url}/metrics")).text
    assert 'relay_frames_in_total{platform="twilio"} 60.0' in text  # 2 tracks × 30 frames
    assert "relay_frames_out_total 30.0" in text
    assert 'relay_auth_failures_total{platform="listener"} 1.0' in text
    assert 'relay_calls{platform="twilio"} 0.0' in text and "relay_listeners 0.0" in text
    assert 'relay_ingest_to_listener_seconds_bucket{le="+Inf"}' in text
