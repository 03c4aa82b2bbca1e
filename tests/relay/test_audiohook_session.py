"""The AudioHook server protocol without sockets: open/opened, ping/pong, pause, close, errors."""

from __future__ import annotations

import json
import uuid

import numpy as np

from cxone_desktop.core.codecs import decode_mulaw, encode_mulaw
from cxone_desktop.relay.audiohook_session import (
    Audio,
    AudioHookSession,
    Closed,
    Opened,
    Paused,
    ProtocolViolation,
    Resumed,
    choose_media,
)

SID = str(uuid.uuid4())
ORG = str(uuid.uuid4())
STEREO = {"type": "audio", "format": "PCMU", "channels": ["internal", "external"], "rate": 8000}
MONO = {"type": "audio", "format": "PCMU", "channels": ["external"], "rate": 8000}


class Client:
    def __init__(self) -> None:
        self.seq = 0

    def msg(self, kind: str, params: dict | None = None, **over: object) -> str:
        self.seq += 1
        body = {
            "version": "2",
            "id": SID,
            "type": kind,
            "seq": self.seq,
            "serverseq": 0,
            "position": "PT0S",
            "parameters": params or {},
        }
        body.update(over)
        return json.dumps(body)

    def open(self, media: list[dict]) -> str:
        return self.msg(
            "open",
            {
                "organizationId": ORG,
                "conversationId": str(uuid.uuid4()),
                "participant": {"id": str(uuid.uuid4()), "ani": "+1", "aniName": "A", "dnis": "+2"},
                "media": media,
            },
        )


def sent(session: AudioHookSession) -> list[dict]:
    out = [json.loads(m) for m in session.outbox]
    session.outbox.clear()
    return out


def test_open_picks_stereo_and_echoes_the_offer_unchanged() -> None:
    s, c = AudioHookSession(SID, ORG), Client()
    events = s.receive_text(c.open([MONO, STEREO]))
    (opened,) = sent(s)
    assert opened["type"] == "opened" and opened["parameters"]["media"] == [STEREO]
    assert opened["seq"] == 1 and opened["clientseq"] == 1 and opened["id"] == SID
    assert isinstance(events[0], Opened) and events[0].media is not None
    assert choose_media([{**STEREO, "rate": 16000}, {"type": "video"}]) is None


def test_audio_is_split_in_the_offered_channel_order() -> None:
    s, c = AudioHookSession(SID, ORG), Client()
    s.receive_text(c.open([STEREO]))
    frame = encode_mulaw(np.array([100, -200, 300, -400]))  # internal, external, …
    (audio,) = s.receive_binary(frame)
    assert isinstance(audio, Audio)
    decoded = decode_mulaw(frame)
    assert audio.channels["internal"].tolist() == decoded[0::2].tolist()
    assert audio.channels["external"].tolist() == decoded[1::2].tolist()


def test_ping_pause_resume_and_close() -> None:
    s, c = AudioHookSession(SID, ORG), Client()
    s.receive_text(c.open([STEREO]))
    sent(s)
    assert s.receive_text(c.msg("ping")) == []
    (pong,) = sent(s)
    assert pong["type"] == "pong" and pong["clientseq"] == 2
    assert isinstance(s.receive_text(c.msg("paused"))[0], Paused)
    assert isinstance(s.receive_binary(b"\xff\xff")[0], ProtocolViolation)  # audio while paused
    s2, c2 = AudioHookSession(SID, ORG), Client()
    s2.receive_text(c2.open([STEREO]))
    s2.receive_text(c2.msg("paused"))
    (resumed,) = s2.receive_text(c2.msg("resumed", {"start": "PT1.2S", "discarded": "PT3S"}))
    assert isinstance(resumed, Resumed) and resumed.discarded_s == 3.0
    (closed,) = s2.receive_text(c2.msg("close", {"reason": "end"}))
    assert isinstance(closed, Closed) and closed.reason == "end"
    assert sent(s2)[-1]["type"] == "closed"


def test_protocol_errors_answer_disconnect_with_the_reference_wording() -> None:
    cases = [
        ("not json", "Client Error: Text message not valid JSON"),
        (json.dumps({"version": "1"}), "Client Error: Message not a well-formed client message"),
    ]
    for text, info in cases:
        s = AudioHookSession(SID, ORG)
        (violation,) = s.receive_text(text)
        assert violation == ProtocolViolation(info)
        (disconnect,) = sent(s)
        assert disconnect["type"] == "disconnect"
        assert disconnect["parameters"] == {"reason": "error", "info": info}
    s, c = AudioHookSession(SID, ORG), Client()
    s.receive_text(c.open([STEREO]))
    c.seq += 1  # a gap
    (violation,) = s.receive_text(c.msg("ping"))
    assert "Invalid seq value" in violation.info
    s, c = AudioHookSession(SID, ORG), Client()
    (violation,) = s.receive_binary(b"\x00" * 4)
    assert violation.info == "Client Error: Received audio in state PREPARING"
    s, c = AudioHookSession(SID, ORG), Client()
    (violation,) = s.receive_text(c.msg("dance"))
    assert "'dance' is not a supported client message" in violation.info
    s, c = AudioHookSession(SID, ORG), Client()
    s.receive_text(c.open([STEREO]))
    (violation,) = s.receive_binary(b"\x00" * 3)  # not whole stereo samples
    assert "not a valid audio frame" in violation.info


def test_an_organization_that_does_not_match_the_header_is_unauthorized() -> None:
    s, c = AudioHookSession(SID, str(uuid.uuid4())), Client()
    s.receive_text(c.open([STEREO]))
    (disconnect,) = sent(s)
    assert disconnect["type"] == "disconnect"
    assert disconnect["parameters"]["reason"] == "unauthorized"
    assert s.state == "UNAUTHORIZED"
    s.receive_text(c.msg("close", {"reason": "disconnect"}))
    assert sent(s)[-1]["type"] == "closed"
