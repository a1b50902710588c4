"""In-process fuzzing of the strict frame parser (``reference/protocol/frames.py``).

Each property states what RFC 6455 section 5 requires of any input, with an expected
result computed from the permissive :class:`WireFrame` fields, independently of the
parser: a reserved opcode, masking wrong for the role, a non-minimal length, a 64-bit
length with its top bit set or a control frame longer than 125 bytes fail with
:class:`ProtocolError`; anything else parses back to the frame that was written.
``make fuzz`` runs these with the ``nightly`` profile.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import chunkings, frames, mask_keys
from wsconform.harness.fuzz.strategies import mutated_frames
from wsconform.harness.wire.frame import WireFrame
from wsconform.reference.protocol.exceptions import PayloadTooBig, ProtocolError
from wsconform.reference.protocol.frames import Frame, Opcode, Parser, check, parse, serialize

pytestmark = pytest.mark.fuzz

_KNOWN = frozenset(int(opcode) for opcode in Opcode)


def expected_error(wire: WireFrame, *, mask: bool, max_size: int | None) -> type[Exception] | None:
    """What the parser must raise on ``wire`` (section 5.2), from its fields alone."""
    length = wire.declared_length
    if wire.opcode not in _KNOWN or wire.masked is not mask:
        return ProtocolError
    if wire.opcode >= 8 and length > 125:
        return ProtocolError
    if length >> 63 or not wire.minimal_length:
        return ProtocolError
    if max_size is not None and wire.opcode < 8 and length > max_size:
        return PayloadTooBig
    return None


def rsv_bits(frame: Frame) -> int:
    return frame.rsv1 * 4 + frame.rsv2 * 2 + frame.rsv3


def outcomes(parser: Parser, max_size: int | None) -> tuple[list[Frame], type[Exception] | None]:
    """Every frame the parser returns, then the class of the error it raised, if any."""
    result: list[Frame] = []
    try:
        while (frame := parser.next_frame(max_size)) is not None:
            result.append(frame)
    except (ProtocolError, PayloadTooBig) as exc:
        return result, type(exc)
    return result, None


masked_roles = st.booleans()
limits = st.none() | st.integers(0, 80_000)


@st.composite
def wire_streams(draw: st.DrawFn, mask: bool) -> list[WireFrame]:
    """A few frames as the peer of a role writes them, each possibly mutated."""
    count = draw(st.integers(1, 4))
    return [
        draw(mutated_frames(draw(frames(max_size=2000)), masked=mask, text=True))
        for _ in range(count)
    ]


@given(frame=frames(), mask=masked_roles, key=mask_keys())
def test_valid_frames_round_trip(frame: Frame, mask: bool, key: bytes) -> None:
    data = serialize(frame, mask, key)
    assert parse(data, mask=mask) == frame
    assert data == WireFrame.from_frame(frame, masked=mask, mask_key=key).encode()
    check(frame)


@given(data=st.binary(max_size=300), mask=masked_roles, max_size=limits)
def test_any_bytes_parse_or_fail_with_protocol_errors(
    data: bytes, mask: bool, max_size: int | None
) -> None:
    parser = Parser(mask=mask)
    parser.feed(data)
    frames_read, error = outcomes(parser, max_size)
    # What was returned was on the wire: never more payload than bytes received.
    assert sum(len(frame.data) for frame in frames_read) <= len(data)
    # One byte at a time, the same frames and the same error.
    byte_wise = Parser(mask=mask)
    seen: list[Frame] = []
    failed: type[Exception] | None = None
    for index in range(len(data)):
        byte_wise.feed(data[index : index + 1])
        more, failed = outcomes(byte_wise, max_size)
        seen += more
        if failed is not None:
            break
    assert (seen, failed) == (frames_read, error)


@given(data=st.data(), mask=masked_roles, max_size=limits)
def test_one_wire_frame_parses_as_section_5_says(
    data: st.DataObject, mask: bool, max_size: int | None
) -> None:
    frame = data.draw(frames(max_size=70_000))
    wire = data.draw(mutated_frames(frame, masked=mask, text=True))
    parser = Parser(mask=mask)
    parser.feed(wire.encode())
    frames_read, error = outcomes(parser, max_size)
    wanted = expected_error(wire, mask=mask, max_size=max_size)
    if wanted is not None:
        assert (frames_read, error) == ([], wanted)
        return
    if wire.declared_length > len(wire.payload):
        # A false length: the parser waits for bytes that never come.
        assert (frames_read, error) == ([], None)
        assert parser.buffered == len(wire.encode())
        return
    assert error is None
    [got] = frames_read
    assert (int(got.opcode), got.data, got.fin, rsv_bits(got)) == (
        wire.opcode,
        wire.payload,
        wire.fin,
        wire.rsv,
    )
    # check() is the separate step for the rules the header alone cannot tell.
    control_rule = wire.opcode >= 8 and (not wire.fin or len(wire.payload) > 125)
    if wire.rsv or control_rule:
        with pytest.raises(ProtocolError):
            check(got)
    else:
        check(got)


@given(data=st.data(), mask=masked_roles, max_size=limits)
def test_incremental_feeding_equals_whole_feeding(
    data: st.DataObject, mask: bool, max_size: int | None
) -> None:
    stream = b"".join(wire.encode() for wire in data.draw(wire_streams(mask)))
    whole = Parser(mask=mask)
    whole.feed(stream)
    expected = outcomes(whole, max_size)

    pieces = data.draw(chunkings(stream, max_chunks=40))
    chopped = Parser(mask=mask)
    frames_read: list[Frame] = []
    error: type[Exception] | None = None
    for piece in pieces:
        chopped.feed(piece)
        more, error = outcomes(chopped, max_size)
        frames_read += more
        if error is not None:
            break
    assert (frames_read, error) == expected
    if error is None:
        assert chopped.buffered == whole.buffered


@given(data=st.data(), mask=masked_roles)
def test_trailing_bytes_do_not_change_a_complete_frame(data: st.DataObject, mask: bool) -> None:
    frame = data.draw(frames(max_size=2000))
    trailing = data.draw(st.binary(min_size=1, max_size=20))
    parser = Parser(mask=mask)
    parser.feed(serialize(frame, mask) + trailing)
    assert parser.next_frame() == frame
    assert parser.buffered == len(trailing)
