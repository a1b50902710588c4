"""Strict WebSocket frames (RFC 6455 section 5.2).

Parsing, serializing and checking are separate steps, so that callers can parse a frame
they will reject and still report what it was:

* :class:`Parser` reads frames from a byte stream split anywhere. It rejects what a
  :class:`Frame` cannot represent or what must be refused before the payload is
  buffered: reserved opcodes, non-minimal or out-of-range lengths, wrong masking for the
  direction, control payloads over 125 bytes, payloads over the size limit.
* :func:`check` applies the rules a parsed or built :class:`Frame` must obey: RSV bits only
  when a negotiated extension uses them, control frames unfragmented and short.
* :func:`serialize` writes any :class:`Frame` as it is, masked or not; it does not check.

The permissive codec that can also build and read invalid frames is
:mod:`wsconform.harness.wire.frame`.

INTERFACE FILE: :class:`Opcode` and :class:`Frame` are shared by every module of the core.
"""

from __future__ import annotations

import dataclasses
import enum
import io
import struct
from collections.abc import Collection
from typing import Final

from .exceptions import PayloadTooBig, ProtocolError
from .mask import (
    IN_PLACE_THRESHOLD,
    NUMPY_THRESHOLD,
    BytesLike,
    apply_mask,
    mask_in_place,
    new_mask_key,
)

__all__ = [
    "BINARY",
    "CLOSE",
    "CONT",
    "CTRL_OPCODES",
    "DATA_OPCODES",
    "MAX_CONTROL_PAYLOAD",
    "PING",
    "PONG",
    "TEXT",
    "Frame",
    "Opcode",
    "Parser",
    "check",
    "new_frame",
    "parse",
    "serialize",
    "with_data",
]


class Opcode(enum.IntEnum):
    """Opcode values of RFC 6455 section 5.2 (the reserved ones are not members)."""

    CONT = 0x0
    TEXT = 0x1
    BINARY = 0x2
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA


CONT, TEXT, BINARY = Opcode.CONT, Opcode.TEXT, Opcode.BINARY
CLOSE, PING, PONG = Opcode.CLOSE, Opcode.PING, Opcode.PONG

DATA_OPCODES = frozenset({CONT, TEXT, BINARY})
CTRL_OPCODES = frozenset({CLOSE, PING, PONG})

#: RFC 6455 section 5.5: "All control frames MUST have a payload length of 125 bytes or
#: less and MUST NOT be fragmented."
MAX_CONTROL_PAYLOAD: Final = 125


@dataclasses.dataclass(frozen=True, slots=True)
class Frame:
    """A valid-shaped frame: a known opcode and its unmasked payload.

    Masking is a property of the wire, not of the frame: :func:`serialize` applies it.
    """

    opcode: Opcode
    data: bytes
    fin: bool = True
    rsv1: bool = False
    rsv2: bool = False
    rsv3: bool = False

    def __str__(self) -> str:
        """A one-line description for logs, such as ``TEXT 'hello' [5 bytes]``."""
        flags = "fin=0 " if not self.fin else ""
        if self.rsv1 or self.rsv2 or self.rsv3:
            flags += f"rsv={self.rsv1 * 4 + self.rsv2 * 2 + self.rsv3} "
        return f"{self.opcode.name} {flags}{_preview(self)} [{len(self.data)} bytes]"


