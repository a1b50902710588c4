"""The tester's reader: the peer's frames, parsed permissively and checked as Autobahn does.

The tester must keep reading whatever the peer sends, record it, and judge it with the
checks of the library Autobahn|Testsuite runs on (Autobahn|Python 0.10.9,
docs/autobahn.md section 2.6). This reader is sans-I/O: bytes go in through
:meth:`Reader.feed`, and everything it finds goes out through a :class:`ReaderSink`,
which the connection implements.

A violation does not stop the reader. As in Autobahn with ``failByDrop=false``, the
sink fails the connection (a close frame with 1002, 1007 or 1009 while OPEN; a TCP drop
when already CLOSING) and the reader goes on with the frame as if nothing happened, so
that the peer's close reply can still arrive. It stops only when the sink says the
connection is CLOSED (:attr:`ReaderSink.reading`).

The checks, in Autobahn's order, on every frame header:

1. RSV must be 0, except RSV1 (``rsv == 4``) when permessage-deflate is in use.
2. Masking by role (RFC 6455 section 5.1). Reading a server (the tester is the client):
   its frames must not be masked, "A server MUST NOT mask any frames that it sends to
   the client. A client MUST close a connection if it detects a masked frame". Reading a
   client (``server=True``): its frames must be masked, "The server MUST close the
   connection upon receiving a frame that is not masked".
3. Control frames: not fragmented, at most 125 bytes, opcode 8, 9 or 10, a close body
   is not 1 byte, not compressed. Data frames: opcode 0, 1 or 2, a continuation only
   inside a message, a new message only outside one, RSV1 only on a first frame.
4. The length uses the minimal encoding and fits 63 bits.

Then: a message over the size limit fails with 1009; text is validated as UTF-8 as it
arrives (1007 at the first invalid piece, and again when the message ends inside a code
point). Close frames are checked by the sink (:meth:`ReaderSink.close_received`).

Bounds: at most one partial frame header (14 bytes) is kept between reads; payload is
consumed as it arrives; a data message is kept only while the tester has not failed the
connection, and only up to ``max_message_size`` bytes; a frame's declared length above
that limit is a violation (so a second one drops TCP).

Batches: :meth:`Reader.feed` processes at most ``batch`` frames of the bytes it is given
and keeps the rest (one read of the transport at most, as the connection stops reading
meanwhile); :meth:`Reader.resume` processes the next batch. The connection calls it on
the next turn of the event loop, so a peer that sends tiny frames as fast as it can
cannot keep the case's timers from firing on time.
"""

from __future__ import annotations

import dataclasses
import struct
from typing import Protocol

from wsconform.reference.protocol.exceptions import PayloadTooBig, ProtocolError
from wsconform.reference.protocol.extensions.permessage_deflate import PerMessageDeflate
from wsconform.reference.protocol.frames import BINARY, CONT, Frame, Opcode
from wsconform.reference.protocol.mask import BytesLike
from wsconform.reference.protocol.utf8 import Utf8Validator

from .codec import RSV1, mask_stream

__all__ = [
    "BATCH_FRAMES",
    "INVALID_PAYLOAD",
    "PROTOCOL_ERROR",
    "TOO_BIG",
    "FrameInfo",
    "Reader",
    "ReaderSink",
]

#: Close codes the tester fails the connection with (RFC 6455 section 7.4.1).
PROTOCOL_ERROR = 1002
INVALID_PAYLOAD = 1007
TOO_BIG = 1009

_UINT16 = struct.Struct("!H")
_UINT64 = struct.Struct("!Q")
_MAX_CONTROL = 125
_HEAD_KEEP = 64  # payload bytes kept for the wire log of a frame whose data is dropped

#: Frame payloads of a message kept as they are before they are joined (see
#: :meth:`Reader._keep_part`).
_PARTS_KEPT = 64

