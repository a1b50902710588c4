"""Strict WebSocket frames (RFC 6455 section 5.2).

Parsing, serializing and checking are separate steps, so that callers can parse a frame
they will reject and still report what it was.

INTERFACE FILE: the dataclass and enum below are shared by every module of the core.
"""

from __future__ import annotations

import dataclasses
import enum

__all__ = [
    "BINARY",
    "CLOSE",
    "CONT",
    "CTRL_OPCODES",
    "DATA_OPCODES",
    "PING",
    "PONG",
    "TEXT",
    "Frame",
    "Opcode",
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
