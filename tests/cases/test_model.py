"""The case model: payload helpers, step validation and case rules."""

from __future__ import annotations

import pytest

from wsconform.cases import model
from wsconform.cases.exceptions import InvalidCase
from wsconform.cases.model import (
    BINARY,
    CONT,
    OK,
    TEXT,
    Alternative,
    Case,
    CloseAfter,
    ContinueLater,
    EchoLoop,
    ExpectedClose,
    KillAfter,
    Message,
    Pong,
    SendClose,
    SendFrame,
    SendMessage,
    SendWireFrame,
    StreamFrameData,
    StreamFrameHeader,
    Timeout,
    Verdict,
    case_sort_key,
    fragment_payload,
    repeat_to_length,
)

CLEAN = ExpectedClose(True, (1000,), True)


def make(case_id: str = "1.1.1", **kwargs: object) -> Case:
    fields: dict[str, object] = {
        "description": "d",
        "expectation": "e",
        "steps": (),
        "expected": {OK: ()},
        "expected_close": CLEAN,
    }
    fields.update(kwargs)
    return Case(case_id, **fields)  # type: ignore[arg-type]


def test_exports() -> None:
    for name in model.__all__:
        assert hasattr(model, name), name


def test_repeat_to_length_catalog_example() -> None:
    data = repeat_to_length(b"BAsd7&jh23", 65536)
    assert len(data) == 65536
    assert data == b"BAsd7&jh23" * 6553 + b"BAsd7&"
    assert repeat_to_length(b"*", 0) == b""
    with pytest.raises(ValueError):
        repeat_to_length(b"", 3)
    with pytest.raises(ValueError):
        repeat_to_length(b"x", -1)


def test_fragment_payload_quirk() -> None:
    # Short payloads and no fragment size: one frame.
    assert fragment_payload(b"abc", 0) == [b"abc"]
    assert fragment_payload(b"abc", 3) == [b"abc"]
    assert fragment_payload(b"", 1) == [b""]
    # Not a multiple: the last piece is short.
    assert fragment_payload(b"abcde", 2) == [b"ab", b"cd", b"e"]
    # Exact multiple: an extra empty final frame (docs/autobahn.md section 2.2).
    assert fragment_payload(b"abcd", 2) == [b"ab", b"cd", b""]
    with pytest.raises(ValueError):
        fragment_payload(b"abc", -1)


def test_fragment_payload_10_1_1_split() -> None:
    pieces = fragment_payload(b"*" * 65536, 1300)
    assert len(pieces) == 51
    assert [len(p) for p in pieces[:-1]] == [1300] * 50
    assert len(pieces[-1]) == 536


def test_fragment_payload_6_2_3_split() -> None:
    # 29 bytes in 1-byte fragments: 29 frames plus the empty final one.
    pieces = fragment_payload(bytes(range(29)), 1)
    assert len(pieces) == 30
    assert pieces[-1] == b""


def test_case_sort_key_is_numeric() -> None:
    ids = ["10.1.1", "2.10", "2.9", "1.1.2", "12.1.1", "9.8.6", "6.10.1", "6.9.4"]
    assert sorted(ids, key=case_sort_key) == [
        "1.1.2",
        "2.9",
        "2.10",
        "6.9.4",
        "6.10.1",
        "9.8.6",
        "10.1.1",
        "12.1.1",
    ]


def test_events_compare_structurally() -> None:
    assert Message(b"x", False) == Message(b"x", False)
    assert Message(b"x", False) != Message(b"x", True)
    events: list[Message | Pong] = [Message(b"x"), Pong(b"x")]
    assert events[0] != events[1]
    assert Timeout("A") != Timeout("B")
    assert (Pong(b""), Message(b"a")) == (Pong(b""), Message(b"a"))


def test_verdict_strings() -> None:
    assert [str(v) for v in Verdict] == [
        "OK",
        "NON-STRICT",
        "FAILED",
        "INFORMATIONAL",
        "UNIMPLEMENTED",
        "NO_CLOSE",
    ]


def test_send_frame_validation_and_data() -> None:
    frame = SendFrame(TEXT, b"BAsd7&jh23", repeat_length=65536, chopsize=997)
    assert frame.length == 65536
    assert len(frame.data()) == 65536
    assert SendFrame(15, rsv=7).data() == b""
    for bad in (
        {"opcode": 16},
        {"opcode": -1},
        {"opcode": 1, "rsv": 8},
        {"opcode": 1, "chopsize": 0},
        {"opcode": 1, "repeat_length": 5},  # no pattern
    ):
        with pytest.raises(InvalidCase):
            SendFrame(**bad)  # type: ignore[arg-type]


def test_send_message() -> None:
    message = SendMessage(b"*", repeat_length=10, fragment_size=3)
    assert message.data() == b"*" * 10
    assert message.opcode == TEXT
    assert SendMessage(b"", binary=True).opcode == BINARY
    with pytest.raises(InvalidCase):
        SendMessage(b"x", fragment_size=0)