#: Frames processed per batch before the reader hands control back (see the module
#: docstring): a millisecond or two of work, for frames that each need an answer (a
#: ping); 16 connections flooding at once still leave their timers under 0.1 s late
#: (``bench/bench_hostile.py``).
BATCH_FRAMES = 64

#: First header octets of a whole compressed data message: FIN, RSV1, text or binary.
_WHOLE_COMPRESSED = frozenset((0xC1, 0xC2))


# Not frozen: one is built per frame, and a frozen dataclass's __init__ costs more.
@dataclasses.dataclass(slots=True)
class FrameInfo:
    """A frame the peer sent, as the wire log and the statistics need it.

    ``length`` and ``head`` (at most 64 bytes) describe the unmasked, decompressed
    payload; ``wire_length`` is the payload length as framed and ``app_length`` after
    decompression (both 0 for control frames, which are not message traffic).
    """

    opcode: int
    fin: bool
    rsv: int
    length: int
    head: bytes
    mask: bytes | None
    wire_length: int = 0
    app_length: int = 0


class ReaderSink(Protocol):
    """What the reader reports to; implemented by the tester's connection."""

    @property
    def reading(self) -> bool:
        """False once the connection is CLOSED: the reader stops at once."""
        ...

    @property
    def failed(self) -> bool:
        """The tester has failed the connection: data messages are no longer kept."""
        ...

    def violation(self, code: int, reason: str) -> None:
        """The peer broke a rule: fail the connection with ``code``."""

    def frame_received(self, info: FrameInfo) -> None:
        """A whole frame arrived (wire log ``RF``, statistics)."""

    def message_received(self, payload: bytes, binary: bool) -> None:
        """A whole data message arrived (only while the tester has not failed)."""

    def ping_received(self, payload: bytes) -> None:
        """A ping arrived."""

    def pong_received(self, payload: bytes) -> None:
        """A pong arrived."""

    def close_received(self, code: int | None, reason: bytes | None) -> None:
        """A close frame arrived: ``code`` when its body has 2 or more bytes."""


class _Frame:
    """The frame being read."""

    __slots__ = ("chunks", "fin", "kept", "length", "mask", "opcode", "received", "rsv")

    def __init__(self, opcode: int, fin: bool, rsv: int, length: int, mask: bytes | None):
        self.opcode = opcode
        self.fin = fin
        self.rsv = rsv
        self.length = length
        self.mask = mask
        self.received = 0
        self.chunks: list[BytesLike] = []
        self.kept = 0


