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

import os
import struct
import sys
import zlib

from wsconform.reference.protocol.extensions.codec import Compressor
from wsconform.reference.protocol.extensions.permessage_deflate import PerMessageDeflate
from wsconform.reference.protocol.frames import Frame, Opcode
from wsconform.reference.protocol.mask import BytesLike, apply_mask, mask_in_place, new_mask_key

try:
    import numpy as _np
except ImportError:  # pragma: no cover - numpy is a dependency of the harness
    _np = None  # type: ignore[assignment]

__all__ = ["MessageFrames", "RepeatCompressor", "encode_message"]

_FIN = 0x80
_RSV1 = 0x40
_MASK = 0x80
_CONT = 0x0
_UINT16 = struct.Struct("!H")
_UINT64 = struct.Struct("!Q")
#: Z_FULL_FLUSH, the same in zlib and zlib-ng: a sync flush that also empties the LZ77
#: window and the hash chains, so what follows is compressed as by a fresh compressor.
_FULL_FLUSH = zlib.Z_FULL_FLUSH
_TAIL = b"\x00\x00\xff\xff"
#: A key's place in a header built before its key is known.
_NO_KEY = bytes(4)

#: Runs of equal frames, in order: the opcode, the size on the wire and how many frames
#: in a row have both (for the statistics; a message of many fragments is three runs).
MessageFrames = list[tuple[int, int, int]]


def _fragments(length: int, size: int) -> list[tuple[int, int]]:
    """(start, end) of each fragment, as :func:`~wsconform.cases.model.fragment_payload`."""
    if size == 0 or length <= size:
        return [(0, length)]
    bounds = [(start, min(start + size, length)) for start in range(0, length, size)]
    if length % size == 0:
        bounds.append((length, length))
    return bounds


def _frame_size(length: int, key_size: int) -> int:
    extended = 0 if length < 126 else 2 if length < 0x10000 else 8
    return 2 + extended + key_size + length


def encode_message(
    opcode: int, data: BytesLike, *, fragment_size: int, rsv1: bool, masked: bool
) -> tuple[bytearray | bytes, MessageFrames]:
    """The wire bytes of a message whose payload (compressed or not) is ``data``.

    ``data`` is cut into fragments of ``fragment_size`` bytes (0: one frame); the first
    frame carries ``opcode`` and, when ``rsv1``, the RSV1 bit; the others are
    continuation frames; the last has FIN. Returns the bytes and the frames as runs of
    (opcode, wire size, count).

    Raises:
        ValueError: ``fragment_size`` is negative or ``opcode`` does not fit 4 bits.
    """
    if fragment_size < 0:
        raise ValueError(f"negative fragment size {fragment_size}")
    if not 0 <= opcode <= 0xF:
        raise ValueError(f"opcode {opcode} is not 4 bits")
    length = len(data)
    key_size = 4 if masked else 0
    if fragment_size == 0 or length <= fragment_size:
        size = _frame_size(length, key_size)
        if not masked:
            # Unmasked and whole: the header and the payload, joined once.
            return _header(opcode, True, rsv1, length, None) + data, [(opcode, size, 1)]
        # Masked and whole: the header and the masked payload, joined once (fewer
        # calls than masking the payload in place behind its header).
        key = new_mask_key()
        return _header(opcode, True, rsv1, length, key) + apply_mask(data, key), [(opcode, size, 1)]
    if _np is None:
        return _encode_frames(opcode, data, fragment_size, rsv1, masked)  # pragma: no cover
    return _encode_rows(opcode, data, fragment_size, rsv1, masked)


def _encode_rows(
    opcode: int, data: BytesLike, fragment_size: int, rsv1: bool, masked: bool
) -> tuple[bytearray, MessageFrames]:
    """:func:`encode_message` of a fragmented message, with numpy: the frames of
    ``fragment_size`` octets are the rows of one array (header, key and payload
    columns, each masked with its own key in one XOR), and the last frame (the rest of
    the payload, or empty when the fragment size divides it) follows them."""
    full, rest = divmod(len(data), fragment_size)
    key_size = 4 if masked else 0
    row = _frame_size(fragment_size, key_size)
    head_size = row - fragment_size
    tail_key = new_mask_key() if masked else None
    tail_head = _header(_CONT, True, False, rest, tail_key)
    tail = len(tail_head) + rest
    buffer = bytearray(full * row + tail)
    if masked and head_size == 8 and not fragment_size & 3:
        _fill_words(
            buffer, opcode, data, fragment_size=fragment_size, rsv1=rsv1, full=full, row=row
        )
    else:
        _fill_rows(
            buffer, opcode, data, fragment_size=fragment_size, rsv1=rsv1, masked=masked,
            full=full, row=row, head_size=head_size,
        )  # fmt: skip
    at = full * row
    buffer[at : at + len(tail_head)] = tail_head
    last = memoryview(data)[full * fragment_size :]
    buffer[at + len(tail_head) :] = last if tail_key is None else apply_mask(last, tail_key)
    frames: MessageFrames = [(opcode, row, 1)]
    if full > 1:
        frames.append((_CONT, row, full - 1))
    frames.append((_CONT, tail, 1))
    return buffer, frames


