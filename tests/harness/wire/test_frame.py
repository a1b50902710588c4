"""The permissive codec builds what the strict one refuses, and reads anything back."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import chunkings, frames, mask_keys, wire_frames
from wsconform.harness.wire.frame import (
    LENGTH_7,
    LENGTH_16,
    LENGTH_64,
    WireFrame,
    WireParser,
)
from wsconform.reference.protocol.exceptions import PayloadTooBig, ProtocolError
from wsconform.reference.protocol.frames import PING, TEXT, Frame, parse, serialize

KEY = bytes.fromhex("37fa213d")


def parse_all(chunks: list[bytes], max_length: int = 2**20) -> list[WireFrame]:
    parser = WireParser(max_length=max_length)
    result: list[WireFrame] = []
    for chunk in chunks:
        parser.feed(chunk)
        result.extend(parser.frames())
    return result


class TestEncode:
    def test_rfc_masked_hello(self) -> None:
        frame = WireFrame(1, b"Hello", masked=True, mask_key=KEY)
        assert frame.encode() == bytes.fromhex("818537fa213d7f9f4d5158")

    @pytest.mark.parametrize("opcode", [3, 7, 11, 15])
    def test_reserved_opcode(self, opcode: int) -> None:
        assert WireFrame(opcode).encode() == bytes([0x80 | opcode, 0])
        with pytest.raises(ProtocolError, match="reserved opcode"):
            parse(WireFrame(opcode).encode(), mask=False)

    @pytest.mark.parametrize(("rsv", "first"), [(1, 0x91), (2, 0xA1), (4, 0xC1), (7, 0xF1)])
    def test_rsv_numbering_is_autobahns(self, rsv: int, first: int) -> None:
        assert WireFrame(1, rsv=rsv).encode()[0] == first

    def test_not_final(self) -> None:
        assert WireFrame(2, fin=False).encode() == b"\x02\x00"

    def test_unmasked_client_frame_is_refused_by_a_server(self) -> None:
        data = WireFrame(1, b"hi").encode()
        with pytest.raises(ProtocolError, match="unmasked"):
            parse(data, mask=True)

    def test_masked_server_frame_is_refused_by_a_client(self) -> None:
        data = WireFrame(1, b"hi", masked=True).encode()
        with pytest.raises(ProtocolError, match="masked frame from a server"):
            parse(data, mask=False)

    def test_control_payload_over_125(self) -> None:
        data = WireFrame(9, bytes(126)).encode()
        assert data[:4] == bytes.fromhex("897e007e")
        with pytest.raises(ProtocolError, match="control frame"):
            parse(data, mask=False)

    def test_non_minimal_16_bit_length(self) -> None:
        data = WireFrame(2, b"abc", length_encoding=LENGTH_16).encode()
        assert data == bytes.fromhex("827e0003") + b"abc"
        with pytest.raises(ProtocolError, match="non-minimal 16-bit"):
            parse(data, mask=False)

    def test_non_minimal_64_bit_length(self) -> None:
        data = WireFrame(2, b"abc", length_encoding=LENGTH_64).encode()
        assert data == bytes.fromhex("827f0000000000000003") + b"abc"

    def test_false_length(self) -> None:
        data = WireFrame(1, b"abc", length=10).encode()
        assert data == bytes.fromhex("810a") + b"abc"

    def test_64_bit_length_with_the_top_bit_set(self) -> None:
        data = WireFrame(2, b"", length=2**63 + 3).encode()
        assert data == bytes.fromhex("827f8000000000000003")
        with pytest.raises(ProtocolError, match="top bit"):
            parse(data, mask=False)

    def test_7_bit_field_holding_126_is_a_false_header(self) -> None:
        assert WireFrame(2, b"", length=126, length_encoding=LENGTH_7).encode() == b"\x82\x7e"

    def test_random_key_when_masked_without_one(self) -> None:
        data = WireFrame(2, bytes(4), masked=True).encode()
        assert data[2:6] == data[6:10]

    @pytest.mark.parametrize(
        "frame",
        [
            WireFrame(16),
            WireFrame(-1),
            WireFrame(1, rsv=8),
            WireFrame(1, masked=True, mask_key=b"abc"),
            WireFrame(1, length=128, length_encoding=LENGTH_7),
            WireFrame(1, length=65536, length_encoding=LENGTH_16),
            WireFrame(1, length=2**64),
            WireFrame(1, length=-1),
        ],
    )
    def test_values_that_do_not_fit_their_field(self, frame: WireFrame) -> None:
        with pytest.raises(ValueError, match=r"fit|4 bytes"):
            frame.encode()

    @given(frame=frames(), masked=st.booleans(), key=mask_keys())
    def test_from_frame_encodes_like_serialize(
        self, frame: Frame, masked: bool, key: bytes
    ) -> None:
        wire = WireFrame.from_frame(frame, masked=masked, mask_key=key)
        assert wire.encode() == serialize(frame, masked, key)

    def test_properties(self) -> None:
        frame = WireFrame(1, b"abc", length_encoding=LENGTH_16)
        assert frame.declared_length == 3
        assert frame.encoding is LENGTH_16
        assert not frame.minimal_length
        assert WireFrame(1, bytes(200)).minimal_length
        assert WireFrame(1, bytes(200)).encoding is LENGTH_16


class TestParser:
    def test_reads_everything_the_strict_parser_refuses(self) -> None:
        sent = [
            WireFrame(3, b"reserved"),
            WireFrame(1, b"rsv", rsv=5),
            WireFrame(9, bytes(200), fin=False),
            WireFrame(2, b"nm", length_encoding=LENGTH_64),
            WireFrame(1, b"masked", masked=True, mask_key=KEY),
        ]
        stream = b"".join(frame.encode() for frame in sent)
        got = parse_all([stream])
        assert [(f.opcode, f.payload, f.fin, f.rsv, f.masked) for f in got] == [
            (f.opcode, f.payload, f.fin, f.rsv, f.masked) for f in sent
        ]
        assert got[3].length_encoding is LENGTH_64 and not got[3].minimal_length
        assert got[4].mask_key == KEY
        assert got[4].header == bytes.fromhex("8186") + KEY

    def test_byte_by_byte_and_trailing_data(self) -> None:
        data = WireFrame(1, b"Hello", masked=True, mask_key=KEY).encode()
        parser = WireParser(max_length=100)
        got = []
        for index in range(len(data)):
            parser.feed(data[index : index + 1])
            got.extend(parser.frames())
        parser.feed(b"\x81\x05He")
        assert parser.next_frame() is None
        assert parser.buffered == 4
        assert [frame.payload for frame in got] == [b"Hello"]

    def test_declared_length_over_the_bound(self) -> None:
        parser = WireParser(max_length=1000)
        parser.feed(bytes([0x82, 126]) + struct.pack("!H", 1001))
        with pytest.raises(PayloadTooBig, match="declares 1001 bytes, over the bound of 1000"):
            parser.next_frame()

    def test_top_bit_length_is_over_any_bound(self) -> None:
        parser = WireParser(max_length=2**62)
        parser.feed(bytes([0x82, 127]) + struct.pack("!Q", 2**63))
        with pytest.raises(PayloadTooBig):
            parser.next_frame()

    def test_incomplete_header_parts(self) -> None:
        data = WireFrame(PING, b"x", masked=True, mask_key=KEY, length_encoding=LENGTH_64).encode()
        parser = WireParser(max_length=10)
        for end in range(len(data)):
            parser = WireParser(max_length=10)
            parser.feed(data[:end])
            assert parser.next_frame() is None
        parser.feed(data[len(data) - 1 :])
        frame = parser.next_frame()
        assert frame is not None and frame.payload == b"x"

    @given(frame_list=st.lists(wire_frames(max_size=300), max_size=4), data=st.data())
    def test_encode_then_parse_split_anywhere(
        self, frame_list: list[WireFrame], data: st.DataObject
    ) -> None:
        encoded = [frame.encode() for frame in frame_list]
        chunks = data.draw(chunkings(b"".join(encoded), max_chunks=20))
        got = parse_all(chunks)
        assert len(got) == len(frame_list)
        for sent, received, raw in zip(frame_list, got, encoded, strict=True):
            assert (received.opcode, received.payload, received.fin, received.rsv) == (
                sent.opcode,
                sent.payload,
                sent.fin,
                sent.rsv,
            )
            assert received.masked is sent.masked
            assert received.encoding is sent.encoding
            # A parsed frame encodes back to the very same bytes.
            assert received.encode() == raw
            assert raw.startswith(received.header)

    @given(data=st.binary(max_size=300))
    def test_never_raises_within_the_bound(self, data: bytes) -> None:
        parser = WireParser(max_length=2**64)
        parser.feed(data)
        parser.frames()


def test_frame_from_text() -> None:
    wire = WireFrame.from_frame(Frame(TEXT, b"x", rsv1=True, rsv3=True), masked=False)
    assert wire.rsv == 5


def test_the_reference_does_not_ship_the_tester_codec() -> None:
    # The permissive codec is the harness's tool: the reference core has none.
    import importlib.util

    assert importlib.util.find_spec("wsconform.reference.protocol.wire") is None