class Reader:
    """Reads the peer's frames and messages for the tester (see the module docstring).

    ``deflate`` is the negotiated permessage-deflate codec, if any; ``server`` says the
    tester is the server (the peer's frames must then be masked).
    """

    def __init__(
        self,
        sink: ReaderSink,
        *,
        max_message_size: int,
        deflate: PerMessageDeflate | None = None,
        batch: int = BATCH_FRAMES,
        server: bool = False,
    ) -> None:
        self._sink = sink
        self._server = server
        self._max = max_message_size
        self._deflate = deflate
        self._batch = max(1, batch)
        self._pending = b""
        self._data = b""
        self._pos = 0
        self._unlogged = False
        self._frame: _Frame | None = None
        # The data message being read.
        self._in_message = False
        self._binary = False
        self._opcode = 0
        self._compressed = False
        self._utf8: Utf8Validator | None = None
        self._declared = 0
        self._app_size = 0
        self._parts: list[bytes] = []
        self._joined: bytearray | None = None
        self._keep = False

    @property
    def unreported_frame(self) -> bool:
        """A frame's header was read and the frame not yet reported to the sink: a
        violation found now is caused by that frame (the connection logs the frame before
        the close frame it causes)."""
        return self._unlogged

    @property
    def backlog(self) -> int:
        """Bytes handed to :meth:`feed` and not processed yet (:meth:`resume` goes on)."""
        return len(self._data) - self._pos

    def feed(self, data: bytes) -> bool:
        """Process the next bytes from the peer, at most one batch of frames of them.

        Returns whether bytes are left over (then call :meth:`resume`, and feed no more
        until it returns False).
        """
        if self._pending:
            data = self._pending + data
            self._pending = b""
        self._data, self._pos = data, 0
        return self.resume()

    def resume(self) -> bool:
        """Process the next batch of the bytes kept by :meth:`feed`; whether some remain."""
        data = self._data
        sink = self._sink
        pos, end = self._pos, len(data)
        frames = self._batch
        whole = self._deflate is not None and not self._server
        while sink.reading:
            frame = self._frame
            if frame is None:
                if end - pos < 2 or frames == 0:
                    break
                if whole and data[pos] in _WHOLE_COMPRESSED and not self._in_message:
                    used = self._whole_message(data, pos, end)
                    if used:
                        pos += used
                        frames -= 1
                        continue
                used = self._header(data, pos, end)
                if used == 0:
                    break
                pos += used
                frames -= 1
                continue
            take = min(frame.length - frame.received, end - pos)
            if take:
                if self._compressed and frame.opcode < 8:
                    # A compressed frame is joined once at its end, then inflated: a
                    # view of its part of this read saves a copy of it.
                    part = memoryview(data)[pos : pos + take] if take < end else data
                    self._compressed_payload(frame, part)
                else:
                    self._payload(frame, data[pos : pos + take])
                pos += take
            if frame.received == frame.length:
                self._frame = None
                self._end(frame)
            elif pos >= end:
                break
        if not sink.reading or pos >= end:
            self._data, self._pos = b"", 0
            return False
        if frames == 0 and self._frame is None:
            self._pos = pos
            return True
        # A partial frame header: kept for the next read.
        self._pending = data[pos:]
        self._data, self._pos = b"", 0
        return False

    # --- a whole compressed message in one frame ---------------------------------------

    def _whole_message(self, data: bytes, pos: int, end: int) -> int:
        """Read a compressed message of one frame that is wholly in ``data`` at ``pos``
        (the frames the peer echoes in sections 12 and 13) in one go; return its size,
        or 0 (nothing done) when the frame is not one :meth:`_header` would pass without
        a violation, or is not whole, or the tester failed: the caller then reads it
        frame by frame.

        The header's first octet is FIN, RSV1 and opcode 1 or 2, and no message is
        being read; the checks :meth:`_header` and :meth:`_begin` make on it that are
        left are the masking (the tester is the client: RFC 6455 section 5.1), the
        minimal length (section 5.2) and the size limit. What follows is what
        :meth:`_begin`, :meth:`_end` and :meth:`_inflate` do for such a frame, in the
        same order and with the same reports, without the per-frame objects.
        """
        b1 = data[pos + 1]
        if b1 < 126:  # unmasked, 7-bit length
            start = pos + 2
            length = b1
        elif b1 == 126:
            start = pos + 4
            if end < start:
                return 0
            length = data[pos + 2] << 8 | data[pos + 3]
            if length < 126:
                return 0
        elif b1 == 127:
            start = pos + 10
            if end < start:
                return 0
            length = _UINT64.unpack_from(data, pos + 2)[0]
            if length < 65536 or length >= 1 << 63:
                return 0
        else:
            return 0
        stop = start + length
        sink = self._sink
        if stop > end or length > self._max or sink.failed:
            return 0
        opcode = data[pos] & 0x0F
        binary = opcode == BINARY
        self._unlogged = True
        # _begin: the message starts (kept: the tester has not failed).
        self._in_message = True
        self._opcode = opcode
        self._binary = binary
        self._compressed = True
        self._declared = length
        self._app_size = 0
        self._parts = []
        self._joined = None
        self._keep = True
        compressed = data if start == 0 and stop == end else data[start:stop]
        try:
            assert self._deflate is not None
            payload = self._deflate.decode_message(compressed, max_size=self._max)
        except PayloadTooBig:
            self._message_too_big()
            payload = b""
        except (ProtocolError, ValueError) as exc:
            self._decompression_failed(exc)
            payload = b""
        if not sink.reading:
            return stop - pos
        utf8 = None
        if not binary and not payload.isascii():
            # RFC 6455 section 8.1 (see _begin); ASCII is valid UTF-8 (_valid_utf8).
            utf8 = Utf8Validator()
            if not utf8.feed(payload) and sink.reading:
                self._invalid_utf8(utf8)
        self._utf8 = utf8
        size = len(payload)
        self._app_size = size
        if size > self._max and sink.reading:
            self._keep = False
            self._message_too_big()
        self._unlogged = False
        sink.frame_received(
            FrameInfo(opcode, True, RSV1, size, payload[:_HEAD_KEEP], None, length, size)
        )
        if not sink.reading:
            return stop - pos
        if self._keep and not sink.failed:
            self._keep_part(payload)
        self._end_message()
        return stop - pos

    # --- frame header -----------------------------------------------------------------

    def _header(self, data: bytes, pos: int, end: int) -> int:
        """Parse and check one frame header; return its size, or 0 when incomplete."""
        b0, b1 = data[pos], data[pos + 1]
        masked = b1 & 0x80 != 0
        len1 = b1 & 0x7F
        size = 2 + (2 if len1 == 126 else 8 if len1 == 127 else 0) + (4 if masked else 0)
        if end - pos < size:
            return 0
        fin = b0 & 0x80 != 0
        rsv = (b0 >> 4) & 0x7
        opcode = b0 & 0x0F
        sink = self._sink
        fail = sink.violation
        deflate = self._deflate is not None
        self._unlogged = True

        if rsv != 0 and not (deflate and rsv == RSV1):
            fail(PROTOCOL_ERROR, f"RSV = {rsv} and no extension negotiated")
        if self._server:
            if not masked and sink.reading:
                fail(PROTOCOL_ERROR, "unmasked client-to-server frame")
        elif masked and sink.reading:
            fail(PROTOCOL_ERROR, "masked server-to-client frame")
        if opcode > 7:
            if not fin and sink.reading:
                fail(PROTOCOL_ERROR, "fragmented control frame")
            if len1 > _MAX_CONTROL and sink.reading:
                fail(PROTOCOL_ERROR, "control frame with payload length > 125 octets")
            if opcode not in (8, 9, 10) and sink.reading:
                fail(PROTOCOL_ERROR, f"control frame using reserved opcode {opcode}")
            if opcode == 8 and len1 == 1 and sink.reading:
                fail(PROTOCOL_ERROR, "received close control frame with payload len 1")
            if deflate and rsv == RSV1 and sink.reading:
                fail(PROTOCOL_ERROR, "received compressed control frame")
        else:
            if opcode not in (0, 1, 2) and sink.reading:
                fail(PROTOCOL_ERROR, f"data frame using reserved opcode {opcode}")
            if not self._in_message and opcode == 0 and sink.reading:
                fail(PROTOCOL_ERROR, "received continuation data frame outside fragmented message")
            if self._in_message and opcode != 0 and sink.reading:
                fail(
                    PROTOCOL_ERROR,
                    "received non-continuation data frame while inside fragmented message",
                )
            if deflate and rsv == RSV1 and self._in_message and sink.reading:
                fail(PROTOCOL_ERROR, "received continuation data frame with compress bit set")

        i = pos + 2
        if len1 == 126:
            length = _UINT16.unpack_from(data, i)[0]
            i += 2
            if length < 126 and sink.reading:
                fail(PROTOCOL_ERROR, "invalid frame length (not using minimal length encoding)")
        elif len1 == 127:
            length = _UINT64.unpack_from(data, i)[0]
            i += 8
            if length >= 1 << 63 and sink.reading:
                fail(PROTOCOL_ERROR, "invalid frame length (>2^63)")
            if length < 65536 and sink.reading:
                fail(PROTOCOL_ERROR, "invalid frame length (not using minimal length encoding)")
        else:
            length = len1
        mask = bytes(data[i : i + 4]) if masked else None
        if sink.reading:
            self._begin(_Frame(opcode, fin, rsv, length, mask))
        return size

    def _begin(self, frame: _Frame) -> None:
        """A frame header was read: start the frame, and the message if it opens one."""
        self._frame = frame
        sink = self._sink
        if frame.opcode > 7:
            # Bound what a (rejected) oversize control frame can make the tester keep.
            if frame.length > self._max:
                sink.violation(TOO_BIG, f"frame exceeds payload limit of {self._max} octets")
            return
        if not self._in_message:
            self._in_message = True
            self._opcode = frame.opcode
            self._binary = frame.opcode == BINARY
            self._compressed = self._deflate is not None and frame.rsv == RSV1
            # RFC 6455 section 8.1: "When an endpoint is to interpret a byte stream as
            # UTF-8 but finds that the byte stream is not, in fact, a valid UTF-8 stream,
            # that endpoint MUST _Fail the WebSocket Connection_."
            self._utf8 = Utf8Validator() if frame.opcode == 1 else None
            self._declared = 0
            self._app_size = 0
            self._parts = []
            self._joined = None
        self._declared += frame.length
        self._keep = not sink.failed
        if self._compressed:
            # Compressed frames are buffered whole until they can be inflated.
            if frame.length > self._max:
                sink.violation(TOO_BIG, f"frame exceeds payload limit of {self._max} octets")
        elif self._keep and self._declared > self._max:
            self._keep = False
            self._message_too_big()

    # --- payload ----------------------------------------------------------------------

    def _compressed_payload(self, frame: _Frame, chunk: BytesLike) -> None:
        if frame.mask is not None:
            chunk = mask_stream(chunk, frame.mask, frame.received)
        frame.received += len(chunk)
        # Inflated whole at the frame's end; what is kept stays bounded.
        if frame.kept <= self._max:
            frame.chunks.append(chunk)
            frame.kept += len(chunk)

    def _payload(self, frame: _Frame, chunk: bytes) -> None:
        if frame.mask is not None:
            chunk = mask_stream(chunk, frame.mask, frame.received)
        frame.received += len(chunk)
        if frame.opcode > 7:
            # Control frames are small (compressed frames: _compressed_payload).
            if frame.kept <= self._max:
                frame.chunks.append(chunk)
                frame.kept += len(chunk)
            return
        utf8 = self._utf8
        if utf8 is not None and not _valid_utf8(utf8, chunk) and self._sink.reading:
            self._invalid_utf8(utf8)
        if self._keep and not self._sink.failed:
            frame.chunks.append(chunk)
        elif frame.kept < _HEAD_KEEP:
            frame.chunks.append(chunk[: _HEAD_KEEP - frame.kept])
            frame.kept += min(len(chunk), _HEAD_KEEP)

    # --- frame end --------------------------------------------------------------------

    def _end(self, frame: _Frame) -> None:
        sink = self._sink
        payload = b"".join(frame.chunks)
        if frame.opcode > 7:
            self._unlogged = False
            sink.frame_received(
                FrameInfo(
                    frame.opcode,
                    frame.fin,
                    frame.rsv,
                    frame.length,
                    payload[:_HEAD_KEEP],
                    frame.mask,
                )
            )
            if frame.opcode == 8:
                code = _UINT16.unpack_from(payload)[0] if len(payload) > 1 else None
                reason = payload[2:] if len(payload) > 2 else None
                sink.close_received(code, reason)
            elif frame.opcode == 9:
                sink.ping_received(payload)
            elif frame.opcode == 10:
                sink.pong_received(payload)
            # Other opcodes were already reported as violations.
            return

        wire_length = frame.length
        if self._compressed:
            payload = self._inflate(frame, payload)
            if not sink.reading:
                return
            utf8 = self._utf8
            if utf8 is not None and not _valid_utf8(utf8, payload) and sink.reading:
                self._invalid_utf8(utf8)
            self._app_size += len(payload)
            if self._app_size > self._max and self._keep and sink.reading:
                self._keep = False
                self._message_too_big()
        length = len(payload) if self._compressed or self._keep else frame.length
        app_length = len(payload) if self._compressed else wire_length
        head = payload[:_HEAD_KEEP]
        info = FrameInfo(
            frame.opcode, frame.fin, frame.rsv, length, head, frame.mask, wire_length, app_length
        )
        self._unlogged = False
        sink.frame_received(info)
        if not sink.reading:
            return
        if self._keep and not sink.failed:
            self._keep_part(payload)
        if frame.fin:
            self._end_message()

    def _end_message(self) -> None:
        """The last frame of a data message is read: the end-of-message UTF-8 check,
        then the message to the sink (unless the tester failed or dropped it)."""
        sink = self._sink
        self._in_message = False
        utf8 = self._utf8
        if utf8 is not None and not utf8.complete and sink.reading:
            sink.violation(
                INVALID_PAYLOAD,
                f"UTF-8 text message payload ended within Unicode code point at payload "
                f"octet index {utf8.consumed}",
            )
        if sink.reading and self._keep and not sink.failed:
            joined = self._joined
            message = b"".join(self._parts) if joined is None else bytes(joined)
            sink.message_received(message, self._binary)
        self._parts = []
        self._joined = None

    def _message_too_big(self) -> None:
        self._sink.violation(TOO_BIG, f"message exceeds payload limit of {self._max} octets")

    def _invalid_utf8(self, utf8: Utf8Validator) -> None:
        self._sink.violation(
            INVALID_PAYLOAD,
            f"encountered invalid UTF-8 while processing text message at payload "
            f"octet index {utf8.error_position}",
        )

    def _decompression_failed(self, exc: Exception) -> None:
        self._sink.violation(PROTOCOL_ERROR, f"decompression failed: {exc}")

    def _keep_part(self, payload: bytes) -> None:
        """Keep a frame's payload for its message, at a bounded cost per frame.

        A message of many small frames would cost an object per frame (some 40 bytes
        for one byte of data, so 2.5 GB for a 64 MiB message of 1-byte frames): past
        :data:`_PARTS_KEPT` frames the parts are joined into one growing buffer.
        """
        if self._joined is not None:
            self._joined += payload
        elif len(self._parts) < _PARTS_KEPT:
            if payload:
                self._parts.append(payload)
        else:
            self._joined = bytearray(b"".join(self._parts))
            self._joined += payload
            self._parts = []

    def _inflate(self, frame: _Frame, data: bytes) -> bytes:
        """Decompress one frame of a compressed message (RFC 7692 section 7.2.2)."""
        deflate = self._deflate
        assert deflate is not None
        try:
            # The RSV rules were checked on the header; the codec only needs to know
            # where the message starts and ends.
            opcode = Opcode(self._opcode) if frame.opcode != CONT else CONT
            first = frame.opcode != CONT
            remaining = max(self._max - self._app_size, 0)
            decoded = deflate.decode(
                Frame(opcode, data, fin=frame.fin, rsv1=first), max_size=remaining
            )
        except PayloadTooBig:
            self._message_too_big()
            return b""
        except (ProtocolError, ValueError) as exc:
            self._decompression_failed(exc)
            return b""
        return decoded.data


def _valid_utf8(utf8: Utf8Validator, data: bytes) -> bool:
    """Feed ``data`` to ``utf8``; :attr:`~Utf8Validator.valid` after it.

    ASCII after a complete code point is valid UTF-8 and leaves nothing pending (RFC
    3629 section 4: ``UTF8-1 = %x00-7F``): ``bytes.isascii`` checks it without decoding
    (the JSON text of 12.x and 13.x, echoed by the peer, is ASCII).
    """
    if utf8.complete and data.isascii():
        utf8.consumed += len(data)
        return True
    return utf8.feed(data)
