"""Hypothesis strategies for frames, messages and byte streams, shared by every test.

They mirror the frame models and shrink well: each draws a valid object first, and each
deviation from the simplest case sits behind a boolean or a choice the shrinker can
undo, so a failing example shrinks to a short unmasked binary frame.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from wsconform.harness.wire.frame import LengthEncoding, WireFrame
from wsconform.reference.protocol.close import Close
from wsconform.reference.protocol.frames import (
    BINARY,
    CLOSE,
    CONT,
    PING,
    PONG,
    TEXT,
    Frame,
    Opcode,
)

__all__ = [
    "BOUNDARY_SIZES",
    "chunkings",
    "close_codes",
    "closes",
    "control_frames",
    "data_frames",
    "fragmented_messages",
    "frames",
    "mask_keys",
    "payloads",
    "texts",
    "utf8_fragments",
    "wire_frames",
]

#: Payload sizes at the edges of the three length encodings (RFC 6455 section 5.2).
BOUNDARY_SIZES = (125, 126, 127, 65535, 65536, 65537)

_VALID_CODES = (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014)


def mask_keys() -> st.SearchStrategy[bytes]:
    """4-byte masking keys."""
    return st.binary(min_size=4, max_size=4)


@st.composite
def payloads(draw: st.DrawFn, max_size: int = 70_000) -> bytes:
    """Binary payloads, mostly short, sometimes at or past a length encoding boundary.

    A large payload repeats a short drawn pattern, so that Hypothesis does not have to
    generate (or shrink) tens of kilobytes byte by byte.
    """
    if max_size > 125 and draw(st.booleans()):
        sizes = [size for size in BOUNDARY_SIZES if size <= max_size]
        size = draw(st.sampled_from(sizes) | st.integers(126, max_size))
        pattern = draw(st.binary(min_size=1, max_size=8))
        return (pattern * (size // len(pattern) + 1))[:size]
    return draw(st.binary(max_size=min(max_size, 125)))


@st.composite
def texts(draw: st.DrawFn, max_size: int = 300) -> bytes:
    """UTF-8 encoded text with code points of every length (1 to 4 bytes)."""
    text = draw(st.text(st.characters(codec="utf-8"), max_size=max_size))
    return text.encode()


@st.composite
def data_frames(draw: st.DrawFn, max_size: int = 70_000) -> Frame:
    """Valid data frames: TEXT, BINARY or CONT, any FIN, no RSV bit."""
    opcode = draw(st.sampled_from([BINARY, TEXT, CONT]))
    fin = not draw(st.booleans())
    return Frame(opcode, draw(payloads(max_size)), fin)


@st.composite
def control_frames(draw: st.DrawFn) -> Frame:
    """Valid control frames: PING, PONG or CLOSE with a valid body, at most 125 bytes."""
    opcode = draw(st.sampled_from([PING, PONG, CLOSE]))
    if opcode is CLOSE:
        return Frame(CLOSE, draw(closes()).serialize())
    return Frame(opcode, draw(st.binary(max_size=125)))


def frames(max_size: int = 70_000) -> st.SearchStrategy[Frame]:
    """Any valid frame (data or control), as :func:`frames.check` accepts it."""
    return data_frames(max_size) | control_frames()


def close_codes() -> st.SearchStrategy[int]:
    """Close codes valid on the wire (RFC 6455 section 7.4 and the IANA registry)."""
    return st.sampled_from(_VALID_CODES) | st.integers(3000, 4999)


@st.composite
def closes(draw: st.DrawFn) -> Close:
    """Valid close bodies: empty (1005), or a valid code and a reason of <= 123 bytes."""
    if not draw(st.booleans()):
        return Close(1005, "")
    code = draw(close_codes())
    reason = draw(st.text(st.characters(codec="utf-8"), max_size=30))
    while len(reason.encode()) > 123:
        reason = reason[:-1]
    return Close(code, reason)


@st.composite
def fragmented_messages(draw: st.DrawFn, max_fragments: int = 6) -> list[Frame]:
    """The frames of one valid message, split anywhere, with control frames between.

    The text of a TEXT message is split at arbitrary byte offsets, inside code points
    too. Interleaved controls are pings and pongs (a close would end the message).
    """
    opcode = draw(st.sampled_from([BINARY, TEXT]))
    data = draw(texts() if opcode is TEXT else st.binary(max_size=300))
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=max_fragments - 1)))
    pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    result: list[Frame] = []
    for index, piece in enumerate(pieces):
        if index and draw(st.booleans()):
            result.append(Frame(draw(st.sampled_from([PING, PONG])), draw(st.binary(max_size=8))))
        result.append(Frame(CONT if index else opcode, piece, index == len(pieces) - 1))
    return result


@st.composite
def utf8_fragments(draw: st.DrawFn) -> list[bytes]:
    """Byte strings, mostly near-valid UTF-8, split at arbitrary offsets."""
    if draw(st.booleans()):
        return draw(chunkings(draw(st.binary(max_size=60))))
    text = bytearray(draw(texts(max_size=40)))
    # Damage it, or not: the shrinker turns the damage off.
    if text and draw(st.booleans()):
        index = draw(st.integers(0, len(text) - 1))
        text[index] = draw(st.integers(0x80, 0xFF))
    return draw(chunkings(bytes(text)))


@st.composite
def chunkings(draw: st.DrawFn, data: bytes, max_chunks: int = 12) -> list[bytes]:
    """``data`` split at arbitrary offsets: the chunks concatenate to ``data``."""
    if len(data) < 2:
        return [data]
    cuts = sorted(set(draw(st.lists(st.integers(1, len(data) - 1), max_size=max_chunks - 1))))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


@st.composite
def wire_frames(
    draw: st.DrawFn,
    max_size: int = 70_000,
    opcodes: Sequence[int] | None = None,
) -> WireFrame:
    """Permissive frames: a valid frame, then each deviation behind a boolean.

    Deviations: a reserved opcode, RSV bits, flipped masking, a non-minimal length
    encoding. The declared length stays true, so that the stream can be parsed back.
    """
    frame = draw(frames(max_size))
    opcode = int(frame.opcode)
    if opcodes is not None:
        opcode = draw(st.sampled_from(list(opcodes)))
    elif draw(st.booleans()):
        opcode = draw(st.sampled_from([op for op in range(16) if op not in set(Opcode)]))
    rsv = draw(st.integers(0, 7)) if draw(st.booleans()) else 0
    masked = draw(st.booleans())
    key = draw(mask_keys()) if masked else None
    encoding = None
    if draw(st.booleans()):
        size = len(frame.data)
        widths = [LengthEncoding.LENGTH_16, LengthEncoding.LENGTH_64]
        allowed = [w for w in widths if size <= 0xFFFF or w is LengthEncoding.LENGTH_64]
        encoding = draw(st.sampled_from(allowed))
    return WireFrame(opcode, frame.data, frame.fin, rsv, masked, key, None, encoding)
