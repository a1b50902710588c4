"""The shared strategies shrink to the simplest example and draw what they promise."""

from __future__ import annotations

from hypothesis import find, given, settings
from hypothesis import strategies as st

from tests.strategies import (
    chunkings,
    closes,
    fragmented_messages,
    frames,
    payloads,
    utf8_fragments,
    wire_frames,
)
from wsconform.harness.wire.frame import WireFrame
from wsconform.reference.protocol.close import Close
from wsconform.reference.protocol.frames import BINARY, CONT, PING, PONG, Frame, check

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
