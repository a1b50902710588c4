"""Hypothesis strategies for frames, messages, byte streams and whole conversations.

They mirror the two frame models (the strict :class:`~wsconform.reference.protocol.frames.Frame`
and the permissive :class:`~wsconform.harness.wire.frame.WireFrame`) and shrink well:
each draws a valid object first, and each deviation from the simplest case sits behind
a boolean or a choice the shrinker can undo, so a failing example shrinks to a short
plain frame. Shipped in the package: the network fuzzer (``wsconform fuzz``), the
pytest plugin and our own tests draw from the same strategies.

Deviations available (each behind its own boolean): RSV bits, reserved opcodes, a
fragmented or oversized control frame (RFC 6455 section 5.5), invalid UTF-8 in text,
masking wrong for the sender's role (section 5.1), a non-minimal length encoding, a
false length and a 64-bit length with its most significant bit set (section 5.2), close
bodies with any code and reason (sections 5.5.1 and 7.4).
"""

from __future__ import annotations

import dataclasses
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

from .conversation import BURST, SYNC, Conversation, Send, WritePattern

__all__ = [
    "BOUNDARY_SIZES",
    "chunkings",
    "close_bodies",
    "close_codes",
    "closes",
    "control_frames",
    "conversations",
    "data_frames",
    "fragmented_messages",
    "frames",
    "mask_keys",
    "mutated_frames",
    "payloads",
    "texts",
    "utf8_fragments",
    "utf8_payloads",
    "wire_frames",
    "write_patterns",
]

#: Payload sizes at the edges of the three length encodings (RFC 6455 section 5.2).
BOUNDARY_SIZES = (125, 126, 127, 65535, 65536, 65537)

#: Close codes a tester accepts on the wire (docs/autobahn.md section 2.6): 1012-1014,
#: registered with IANA after RFC 6455, are left out, since a peer that echoes one
#: (section 5.5.1: it "typically echos the status code it received") would be failed
#: by the tester for a code it had every right to send.
_VALID_CODES = (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011)


def _rarely(draw: st.DrawFn, one_in: int) -> bool:
    """A choice that is true about once in ``one_in`` draws and shrinks to false.

    Every mutation behind a fair coin would leave almost no conversation valid (five
    coins per frame): a conforming prefix, which most peer bugs need before the frame
    that shows them (a ping inside a fragmented message, an empty close after a
    message), would almost never be drawn.
    """
    return draw(st.integers(0, one_in - 1)) == one_in - 1


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
    """Close codes valid on the wire (RFC 6455 section 7.4) that the tester accepts."""
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


# --- payloads, close bodies and write patterns ------------------------------------------

_RESERVED_OPCODES = tuple(op for op in range(16) if op not in {int(o) for o in Opcode})
#: Codes that must never be on the wire or are unassigned (RFC 6455 section 7.4.1 and
#: 7.4.2: 1004-1006 and 1015 are reserved, 0-999 unused, 1016-2999 for future RFCs).
_INVALID_CODES = (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535)


@st.composite
def utf8_payloads(draw: st.DrawFn, max_size: int = 60) -> bytes:
    """UTF-8 text, or (behind a boolean) the same text with one byte made invalid."""
    text = bytearray(draw(texts(max_size=max_size)))
    if draw(st.booleans()):
        index = draw(st.integers(0, len(text))) if text else 0
        damage = draw(st.sampled_from([0xFF, 0xC0, 0x80, 0xED, 0xF5, 0xF4]))
        text[index:index] = bytes([damage])
    return bytes(text)


@st.composite
def close_bodies(draw: st.DrawFn) -> bytes:
    """Close frame bodies: a valid one (see :func:`closes`), then, about once in three,
    each defect behind a boolean: a 1-byte body, an invalid code, a reason that is not
    UTF-8, a body over 125 bytes."""
    body = draw(closes()).serialize()
    if not _rarely(draw, 3):
        return body
    # Every boolean is drawn whatever the others say, so that no defect is a shortcut
    # for the shrinker (a shorter choice sequence wins).
    one_byte, bad_code, bad_reason, too_long = (draw(st.booleans()) for _ in range(4))
    if bad_code:
        body = draw(st.sampled_from(_INVALID_CODES)).to_bytes(2, "big") + body[2:]
    if bad_reason:
        body = (body[:2] or b"\x03\xe8") + b"\xff" + body[2:]
    if too_long:
        body = (body[:2] or b"\x03\xe8") + b"x" * 124
    if one_byte:
        return body[:1] or b"\x03"
    return body


def write_patterns() -> st.SearchStrategy[WritePattern]:
    """Autobahn's write modes: burst (the simplest), each frame its own write, chopped."""
    chopped = st.integers(1, 16).map(lambda n: WritePattern(chopsize=n))
    return st.sampled_from([BURST, SYNC]) | chopped


# --- mutated wire frames and conversations ----------------------------------------------


def _damaged(draw: st.DrawFn, wire: WireFrame) -> WireFrame:
    """``wire`` with one byte inserted that no UTF-8 sequence can hold there."""
    index = draw(st.integers(0, len(wire.payload)))
    damage = bytes([draw(st.sampled_from([0xFF, 0xC0, 0x80, 0xF5]))])
    return dataclasses.replace(wire, payload=wire.payload[:index] + damage + wire.payload[index:])


