"""In-process fuzzing of the connection (``reference/protocol/connection.py``), both roles.

Generated conversations (every mutation of :func:`mutated_frames` on) go into an OPEN
connection. A small model written from RFC 6455, not from the reference
(:mod:`tests.reference.protocol.rfc6455_model`), predicts the outcome frame by frame:
the frames a conforming endpoint accepts, the pongs it owes,
and the close code it must fail with at the first defect (1007 for invalid UTF-8 in a
text message or a close reason, section 8.1; 1002 for every other defect of sections
5.2 to 5.5). The connection must never raise, emit exactly the accepted frames, answer
exactly those pings, and end with the predicted close frame, however its input is cut.
``make fuzz`` runs these with the ``nightly`` profile.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import event as label
from hypothesis import given
from hypothesis import strategies as st

from tests.reference.protocol.rfc6455_model import predict
from tests.strategies import chunkings
from wsconform.harness.fuzz.conversation import Conversation, Send
from wsconform.harness.fuzz.strategies import conversations, fragmented_messages, write_patterns
from wsconform.harness.wire.frame import WireFrame
from wsconform.reference.protocol.connection import CLIENT, CLOSING, OPEN, SERVER, Protocol, Side
from wsconform.reference.protocol.exceptions import FailConnection
from wsconform.reference.protocol.frames import CLOSE, PONG, Frame, Parser

pytestmark = pytest.mark.fuzz


def writes_of(conversation: Conversation) -> list[bytes]:
    """The conversation's bytes as its write patterns cut them (burst, sync, chop)."""
    writes: list[bytes] = []
    burst = b""
    for send in conversation.sends:
        data = send.frame.encode()
        pattern = send.pattern
        if pattern.chopsize is None and not pattern.sync:
            burst += data
            continue
        if burst:
            writes.append(burst)
            burst = b""
        size = pattern.chopsize or len(data) or 1
        writes += [data[i : i + size] for i in range(0, len(data), size)] or [b""]
    if burst:
        writes.append(burst)
    return writes


@dataclasses.dataclass
class Observed:
    events: list[Frame]
    sent: list[Frame]
    code: int | None
    state: str


def feed(side: Side, writes: list[bytes]) -> Observed:
    """Feed ``writes`` to a fresh OPEN connection; it must never raise."""
    protocol = Protocol(side, state=OPEN)
    for data in writes:
        protocol.receive_data(data)
    events = protocol.events_received()
    assert all(isinstance(event, Frame) for event in events)
    out = Parser(mask=side is CLIENT)
    out.feed(b"".join(protocol.data_to_send()))
    sent = out.frames()
    assert out.buffered == 0
    exc = protocol.parser_exc
    code = None
    if exc is not None:
        assert isinstance(exc, FailConnection)
        code = exc.code
        assert protocol.transport_should_close()
    return Observed([e for e in events if isinstance(e, Frame)], sent, code, protocol.state.name)


sides = st.sampled_from([SERVER, CLIENT])


@st.composite
def side_and_conversation(draw: st.DrawFn) -> tuple[Side, Conversation]:
    """A role, then a conversation for it: a few valid messages (with pings and pongs
    between fragments), then a generated conversation with every mutation on, so that
    defects come after conforming traffic too, not only at the first frame."""
    side = draw(sides)
    masked = side is SERVER
    prefix = [
        Send(WireFrame.from_frame(frame, masked=masked), draw(write_patterns()))
        for message in draw(st.lists(fragmented_messages(), max_size=3))
        for frame in message
    ]
    conversation = draw(conversations(masked=masked, wire_mutations=True))
    return side, Conversation((*prefix, *conversation.sends))


@given(case=side_and_conversation())
def test_the_connection_does_what_the_rfc_says(case: tuple[Side, Conversation]) -> None:
    side, conversation = case
    expected = predict(conversation.frames, side)
    observed = feed(side, writes_of(conversation))
    pongs = [frame for frame in observed.sent if frame.opcode is PONG]
    closes = [frame for frame in observed.sent if frame.opcode is CLOSE]
    # Nothing is sent but pongs and at most one close.
    assert len(observed.sent) == len(pongs) + len(closes)
    assert len(closes) <= 1
    if expected.unknown:
        # Past a false length, only what came before it is predicted.
        assert observed.events[: len(expected.accepted)] == expected.accepted
        assert [pong.data for pong in pongs[: len(expected.pongs)]] == expected.pongs
        assert observed.code in (None, 1002, 1007)
        return
    assert observed.events == expected.accepted
    assert observed.code == expected.code
    assert [pong.data for pong in pongs] == expected.pongs
    if expected.code is not None:
        assert observed.state == CLOSING.name
        [close] = closes
        assert int.from_bytes(close.data[:2]) == expected.code
    elif expected.close is not None:
        # Section 5.5.1: the endpoint answers a close with a close, echoing its code.
        [close] = closes
        assert (int.from_bytes(close.data[:2]) if close.data else 1005) == expected.close
        assert observed.state == CLOSING.name
    else:
        assert closes == []
        assert observed.state == OPEN.name


@given(case=side_and_conversation(), data=st.data())
def test_any_cut_of_the_input_gives_the_same_result(
    case: tuple[Side, Conversation], data: st.DataObject
) -> None:
    side, conversation = case
    stream = b"".join(writes_of(conversation))
    whole = feed(side, [stream])
    pieces = data.draw(chunkings(stream, max_chunks=30))
    assert feed(side, pieces) == whole
    if len(stream) <= 400:
        assert feed(side, [stream[i : i + 1] for i in range(len(stream))]) == whole


@given(case=side_and_conversation())
def test_a_deferred_failure_fails_later_with_the_same_code(
    case: tuple[Side, Conversation],
) -> None:
    """With ``defer_failure`` (the asyncio front end's mode) the connection stays OPEN
    after bad input until :meth:`Protocol.fail_pending`, which then fails it with the
    code an immediate failure would have used; the events before are the same."""
    side, conversation = case
    writes = writes_of(conversation)
    now = feed(side, writes)
    protocol = Protocol(side, state=OPEN)
    protocol.defer_failure = True
    for data in writes:
        protocol.receive_data(data)
    assert protocol.events_received() == now.events
    pending = protocol.failure_pending
    if now.code is None:
        assert pending is None
        return
    # Input is read only while OPEN (after a close frame it is discarded): deferred.
    assert pending is not None
    assert protocol.state is OPEN
    assert pending.code == now.code
    label(f"deferred {pending.code} after {len(now.sent) - 1} pongs")
    protocol.fail_pending()
    out = Parser(mask=side is CLIENT)
    out.feed(b"".join(protocol.data_to_send()))
    assert out.frames() == now.sent
    assert protocol.state is CLOSING and protocol.transport_should_close()
