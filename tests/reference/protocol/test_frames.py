"""Strict frames: the RFC's own examples, every rejection, and round-trip properties."""

from __future__ import annotations

import dataclasses
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import chunkings, control_frames, frames, mask_keys
from wsconform.reference.protocol.exceptions import PayloadTooBig, ProtocolError
from wsconform.reference.protocol.frames import (
    BINARY,
    CLOSE,
    CONT,
    CTRL_OPCODES,
    DATA_OPCODES,
    PING,
    PONG,
    TEXT,
    Frame,
    Opcode,
    Parser,
    check,
    new_frame,
    parse,
    serialize,
    with_data,
)
from wsconform.reference.protocol.mask import IN_PLACE_THRESHOLD

KEY = bytes.fromhex("37fa213d")

# RFC 6455 section 5.7 "Examples": (name, wire bytes, masked, frames).
RFC_VECTORS = [
    (
        "single-frame unmasked text",
        bytes.fromhex("810548656c6c6f"),
        False,
        [Frame(TEXT, b"Hello")],
    ),
    (
        "single-frame masked text",
        bytes.fromhex("818537fa213d7f9f4d5158"),
        True,
        [Frame(TEXT, b"Hello")],
    ),
    (
        "fragmented unmasked text",
        bytes.fromhex("010348656c") + bytes.fromhex("80026c6f"),
        False,
        [Frame(TEXT, b"Hel", fin=False), Frame(CONT, b"lo")],
    ),
    (
        "unmasked ping",
        bytes.fromhex("890548656c6c6f"),
        False,
        [Frame(PING, b"Hello")],
    ),
    (
        "masked pong",
        bytes.fromhex("8a8537fa213d7f9f4d5158"),
        True,
        [Frame(PONG, b"Hello")],
    ),
    (
        "256 bytes binary in a single unmasked frame",
        bytes.fromhex("827e0100") + bytes(range(256)),
        False,
        [Frame(BINARY, bytes(range(256)))],
    ),
    (
        "64KiB binary in a single unmasked frame",
        bytes.fromhex("827f0000000000010000") + b"\xa5" * 65536,
        False,
        [Frame(BINARY, b"\xa5" * 65536)],
    ),
]
RFC_IDS = [vector[0] for vector in RFC_VECTORS]


def feed_all(parser: Parser, chunks: list[bytes], max_size: int | None = None) -> list[Frame]:
    result: list[Frame] = []
    for chunk in chunks:
        parser.feed(chunk)
        result.extend(parser.frames(max_size))
    return result


def wire(frame: Frame, mask: bool) -> bytes:
    return serialize(frame, mask, KEY if mask else None)


class TestRfcExamples:
    @pytest.mark.parametrize(("name", "data", "masked", "expected"), RFC_VECTORS, ids=RFC_IDS)
    def test_serialize(self, name: str, data: bytes, masked: bool, expected: list[Frame]) -> None:
        assert b"".join(serialize(f, masked, KEY if masked else None) for f in expected) == data

    @pytest.mark.parametrize(("name", "data", "masked", "expected"), RFC_VECTORS, ids=RFC_IDS)
    def test_parse_whole(self, name: str, data: bytes, masked: bool, expected: list[Frame]) -> None:
        parser = Parser(mask=masked)
        assert feed_all(parser, [data]) == expected
        assert parser.buffered == 0

    @pytest.mark.parametrize(("name", "data", "masked", "expected"), RFC_VECTORS, ids=RFC_IDS)
    def test_parse_byte_by_byte(
        self, name: str, data: bytes, masked: bool, expected: list[Frame]
    ) -> None:
        if len(data) > 1000:
            data_chunks = [data[:20], *(data[i : i + 1] for i in range(20, 40)), data[40:]]
        else:
            data_chunks = [data[i : i + 1] for i in range(len(data))]
        assert feed_all(Parser(mask=masked), data_chunks) == expected

    @pytest.mark.parametrize(("name", "data", "masked", "expected"), RFC_VECTORS, ids=RFC_IDS)
    def test_parse_with_trailing_data(
        self, name: str, data: bytes, masked: bool, expected: list[Frame]
    ) -> None:
        parser = Parser(mask=masked)
        # The start of another frame: a header that says 5 bytes follow, and 2 of them.
        trailing = bytes.fromhex("8285") + KEY + b"ab" if masked else bytes.fromhex("8205ab")
        assert feed_all(parser, [data + trailing]) == expected
        assert parser.buffered == len(trailing)

    @pytest.mark.parametrize(("name", "data", "masked", "expected"), RFC_VECTORS, ids=RFC_IDS)
    def test_frames_pass_check(
        self, name: str, data: bytes, masked: bool, expected: list[Frame]
    ) -> None:
        for frame in expected:
            check(frame)