@st.composite
def mutated_frames(
    draw: st.DrawFn,
    frame: Frame,
    *,
    masked: bool,
    wire_mutations: bool = True,
    text: bool = False,
    one_in: int = 4,
    length_mutations: bool = False,
) -> WireFrame:
    """``frame`` on the wire as the sender's role writes it (``masked``), then, about
    once in ``one_in`` frames, deviations, each behind a boolean.

    When ``text`` (the frame carries text), about one frame in five gets a byte that
    breaks its UTF-8 (section 8.1), a choice of its own. Always available: RSV bits, a
    reserved opcode, a control frame with FIN clear or a payload over 125 bytes,
    masking wrong for the role (section 5.1).
    With ``wire_mutations``: a non-minimal length encoding, a false declared length, a
    64-bit length with the top bit set. With ``length_mutations`` alone: the two of
    them that keep the declared length true (a non-minimal encoding, the top bit), the
    ones a network run can judge (see :func:`conversations`).
    """
    wire = WireFrame.from_frame(frame, masked=masked)
    if text and _rarely(draw, 5):
        # Its own choice, not one behind the gate below: a peer that checks UTF-8 late
        # shows only when the bad bytes come before the end of the message.
        wire = _damaged(draw, wire)
    if not _rarely(draw, one_in):
        return wire
    if draw(st.booleans()):
        wire = dataclasses.replace(wire, rsv=draw(st.integers(1, 7)))
    if draw(st.booleans()):
        wire = dataclasses.replace(wire, opcode=draw(st.sampled_from(_RESERVED_OPCODES)))
    if wire.opcode >= 8 and draw(st.booleans()):
        wire = dataclasses.replace(wire, fin=False)
    if wire.opcode >= 8 and draw(st.booleans()):
        wire = dataclasses.replace(wire, payload=wire.payload + b"\x00" * (126 - len(wire.payload)))
    if draw(st.booleans()):
        wire = dataclasses.replace(wire, masked=not masked)
    if not (wire_mutations or length_mutations):
        return wire
    if draw(st.booleans()):
        size = len(wire.payload)
        encoding = LengthEncoding.LENGTH_64 if size > 0xFFFF else LengthEncoding.LENGTH_16
        if size <= 0xFFFF:
            encoding = draw(st.sampled_from([LengthEncoding.LENGTH_16, LengthEncoding.LENGTH_64]))
        wire = dataclasses.replace(wire, length_encoding=encoding)
    if wire_mutations and draw(st.booleans()):
        # A declared length larger than the payload: the peer waits for bytes that
        # never come, or reads the next frame's header as payload.
        length = len(wire.payload) + draw(st.integers(1, 200))
        wire = dataclasses.replace(wire, length=length)
        if length > 0xFFFF and wire.length_encoding is LengthEncoding.LENGTH_16:
            # Past what 16 bits hold: the 64-bit form, so that the frame can be written.
            wire = dataclasses.replace(wire, length_encoding=LengthEncoding.LENGTH_64)
    elif draw(st.booleans()):
        # Section 5.2: "the most significant bit MUST be 0".
        top = 1 << 63
        wire = dataclasses.replace(
            wire, length=top | len(wire.payload), length_encoding=LengthEncoding.LENGTH_64
        )
    return wire


@st.composite
def conversations(
    draw: st.DrawFn,
    *,
    masked: bool = True,
    wire_mutations: bool = False,
    max_fragments: int = 4,
    length_mutations: bool = False,
) -> Conversation:
    """One conversation: a data message, fragmented anywhere with control frames
    between its fragments (about once in six left unfinished), then, behind a boolean,
    one more frame (a close with any body, or any frame); every frame may be mutated
    and gets a write pattern.

    ``masked`` is the role's masking (a client's frames are masked); the minimal
    example is one empty binary frame, masked as the role requires, in a burst.
    ``wire_mutations`` adds the length deviations (see :func:`mutated_frames`): on for
    in-process fuzzing, off for the network. ``length_mutations`` adds only those that
    keep the declared length true, for the network (``--length-mutations``): a false
    length has no answer a conforming peer must give, since the peer waits for payload
    bytes that never come, or reads the next frames and the tester's own close frame
    as payload, and then parses whatever follows as a header; what it does next depends
    on those bytes and on timing, not on a rule of RFC 6455.

    Control frames come only before the message's last frame, so the order of a
    conforming peer's answers is fixed: every pong before the echo.
    """
    message = draw(fragmented_messages(max_fragments=max_fragments))
    if _rarely(draw, 6):
        # The message never ends: its last frame keeps FIN clear (section 5.4), so a
        # peer that judges a message only once it is complete never judges this one.
        message[-1] = dataclasses.replace(message[-1], fin=False)
    first = message[0].opcode
    sent: list[WireFrame] = [
        draw(
            mutated_frames(
                f,
                masked=masked,
                wire_mutations=wire_mutations,
                text=first is TEXT and f.opcode in (TEXT, CONT),
                length_mutations=length_mutations,
            )
        )
        for f in message
    ]
    if draw(st.booleans()):
        if draw(st.booleans()):
            sent.append(WireFrame(CLOSE, draw(close_bodies()), masked=masked))
        else:
            extra = draw(frames(max_size=200))
            text = extra.opcode is TEXT or (extra.opcode is CONT and first is TEXT)
            sent.append(
                draw(
                    mutated_frames(
                        extra,
                        masked=masked,
                        wire_mutations=wire_mutations,
                        text=text,
                        length_mutations=length_mutations,
                    )
                )
            )
    return Conversation(tuple(Send(frame, draw(write_patterns())) for frame in sent))
