"""The one-buffer message encoder and the compress-once rule of the tester's sender."""

from __future__ import annotations

import zlib

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from wsconform.cases.model import fragment_payload
from wsconform.harness.wire import outgoing
from wsconform.harness.wire.outgoing import RepeatCompressor, encode_message
from wsconform.reference.protocol.extensions.permessage_deflate import PerMessageDeflate
from wsconform.reference.protocol.frames import CONT, Frame, Opcode, serialize


def split_frames(wire: bytes, masked: bool) -> list[tuple[bytes, bytes | None]]:
    """Cut wire bytes into (header without key, key) per frame, checking the lengths."""
    out = []
    pos = 0
    while pos < len(wire):
        len1 = wire[pos + 1] & 0x7F
        assert (wire[pos + 1] & 0x80 != 0) is masked
        extended = 2 if len1 == 126 else 8 if len1 == 127 else 0
        head_end = pos + 2 + extended
        length = len1 if not extended else int.from_bytes(wire[pos + 2 : head_end], "big")
        key = wire[head_end : head_end + 4] if masked else None
        end = head_end + (4 if masked else 0) + length
        out.append((wire[pos:end], key))
        pos = end
    assert pos == len(wire)
    return out


@given(
    data=st.binary(max_size=3000) | st.sampled_from([b"x" * 70000, b"y" * 65535, b"z" * 126]),
    fragment_size=st.sampled_from([0, 1, 7, 125, 126, 256, 1300, 65536]),
    masked=st.booleans(),
    rsv1=st.booleans(),
    binary=st.booleans(),
)
def test_the_bytes_are_those_of_the_frames_one_by_one(
    data: bytes, fragment_size: int, masked: bool, rsv1: bool, binary: bool
) -> None:
    # Tens of thousands of one-byte frames say no more than a few thousand, slowly.
    assume(fragment_size == 0 or len(data) <= 3000 * fragment_size)
    opcode = Opcode.BINARY if binary else Opcode.TEXT
    wire, frames = encode_message(
        opcode, data, fragment_size=fragment_size, rsv1=rsv1, masked=masked
    )
    pieces = fragment_payload(data, fragment_size)
    found = split_frames(bytes(wire), masked)
    runs = [(code, size) for code, size, count in frames for _ in range(count)]
    assert len(found) == len(pieces) == len(runs)
    last = len(pieces) - 1
    for index, ((frame_bytes, key), piece) in enumerate(zip(found, pieces, strict=True)):
        code = opcode if index == 0 else CONT
        frame = Frame(code, piece, fin=index == last, rsv1=rsv1 and index == 0)
        assert frame_bytes == serialize(frame, masked, key)
        assert runs[index] == (code, len(frame_bytes))


def test_every_frame_has_its_own_masking_key() -> None:
    wire, _ = encode_message(Opcode.TEXT, b"a" * 1000, fragment_size=10, rsv1=False, masked=True)
    keys = [key for _, key in split_frames(bytes(wire), True)]
    assert len(set(keys)) == len(keys) == 101


@pytest.mark.parametrize(("size", "opcode"), [(-1, 1), (0, 16)])
def test_bad_arguments_are_refused(size: int, opcode: int) -> None:
    with pytest.raises(ValueError):
        encode_message(opcode, b"x", fragment_size=size, rsv1=False, masked=True)


def deflate(local_no_context_takeover: bool) -> PerMessageDeflate:
    return PerMessageDeflate(False, local_no_context_takeover, 15, 15)


PAYLOAD = b'{"id": 1, "name": "repeated message", "tags": ["a", "b", "c"]}' * 40


def test_a_repeated_message_is_compressed_once_without_context_takeover() -> None:
    compressor = RepeatCompressor(deflate(True))
    first = compressor.compress(Opcode.TEXT, PAYLOAD)
    again = compressor.compress(Opcode.TEXT, bytes(bytearray(PAYLOAD)))
    assert again is first
    other = compressor.compress(Opcode.TEXT, PAYLOAD[:-1] + b"!")
    assert other != first
    # Each result is what a fresh compressor makes of the message (section 7.1.1).
    assert first == deflate(True).encode(Frame(Opcode.TEXT, PAYLOAD)).data
    assert compressor.compress(Opcode.TEXT, PAYLOAD) == first


def test_with_context_takeover_every_message_is_compressed() -> None:
    sender = deflate(False)
    compressor = RepeatCompressor(sender)
    first = compressor.compress(Opcode.TEXT, PAYLOAD)
    second = compressor.compress(Opcode.TEXT, PAYLOAD)
    # The second refers back to the first: shorter, and only valid after it.
    assert len(second) < len(first)
    receiver = PerMessageDeflate(False, False, 15, 15)
    for data in (first, second):
        decoded = receiver.decode(Frame(Opcode.TEXT, data, rsv1=True))
        assert decoded.data == PAYLOAD


@pytest.mark.parametrize("masked", [True, False])
@pytest.mark.parametrize(("length", "size"), [(1000, 10), (1000, 7), (70000, 256), (257, 256)])
def test_without_numpy_the_frames_are_the_same(
    monkeypatch: pytest.MonkeyPatch, masked: bool, length: int, size: int
) -> None:
    data = bytes(range(256)) * (length // 256 + 1)
    data = data[:length]
    fast, fast_frames = encode_message(
        Opcode.BINARY, data, fragment_size=size, rsv1=True, masked=masked
    )
    monkeypatch.setattr(outgoing, "_np", None)
    slow, slow_frames = encode_message(
        Opcode.BINARY, data, fragment_size=size, rsv1=True, masked=masked
    )
    runs = [(code, frame) for code, frame, count in fast_frames for _ in range(count)]
    assert runs == [(code, frame) for code, frame, _ in slow_frames]
    unmasked = [split[0] for split in split_frames(bytes(fast), masked)]
    assert len(unmasked) == len(split_frames(bytes(slow), masked))
    if not masked:
        assert fast == slow


@pytest.mark.parametrize("bits", [8, 9, 15])
def test_without_context_takeover_each_message_inflates_alone(bits: int) -> None:
    codec = PerMessageDeflate(False, True, 15, bits, {"level": 1})
    fresh = PerMessageDeflate(False, True, 15, bits, {"level": 1})
    compressor = RepeatCompressor(codec)
    messages = [PAYLOAD, b"", PAYLOAD[7:], b"x", PAYLOAD[::-1], b"", PAYLOAD]
    for message in messages:
        data = compressor.compress(Opcode.TEXT, message)
        # The bytes of a fresh compressor (RFC 7692 section 7.1.1: an empty window).
        assert data == fresh.encode(Frame(Opcode.TEXT, message)).data
        inflated = zlib.decompressobj(-max(bits, 9)).decompress(data + b"\x00\x00\xff\xff")
        assert inflated == message