class TestParseRejects:
    def parse_error(self, data: bytes, mask: bool = False, max_size: int | None = None) -> str:
        """Feed ``data`` whole, then byte by byte: both must raise the same error."""
        with pytest.raises((ProtocolError, PayloadTooBig)) as whole:
            feed_all(Parser(mask=mask), [data], max_size)
        with pytest.raises(type(whole.value)) as split:
            feed_all(Parser(mask=mask), [data[i : i + 1] for i in range(len(data))], max_size)
        assert str(split.value) == str(whole.value)
        return str(whole.value)

    @pytest.mark.parametrize("opcode", [3, 4, 5, 6, 7, 11, 12, 13, 14, 15])
    def test_reserved_opcode(self, opcode: int) -> None:
        assert "reserved opcode" in self.parse_error(bytes([0x80 | opcode, 0]))

    def test_reserved_opcode_detected_from_the_first_two_bytes(self) -> None:
        parser = Parser(mask=False)
        parser.feed(bytes([0x83, 0x7F]))  # the 64-bit length has not arrived
        with pytest.raises(ProtocolError, match="reserved opcode"):
            parser.next_frame()

    def test_unmasked_frame_from_a_client(self) -> None:
        assert "unmasked frame from a client" in self.parse_error(
            wire(Frame(TEXT, b"hi"), False), True
        )

    def test_masked_frame_from_a_server(self) -> None:
        assert "masked frame from a server" in self.parse_error(
            wire(Frame(TEXT, b"hi"), True), False
        )

    @pytest.mark.parametrize("length", [0, 1, 125])
    def test_non_minimal_16_bit_length(self, length: int) -> None:
        data = bytes([0x82, 126]) + struct.pack("!H", length) + bytes(length)
        assert "non-minimal 16-bit length" in self.parse_error(data)

    @pytest.mark.parametrize("length", [0, 125, 126, 65535])
    def test_non_minimal_64_bit_length(self, length: int) -> None:
        data = bytes([0x82, 127]) + struct.pack("!Q", length) + bytes(min(length, 10))
        assert "non-minimal 64-bit length" in self.parse_error(data)

    @pytest.mark.parametrize("length", [2**63, 2**64 - 1, 2**63 + 65536])
    def test_64_bit_length_with_the_top_bit_set(self, length: int) -> None:
        data = bytes([0x82, 127]) + struct.pack("!Q", length)
        assert "top bit" in self.parse_error(data)

    @pytest.mark.parametrize("opcode", [CLOSE, PING, PONG])
    @pytest.mark.parametrize("header", [bytes([126]) + struct.pack("!H", 126), bytes([127])])
    def test_control_frame_over_125_bytes(self, opcode: Opcode, header: bytes) -> None:
        # Rejected from the 7-bit length code, before the extended length arrives.
        assert "control frame" in self.parse_error(bytes([0x80 | opcode]) + header[:1])

    def test_size_limit_checked_from_the_header(self) -> None:
        parser = Parser(mask=False)
        parser.feed(bytes([0x82, 126]) + struct.pack("!H", 1001))  # no payload yet
        with pytest.raises(PayloadTooBig, match="1001 bytes exceeds the limit of 1000"):
            parser.next_frame(max_size=1000)

    def test_size_limit_on_64_bit_length(self) -> None:
        data = bytes([0x81, 127]) + struct.pack("!Q", 2**40)
        assert "exceeds the limit" in self.parse_error(data, max_size=2**20)

    def test_size_limit_allows_exactly_max_size(self) -> None:
        parser = Parser(mask=False)
        parser.feed(wire(Frame(BINARY, bytes(1000)), False))
        assert parser.next_frame(max_size=1000) == Frame(BINARY, bytes(1000))

    def test_size_limit_does_not_apply_to_control_frames(self) -> None:
        parser = Parser(mask=False)
        parser.feed(wire(Frame(PING, bytes(100)), False))
        assert parser.next_frame(max_size=10) == Frame(PING, bytes(100))


