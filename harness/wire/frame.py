"""The permissive frame codec of the harness: build and read any frame, valid or not.

The strict codec (:mod:`wsconform.reference.protocol.frames`) refuses what RFC 6455
forbids. The harness needs the opposite: send reserved opcodes, RSV bits, unmasked
client frames, masked server frames, control payloads over 125 bytes, non-minimal or
false lengths, a 64-bit length with the top bit set; and read whatever a target sends
so that it can judge and log it itself.

* :meth:`WireFrame.encode` writes exactly the fields it is given and checks nothing but
  that each value fits its field.
* :class:`WireParser` reads any header and returns it field by field, raw header bytes
  included. The only input it refuses is a declared length over its bound, because the
  payload would have to be buffered (every buffer has a bound).
"""

from __future__ import annotations

import dataclasses
import enum
import struct
from typing import Final

from wsconform.reference.protocol.exceptions import PayloadTooBig
from wsconform.reference.protocol.frames import Frame
from wsconform.reference.protocol.mask import BytesLike, apply_mask, new_mask_key

__all__ = [
    "LENGTH_7",
    "LENGTH_16",
    "LENGTH_64",
    "LengthEncoding",
    "WireFrame",
    "WireParser",
]


class LengthEncoding(enum.IntEnum):
    """How the payload length is written (section 5.2), named by its width in bits.

    7: the length itself in the 7-bit field (0-125; 126 and 127 written this way are
    false headers with no extended length). 16: 126, then 16 bits. 64: 127, then 64 bits.
    """

    LENGTH_7 = 7
    LENGTH_16 = 16
    LENGTH_64 = 64


LENGTH_7, LENGTH_16, LENGTH_64 = (
    LengthEncoding.LENGTH_7,
    LengthEncoding.LENGTH_16,
    LengthEncoding.LENGTH_64,
)

_UINT16 = struct.Struct("!H")
_UINT64 = struct.Struct("!Q")
_MAX_FIELD: Final = {LENGTH_7: 0x7F, LENGTH_16: 0xFFFF, LENGTH_64: 0xFFFF_FFFF_FFFF_FFFF}


def _minimal(length: int) -> LengthEncoding:
    if length < 126:
        return LENGTH_7
    if length < 0x10000:
        return LENGTH_16
    return LENGTH_64


@dataclasses.dataclass(frozen=True, slots=True)
class WireFrame:
    """One frame exactly as it is (or will be) on the wire.

    Attributes:
        opcode: any 4-bit value, reserved ones included.
        payload: the application data, unmasked.
        fin: the FIN bit.
        rsv: the three RSV bits as a number, RSV1 = 4, RSV2 = 2, RSV3 = 1 (Autobahn's
            numbering: "RSV=1" is the RSV3 bit).
        masked: the MASK bit; when set the masking key follows the length and the
            payload is masked with it.
        mask_key: the 4-byte masking key; a fresh random one at each :meth:`encode`
            when ``masked`` and ``None``.
        length: the declared payload length, which may differ from ``len(payload)``
            (a false length); ``None`` for the true length.
        length_encoding: the length field's form; ``None`` for the minimal one, another
            value for a non-minimal encoding.
        header: for parsed frames, the header bytes as received (masking key included);
            ignored by :meth:`encode`.
    """

    opcode: int
    payload: bytes = b""
    fin: bool = True
    rsv: int = 0
    masked: bool = False
    mask_key: bytes | None = None
    length: int | None = None
    length_encoding: LengthEncoding | None = None
    header: bytes = b""

    @classmethod
    def from_frame(cls, frame: Frame, *, masked: bool, mask_key: bytes | None = None) -> WireFrame:
        """The wire form of a strict :class:`Frame`."""
        rsv = frame.rsv1 * 4 + frame.rsv2 * 2 + frame.rsv3
        return cls(int(frame.opcode), frame.data, frame.fin, rsv, masked, mask_key)

    @property
    def declared_length(self) -> int:
        """The length written in the header."""
        return len(self.payload) if self.length is None else self.length

    @property
    def encoding(self) -> LengthEncoding:
        """The length field's form that :meth:`encode` writes or the parser read."""
        if self.length_encoding is not None:
            return self.length_encoding
        return _minimal(self.declared_length)

    @property
    def minimal_length(self) -> bool:
        """Whether the length uses the minimal encoding, as section 5.2 requires."""
        return self.encoding is _minimal(self.declared_length)

    def encode(self) -> bytes:
        """Return the wire bytes; nothing is checked against RFC 6455.

        Raises:
            ValueError: a value does not fit its field: opcode over 15, rsv over 7, a
                masking key that is not 4 bytes, a length too large for its encoding.
        """
        if not 0 <= self.opcode <= 0xF:
            raise ValueError(f"opcode {self.opcode} does not fit in 4 bits")
        if not 0 <= self.rsv <= 7:
            raise ValueError(f"rsv {self.rsv} does not fit in 3 bits")
        length = self.declared_length
        encoding = self.encoding
        if not 0 <= length <= _MAX_FIELD[encoding]:
            raise ValueError(f"length {length} does not fit a {encoding}-bit length")
        head = bytearray(((self.fin << 7) | (self.rsv << 4) | self.opcode, self.masked << 7))
        if encoding is LENGTH_7:
            head[1] |= length
        elif encoding is LENGTH_16:
            head[1] |= 126
            head += _UINT16.pack(length)
        else:
            head[1] |= 127
            head += _UINT64.pack(length)
        if not self.masked:
            return bytes(head) + self.payload
        key = new_mask_key() if self.mask_key is None else self.mask_key
        if len(key) != 4:
            raise ValueError(f"a masking key has 4 bytes, not {len(key)}")
        return bytes(head) + key + apply_mask(self.payload, key)


