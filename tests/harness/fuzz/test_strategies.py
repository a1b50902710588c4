"""The shipped strategies shrink to the simplest example and draw what they promise."""

from __future__ import annotations

from hypothesis import find, given, settings
from hypothesis import strategies as st

from wsconform.harness.fuzz.conversation import BURST, Conversation, Send
from wsconform.harness.fuzz.strategies import (
    chunkings,
    close_bodies,
    closes,
    conversations,
    fragmented_messages,
    frames,
    mutated_frames,
    payloads,
    utf8_fragments,
    utf8_payloads,
    wire_frames,
    write_patterns,
)
from wsconform.harness.wire.frame import WireFrame
from wsconform.reference.protocol.close import Close
from wsconform.reference.protocol.frames import (
    BINARY,
    CLOSE,
    CONT,
    PING,
    PONG,
    TEXT,
    Frame,
    check,
)
from wsconform.reference.protocol.utf8 import find_invalid

# Hypothesis shrinks to the shortest sequence of choices first, and a ping draws fewer
# choices than a data frame: either is "simplest" as long as nothing else is set.
SIMPLEST = (Frame(BINARY, b""), Frame(PING, b""))


def test_minimal_frame_is_empty_final_and_plain() -> None:
    assert find(frames(), lambda frame: True) in SIMPLEST
    assert find(frames(), lambda frame: frame.opcode is BINARY) == Frame(BINARY, b"")


def test_minimal_wire_frame_has_no_deviation() -> None:
    # Which empty frame the shrinker lands on (binary, ping, pong) depends on its path;
    # what matters is that no deviation is left: empty, final, unmasked, minimal length.
    simplest = {int(op) for op in (BINARY, PING, PONG)}
    minimal = find(wire_frames(), lambda frame: True)
    assert minimal == WireFrame(minimal.opcode) and minimal.opcode in simplest
    with_rsv = find(wire_frames(), lambda frame: frame.rsv != 0)
    assert with_rsv == WireFrame(with_rsv.opcode, rsv=1) and with_rsv.opcode in simplest


def test_minimal_large_payload_is_126_bytes() -> None:
    assert find(payloads(), lambda data: len(data) > 125) == bytes(126)


def test_minimal_close_is_empty() -> None:
    assert find(closes(), lambda close: True) == Close(1005, "")


def test_minimal_message_is_one_empty_frame() -> None:
    assert find(fragmented_messages(), lambda frames: True) == [Frame(BINARY, b"")]


@given(frame=frames())
def test_frames_pass_check(frame: Frame) -> None:
    check(frame)


@given(message=fragmented_messages())
def test_fragmented_messages_are_well_formed(message: list[Frame]) -> None:
    data_frames = [frame for frame in message if frame.opcode not in (PING, PONG)]
    assert data_frames[0].opcode is not CONT
    assert all(frame.opcode is CONT for frame in data_frames[1:])
    assert [frame.fin for frame in data_frames] == [False] * (len(data_frames) - 1) + [True]


@settings(max_examples=50)
@given(data=st.binary(max_size=50), split=st.data())
def test_chunkings_concatenate_to_the_data(data: bytes, split: st.DataObject) -> None:
    chunks = split.draw(chunkings(data))
    assert b"".join(chunks) == data
    assert all(chunks) or chunks == [b""]


@given(chunks=utf8_fragments())
def test_utf8_fragments_are_chunks(chunks: list[bytes]) -> None:
    assert all(isinstance(chunk, bytes) for chunk in chunks)


def test_minimal_conversation_is_one_plain_masked_frame() -> None:
    minimal = find(conversations(), lambda c: True)
    assert minimal == Conversation((Send(WireFrame(BINARY, masked=True)),))
    server_side = find(conversations(masked=False), lambda c: True)
    assert server_side.sends[0].frame == WireFrame(BINARY)


def test_minimal_conversations_with_a_property_keep_only_that_property() -> None:
    # Each deviation, asked for alone, shrinks to a frame with nothing else wrong.
    rsv = find(conversations(), lambda c: any(f.rsv for f in c.frames))
    assert rsv.frames == (WireFrame(BINARY, rsv=1, masked=True),)
    chopped = find(conversations(), lambda c: any(s.pattern.chopsize for s in c.sends))
    assert [s.pattern.chopsize for s in chopped.sends] == [1]
    unmasked = find(conversations(wire_mutations=True), lambda c: not c.frames[0].masked)
    assert unmasked.frames == (WireFrame(BINARY),)


def test_minimal_fragmented_conversation_has_plain_fragments() -> None:
    three = find(conversations(), lambda c: len(c.sends) >= 3 and c.frames[1].opcode == PING)
    assert [f.opcode for f in three.frames] == [BINARY, PING, CONT]
    assert all(f.rsv == 0 and f.masked and f.payload == b"" for f in three.frames)
    assert all(s.pattern == BURST for s in three.sends)


def test_minimal_mutated_frame_is_the_frame_itself() -> None:
    frame = Frame(TEXT, b"abc")
    assert find(mutated_frames(frame, masked=True), lambda f: True) == WireFrame(
        TEXT, b"abc", masked=True
    )
    top = find(mutated_frames(frame, masked=True), lambda f: (f.length or 0) >= 1 << 63)
    assert top.length == (1 << 63) | 3 and top.rsv == 0 and top.masked


def test_minimal_close_body_is_empty_and_minimal_write_is_a_burst() -> None:
    assert find(close_bodies(), lambda body: True) == b""
    assert find(close_bodies(), lambda body: len(body) == 1) == b"\x03"
    assert find(write_patterns(), lambda p: True) == BURST


@given(data=utf8_payloads())
def test_utf8_payloads_are_text_or_carry_one_defect(data: bytes) -> None:
    invalid = find_invalid(data)
    assert invalid is None or isinstance(invalid, int)


def test_minimal_invalid_utf8_payload_is_one_bad_byte() -> None:
    assert find(utf8_payloads(), lambda d: find_invalid(d) is not None) == b"\xff"


@given(conversation=conversations(wire_mutations=True))
def test_conversations_encode_and_round_trip_through_json(conversation: Conversation) -> None:
    assert conversation.wire_bytes()
    assert Conversation.from_json(conversation.to_json()) == conversation
    assert all(f.opcode != CLOSE for f in conversation.frames[:-1] if f.fin)


@settings(max_examples=200)
@given(conversation=conversations(length_mutations=True))
def test_length_mutations_keep_every_declared_length_true(conversation: Conversation) -> None:
    # A false length has no answer a conforming peer must give: never on the network.
    for frame in conversation.frames:
        assert frame.length is None or frame.length == (1 << 63) | len(frame.payload)


def test_length_mutations_shrink_to_one_long_form_or_one_top_bit() -> None:
    from wsconform.harness.wire.frame import LengthEncoding

    def long_forms(c: Conversation) -> list[WireFrame]:
        return [f for f in c.frames if f.length is None and f.length_encoding is not None]

    found = find(conversations(length_mutations=True), lambda c: bool(long_forms(c)))
    [frame] = long_forms(found)
    # The shorter long form, on an empty frame with nothing else wrong.
    assert frame.length_encoding is LengthEncoding.LENGTH_16
    assert (frame.payload, frame.rsv, frame.masked) == (b"", 0, True)
    top = find(conversations(length_mutations=True), lambda c: c.frames[0].length is not None)
    assert top.frames[0] == WireFrame(
        BINARY, masked=True, length=1 << 63, length_encoding=LengthEncoding.LENGTH_64
    )