class TestParserBuffer:
    def test_empty_input(self) -> None:
        parser = Parser(mask=False)
        parser.feed(b"")
        assert parser.next_frame() is None
        assert parser.buffered == 0

    def test_buffer_stays_bounded_on_a_stream_that_never_drains(self) -> None:
        frame = wire(Frame(BINARY, bytes(100)), True)
        stream = frame * 200
        parser = Parser(mask=True)
        # 7-byte chunks never end on a frame boundary, so the buffer never empties.
        for i in range(0, len(stream), 7):
            parser.feed(stream[i : i + 7])
            while parser.next_frame() is not None:
                pass
            assert len(parser._buffer) <= len(frame) + 7
        assert parser.buffered == 0

    def test_accepts_bytearray_and_memoryview(self) -> None:
        data = wire(Frame(TEXT, b"Hello"), True)
        parser = Parser(mask=True)
        parser.feed(bytearray(data[:3]))
        parser.feed(memoryview(data)[3:])
        assert parser.next_frame() == Frame(TEXT, b"Hello")

    def test_peek_partial_masked(self) -> None:
        payload = bytes(range(50))
        data = wire(Frame(TEXT, payload, fin=False), True)
        parser = Parser(mask=True)
        parser.feed(data[:3])
        assert parser.next_frame() is None
        assert parser.peek_partial(0) is None  # the masking key is incomplete
        parser.feed(data[3:20])
        assert parser.next_frame() is None
        assert parser.peek_partial(0) == (0x01, payload[:14])
        assert parser.peek_partial(5) == (0x01, payload[5:14])
        assert parser.peek_partial(14) == (0x01, b"")
        assert parser.peek_partial(30) == (0x01, b"")

    def test_peek_partial_unmasked_16_bit_length(self) -> None:
        payload = bytes(range(200))
        data = wire(Frame(BINARY, payload), False)
        parser = Parser(mask=False)
        parser.feed(data[:100])
        assert parser.next_frame() is None
        assert parser.peek_partial(3) == (0x82, payload[3:96])

    def test_peek_partial_with_nothing_buffered(self) -> None:
        assert Parser(mask=False).peek_partial(0) is None


class TestParseOne:
    def test_parse_one_frame(self) -> None:
        assert parse(bytes.fromhex("810548656c6c6f"), mask=False) == Frame(TEXT, b"Hello")

    def test_incomplete(self) -> None:
        with pytest.raises(ProtocolError, match="incomplete frame"):
            parse(bytes.fromhex("810548656c6c"), mask=False)

    def test_trailing(self) -> None:
        with pytest.raises(ProtocolError, match="1 bytes after the frame"):
            parse(bytes.fromhex("810548656c6c6f00"), mask=False)