def _preview(frame: Frame, limit: int = 75) -> str:
    """The start of the payload: text when it decodes, else hexadecimal."""
    data = frame.data
    if frame.opcode is CLOSE and len(data) >= 2:
        code = int.from_bytes(data[:2], "big")
        return f"{code} {data[2:limit]!r}"
    if frame.opcode is not BINARY:
        try:
            text = data[:limit].decode()
        except UnicodeDecodeError:
            pass
        else:
            return repr(text) + ("..." if len(data) > limit else "")
    shown = data[: limit // 3].hex(" ")
    return shown + (" ..." if len(data) > limit // 3 else "")


# --- header layout (RFC 6455 section 5.2) ---------------------------------------------

_FIN: Final = 0x80
_RSV1: Final = 0x40
_RSV2: Final = 0x20
_RSV3: Final = 0x10
_OPCODE: Final = 0x0F
_MASK: Final = 0x80
_LENGTH: Final = 0x7F
_CONTROL: Final = 0x08  # opcodes 0x8-0xF are control opcodes (section 5.5)

_OPCODES: Final[dict[int, Opcode]] = {opcode.value: opcode for opcode in Opcode}

_HEAD = struct.Struct("!BB")
_HEAD16 = struct.Struct("!BBH")
_HEAD64 = struct.Struct("!BBQ")
_UINT16 = struct.Struct("!H")
_UINT64 = struct.Struct("!Q")

# Building a frozen dataclass goes through object.__setattr__ once per field, which costs
# more than parsing the header. The parser sets the slots through their descriptors,
# which is what object.__setattr__ ends up doing, at about half the cost.
_new_frame = object.__new__
_FIELDS = Frame.__dict__  # the slots' member descriptors
_set_opcode = _FIELDS["opcode"].__set__
_set_data = _FIELDS["data"].__set__
_set_fin = _FIELDS["fin"].__set__
_set_rsv1 = _FIELDS["rsv1"].__set__
_set_rsv2 = _FIELDS["rsv2"].__set__
_set_rsv3 = _FIELDS["rsv3"].__set__


def new_frame(opcode: Opcode, data: bytes, fin: bool = True, rsv1: bool = False) -> Frame:
    """Return ``Frame(opcode, data, fin, rsv1)``, at about half the constructor's cost.

    For the connection's hot paths, which build one frame per message sent.
    """
    frame: Frame = _new_frame(Frame)
    _set_opcode(frame, opcode)
    _set_data(frame, data)
    _set_fin(frame, fin)
    _set_rsv1(frame, rsv1)
    _set_rsv2(frame, False)
    _set_rsv3(frame, False)
    return frame


def with_data(frame: Frame, data: bytes, rsv1: bool) -> Frame:
    """Return ``dataclasses.replace(frame, data=data, rsv1=rsv1)``, about 5x faster.

    What an extension's ``encode`` and ``decode`` do to each frame (permessage-deflate
    sets or clears RSV1 and swaps the payload).
    """
    new: Frame = _new_frame(Frame)
    _set_opcode(new, frame.opcode)
    _set_data(new, data)
    _set_fin(new, frame.fin)
    _set_rsv1(new, rsv1)
    _set_rsv2(new, frame.rsv2)
    _set_rsv3(new, frame.rsv3)
    return new


def _build(opcode: Opcode, data: bytes, head: int) -> Frame:
    """Return ``Frame(opcode, data, fin, rsv1, rsv2, rsv3)`` with the bits of ``head``."""
    frame: Frame = _new_frame(Frame)
    _set_opcode(frame, opcode)
    _set_data(frame, data)
    _set_fin(frame, head & _FIN != 0)
    _set_rsv1(frame, head & _RSV1 != 0)
    _set_rsv2(frame, head & _RSV2 != 0)
    _set_rsv3(frame, head & _RSV3 != 0)
    return frame


# --- serialize ------------------------------------------------------------------------


def serialize(frame: Frame, mask: bool, mask_key: bytes | None = None) -> bytes:
    """Return the wire bytes of ``frame``, masked when ``mask`` is true.

    The length uses the minimal encoding (section 5.2: "the minimal number of bytes MUST
    be used to encode the length"). Nothing is checked: call :func:`check` first.

    Args:
        frame: the frame to write.
        mask: whether to mask the payload; a client masks every frame (section 5.3).
        mask_key: the masking key; a fresh one from :func:`new_mask_key` when ``None``.

    Raises:
        ValueError: ``mask_key`` is not 4 bytes long.
    """
    data = frame.data
    length = len(data)
    head = frame.opcode | (_FIN if frame.fin else 0)
    if frame.rsv1 or frame.rsv2 or frame.rsv3:
        head |= (_RSV1 if frame.rsv1 else 0) | (_RSV2 if frame.rsv2 else 0)
        head |= _RSV3 if frame.rsv3 else 0
    second = _MASK if mask else 0
    if length < 126:
        header = _HEAD.pack(head, second | length)
    elif length < 0x10000:
        header = _HEAD16.pack(head, second | 126, length)
    else:
        header = _HEAD64.pack(head, second | 127, length)
    if not mask:
        return header + data
    if mask_key is None:
        mask_key = new_mask_key()
    elif len(mask_key) != 4:
        raise ValueError(f"a masking key has 4 bytes, not {len(mask_key)}")
    if length < IN_PLACE_THRESHOLD:
        return header + mask_key + apply_mask(data, mask_key)
    # Mask in the output buffer itself: one allocation of the frame's size, and
    # getvalue() returns that buffer without a copy.
    out = io.BytesIO()
    out.write(header)
    out.write(mask_key)
    start = out.tell()
    out.write(data)
    with out.getbuffer() as view:
        mask_in_place(view, mask_key, start)
    return out.getvalue()


# --- check ----------------------------------------------------------------------------


def check(frame: Frame, allowed_rsv: Collection[int] = ()) -> None:
    """Check the rules of section 5 that a well-shaped frame must obey.

    Args:
        frame: the frame to check.
        allowed_rsv: the numbers (1, 2, 3) of the RSV bits that negotiated extensions use
            (:attr:`Extension.rsv_bits`).

    Raises:
        ProtocolError: an RSV bit no extension uses is set, or a control frame is
            fragmented or longer than 125 bytes.
    """
    # Section 5.2: "MUST be 0 unless an extension is negotiated that defines meanings for
    # non-zero values. If a nonzero value is received and none of the negotiated
    # extensions defines the meaning of such a nonzero value, the receiving endpoint MUST
    # _Fail the WebSocket Connection_."
    if frame.rsv1 and 1 not in allowed_rsv:
        raise ProtocolError("reserved bit RSV1 set without an extension that uses it")
    if frame.rsv2 and 2 not in allowed_rsv:
        raise ProtocolError("reserved bit RSV2 set without an extension that uses it")
    if frame.rsv3 and 3 not in allowed_rsv:
        raise ProtocolError("reserved bit RSV3 set without an extension that uses it")
    if frame.opcode & _CONTROL:
        # Section 5.5: "All control frames MUST have a payload length of 125 bytes or
        # less and MUST NOT be fragmented."
        if not frame.fin:
            raise ProtocolError(f"fragmented control frame ({frame.opcode.name})")
        if len(frame.data) > MAX_CONTROL_PAYLOAD:
            raise ProtocolError(
                f"control frame ({frame.opcode.name}) payload of {len(frame.data)} bytes"
                f" exceeds {MAX_CONTROL_PAYLOAD}"
            )


# --- parse ----------------------------------------------------------------------------


class Parser:
    """Incremental strict frame parser for one direction of a connection.

    Feed bytes as they arrive with :meth:`feed`, take frames with :meth:`next_frame` until
    it returns ``None``. The input may be split anywhere, including inside the header and
    the masking key. The payload of a frame is buffered only after its header passed the
    checks, so the buffer holds at most one frame of at most ``max_size`` bytes plus
    what the peer sent after it.

    After :meth:`next_frame` raised, the parser is broken: the connection must be failed
    and the rest of the input discarded.

    Args:
        mask: ``True`` when frames must arrive masked (a server reading a client),
            ``False`` when they must arrive unmasked (a client reading a server).
    """

    __slots__ = ("_buffer", "_pos", "mask")

    def __init__(self, *, mask: bool) -> None:
        self.mask = mask
        # Either the last bytes object fed (no copy while frames arrive whole) or a
        # bytearray that accumulates partial input; _pos is where the next frame starts.
        self._buffer: bytes | bytearray = b""
        self._pos = 0

    @property
    def buffered(self) -> int:
        """Bytes received and not yet returned as frames."""
        return len(self._buffer) - self._pos

    def feed(self, data: BytesLike) -> None:
        """Append ``data`` to the input."""
        buffer = self._buffer
        if self._pos == len(buffer):
            # Nothing pending: parse straight from the caller's bytes.
            self._buffer = data if isinstance(data, bytes) else bytes(data)
            self._pos = 0
        elif isinstance(buffer, bytearray):
            # Drop what was parsed, so that the buffer stays bounded on a stream that
            # never drains (bytearray deletes from the front in constant time).
            del buffer[: self._pos]
            self._pos = 0
            buffer += data
        else:
            self._buffer = buffer = bytearray(memoryview(buffer)[self._pos :])
            self._pos = 0
            buffer += data

    def next_frame(self, max_size: int | None = None) -> Frame | None:
        """Return the next complete frame, or ``None`` until more bytes arrive.

        Args:
            max_size: the largest payload accepted for a data frame, checked from the
                header before the payload is buffered; ``None`` for no limit.

        Raises:
            ProtocolError: a reserved opcode, wrong masking, a non-minimal length, a
                64-bit length with the most significant bit set, or a control frame
                longer than 125 bytes.
            PayloadTooBig: a data frame longer than ``max_size``.
        """
        buffer = self._buffer
        pos = self._pos
        available = len(buffer) - pos
        if available < 2:
            return None
        head = buffer[pos]
        second = buffer[pos + 1]
        opcode = _OPCODES.get(head & _OPCODE)
        if opcode is None:
            # Section 5.2: "If an unknown opcode is received, the receiving endpoint MUST
            # _Fail the WebSocket Connection_."
            raise ProtocolError(f"reserved opcode {head & _OPCODE:#x}")
        if (second & _MASK != 0) is not self.mask:
            # Section 5.1: "The server MUST close the connection upon receiving a frame
            # that is not masked." and "A client MUST close a connection if it detects a
            # masked frame."
            if self.mask:
                raise ProtocolError("unmasked frame from a client")
            raise ProtocolError("masked frame from a server")
        length = second & _LENGTH
        if head & _CONTROL and length > MAX_CONTROL_PAYLOAD:
            raise ProtocolError(
                f"control frame ({opcode.name}) with a payload length over"
                f" {MAX_CONTROL_PAYLOAD} (length code {length})"
            )
        start = pos + 2
        if length == 126:
            if available < 4:
                return None
            (length,) = _UINT16.unpack_from(buffer, start)
            start += 2
            if length < 126:
                raise ProtocolError(f"non-minimal 16-bit length {length}")
        elif length == 127:
            if available < 10:
                return None
            (length,) = _UINT64.unpack_from(buffer, start)
            start += 8
            # Section 5.2: "the most significant bit MUST be 0".
            if length >> 63:
                raise ProtocolError(f"64-bit length {length:#x} with the top bit set")
            if length < 0x10000:
                raise ProtocolError(f"non-minimal 64-bit length {length}")
        # Control frames are bounded by the 125-byte rule, not by the message limit.
        if max_size is not None and length > max_size and not head & _CONTROL:
            raise PayloadTooBig(f"frame of {length} bytes exceeds the limit of {max_size}")
        if self.mask:
            end = start + 4 + length
            if len(buffer) < end:
                return None
            if length < NUMPY_THRESHOLD:
                # apply_mask's plain-Python branch, inlined: two calls less per frame.
                if length:
                    key = buffer[start : start + 4] * ((length + 3) >> 2)
                    data = (
                        int.from_bytes(buffer[start + 4 : end], "little")
                        ^ int.from_bytes(key[:length], "little")
                    ).to_bytes(length, "little")
                else:
                    data = b""
            else:
                key = bytes(buffer[start : start + 4])
                data = apply_mask(memoryview(buffer)[start + 4 : end], key)
        else:
            end = start + length
            if len(buffer) < end:
                return None
            if isinstance(buffer, bytes):
                data = buffer[start:end]
            else:
                data = bytes(memoryview(buffer)[start:end])
        if end == len(buffer):
            self._buffer = b""
            self._pos = 0
        else:
            self._pos = end
        return _build(opcode, data, head)

    def pending_length(self) -> int | None:
        """The payload length declared by the next frame's header, once it is complete."""
        buffer = self._buffer
        pos = self._pos
        available = len(buffer) - pos
        if available < 2:
            return None
        length = buffer[pos + 1] & _LENGTH
        if length == 126:
            return _UINT16.unpack_from(buffer, pos + 2)[0] if available >= 4 else None
        if length == 127:
            return _UINT64.unpack_from(buffer, pos + 2)[0] if available >= 10 else None
        return length

    def partial_head(self) -> int | None:
        """The first header byte (FIN, RSV, opcode) of the frame being received.

        ``None`` when no byte of it is buffered. Cheap: lets the connection skip
        :meth:`peek_partial` (which unmasks) for frames it has no use to look into.
        """
        buffer = self._buffer
        return buffer[self._pos] if len(buffer) > self._pos else None

    def peek_partial(self, offset: int) -> tuple[int, bytes] | None:
        """Look into the frame being received before it is complete.

        Call it after :meth:`next_frame` returned ``None``, which means the header, if
        complete, passed its checks. Returns the first header byte (FIN, RSV, opcode)
        and the unmasked payload bytes received so far past ``offset``; ``None`` when
        the header itself is incomplete. It lets the connection validate the UTF-8 of
        a text frame while its payload arrives (Autobahn 6.4.3: fail fast).
        """
        buffer = self._buffer
        pos = self._pos
        available = len(buffer) - pos
        if available < 2:
            return None
        length = buffer[pos + 1] & _LENGTH
        start = pos + (2 if length < 126 else 4 if length == 126 else 10)
        if self.mask:
            start += 4
        if len(buffer) < start:
            return None
        begin = start + offset
        if len(buffer) <= begin:
            return buffer[pos], b""
        view = memoryview(buffer)[begin:]
        with view:
            if not self.mask:
                return buffer[pos], bytes(view)
            # Payload octet i is masked with key[i % 4], and this chunk starts at octet
            # ``offset``.
            key = bytes(buffer[start - 4 : start])
            shift = offset & 3
            return buffer[pos], apply_mask(view, key[shift:] + key[:shift])

    def frames(self, max_size: int | None = None) -> list[Frame]:
        """Return every complete frame buffered so far.

        Raises:
            ProtocolError: see :meth:`next_frame`.
            PayloadTooBig: see :meth:`next_frame`.
        """
        result = []
        while (frame := self.next_frame(max_size)) is not None:
            result.append(frame)
        return result


def parse(data: BytesLike, *, mask: bool, max_size: int | None = None) -> Frame:
    """Parse exactly one frame from ``data``.

    Args:
        data: the wire bytes of one frame, nothing more.
        mask: whether the frame must be masked (see :class:`Parser`).
        max_size: see :meth:`Parser.next_frame`.

    Raises:
        ProtocolError: ``data`` is not exactly one frame, or see :meth:`Parser.next_frame`.
        PayloadTooBig: see :meth:`Parser.next_frame`.
    """
    parser = Parser(mask=mask)
    parser.feed(data)
    frame = parser.next_frame(max_size)
    if frame is None:
        raise ProtocolError(f"incomplete frame ({len(data)} bytes)")
    if parser.buffered:
        raise ProtocolError(f"{parser.buffered} bytes after the frame")
    return frame
