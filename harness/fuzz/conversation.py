"""A fuzzed conversation as plain data: the frames the tester sends and how it writes them.

A :class:`Conversation` is a tuple of :class:`Send` items, each one permissive
:class:`~wsconform.harness.wire.frame.WireFrame` and its :class:`WritePattern`
(Autobahn's write modes: part of a burst, its own write, or chopped into n-byte
writes). It knows nothing about what the peer should answer; the oracle does.

Conversations round-trip through JSON (:meth:`Conversation.to_json`,
:meth:`Conversation.from_json`) so a finding can be saved to the corpus and replayed,
and :meth:`Conversation.digest` names one stably (the corpus id).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from wsconform.harness.wire.frame import LengthEncoding, WireFrame
from wsconform.reference.protocol.frames import Opcode

__all__ = [
    "BURST",
    "SHOWN_MASK_KEY",
    "SYNC",
    "Conversation",
    "ConversationError",
    "Send",
    "WritePattern",
    "describe_frame",
]

#: The masking key shown in hex dumps; every real send draws a fresh one (RFC 6455
#: section 5.3: "the client MUST pick a fresh masking key from the set of allowed
#: 32-bit values").
SHOWN_MASK_KEY = b"\x00\x00\x00\x00"


class ConversationError(ValueError):
    """A saved conversation cannot be read: a missing field or a value out of range."""


@dataclasses.dataclass(frozen=True, slots=True)
class WritePattern:
    """How one frame goes on the wire (docs/autobahn.md section 2: burst, sync, chop).

    ``sync``: the frame is its own write. ``chopsize``: its bytes are written ``n`` at a
    time. Neither: it joins the burst of the frames around it.
    """

    sync: bool = False
    chopsize: int | None = None

    def __post_init__(self) -> None:
        if self.chopsize is not None and self.chopsize < 1:
            raise ConversationError(f"chop size {self.chopsize} < 1")

    def __str__(self) -> str:
        if self.chopsize is not None:
            return f"chopped into {self.chopsize}-byte writes"
        return "its own write" if self.sync else "burst"


BURST = WritePattern()
SYNC = WritePattern(sync=True)


@dataclasses.dataclass(frozen=True, slots=True)
class Send:
    """One frame of a conversation and its write pattern."""

    frame: WireFrame
    pattern: WritePattern = BURST


def _opcode_name(opcode: int) -> str:
    try:
        return Opcode(opcode).name
    except ValueError:
        return f"reserved opcode {opcode}"


def describe_frame(frame: WireFrame) -> str:
    """One line saying what a frame is: opcode, flags, payload preview, deviations."""
    parts = [_opcode_name(frame.opcode), "fin" if frame.fin else "not fin"]
    if frame.rsv:
        parts.append(f"rsv={frame.rsv}")
    parts.append("masked" if frame.masked else "unmasked")
    if frame.length is not None and frame.length != len(frame.payload):
        parts.append(f"declared length {frame.length}")
    if not frame.minimal_length:
        parts.append(f"{int(frame.encoding)}-bit length")
    preview = frame.payload[:24]
    more = "..." if len(frame.payload) > 24 else ""
    parts.append(f"{len(frame.payload)} bytes {preview!r}{more}")
    return ", ".join(parts)


@dataclasses.dataclass(frozen=True, slots=True)
class Conversation:
    """What the tester sends, in order, on one fresh connection."""

    sends: tuple[Send, ...]

    @property
    def frames(self) -> tuple[WireFrame, ...]:
        """The frames alone."""
        return tuple(send.frame for send in self.sends)

    def wire_bytes(self) -> bytes:
        """Every frame's bytes, masked ones with :data:`SHOWN_MASK_KEY` (for display)."""
        return b"".join(
            dataclasses.replace(f, mask_key=SHOWN_MASK_KEY).encode() if f.masked else f.encode()
            for f in self.frames
        )

    def describe(self) -> list[str]:
        """One line per frame: what it is, how it is written, its bytes in hex."""
        lines = []
        for index, send in enumerate(self.sends, start=1):
            frame = send.frame
            if frame.masked:
                frame = dataclasses.replace(frame, mask_key=SHOWN_MASK_KEY)
            data = frame.encode()
            hexed = data[:48].hex(" ") + (" ..." if len(data) > 48 else "")
            lines.append(f"{index}. {describe_frame(frame)} [{send.pattern}]")
            lines.append(f"   {hexed}")
        return lines

    def to_json(self) -> list[dict[str, Any]]:
        """The conversation as JSON data (payloads in hex)."""
        items = []
        for send in self.sends:
            f = send.frame
            item: dict[str, Any] = {"opcode": f.opcode, "payload": f.payload.hex(), "fin": f.fin}
            if f.rsv:
                item["rsv"] = f.rsv
            item["masked"] = f.masked
            if f.length is not None:
                item["length"] = f.length
            if f.length_encoding is not None:
                item["length_encoding"] = int(f.length_encoding)
            if send.pattern.sync:
                item["sync"] = True
            if send.pattern.chopsize is not None:
                item["chopsize"] = send.pattern.chopsize
            items.append(item)
        return items

    @classmethod
    def from_json(cls, data: Any) -> Conversation:
        """Read :meth:`to_json`'s form back.

        Raises:
            ConversationError: not a list of frame objects with valid fields.
        """
        if not isinstance(data, list) or not data:
            raise ConversationError("a conversation is a non-empty list of frames")
        sends = []
        for index, item in enumerate(data, start=1):
            if not isinstance(item, Mapping):
                raise ConversationError(f"frame {index} is not an object")
            try:
                encoding = item.get("length_encoding")
                frame = WireFrame(
                    opcode=int(item["opcode"]),
                    payload=bytes.fromhex(str(item.get("payload", ""))),
                    fin=bool(item.get("fin", True)),
                    rsv=int(item.get("rsv", 0)),
                    masked=bool(item.get("masked", False)),
                    length=None if item.get("length") is None else int(item["length"]),
                    length_encoding=None if encoding is None else LengthEncoding(int(encoding)),
                )
                frame.encode()  # every field fits
                chop = item.get("chopsize")
                pattern = WritePattern(
                    bool(item.get("sync", False)), None if chop is None else int(chop)
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise ConversationError(f"frame {index}: {exc}") from exc
            sends.append(Send(frame, pattern))
        return cls(tuple(sends))

    def digest(self) -> str:
        """A short stable hash of the conversation (its JSON form)."""
        text = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:10]