class TestSerialize:
    @pytest.mark.parametrize(
        ("size", "header"),
        [
            (0, "8200"),
            (125, "827d"),
            (126, "827e007e"),
            (65535, "827effff"),
            (65536, "827f0000000000010000"),
        ],
    )
    def test_minimal_length_encoding(self, size: int, header: str) -> None:
        assert serialize(Frame(BINARY, bytes(size)), False).startswith(bytes.fromhex(header))

    @pytest.mark.parametrize(
        ("frame", "first"),
        [
            (Frame(TEXT, b"", fin=False), 0x01),
            (Frame(BINARY, b"", rsv1=True), 0xC2),
            (Frame(BINARY, b"", rsv2=True), 0xA2),
            (Frame(BINARY, b"", rsv3=True), 0x92),
            (Frame(CONT, b"", fin=False, rsv1=True, rsv2=True, rsv3=True), 0x70),
        ],
    )
    def test_first_byte(self, frame: Frame, first: int) -> None:
        assert serialize(frame, False)[0] == first

    def test_masked_without_key_uses_a_random_key(self) -> None:
        frame = Frame(BINARY, b"\x00" * 8)
        data = serialize(frame, True)
        key = data[2:6]
        assert data[6:] == key * 2  # zeros masked with the key are the key
        assert parse(data, mask=True) == frame

    @pytest.mark.parametrize("size", [IN_PLACE_THRESHOLD - 1, IN_PLACE_THRESHOLD, 70001])
    def test_masked_large_frames(self, size: int) -> None:
        frame = Frame(BINARY, bytes(range(256)) * (size // 256) + bytes(size % 256))
        assert parse(serialize(frame, True, KEY), mask=True) == frame

    def test_bad_key(self) -> None:
        with pytest.raises(ValueError, match="4 bytes"):
            serialize(Frame(TEXT, b"x"), True, b"abc")

    def test_does_not_check(self) -> None:
        frame = Frame(PING, bytes(200), fin=False, rsv2=True)
        assert serialize(frame, False)[:4] == bytes.fromhex("297e00c8")


class TestCheck:
    @pytest.mark.parametrize("bit", [1, 2, 3])
    def test_rsv_bit_without_extension(self, bit: int) -> None:
        frame = Frame(TEXT, b"x", rsv1=bit == 1, rsv2=bit == 2, rsv3=bit == 3)
        with pytest.raises(ProtocolError, match=f"RSV{bit}"):
            check(frame)
        with pytest.raises(ProtocolError, match=f"RSV{bit}"):
            check(frame, {1, 2, 3} - {bit})
        check(frame, {bit})

    @pytest.mark.parametrize("opcode", sorted(CTRL_OPCODES))
    def test_fragmented_control_frame(self, opcode: Opcode) -> None:
        with pytest.raises(ProtocolError, match="fragmented control frame"):
            check(Frame(opcode, b"", fin=False))

    @pytest.mark.parametrize("opcode", sorted(CTRL_OPCODES))
    def test_control_frame_over_125(self, opcode: Opcode) -> None:
        check(Frame(opcode, bytes(125)))
        with pytest.raises(ProtocolError, match="exceeds 125"):
            check(Frame(opcode, bytes(126)))

    @pytest.mark.parametrize("opcode", sorted(DATA_OPCODES))
    def test_data_frames_may_be_fragmented_and_long(self, opcode: Opcode) -> None:
        check(Frame(opcode, bytes(126), fin=False))


class TestFrameStr:
    @pytest.mark.parametrize(
        ("frame", "text"),
        [
            (Frame(TEXT, b"Hello"), "TEXT 'Hello' [5 bytes]"),
            (Frame(TEXT, b"x" * 80), f"TEXT '{'x' * 75}'... [80 bytes]"),
            (Frame(TEXT, b"\xff", fin=False), "TEXT fin=0 ff [1 bytes]"),
            (Frame(BINARY, b"\x00\x01", rsv1=True), "BINARY rsv=4 00 01 [2 bytes]"),
            (Frame(BINARY, bytes(30)), "BINARY " + " ".join(["00"] * 25) + " ... [30 bytes]"),
            (Frame(CLOSE, b"\x03\xe8bye"), "CLOSE 1000 b'bye' [5 bytes]"),
            (Frame(CLOSE, b""), "CLOSE '' [0 bytes]"),
            (Frame(PING, b"", rsv2=True, rsv3=True), "PING rsv=3 '' [0 bytes]"),
        ],
    )
    def test_str(self, frame: Frame, text: str) -> None:
        assert str(frame) == text


class TestProperties:
    @given(frame=frames(), masked=st.booleans(), key=mask_keys())
    def test_serialize_then_parse_gives_the_frame_back(
        self, frame: Frame, masked: bool, key: bytes
    ) -> None:
        data = serialize(frame, masked, key)
        assert parse(data, mask=masked) == frame

    @given(
        frame_list=st.lists(frames(max_size=300) | control_frames(), max_size=5),
        masked=st.booleans(),
        data=st.data(),
    )
    def test_any_split_gives_the_same_frames(
        self, frame_list: list[Frame], masked: bool, data: st.DataObject
    ) -> None:
        stream = b"".join(serialize(frame, masked) for frame in frame_list)
        chunks = data.draw(chunkings(stream, max_chunks=30))
        parser = Parser(mask=masked)
        assert feed_all(parser, chunks) == frame_list
        assert parser.buffered == 0

    @given(stream=st.binary(max_size=200), masked=st.booleans(), data=st.data())
    def test_arbitrary_bytes_parse_or_raise_the_same_way_split_anywhere(
        self, stream: bytes, masked: bool, data: st.DataObject
    ) -> None:
        def outcome(chunks: list[bytes]) -> tuple[list[Frame], str | None]:
            parser = Parser(mask=masked)
            got: list[Frame] = []
            try:
                for chunk in chunks:
                    parser.feed(chunk)
                    while (frame := parser.next_frame(1000)) is not None:
                        got.append(frame)
            except (ProtocolError, PayloadTooBig) as exc:
                return got, f"{type(exc).__name__}: {exc}"
            return got, None

        chunks = data.draw(chunkings(stream, max_chunks=20))
        assert outcome(chunks) == outcome([stream])


# --- the fast constructors -------------------------------------------------------------


@given(frames())
def test_new_frame_and_with_data_equal_the_dataclass_ways(frame: Frame) -> None:
    built = new_frame(frame.opcode, frame.data, frame.fin, frame.rsv1)
    assert built == Frame(frame.opcode, frame.data, frame.fin, frame.rsv1)
    assert hash(built) == hash(Frame(frame.opcode, frame.data, frame.fin, frame.rsv1))
    for rsv1 in (False, True):
        replaced = with_data(frame, b"other", rsv1)
        assert replaced == dataclasses.replace(frame, data=b"other", rsv1=rsv1)
    assert new_frame(PING, b"") == Frame(PING, b"")
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.data = b""  # type: ignore[misc]


@pytest.mark.parametrize("length", [0, 1, 3, 4, 5, 125, 126, 1023, 1024, 1025, 70000])
def test_masked_payloads_of_every_length_class_unmask(length: int) -> None:
    # Below 1024 bytes the parser unmasks inline; from 1024 on through apply_mask.
    payload = bytes(range(256)) * (length // 256 + 1)
    frame = Frame(BINARY, payload[:length])
    wire = serialize(frame, mask=True, mask_key=KEY)
    assert parse(wire, mask=True) == frame
