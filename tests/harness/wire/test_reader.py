"""The tester's reader in batches: every frame is read, at most a batch per call."""

from __future__ import annotations

import os

import pytest

from wsconform.harness.wire.frame import WireFrame
from wsconform.harness.wire.reader import BATCH_FRAMES, FrameInfo, Reader
from wsconform.reference.protocol.extensions.permessage_deflate import PerMessageDeflate
from wsconform.reference.protocol.frames import BINARY, TEXT, Frame, Opcode, serialize


class Recorder:
    """A :class:`~wsconform.harness.wire.reader.ReaderSink` that keeps what it is told."""

    def __init__(self) -> None:
        self.frames: list[FrameInfo] = []
        self.violations: list[tuple[int, str, bool]] = []
        self.messages: list[bytes] = []
        self.closed = False
        self.reader: Reader | None = None

    @property
    def reading(self) -> bool:
        return not self.closed

    @property
    def failed(self) -> bool:
        return bool(self.violations)

    def violation(self, code: int, reason: str) -> None:
        unreported = self.reader is not None and self.reader.unreported_frame
        self.violations.append((code, reason, unreported))

    def frame_received(self, info: FrameInfo) -> None:
        self.frames.append(info)

    def message_received(self, payload: bytes, binary: bool) -> None:
        self.messages.append(payload)

    def ping_received(self, payload: bytes) -> None: ...
    def pong_received(self, payload: bytes) -> None: ...
    def close_received(self, code: int | None, reason: bytes | None) -> None: ...


def reader(batch: int = BATCH_FRAMES) -> tuple[Reader, Recorder]:
    sink = Recorder()
    read = Reader(sink, max_message_size=2**20, batch=batch)
    sink.reader = read
    return read, sink


def test_a_read_is_processed_one_batch_at_a_time() -> None:
    read, sink = reader(batch=10)
    data = WireFrame(0x9, b"p").encode() * 35
    assert read.feed(data)
    assert len(sink.frames) == 10
    assert read.backlog == len(data) - 10 * 3
    assert read.resume() and read.resume()
    assert len(sink.frames) == 30
    assert not read.resume()
    assert len(sink.frames) == 35 and read.backlog == 0


def test_a_partial_header_waits_for_the_next_read_after_batches() -> None:
    read, sink = reader(batch=2)
    frame = WireFrame(0x2, b"x" * 200, fin=True).encode()
    data = frame * 3 + frame[:3]
    assert read.feed(data)
    while read.resume():
        pass
    assert len(sink.frames) == 3 and read.backlog == 0
    assert not read.feed(frame[3:])
    assert len(sink.frames) == 4
    assert sink.messages == [b"x" * 200] * 4


def test_a_batch_ends_between_frames_of_one_message() -> None:
    read, sink = reader(batch=1)
    data = WireFrame(0x1, b"ab", fin=False).encode() + WireFrame(0x0, b"cd").encode()
    assert read.feed(data)
    assert sink.messages == []
    assert not read.resume()
    assert sink.messages == [b"abcd"]


def test_a_violation_of_a_header_is_known_to_come_from_the_frame_being_read() -> None:
    read, sink = reader()
    read.feed(WireFrame(0x1, b"ok").encode() + WireFrame(0x2, b"bad", rsv=2).encode())
    assert [v[2] for v in sink.violations] == [True]
    assert not read.unreported_frame  # the bad frame was then reported
    assert len(sink.frames) == 2


def test_a_message_of_many_frames_is_kept_whole() -> None:
    read, sink = reader(batch=10_000)
    pieces = [bytes([i % 251]) for i in range(5000)]
    frames = [WireFrame(0x2 if i == 0 else 0x0, p, fin=False) for i, p in enumerate(pieces)]
    data = b"".join(f.encode() for f in frames) + WireFrame(0x0, b"", fin=True).encode()
    data += WireFrame(0x1, b"after").encode()
    read.feed(data)
    while read.resume():
        pass
    assert sink.messages == [b"".join(pieces), b"after"]


def text_in_frames(*pieces: bytes) -> bytes:
    last = len(pieces) - 1
    return b"".join(
        WireFrame(0x1 if index == 0 else 0x0, piece, fin=index == last).encode()
        for index, piece in enumerate(pieces)
    )


def test_ascii_after_a_complete_code_point_is_valid_text() -> None:
    read, sink = reader()
    read.feed(text_in_frames(b"\xc3\xa9", b"AB", b"\xc3\xa9"))
    assert sink.violations == []
    assert sink.messages == ["éABé".encode()]


def test_ascii_inside_a_code_point_is_invalid_text() -> None:
    # RFC 3629 section 4: 0xC3 needs a continuation octet; "A" is none.
    read, sink = reader()
    read.feed(text_in_frames(b"\xc3", b"A"))
    # (This sink keeps reading after a violation; the tester stops at the first.)
    assert "invalid UTF-8" in sink.violations[0][1]
    assert "payload octet index 1" in sink.violations[0][1]


def test_the_octet_index_of_invalid_text_counts_ascii_frames() -> None:
    read, sink = reader()
    read.feed(text_in_frames(b"ABC", b"\xff"))
    assert "payload octet index 3" in sink.violations[0][1]


def _deflate() -> PerMessageDeflate:
    return PerMessageDeflate(False, False, 15, 15)


def _read_compressed(messages: list[tuple[Opcode, bytes]], whole: bool) -> Recorder:
    """Feed the messages compressed, in one read (``whole``) or octet by octet."""
    encoder = _deflate()
    wire = b"".join(
        serialize(Frame(opcode, encoder.encode(Frame(opcode, payload)).data, rsv1=True), False)
        for opcode, payload in messages
    )
    sink = Recorder()
    read = Reader(sink, max_message_size=1000, deflate=_deflate(), batch=1000)
    sink.reader = read
    if whole:
        read.feed(wire)
    else:
        for index in range(len(wire)):
            read.feed(wire[index : index + 1])
    return sink


@pytest.mark.parametrize(
    "messages",
    [
        [(TEXT, b"ascii"), (BINARY, bytes(range(256)) * 2), (TEXT, "caf\u00e9".encode())],
        [(TEXT, b"x" * 200), (BINARY, os.urandom(300))],  # 16-bit lengths
        [(TEXT, b"bad \xff text"), (BINARY, b"after")],
        [(TEXT, "ends inside \u20ac".encode()[:-1]), (TEXT, b"next")],
        [(BINARY, b"x" * 1001), (BINARY, b"y")],  # over the limit once inflated
        [(TEXT, b""), (BINARY, b"")],
    ],
)
def test_a_whole_compressed_message_in_one_read_is_read_as_frame_by_frame(
    messages: list[tuple[Opcode, bytes]],
) -> None:
    fast, slow = _read_compressed(messages, True), _read_compressed(messages, False)
    assert fast.frames == slow.frames
    assert fast.violations == slow.violations
    assert fast.messages == slow.messages


def test_a_whole_compressed_message_that_does_not_inflate_is_a_violation() -> None:
    wire = serialize(Frame(BINARY, b"\xff\xff\xff", rsv1=True), False)
    for whole in (True, False):
        sink = Recorder()
        read = Reader(sink, max_message_size=1000, deflate=_deflate())
        sink.reader = read
        if whole:
            read.feed(wire)
        else:
            for index in range(len(wire)):
                read.feed(wire[index : index + 1])
        assert [(code, unreported) for code, _reason, unreported in sink.violations] == [
            (1002, True)
        ]
        assert sink.messages == [] and len(sink.frames) == 1
