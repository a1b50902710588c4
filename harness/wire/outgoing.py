"""The wire bytes of one whole data message, built with one copy of its payload.

Sections 12 and 13 send about 10 GB in some 6 million frames (docs/autobahn.md section
6.6), so the tester's sending path is part of what a run costs. Built frame by frame,
each fragment of a message is sliced out of the (compressed) payload, masked into a new
object, prefixed with its header into another, and the frames are then joined for the
burst: three or four copies of every byte. :func:`encode_message` instead sizes the
message's frames first, allocates one buffer for all of them, copies each fragment's
payload into its place once and masks it there. The bytes are the same as those of
:func:`wsconform.reference.protocol.frames.serialize` frame by frame: the minimal length
encoding (RFC 6455 section 5.2), a fresh masking key per frame in the client role
(section 5.3), the opcode and RSV1 on the first frame only (RFC 7692 section 6), and the
fragments :func:`wsconform.cases.model.fragment_payload` cuts (an empty last one when
the fragment size divides the payload). :class:`RepeatCompressor` compresses a message
that repeats the previous one only once, where RFC 7692 makes the result identical.
"""

from __future__ import annotations

import struct

from wsconform.reference.protocol.extensions.permessage_deflate import PerMessageDeflate
from wsconform.reference.protocol.frames import Frame, Opcode
from wsconform.reference.protocol.mask import BytesLike, mask_in_place, new_mask_key

__all__ = ["MessageFrames", "RepeatCompressor", "encode_message"]

_FIN = 0x80
_RSV1 = 0x40
_MASK = 0x80
_CONT = 0x0
_UINT16 = struct.Struct("!H")
_UINT64 = struct.Struct("!Q")

#: The opcode of each frame and its size on the wire, in order (for the statistics).
MessageFrames = list[tuple[int, int]]


def _fragments(length: int, size: int) -> list[tuple[int, int]]:
    """(start, end) of each fragment, as :func:`~wsconform.cases.model.fragment_payload`."""
    if size == 0 or length <= size:
        return [(0, length)]
    bounds = [(start, min(start + size, length)) for start in range(0, length, size)]
    if length % size == 0:
        bounds.append((length, length))
    return bounds


def encode_message(
    opcode: int, data: BytesLike, *, fragment_size: int, rsv1: bool, masked: bool
) -> tuple[bytearray | bytes, MessageFrames]:
    """The wire bytes of a message whose payload (compressed or not) is ``data``.

    ``data`` is cut into fragments of ``fragment_size`` bytes (0: one frame); the first
    frame carries ``opcode`` and, when ``rsv1``, the RSV1 bit; the others are
    continuation frames; the last has FIN. Returns the bytes and, per frame, its opcode
    and wire size.

    Raises:
        ValueError: ``fragment_size`` is negative or ``opcode`` does not fit 4 bits.
    """
    if fragment_size < 0:
        raise ValueError(f"negative fragment size {fragment_size}")
    if not 0 <= opcode <= 0xF:
        raise ValueError(f"opcode {opcode} is not 4 bits")
    bounds = _fragments(len(data), fragment_size)
    key_size = 4 if masked else 0
    sizes: list[int] = []
    total = 0
    for start, end in bounds:
        length = end - start
        extended = 0 if length < 126 else 2 if length < 0x10000 else 8
        size = 2 + extended + key_size + length
        sizes.append(size)
        total += size
    if not masked and len(bounds) == 1:
        # Unmasked and whole: the header and the payload, joined once.
        return _header(opcode, True, rsv1, len(data), None) + data, [(opcode, total)]
    buffer = bytearray(total)
    view = memoryview(buffer)
    source = memoryview(data)
    frames: MessageFrames = []
    pos = 0
    last = len(bounds) - 1
    with view, source:
        for index, (start, end) in enumerate(bounds):
            code = opcode if index == 0 else _CONT
            key = new_mask_key() if masked else None
            head = _header(code, index == last, rsv1 and index == 0, end - start, key)
            view[pos : pos + len(head)] = head
            payload_at = pos + len(head)
            view[payload_at : payload_at + end - start] = source[start:end]
            if key is not None and end > start:
                mask_in_place(view, key, payload_at, payload_at + end - start)
            pos += sizes[index]
            frames.append((code, sizes[index]))
    return buffer, frames


def _header(opcode: int, fin: bool, rsv1: bool, length: int, key: bytes | None) -> bytes:
    first = opcode | (_FIN if fin else 0) | (_RSV1 if rsv1 else 0)
    second = _MASK if key is not None else 0
    if length < 126:
        head = bytes((first, second | length))
    elif length < 0x10000:
        head = bytes((first, second | 126)) + _UINT16.pack(length)
    else:
        head = bytes((first, second | 127)) + _UINT64.pack(length)
    return head + key if key is not None else head


class RepeatCompressor:
    """Compresses the tester's messages, each repeated message only once.

    RFC 7692 section 7.1.1: with no context takeover on the sending side the compressor
    starts every message with an empty LZ77 window (:class:`PerMessageDeflate` makes a
    fresh compressor after each message), so a message equal to the previous one
    compresses to the same bytes: they are taken from the last message instead of being
    compressed again. With context takeover every message depends on the ones before
    it, and each is compressed. Checking costs a length comparison, or a byte comparison
    that stops at the first difference.
    """

    def __init__(self, deflate: PerMessageDeflate) -> None:
        self.deflate = deflate
        self._plain: BytesLike | None = None
        self._compressed = b""

    def compress(self, opcode: Opcode, payload: bytes) -> bytes:
        """The compressed payload of a whole message (RFC 7692 section 7.2.1)."""
        deflate = self.deflate
        if not deflate.local_no_context_takeover:
            return deflate.encode(Frame(opcode, payload)).data
        plain = self._plain
        if plain is not None and (plain is payload or plain == payload):
            return self._compressed
        compressed = deflate.encode(Frame(opcode, payload)).data
        self._plain, self._compressed = payload, compressed
        return compressed