class WireParser:
    """Incremental permissive parser: any opcode, RSV, masking and length encoding.

    Args:
        max_length: the largest declared payload length buffered; a frame declaring
            more raises :class:`PayloadTooBig` as soon as its header is complete.
    """

    __slots__ = ("_buffer", "_pos", "max_length")

    def __init__(self, *, max_length: int) -> None:
        self.max_length = max_length
        self._buffer = bytearray()
        self._pos = 0

    @property
    def buffered(self) -> int:
        """Bytes received and not yet returned as frames."""
        return len(self._buffer) - self._pos

    def feed(self, data: BytesLike) -> None:
        """Append ``data`` to the input."""
        if self._pos:
            del self._buffer[: self._pos]
            self._pos = 0
        self._buffer += data

    def next_frame(self) -> WireFrame | None:
        """Return the next complete frame, or ``None`` until more bytes arrive.

        Raises:
            PayloadTooBig: the header declares a payload over ``max_length``; the parser
                cannot go on.
        """
        buffer = self._buffer
        pos = self._pos
        available = len(buffer) - pos
        if available < 2:
            return None
        head, second = buffer[pos], buffer[pos + 1]
        masked = bool(second & 0x80)
        length = second & 0x7F
        size = 2
        encoding = LENGTH_7
        if length == 126:
            size, encoding = 4, LENGTH_16
            if available < size:
                return None
            (length,) = _UINT16.unpack_from(buffer, pos + 2)
        elif length == 127:
            size, encoding = 10, LENGTH_64
            if available < size:
                return None
            (length,) = _UINT64.unpack_from(buffer, pos + 2)
        if length > self.max_length:
            raise PayloadTooBig(
                f"frame declares {length} bytes, over the bound of {self.max_length}"
            )
        key = None
        if masked:
            if available < size + 4:
                return None
            key = bytes(buffer[pos + size : pos + size + 4])
            size += 4
        end = pos + size + length
        if len(buffer) < end:
            return None
        payload_view = memoryview(buffer)[pos + size : end]
        with payload_view:
            payload = bytes(payload_view) if key is None else apply_mask(payload_view, key)
        header = bytes(buffer[pos : pos + size])
        self._pos = end
        return WireFrame(
            opcode=head & 0x0F,
            payload=payload,
            fin=bool(head & 0x80),
            rsv=(head >> 4) & 0x07,
            masked=masked,
            mask_key=key,
            length=length,
            length_encoding=encoding,
            header=header,
        )

    def frames(self) -> list[WireFrame]:
        """Return every complete frame buffered so far.

        Raises:
            PayloadTooBig: see :meth:`next_frame`.
        """
        result = []
        while (frame := self.next_frame()) is not None:
            result.append(frame)
        return result