def test_send_close_checked_and_raw() -> None:
    assert SendClose(1000).body() == b"\x03\xe8"
    assert SendClose().body() == b""
    assert SendClose(1000, b"Hello World!").body() == b"\x03\xe8Hello World!"
    assert SendClose(4999).body() == b"\x13\x87"
    # The checked form refuses what only the raw form may send.
    for code, reason in ((1002, None), (999, None), (5000, None), (None, b"a")):
        with pytest.raises(InvalidCase):
            SendClose(code, reason)
        assert SendClose(code, reason, raw=True).body()
    with pytest.raises(InvalidCase):
        SendClose(1000, b"*" * 124)
    assert len(SendClose(1000, b"*" * 124, raw=True).body()) == 126
    assert SendClose(None, b"a", raw=True).body() == b"a"
    with pytest.raises(InvalidCase):
        SendClose(65536, raw=True)


def test_case_expected_order_and_keys() -> None:
    case = make(expected={"OK": (Message(b"a"),), "NON-STRICT": ()})
    assert list(case.expected) == [Verdict.OK, Verdict.NON_STRICT]
    assert case.expected[Verdict.OK] == (Message(b"a"),)
    with pytest.raises(TypeError):
        case.expected[Verdict.OK] = ()  # type: ignore[index]
    with pytest.raises(InvalidCase):
        make(expected={Verdict.NON_STRICT: (), Verdict.OK: ()})
    with pytest.raises(InvalidCase):
        make(expected={Verdict.OK: (), Verdict.FAILED: ()})
    assert dict(make(expected={}).expected) == {}


def test_case_id_and_text_rules() -> None:
    for bad in ("1", "1.1.1.1", "0.1", "1.01.1", "a.b", "1.1."):
        with pytest.raises(InvalidCase):
            make(bad)
    with pytest.raises(InvalidCase):
        make(description="")
    with pytest.raises(InvalidCase):
        ExpectedClose(True, (), True)


def test_case_properties() -> None:
    case = make("6.4.1", steps=(ContinueLater(1, "A"), KillAfter(1), CloseAfter(2)))
    assert case.section == 6
    assert case.subsection == "6.4"
    assert case.sort_key == (6, 4, 1)
    assert case.kill_after == 1
    assert case.close_after == 2
    assert not case.has_case_logic
    assert make("2.10").subsection is None
    assert make("2.10").kill_after is None
    loop = EchoLoop(count=3, length=4, binary=False, wait=1, pattern=b"*")
    assert make("9.7.1", steps=(loop,), expected={}).has_case_logic


def test_streamed_frames_must_be_complete() -> None:
    good = (StreamFrameHeader(TEXT, 3), StreamFrameData(b"ab"), StreamFrameData(b"c"))
    make(steps=(*good, SendFrame(CONT)))
    with pytest.raises(InvalidCase):
        make(steps=(StreamFrameHeader(TEXT, 3), StreamFrameData(b"ab")))
    with pytest.raises(InvalidCase):
        make(steps=(StreamFrameHeader(TEXT, 1), StreamFrameData(b"ab")))
    with pytest.raises(InvalidCase):
        make(steps=(StreamFrameHeader(TEXT, 1), SendFrame(CONT), StreamFrameData(b"a")))


def test_echo_loop_validation() -> None:
    assert EchoLoop(1, 16, False, 60, data_file="data1.json").check_sha1
    assert not EchoLoop(1, 16, False, 60, pattern=b"*").check_sha1
    with pytest.raises(InvalidCase):
        EchoLoop(1, 16, False, 60)
    with pytest.raises(InvalidCase):
        EchoLoop(1, 16, False, 60, pattern=b"*", data_file="data1.json")
    with pytest.raises(InvalidCase):
        EchoLoop(0, 16, False, 60, pattern=b"*")


def test_send_wire_frame_checks_its_fields() -> None:
    assert SendWireFrame(TEXT, b"x", masked=False, length_bits=64).length_bits == 64
    assert SendWireFrame(BINARY, length=2**64 - 1, length_bits=64).length == 2**64 - 1
    for bad in (
        {"mask_key": b"abc"},
        {"length_bits": 32},
        {"length": 2**16, "length_bits": 16},
        {"length": 2**64},
        {"chop_header": True},
        {"chopsize": 0},
        {"rsv": 8},
    ):
        with pytest.raises(InvalidCase):
            SendWireFrame(TEXT, b"x", **bad)


def test_a_wire_frame_inside_a_streamed_frame_is_refused() -> None:
    with pytest.raises(InvalidCase, match="inside an incomplete streamed frame"):
        Case(
            "fr.9.1", "d", "e",
            (StreamFrameHeader(TEXT, 4), SendWireFrame(TEXT, b"x"), StreamFrameData(b"abcd")),
            {OK: ()}, ExpectedClose(True, (1000,), True),
        )  # fmt: skip


def test_an_alternative_earns_ok_or_non_strict_only() -> None:
    close = ExpectedClose(False, (1002,), False)
    assert Alternative((), close, "why").verdict is Verdict.NON_STRICT
    with pytest.raises(InvalidCase):
        Alternative((), close, "why", verdict=Verdict.FAILED)