def _fill_words(
    buffer: bytearray, opcode: int, data: BytesLike, *, fragment_size: int, rsv1: bool,
    full: int, row: int,
) -> None:  # fmt: skip
    """The ``full`` masked frames of :func:`_encode_rows` with a 16-bit length (their
    header and key are two 32-bit words) as rows of 32-bit words: the header word,
    the key word, then the payload XORed with the key word in one broadcast operation
    (octet i of a payload is masked with octet i % 4 of its key, RFC 6455 section 5.3,
    and the payload starts on a word boundary)."""
    words = row >> 2
    rows = _np.frombuffer(buffer, _np.uint32, full * words).reshape(full, words)
    # The 4 octets of each header with the MASK bit, read as the words are stored.
    first = _header(opcode, False, rsv1, fragment_size, _NO_KEY)[:4]
    cont = _header(_CONT, False, False, fragment_size, _NO_KEY)[:4]
    rows[:, 0] = int.from_bytes(cont, sys.byteorder)
    rows[0, 0] = int.from_bytes(first, sys.byteorder)
    # RFC 6455 section 5.3: a fresh key for every frame, from the system's CSPRNG.
    keys = _np.frombuffer(os.urandom(4 * full), _np.uint32).reshape(full, 1)
    rows[:, 1:2] = keys
    payload = _np.frombuffer(data, _np.uint32, full * (words - 2)).reshape(full, words - 2)
    _np.bitwise_xor(payload, keys, out=rows[:, 2:])
    del rows, payload, keys  # release numpy's exports of the buffers


def _fill_rows(
    buffer: bytearray, opcode: int, data: BytesLike, *, fragment_size: int, rsv1: bool,
    masked: bool, full: int, row: int, head_size: int,
) -> None:  # fmt: skip
    """The ``full`` frames of :func:`_encode_rows` as rows of octets, any header size."""
    key_size = 4 if masked else 0
    rows = _np.frombuffer(buffer, _np.uint8, full * row).reshape(full, row)
    # The headers with the MASK bit as the frames have it; the keys are filled in below.
    dummy = bytes(key_size) if masked else None
    first = _header(opcode, False, rsv1, fragment_size, dummy)
    cont = _header(_CONT, False, False, fragment_size, dummy)
    rows[:, : len(cont)] = _np.frombuffer(cont, _np.uint8)
    rows[0, : len(first)] = _np.frombuffer(first, _np.uint8)
    payload = _np.frombuffer(data, _np.uint8, full * fragment_size).reshape(full, fragment_size)
    if masked:
        # RFC 6455 section 5.3: a fresh key for every frame, from the system's CSPRNG.
        keys = _np.frombuffer(os.urandom(4 * full), _np.uint8).reshape(full, 4)
        rows[:, head_size - 4 : head_size] = keys
        stream = _np.tile(keys, (1, (fragment_size + 3) >> 2))[:, :fragment_size]
        _np.bitwise_xor(payload, stream, out=rows[:, head_size:])
    else:
        rows[:, head_size:] = payload
    del rows, payload  # release numpy's exports of the buffers


def _encode_frames(
    opcode: int, data: BytesLike, fragment_size: int, rsv1: bool, masked: bool
) -> tuple[bytearray, MessageFrames]:
    """:func:`encode_message` of a fragmented message frame by frame (without numpy)."""
    bounds = _fragments(len(data), fragment_size)
    key_size = 4 if masked else 0
    sizes = [_frame_size(end - start, key_size) for start, end in bounds]
    buffer = bytearray(sum(sizes))
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
            frames.append((code, sizes[index], 1))
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
    starts every message with an empty LZ77 window, so a message equal to the previous
    one compresses to the same bytes: they are taken from the last message instead of
    being compressed again. With context takeover every message depends on the ones
    before it, and each is compressed by the codec. Checking costs a length comparison,
    or a byte comparison that stops at the first difference.

    Without context takeover one compressor serves every message: each ends with a full
    flush (``Z_FULL_FLUSH``), which ends the message on a byte boundary with the same
    empty stored block as a sync flush and also forgets the window, so the next message
    is compressed from an empty window as section 7.1.1 requires (with the output of a
    fresh compressor), without the cost of a new compressor per message. The empty
    message goes through the codec (a flush with no input in between yields nothing).
    """

    def __init__(self, deflate: PerMessageDeflate) -> None:
        self.deflate = deflate
        self._plain: BytesLike | None = None
        self._compressed = b""
        self._encoder: Compressor | None = None

    def compress(self, opcode: Opcode, payload: bytes) -> bytes:
        """The compressed payload of a whole message (RFC 7692 section 7.2.1)."""
        deflate = self.deflate
        if not deflate.local_no_context_takeover:
            return deflate.encode(Frame(opcode, payload)).data
        plain = self._plain
        if plain is not None and (plain is payload or plain == payload):
            return self._compressed
        if payload:
            encoder = self._encoder
            if encoder is None:
                encoder = self._encoder = self.deflate.new_encoder()
            head = encoder.compress(payload)
            tail = encoder.flush(_FULL_FLUSH)
            # Section 7.2.1: remove the 4 octets 0x00 0x00 0xff 0xff of the empty stored
            # block the flush ends with.
            assert tail.endswith(_TAIL)
            compressed = b"".join((head, memoryview(tail)[:-4])) if head else tail[:-4]
        else:
            compressed = deflate.encode(Frame(opcode, payload)).data
        self._plain, self._compressed = payload, compressed
        return compressed
