"""A model of what RFC 6455 requires of an endpoint reading frames, written from the
RFC, not from the reference: the frames it accepts, the pongs it owes and the close
code of the first defect (1007 for invalid UTF-8 in a text message or a close reason,
section 8.1; 1002 for every other defect of sections 5.2 to 5.5). The fuzz tests of
the connection compare the reference core with it.
"""

from __future__ import annotations

import codecs
import dataclasses

from wsconform.harness.wire.frame import WireFrame
from wsconform.reference.protocol.connection import SERVER, Side
from wsconform.reference.protocol.frames import BINARY, CLOSE, CONT, PING, TEXT, Frame, Opcode

__all__ = ["Prediction", "predict"]

_KNOWN = frozenset(int(opcode) for opcode in Opcode)
# Section 7.4.1 and the IANA registry: the codes an endpoint may receive.
_WIRE_CODES = frozenset({1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014})


def _prefix(data: bytes) -> bool:
    """Whether some valid UTF-8 stream starts with ``data``."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        decoder.decode(data, False)
    except UnicodeDecodeError:
        return False
    pending = decoder.getstate()[0]
    return not (len(pending) >= 2 and pending[0] == 0xED and pending[1] > 0x9F)


def _utf8(data: bytes) -> bool:
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return True


@dataclasses.dataclass
class Prediction:
    """What a conforming endpoint does with a conversation (``code`` None: no failure;
    ``close`` the code of a valid close frame received, 1005 for an empty one)."""

    accepted: list[Frame]
    pongs: list[bytes]
    code: int | None = None
    close: int | None = None
    #: A frame declared more bytes than it carries: what follows is not predicted.
    unknown: bool = False


def predict(frames: tuple[WireFrame, ...], side: Side) -> Prediction:
    """The model: walk the frames in order up to the first defect or a valid close."""
    result = Prediction([], [])
    message: Opcode | None = None
    text = b""
    for wire in frames:
        header = _header_defect(wire, side)
        if header is None and wire.declared_length > len(wire.payload):
            # A false length: the frame's payload runs into the bytes that follow (with
            # their random masking keys), so from here on the input is noise.
            result.unknown = True
            return result
        code = header or _frame_defect(wire, message)
        if code is not None:
            result.code = code
            return result
        opcode = Opcode(wire.opcode)
        if opcode in (TEXT, BINARY, CONT):
            if opcode is not CONT:
                message, text = opcode, b""
            if message is TEXT:
                text += wire.payload
                if not (_utf8(text) if wire.fin else _prefix(text)):
                    result.code = 1007
                    return result
            if wire.fin:
                message = None
        elif opcode is CLOSE:
            body = wire.payload
            if len(body) == 1:
                result.code = 1002
                return result
            code = int.from_bytes(body[:2]) if body else 1005
            if body and code not in _WIRE_CODES and not 3000 <= code <= 4999:
                result.code = 1002
                return result
            if not _utf8(body[2:]):
                result.code = 1007
                return result
            result.accepted.append(Frame(CLOSE, body))
            result.close = code
            return result
        elif opcode is PING:
            result.pongs.append(wire.payload)
        rsv = wire.rsv
        result.accepted.append(Frame(opcode, wire.payload, wire.fin, bool(rsv & 4)))
    return result


def _header_defect(wire: WireFrame, side: Side) -> int | None:
    """Section 5.2 (opcode, lengths), 5.1 (masking) and 5.5 (control frames, 125 bytes)."""
    if wire.opcode not in _KNOWN or wire.masked is not (side is SERVER):
        return 1002
    if wire.declared_length >> 63 or not wire.minimal_length:
        return 1002
    if wire.opcode >= 8 and wire.declared_length > 125:
        return 1002
    return None


def _frame_defect(wire: WireFrame, message: Opcode | None) -> int | None:
    """RSV bits (section 5.2), fragmented control frames (5.5), fragmentation (5.4)."""
    if wire.rsv or (wire.opcode >= 8 and not wire.fin):
        return 1002
    if wire.opcode == CONT and message is None:
        return 1002
    if wire.opcode in (TEXT, BINARY) and message is not None:
        return 1002
    return None
