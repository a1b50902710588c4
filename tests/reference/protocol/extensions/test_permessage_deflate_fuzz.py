"""In-process fuzzing of permessage-deflate (RFC 7692) with any parameters and back end.

The sender's codec compresses messages fragmented anywhere, with control frames between
fragments; the receiver's codec, configured as the negotiation would (section 7.1: its
window at least the sender's, context takeover as agreed), must give back every message
unchanged, RSV1 on first frames only (section 6). Arbitrary compressed bytes fail only
with the documented errors, and ``max_size`` bounds what decompression produces.
``make fuzz`` runs these with the ``nightly`` profile.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wsconform.reference.protocol.connection import OPEN, SERVER, Protocol
from wsconform.reference.protocol.exceptions import FailConnection, PayloadTooBig, ProtocolError
from wsconform.reference.protocol.extensions import codec
from wsconform.reference.protocol.extensions.permessage_deflate import (
    MAX_WINDOW_BITS,
    MIN_WINDOW_BITS,
    PerMessageDeflate,
)
from wsconform.reference.protocol.frames import BINARY, CONT, PING, TEXT, Frame, serialize

pytestmark = pytest.mark.fuzz

BACKENDS = codec.available()


@dataclasses.dataclass(frozen=True)
class Pair:
    """The sender's and the receiver's ends of one direction of a connection."""

    sender: PerMessageDeflate
    receiver: PerMessageDeflate


@st.composite
def pairs(draw: st.DrawFn, backend: codec.Backend) -> Pair:
    """Any parameters section 7.1 allows, and any compression settings."""
    bits = draw(st.integers(MIN_WINDOW_BITS, MAX_WINDOW_BITS))
    receiver_bits = draw(st.integers(bits, MAX_WINDOW_BITS))
    no_context_takeover = draw(st.booleans())
    settings = {
        "level": draw(st.integers(-1, 9)),
        "memLevel": draw(st.integers(1, 9)),
        "strategy": draw(st.integers(0, 4)),
    }
    # The other direction's parameters do not matter here: drawn anyway.
    other_bits = draw(st.integers(MIN_WINDOW_BITS, MAX_WINDOW_BITS))
    other_context = draw(st.booleans())
    sender = PerMessageDeflate(
        other_context, no_context_takeover, other_bits, bits, settings, backend=backend
    )
    # The receiver may keep its window across messages even when the sender starts
    # afresh (section 7.1.1.1 asks only the sender); it resets when told to.
    receiver_resets = no_context_takeover and draw(st.booleans())
    receiver = PerMessageDeflate(
        receiver_resets, other_context, receiver_bits, other_bits, backend=backend
    )
    return Pair(sender, receiver)


def message_data() -> st.SearchStrategy[bytes]:
    """Compressible and incompressible payloads, sometimes past a 32 KiB window."""
    repeated = st.tuples(st.binary(min_size=1, max_size=40), st.integers(1, 2000)).map(
        lambda pair: pair[0] * pair[1]
    )
    return st.binary(max_size=600) | repeated


@st.composite
def fragmented(draw: st.DrawFn, valid_text: bool = False) -> list[Frame]:
    """One message as frames, split anywhere, with pings between its fragments
    (``valid_text``: a text message is UTF-8, as a connection requires)."""
    data = draw(message_data())
    opcode = draw(st.sampled_from([TEXT, BINARY]))
    if valid_text and opcode is TEXT:
        data = data.decode("latin-1").encode()
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=4)))
    pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    result: list[Frame] = []
    for index, piece in enumerate(pieces):
        if index and draw(st.booleans()):
            result.append(Frame(PING, draw(st.binary(max_size=8))))
        result.append(Frame(CONT if index else opcode, piece, index == len(pieces) - 1))
    return result


def payload(frames: list[Frame]) -> bytes:
    return b"".join(frame.data for frame in frames if frame.opcode is not PING)


@pytest.mark.parametrize("backend", BACKENDS, ids=[b.name for b in BACKENDS])
@given(data=st.data())
def test_messages_round_trip_with_any_parameters(
    backend: codec.Backend, data: st.DataObject
) -> None:
    pair = data.draw(pairs(backend))
    for message in data.draw(st.lists(fragmented(), min_size=1, max_size=4)):
        wire = [pair.sender.encode(frame) for frame in message]
        for sent, frame in zip(message, wire, strict=True):
            if sent.opcode is PING:
                assert frame == sent
            else:
                assert frame.rsv1 is (sent.opcode is not CONT)
        received = [pair.receiver.decode(frame, max_size=None) for frame in wire]
        assert received == message


@pytest.mark.parametrize("backend", BACKENDS, ids=[b.name for b in BACKENDS])
@given(data=st.data())
def test_max_size_bounds_the_decompressed_message(
    backend: codec.Backend, data: st.DataObject
) -> None:
    pair = data.draw(pairs(backend))
    message = [f for f in data.draw(fragmented()) if f.opcode is not PING]
    size = len(payload(message))
    max_size = data.draw(st.integers(0, size + 10))
    wire = [pair.sender.encode(frame) for frame in message]
    produced = 0
    try:
        for frame in wire:
            produced += len(pair.receiver.decode(frame, max_size=max_size).data)
    except PayloadTooBig:
        assert size > max_size
    else:
        assert size <= max_size
    assert produced <= max_size


@pytest.mark.parametrize("backend", BACKENDS, ids=[b.name for b in BACKENDS])
@given(
    chunks=st.lists(st.binary(max_size=200), min_size=1, max_size=4),
    bits=st.integers(MIN_WINDOW_BITS, MAX_WINDOW_BITS),
    max_size=st.none() | st.integers(0, 5000),
)
def test_any_compressed_bytes_fail_only_as_documented(
    backend: codec.Backend, chunks: list[bytes], bits: int, max_size: int | None
) -> None:
    receiver = PerMessageDeflate(False, False, bits, 15, backend=backend)
    frames = [
        Frame(CONT if index else BINARY, chunk, index == len(chunks) - 1, rsv1=not index)
        for index, chunk in enumerate(chunks)
    ]
    produced = 0
    try:
        for frame in frames:
            produced += len(receiver.decode(frame, max_size=max_size).data)
    except (ProtocolError, PayloadTooBig):
        pass
    if max_size is not None:
        assert produced <= max_size


@pytest.mark.parametrize("backend", BACKENDS, ids=[b.name for b in BACKENDS])
@given(data=st.data(), max_size=st.integers(100, 100_000))
def test_a_connection_decodes_compressed_messages_or_fails_with_the_right_code(
    backend: codec.Backend, data: st.DataObject, max_size: int
) -> None:
    """The codec inside a server connection: what a client compressed comes out as it
    was sent; a damaged compressed payload fails with 1002, an oversized one with 1009
    (RFC 7692 section 6 and RFC 6455 section 7.4.1)."""
    pair = data.draw(pairs(backend))
    protocol = Protocol(SERVER, state=OPEN, max_size=max_size)
    protocol.extensions = [pair.receiver]
    messages = data.draw(st.lists(fragmented(valid_text=True), min_size=1, max_size=3))
    damage = data.draw(st.booleans())
    sent: list[Frame] = []
    wire = b""
    # Each message's size on the wire (compressed), and decoded.
    wire_sizes: list[int] = []
    for message in messages:
        wire_sizes.append(0)
        for frame in message:
            encoded = pair.sender.encode(frame)
            sent.append(frame)
            wire += serialize(encoded, mask=True)
            if frame.opcode is not PING:
                wire_sizes[-1] += len(encoded.data)
    if damage:
        # A byte of garbage in the middle of the stream's last compressed payload.
        last = pair.sender.encode(Frame(BINARY, b"x" * 50))
        body = bytearray(last.data)
        body[len(body) // 2] ^= 0xFF
        wire += serialize(dataclasses.replace(last, data=bytes(body)), mask=True)
    protocol.receive_data(wire)
    events = protocol.events_received()
    sizes = [len(payload(message)) for message in messages]
    exc = protocol.parser_exc
    # What came before the failure (or the end) came out whole and in order.
    assert events[: len(sent)] == sent[: len(events)]
    if exc is None:
        assert all(size <= max_size for size in sizes + wire_sizes)
        # The damaged payload may still inflate (to other bytes): one more message.
        assert len(events) == len(sent) + (1 if damage else 0)
        return
    assert isinstance(exc, FailConnection)
    assert len(events) <= len(sent)
    if exc.code == 1009:
        # The limit also bounds a message on the wire, before it is decoded (so that a
        # frame is refused from its header), as websockets does: an incompressible
        # message a few bytes under the limit may be over it once compressed.
        over = [max(a, b) > max_size for a, b in zip(sizes, wire_sizes, strict=True)]
        assert any(over) or damage
    else:
        assert exc.code == 1002
        assert damage
