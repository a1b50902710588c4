"""The connection state machine; every test runs as a server and as a client."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Callable
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.strategies import chunkings, fragmented_messages, frames
from wsconform.harness.wire.frame import WireFrame
from wsconform.reference.protocol.close import Close
from wsconform.reference.protocol.connection import (
    CLIENT,
    CLOSED,
    CLOSING,
    CONNECTING,
    OPEN,
    SERVER,
    Event,
    Protocol,
    Side,
)
from wsconform.reference.protocol.exceptions import (
    ConnectionClosedError,
    ConnectionClosedOK,
    InternalError,
    InvalidPayloadData,
    InvalidState,
    PayloadTooBig,
    ProtocolError,
)
from wsconform.reference.protocol.extensions.base import Extension
from wsconform.reference.protocol.frames import (
    BINARY,
    CLOSE,
    CONT,
    PING,
    PONG,
    TEXT,
    Frame,
    Parser,
    serialize,
)

KOSME = bytes.fromhex("cebae1bdb9cf83cebcceb5")
BAD4 = bytes.fromhex("f4908080")
HELLO = bytes.fromhex("48656c6c6f2dc2b540c39fc3b6c3a4c3bcc3a0c3a12d5554462d382121")


def close_frame(code: int | None = None, reason: str = "") -> Frame:
    if code is None:
        return Frame(CLOSE, b"")
    return Frame(CLOSE, code.to_bytes(2, "big") + reason.encode())


class Tagging(Extension):
    """A test extension: appends its tag to data frames and sets RSV1 on the first."""

    name = "x-tag"
    rsv_bits = frozenset({1})

    def __init__(self, tag: bytes) -> None:
        self.tag = tag
        self.max_sizes: list[int | None] = []

    def encode(self, frame: Frame) -> Frame:
        if frame.opcode in (TEXT, BINARY, CONT):
            return dataclasses.replace(frame, data=frame.data + self.tag, rsv1=True)
        return frame

    def decode(self, frame: Frame, *, max_size: int | None = None) -> Frame:
        self.max_sizes.append(max_size)
        if frame.opcode not in (TEXT, BINARY, CONT):
            return frame
        if not frame.data.endswith(self.tag):
            raise ProtocolError(f"missing tag {self.tag!r}")
        return dataclasses.replace(frame, data=frame.data[: -len(self.tag)], rsv1=False)


class Exploding(Extension):
    name = "x-boom"

    def encode(self, frame: Frame) -> Frame:
        return frame

    def decode(self, frame: Frame, *, max_size: int | None = None) -> Frame:
        raise RuntimeError("boom")


class ConnectionTests:
    """The tests; subclasses set the side."""

    side: ClassVar[Side]

    # --- helpers -----------------------------------------------------------------------

    @property
    def peer_masks(self) -> bool:
        """The peer is a client (masks) when we are the server."""
        return self.side is SERVER

    def protocol(self, **kwargs: object) -> Protocol:
        return Protocol(self.side, **kwargs)  # type: ignore[arg-type]

    def peer(self, *frame_list: Frame) -> bytes:
        """Bytes the peer sends for these frames."""
        return b"".join(serialize(frame, self.peer_masks) for frame in frame_list)

    def peer_wire(self, *wire_list: WireFrame) -> bytes:
        return b"".join(
            dataclasses.replace(wire, masked=self.peer_masks).encode() for wire in wire_list
        )

    def sent(self, protocol: Protocol) -> list[Frame]:
        """Frames we wrote, parsed as the peer would (masked iff we are the client)."""
        parser = Parser(mask=self.side is CLIENT)
        for data in protocol.data_to_send():
            parser.feed(data)
        result = parser.frames()
        assert parser.buffered == 0
        return result

    def assert_failed(self, protocol: Protocol, code: int, events: list[Event]) -> None:
        assert protocol.events_received() == events
        assert self.sent(protocol) == [close_frame(code, str(protocol.parser_exc)[:123])]
        assert protocol.parser_exc is not None
        assert getattr(protocol.parser_exc, "code", None) == code
        assert protocol.state is CLOSING
        assert protocol.transport_should_close()
        # Section 7.1.7: input after failing is not processed.
        protocol.receive_data(self.peer(Frame(PING, b"after")))
        assert protocol.events_received() == []
        assert protocol.data_to_send() == []

    # --- data frames -------------------------------------------------------------------

    def test_text_and_binary_messages(self) -> None:
        protocol = self.protocol()
        protocol.receive_data(self.peer(Frame(TEXT, b"Hello"), Frame(BINARY, b"\x00\xff")))
        assert protocol.events_received() == [Frame(TEXT, b"Hello"), Frame(BINARY, b"\x00\xff")]
        assert protocol.events_received() == []
        assert protocol.data_to_send() == []

    def test_fragments_with_control_frames_between(self) -> None:
        # Autobahn 5.6: T0 fragment1, P ping payload, C fragment2.
        frame_list = [
            Frame(TEXT, b"fragment1", fin=False),
            Frame(PING, b"ping payload"),
            Frame(PONG, b"unsolicited"),
            Frame(CONT, b"fragment2"),
        ]
        protocol = self.protocol()
        protocol.receive_data(self.peer(*frame_list))
        assert protocol.events_received() == frame_list
        assert self.sent(protocol) == [Frame(PONG, b"ping payload")]

    def test_text_split_inside_code_points(self) -> None:
        # Autobahn 6.2.3: HELLO in 1-byte fragments, then an empty final frame.
        frame_list = [Frame(TEXT, HELLO[:1], fin=False)]
        frame_list += [Frame(CONT, HELLO[i : i + 1], fin=False) for i in range(1, len(HELLO))]
        frame_list.append(Frame(CONT, b""))
        protocol = self.protocol()
        data = self.peer(*frame_list)
        for index in range(len(data)):
            protocol.receive_data(data[index : index + 1])
        assert protocol.events_received() == frame_list
        assert protocol.data_to_send() == []

    def test_unexpected_continuation(self) -> None:
        # Autobahn 5.9.
        protocol = self.protocol()
        protocol.receive_data(self.peer(Frame(CONT, b"non-continuation payload")))
        self.assert_failed(protocol, 1002, [])
        assert "unexpected continuation frame" in str(protocol.parser_exc)

    def test_new_message_while_fragmented(self) -> None:
        # Autobahn 5.18: T0 fragment1, T fragment2.
        protocol = self.protocol()
        first = Frame(TEXT, b"fragment1", fin=False)
        protocol.receive_data(self.peer(first, Frame(TEXT, b"fragment2")))
        self.assert_failed(protocol, 1002, [first])
        assert "expected a continuation frame" in str(protocol.parser_exc)

    def test_valid_message_before_a_bad_frame_is_delivered(self) -> None:
        # Autobahn 3.2: the preferred behaviour echoes the first message, then fails.
        protocol = self.protocol()
        good = Frame(TEXT, b"Hello, world!")
        protocol.receive_data(
            self.peer(good) + self.peer_wire(WireFrame(1, b"Hello, world!", rsv=2))
        )
        self.assert_failed(protocol, 1002, [good])

    @pytest.mark.parametrize("rsv", range(1, 8))
    def test_rsv_bits_without_extension(self, rsv: int) -> None:
        protocol = self.protocol()
        protocol.receive_data(self.peer_wire(WireFrame(2, b"\x00\xff", rsv=rsv)))
        self.assert_failed(protocol, 1002, [])
        assert "reserved bit" in str(protocol.parser_exc)

    @pytest.mark.parametrize("opcode", [3, 4, 5, 6, 7, 11, 12, 13, 14, 15])
    def test_reserved_opcodes(self, opcode: int) -> None:
        protocol = self.protocol()
        protocol.receive_data(self.peer_wire(WireFrame(opcode, b"reserved opcode payload")))
        self.assert_failed(protocol, 1002, [])

    def test_wrong_masking(self) -> None:
        protocol = self.protocol()
        wire = WireFrame(1, b"hi", masked=not self.peer_masks)
        protocol.receive_data(wire.encode())
        self.assert_failed(protocol, 1002, [])
        assert "masked frame from a" in str(protocol.parser_exc)

    @pytest.mark.parametrize("opcode", [PING, PONG])
    def test_fragmented_control_frame(self, opcode: int) -> None:
        # Autobahn 5.1 / 5.2.
        protocol = self.protocol()
        protocol.receive_data(self.peer_wire(WireFrame(opcode, b"fragment1", fin=False)))
        self.assert_failed(protocol, 1002, [])

    def test_ping_of_126_bytes(self) -> None:
        # Autobahn 2.5.
        protocol = self.protocol()
        protocol.receive_data(self.peer_wire(WireFrame(9, b"\xfe" * 126)))
        self.assert_failed(protocol, 1002, [])

    # --- UTF-8 -------------------------------------------------------------------------

    def test_invalid_utf8_in_one_frame(self) -> None:
        # Autobahn 6.3.1.
        protocol = self.protocol()
        protocol.receive_data(self.peer(Frame(TEXT, KOSME + b"\xed\xa0\x80edited")))
        self.assert_failed(protocol, 1007, [])
        assert "invalid UTF-8 at byte 12" in str(protocol.parser_exc)

    def test_invalid_utf8_fails_at_the_fragment_that_holds_it(self) -> None:
        # Autobahn 6.4.1: T0 KOSME; C0 BAD4; C edited.
        protocol = self.protocol()
        first = Frame(TEXT, KOSME, fin=False)
        protocol.receive_data(self.peer(first))
        assert protocol.events_received() == [first]
        assert protocol.state is OPEN
        protocol.receive_data(self.peer(Frame(CONT, BAD4, fin=False)))
        self.assert_failed(protocol, 1007, [])

    @pytest.mark.parametrize(("cut", "bad"), [(11, 4), (12, 1)])
    def test_invalid_utf8_fails_before_the_frame_is_complete(self, cut: int, bad: int) -> None:
        # Autobahn 6.4.3 and 6.4.4: one frame of 21 bytes written in three parts.
        data = self.peer(Frame(TEXT, KOSME + BAD4 + b"edited", fin=False))
        header = len(data) - 21
        protocol = self.protocol()
        protocol.receive_data(data[: header + cut])
        assert protocol.state is OPEN
        assert protocol.data_to_send() == []
        protocol.receive_data(data[header + cut : header + cut + bad])
        self.assert_failed(protocol, 1007, [])

    def test_incomplete_utf8_at_the_end_of_a_message(self) -> None:
        protocol = self.protocol()
        protocol.receive_data(self.peer(Frame(TEXT, KOSME[:-1])))
        self.assert_failed(protocol, 1007, [])
        assert "ends inside a UTF-8 sequence" in str(protocol.parser_exc)

    def test_partial_frames_are_looked_into_only_when_text(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # A large binary frame arrives in many reads: unmasking what has arrived at
        # each read would cost the square of the frame's size. Text is looked into
        # (fail fast), from where the previous read stopped.
        peeks: list[int] = []
        real = Parser.peek_partial

        def spy(parser: Parser, offset: int) -> tuple[int, bytes] | None:
            peeks.append(offset)
            return real(parser, offset)

        monkeypatch.setattr(Parser, "peek_partial", spy)
        for opcode, expected in ((BINARY, []), (TEXT, [0, 100, 200])):
            peeks.clear()
            data = self.peer(Frame(opcode, b"x" * 400))
            protocol = self.protocol()
            header = len(data) - 400
            for end in (header + 100, header + 200, header + 300):
                protocol.receive_data(data[end - 100 if end > header + 100 else 0 : end])
            assert peeks == expected
            protocol.receive_data(data[header + 300 :])
            assert protocol.events_received() == [Frame(opcode, b"x" * 400)]

    def test_binary_is_not_validated(self) -> None:
        protocol = self.protocol()
        protocol.receive_data(self.peer(Frame(BINARY, BAD4, fin=False), Frame(CONT, b"\xff")))
        assert len(protocol.events_received()) == 2
        assert protocol.state is OPEN

    def test_partial_validation_of_a_continuation_frame(self) -> None:
        protocol = self.protocol()
        protocol.receive_data(self.peer(Frame(TEXT, "é".encode()[:1], fin=False)))
        data = self.peer(Frame(CONT, "é".encode()[1:] + b"abc\xff"))
        protocol.receive_data(data[:-1])
        assert protocol.state is OPEN
        protocol.receive_data(data[-1:])
        self.assert_failed(protocol, 1007, [Frame(TEXT, b"\xc3", fin=False)])

    # --- limits ------------------------------------------------------------------------

    def test_frame_over_max_size_fails_from_its_header(self) -> None:
        protocol = self.protocol(max_size=1000)
        data = self.peer(Frame(BINARY, bytes(1001)))
        protocol.receive_data(data[:4])  # the header only
        self.assert_failed(protocol, 1009, [])
        assert isinstance(protocol.parser_exc, PayloadTooBig)

    def test_message_over_max_size_across_fragments(self) -> None:
        protocol = self.protocol(max_size=1000)
        first = Frame(BINARY, bytes(600), fin=False)
        protocol.receive_data(self.peer(first, Frame(PING, b"p" * 125)))
        assert self.sent(protocol) == [Frame(PONG, b"p" * 125)]
        protocol.receive_data(self.peer(Frame(CONT, bytes(401))))
        self.assert_failed(protocol, 1009, [first, Frame(PING, b"p" * 125)])
        assert str(protocol.parser_exc) == "message over 1000 bytes: a frame of 401 after 600"

    def test_message_of_exactly_max_size(self) -> None:
        protocol = self.protocol(max_size=1000)
        frame_list = [Frame(TEXT, b"a" * 600, fin=False), Frame(CONT, b"b" * 400)]
        protocol.receive_data(self.peer(*frame_list, Frame(TEXT, b"c" * 1000)))
        assert protocol.events_received() == [*frame_list, Frame(TEXT, b"c" * 1000)]

    def test_no_max_size(self) -> None:
        protocol = self.protocol(max_size=None)
        protocol.receive_data(self.peer(Frame(BINARY, bytes(2**21))))
        assert protocol.events_received() == [Frame(BINARY, bytes(2**21))]

    def test_decoded_size_over_max_size(self) -> None:
        protocol = self.protocol(max_size=10)
        protocol.extensions = [Inflating()]
        protocol.receive_data(self.peer(Frame(BINARY, b"x" * 5, rsv1=True)))
        self.assert_failed(protocol, 1009, [])
        assert "message over 10 bytes" in str(protocol.parser_exc)

    # --- ping and pong -----------------------------------------------------------------

    def test_ping_is_answered_and_emitted(self) -> None:
        protocol = self.protocol()
        protocol.receive_data(self.peer(*(Frame(PING, f"payload-{i}".encode()) for i in range(10))))
        assert len(protocol.events_received()) == 10
        # Autobahn 2.10: one pong per ping, in order.
        assert self.sent(protocol) == [Frame(PONG, f"payload-{i}".encode()) for i in range(10)]

    def test_ping_after_our_close_is_still_answered(self) -> None:
        # Section 5.5.2: "unless it already received a Close frame".
        protocol = self.protocol()
        protocol.send_close(1000)
        self.sent(protocol)
        protocol.receive_data(self.peer(Frame(PING, b"late")))
        assert self.sent(protocol) == [Frame(PONG, b"late")]

    def test_send_ping_and_pong(self) -> None:
        protocol = self.protocol()
        protocol.send_ping(b"p" * 125)
        protocol.send_pong(b"")
        assert self.sent(protocol) == [Frame(PING, b"p" * 125), Frame(PONG, b"")]
        with pytest.raises(ProtocolError, match="exceeds 125"):
            protocol.send_ping(b"p" * 126)

    # --- closing -----------------------------------------------------------------------

    def test_peer_starts_the_close_handshake(self) -> None:
        protocol = self.protocol()
        protocol.receive_data(self.peer(close_frame(1001, "bye")))
        assert protocol.events_received() == [close_frame(1001, "bye")]
        # Section 5.5.1: the reply echoes the code.
        assert self.sent(protocol) == [close_frame(1001)]
        assert protocol.state is CLOSING
        assert protocol.close_rcvd == Close(1001, "bye")
        assert protocol.close_sent == Close(1001, "")
        assert protocol.close_rcvd_then_sent is True
        assert protocol.close_expected()
        # Section 7.1.1: the server closes TCP first; the client waits for it.
        assert protocol.transport_should_close() is (self.side is SERVER)
        assert protocol.close_code is None
        protocol.receive_eof()
        assert protocol.state is CLOSED
        assert protocol.transport_should_close()
        assert protocol.close_code == 1001
        assert protocol.close_reason == "bye"
        assert isinstance(protocol.close_exc, ConnectionClosedOK)

    def test_we_start_the_close_handshake(self) -> None:
        protocol = self.protocol()
        assert not protocol.close_expected()
        protocol.send_close(1000, "done")
        assert self.sent(protocol) == [close_frame(1000, "done")]
        assert protocol.state is CLOSING
        assert protocol.close_expected()
        assert not protocol.transport_should_close()
        # Data frames may still arrive before the peer's close.
        protocol.receive_data(self.peer(Frame(TEXT, b"late"), close_frame(1000)))
        assert protocol.events_received() == [Frame(TEXT, b"late"), close_frame(1000)]
        assert self.sent(protocol) == []
        assert protocol.close_rcvd_then_sent is False
        assert protocol.transport_should_close() is (self.side is SERVER)
        protocol.receive_eof()
        assert (protocol.close_code, protocol.close_reason) == (1000, "")
        assert isinstance(protocol.close_exc, ConnectionClosedOK)
        assert "sent 1000 (OK) done" in str(protocol.close_exc)

    def test_empty_close(self) -> None:
        # Autobahn 7.3.1: the reply is an empty close too; the code is 1005.
        protocol = self.protocol()
        protocol.receive_data(self.peer(close_frame()))
        assert self.sent(protocol) == [close_frame()]
        protocol.receive_eof()
        assert protocol.close_code == 1005
        assert isinstance(protocol.close_exc, ConnectionClosedOK)

    def test_send_close_without_code(self) -> None:
        protocol = self.protocol()
        protocol.send_close()
        assert self.sent(protocol) == [close_frame()]
        assert protocol.close_sent == Close(1005, "")

    def test_input_after_the_peer_close_is_ignored(self) -> None:
        # Autobahn 7.1.2, 7.1.3, 7.1.4: a second close, a ping, a text after the close.
        protocol = self.protocol()
        protocol.receive_data(
            self.peer(close_frame(1000), close_frame()) + self.peer(Frame(PING, b""))
        )
        protocol.receive_data(self.peer(Frame(TEXT, b"Hello World!")))
        assert protocol.events_received() == [close_frame(1000)]
        assert self.sent(protocol) == [close_frame(1000)]

    def test_close_in_the_middle_of_a_fragmented_message(self) -> None:
        # Autobahn 7.1.5: T0 fragment1, X 1000, C fragment2: a normal close.
        protocol = self.protocol()
        first = Frame(TEXT, b"fragment1", fin=False)
        protocol.receive_data(self.peer(first, close_frame(1000), Frame(CONT, b"fragment2")))
        assert protocol.events_received() == [first, close_frame(1000)]
        assert self.sent(protocol) == [close_frame(1000)]
        assert protocol.parser_exc is None

    @pytest.mark.parametrize("code", [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999, 5000])
    def test_invalid_close_code(self, code: int) -> None:
        # Autobahn 7.9.x and 7.13.x.
        protocol = self.protocol()
        protocol.receive_data(self.peer(close_frame(code)))
        self.assert_failed(protocol, 1002, [])

    def test_one_byte_close(self) -> None:
        # Autobahn 7.3.2.
        protocol = self.protocol()
        protocol.receive_data(self.peer(Frame(CLOSE, b"a")))
        self.assert_failed(protocol, 1002, [])

    def test_close_reason_over_123_bytes(self) -> None:
        # Autobahn 7.3.6: a 126-byte close body.
        protocol = self.protocol()
        protocol.receive_data(self.peer_wire(WireFrame(8, b"\x03\xe8" + b"*" * 124)))
        self.assert_failed(protocol, 1002, [])

    def test_close_reason_not_utf8(self) -> None:
        # Autobahn 7.5.1.
        protocol = self.protocol()
        reason = KOSME + bytes.fromhex("eda080") + b"edited"
        protocol.receive_data(self.peer(Frame(CLOSE, b"\x03\xe8" + reason)))
        self.assert_failed(protocol, 1007, [])

    def test_error_close_is_connection_closed_error(self) -> None:
        protocol = self.protocol()
        protocol.receive_data(self.peer(close_frame(1011)))
        protocol.receive_eof()
        assert isinstance(protocol.close_exc, ConnectionClosedError)
        assert protocol.close_exc.code == 1011

    def test_eof_without_close(self) -> None:
        protocol = self.protocol()
        protocol.receive_data(self.peer(Frame(TEXT, b"Hello"))[:4])
        protocol.receive_eof()
        protocol.receive_eof()
        assert protocol.state is CLOSED
        assert protocol.close_code == 1006
        assert protocol.close_reason == ""
        assert isinstance(protocol.close_exc, ConnectionClosedError)
        assert protocol.events_received() == []
        with pytest.raises(InvalidState, match="after the end of input"):
            protocol.receive_data(b"more")

    # --- failing -----------------------------------------------------------------------

    def test_fail(self) -> None:
        protocol = self.protocol()
        protocol.fail(1011, "internal")
        protocol.fail(1002, "twice")
        assert self.sent(protocol) == [close_frame(1011, "internal")]
        assert protocol.transport_should_close()
        assert protocol.close_sent == Close(1011, "internal")
        protocol.receive_data(self.peer(close_frame(1011)))
        assert protocol.events_received() == []

    def test_fail_truncates_a_long_reason(self) -> None:
        protocol = self.protocol()
        protocol.fail(1002, "é" * 100)
        (frame,) = self.sent(protocol)
        assert len(frame.data) <= 125
        assert Close.parse(frame.data).reason.endswith("...")

    def test_fail_with_a_code_not_for_the_wire(self) -> None:
        protocol = self.protocol()
        protocol.fail(1006)
        assert protocol.data_to_send() == []
        assert protocol.state is CLOSING
        assert protocol.transport_should_close()

    def test_fail_after_our_close_sends_nothing_more(self) -> None:
        protocol = self.protocol()
        protocol.send_close(1000)
        self.sent(protocol)
        protocol.receive_data(self.peer(Frame(CONT, b"bad")))
        assert protocol.data_to_send() == []
        assert protocol.transport_should_close()
        assert isinstance(protocol.parser_exc, ProtocolError)

    def test_deferred_failure_lets_earlier_messages_be_answered(self) -> None:
        # Autobahn 3.2: a message, then a frame with RSV2, then a ping in one read.
        protocol = self.protocol()
        protocol.defer_failure = True
        bad = WireFrame(opcode=TEXT, payload=b"bad", rsv=2)
        protocol.receive_data(
            self.peer(Frame(TEXT, b"Hello")) + self.peer_wire(bad) + self.peer(Frame(PING, b""))
        )
        assert protocol.events_received() == [Frame(TEXT, b"Hello")]
        assert isinstance(protocol.failure_pending, ProtocolError)
        assert protocol.parser_exc is protocol.failure_pending
        assert protocol.state is OPEN
        assert not protocol.transport_should_close()
        protocol.send_text(b"Hello")  # the echo goes out before the close frame
        protocol.fail_pending()
        assert protocol.failure_pending is None
        assert self.sent(protocol) == [
            Frame(TEXT, b"Hello"),
            close_frame(1002, str(protocol.parser_exc)[:123]),
        ]
        assert protocol.state is CLOSING
        assert protocol.transport_should_close()
        # The input after the bad frame (the ping) was never processed.
        protocol.receive_data(self.peer(Frame(PING, b"after")))
        assert protocol.events_received() == []
        assert protocol.data_to_send() == []

    def test_fail_pending_does_nothing_without_a_pending_failure(self) -> None:
        protocol = self.protocol()
        protocol.defer_failure = True
        protocol.fail_pending()
        assert protocol.state is OPEN
        assert protocol.data_to_send() == []

    def test_fail_clears_a_pending_failure(self) -> None:
        protocol = self.protocol()
        protocol.defer_failure = True
        protocol.receive_data(self.peer(Frame(CONT, b"no first frame")))
        assert protocol.failure_pending is not None
        protocol.fail(1011, "keepalive")
        assert protocol.failure_pending is None
        assert self.sent(protocol) == [close_frame(1011, "keepalive")]
        protocol.fail_pending()
        assert protocol.data_to_send() == []

    def test_fail_while_connecting(self) -> None:
        protocol = self.protocol(state=CONNECTING)
        protocol.fail(1002)
        assert protocol.data_to_send() == []
        assert protocol.state is CONNECTING
        assert protocol.transport_should_close()

    def test_receive_data_while_connecting(self) -> None:
        with pytest.raises(InvalidState, match="opening handshake"):
            self.protocol(state=CONNECTING).receive_data(b"GET / HTTP/1.1\r\n")

    # --- sending -----------------------------------------------------------------------

    def test_frames_are_masked_by_clients_only(self) -> None:
        protocol = self.protocol()
        protocol.send_text(b"Hello")
        (data,) = protocol.data_to_send()
        assert bool(data[1] & 0x80) is (self.side is CLIENT)

    def test_send_fragmented_message(self) -> None:
        protocol = self.protocol()
        protocol.send_binary(b"a", fin=False)
        protocol.send_ping(b"between")
        with pytest.raises(InvalidState, match="fragmented BINARY message"):
            protocol.send_text(b"x")
        protocol.send_continuation(b"b", fin=False)
        protocol.send_continuation(b"c", fin=True)
        with pytest.raises(InvalidState, match="no fragmented message"):
            protocol.send_continuation(b"d", fin=True)
        assert self.sent(protocol) == [
            Frame(BINARY, b"a", fin=False),
            Frame(PING, b"between"),
            Frame(CONT, b"b", fin=False),
            Frame(CONT, b"c"),
        ]

    def test_sending_is_refused_unless_open(self) -> None:
        protocol = self.protocol()
        protocol.send_close(1000)
        calls: list[Callable[[], None]] = [
            lambda: protocol.send_text(b"x"),
            lambda: protocol.send_binary(b"x"),
            lambda: protocol.send_continuation(b"x", True),
            lambda: protocol.send_ping(b""),
            lambda: protocol.send_pong(b""),
            lambda: protocol.send_close(1000),
        ]
        for call in calls:
            with pytest.raises(InvalidState, match="connection is CLOSING"):
                call()
        with pytest.raises(InvalidState, match="CONNECTING"):
            self.protocol(state=CONNECTING).send_text(b"x")

    @pytest.mark.parametrize(
        ("code", "reason", "match"),
        [
            (1006, "", "cannot be sent"),
            (999, "", "cannot be sent"),
            (None, "reason", "without a code"),
            (1000, "x" * 124, "longer than 123"),
        ],
    )
    def test_send_close_checks(self, code: int | None, reason: str, match: str) -> None:
        protocol = self.protocol()
        with pytest.raises(ProtocolError, match=match):
            protocol.send_close(code, reason)
        assert protocol.state is OPEN

    # --- extensions --------------------------------------------------------------------

    def test_extensions_encode_in_order_and_decode_in_reverse(self) -> None:
        first, second = Tagging(b"1"), Tagging(b"2")
        protocol = self.protocol(max_size=1234)
        protocol.extensions = [first, second]
        protocol.send_text(b"Hello")
        assert self.sent(protocol) == [Frame(TEXT, b"Hello12", rsv1=True)]
        protocol.receive_data(self.peer(Frame(TEXT, b"Hi12", rsv1=True), Frame(PING, b"")))
        assert protocol.events_received() == [Frame(TEXT, b"Hi"), Frame(PING, b"")]
        assert first.max_sizes == second.max_sizes == [1234, 1234]

    def test_rsv1_needs_an_extension_that_uses_it(self) -> None:
        protocol = self.protocol()
        protocol.extensions = [Exploding()]  # rsv_bits is empty
        protocol.receive_data(self.peer(Frame(TEXT, b"x", rsv1=True)))
        self.assert_failed(protocol, 1002, [])

    def test_an_extension_error_fails_with_its_code(self) -> None:
        protocol = self.protocol()
        protocol.extensions = [Tagging(b"!")]
        protocol.receive_data(self.peer(Frame(TEXT, b"untagged", rsv1=True)))
        self.assert_failed(protocol, 1002, [])

    def test_an_unexpected_error_fails_with_1011(self, caplog: pytest.LogCaptureFixture) -> None:
        protocol = self.protocol()
        protocol.extensions = [Exploding()]
        with caplog.at_level(logging.ERROR, "wsconform.reference"):
            protocol.receive_data(self.peer(Frame(TEXT, b"x")))
        self.assert_failed(protocol, 1011, [])
        assert isinstance(protocol.parser_exc, InternalError)
        assert isinstance(protocol.parser_exc.__cause__, RuntimeError)
        assert "internal error while parsing" in caplog.text

    # --- logging and identity ----------------------------------------------------------

    def test_logs_frames_and_state_changes(self, caplog: pytest.LogCaptureFixture) -> None:
        with caplog.at_level(logging.DEBUG, "wsconform.reference"):
            protocol = self.protocol()
            protocol.receive_data(self.peer(Frame(PING, b"hi"), close_frame(1000, "bye")))
            protocol.receive_eof()
        messages = [record.getMessage() for record in caplog.records]
        assert messages[:3] == ["< PING 'hi' [2 bytes]", "> PONG 'hi' [2 bytes]", messages[2]]
        assert "< CLOSE 1000 b'bye' [5 bytes]" in messages
        assert "= connection is CLOSING" in messages
        assert any(m.startswith("= connection is CLOSED: code 1000") for m in messages)

    def test_custom_logger(self, caplog: pytest.LogCaptureFixture) -> None:
        logger = logging.getLogger("custom.test")
        with caplog.at_level(logging.DEBUG, "custom.test"):
            protocol = self.protocol(logger=logger)
            protocol.send_text(b"x")
        assert [r.name for r in caplog.records] == ["custom.test"]
        assert protocol.logger is logger

    def test_identity(self) -> None:
        protocol = self.protocol()
        assert isinstance(protocol.id, uuid.UUID)
        assert protocol.side is self.side
        assert protocol.id != self.protocol().id

    # --- properties --------------------------------------------------------------------
    # Each property runs once per side, from two classes: Hypothesis calls that
    # "differing executors". Examples drawn for one side are valid inputs for the other.

    @settings(suppress_health_check=[HealthCheck.differing_executors])
    @given(stream=st.binary(max_size=300), data=st.data())
    def test_arbitrary_bytes_never_raise(self, stream: bytes, data: st.DataObject) -> None:
        protocol = self.protocol(max_size=200)
        for chunk in data.draw(chunkings(stream, max_chunks=10)):
            protocol.receive_data(chunk)
        protocol.events_received()
        if protocol.parser_exc is not None:
            assert protocol.transport_should_close()
            code = getattr(protocol.parser_exc, "code", None)
            assert code in {1002, 1007, 1009}
            assert self.sent(protocol)[-1] == close_frame(code, str(protocol.parser_exc)[:123])

    @settings(suppress_health_check=[HealthCheck.differing_executors])
    @given(
        frame_list=st.lists(frames(max_size=300), max_size=6),
        garbage=st.binary(max_size=20),
        data=st.data(),
    )
    def test_any_split_gives_the_same_events(
        self, frame_list: list[Frame], garbage: bytes, data: st.DataObject
    ) -> None:
        stream = self.peer(*frame_list) + garbage

        def run(chunks: list[bytes]) -> tuple[list[Event], bytes, str | None]:
            protocol = self.protocol(max_size=250)
            for chunk in chunks:
                protocol.receive_data(chunk)
            exc = protocol.parser_exc
            # The bytes sent compare equal when we are the server (unmasked output).
            sent = b"".join(protocol.data_to_send()) if self.side is SERVER else b""
            return protocol.events_received(), sent, None if exc is None else repr(exc)

        chunks = data.draw(chunkings(stream, max_chunks=25))
        assert run(chunks) == run([stream])

    @settings(suppress_health_check=[HealthCheck.differing_executors])
    @given(message=fragmented_messages(), data=st.data())
    def test_fragmented_messages_come_out_whole(
        self, message: list[Frame], data: st.DataObject
    ) -> None:
        protocol = self.protocol()
        for chunk in data.draw(chunkings(self.peer(*message), max_chunks=15)):
            protocol.receive_data(chunk)
        events = protocol.events_received()
        assert events == message
        assert protocol.parser_exc is None
        pings = [frame for frame in message if frame.opcode is PING]
        assert self.sent(protocol) == [Frame(PONG, ping.data) for ping in pings]


class Inflating(Extension):
    """A test extension that makes a frame's payload 3 times bigger (like inflating)."""

    name = "x-inflate"
    rsv_bits = frozenset({1})

    def encode(self, frame: Frame) -> Frame:
        return frame

    def decode(self, frame: Frame, *, max_size: int | None = None) -> Frame:
        return dataclasses.replace(frame, data=frame.data * 3, rsv1=False)


class TestServer(ConnectionTests):
    side = SERVER


class TestClient(ConnectionTests):
    side = CLIENT


def test_invalid_payload_data_code() -> None:
    assert InvalidPayloadData.code == 1007
