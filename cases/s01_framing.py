"""Section 1, Framing: one unfragmented text (1.1) or binary (1.2) frame, echoed back.

Each case sends a single FIN=1, RSV=0 data frame whose length sits on an edge of the
7-bit, 16-bit and 64-bit length encodings (RFC 6455 section 5.2). The peer must echo
it as one message of the same type and bytes; the tester then closes with 1000.
"""

from __future__ import annotations

from .common import TESTER_CLOSES, ok
from .model import BINARY, TEXT, Case, KillAfter, Message, SendFrame

__all__ = ["CASES"]

# (case number, payload length, chopsize, killAfter): the same rows for 1.1 and 1.2.
_ROWS: tuple[tuple[int, int, int | None, float], ...] = (
    (1, 0, None, 1),
    (2, 125, None, 1),
    (3, 126, None, 1),
    (4, 127, None, 1),
    (5, 128, None, 1),
    (6, 65535, None, 10),
    (7, 65536, None, 10),
    (8, 65536, 997, 10),
)

_LENGTH_NOTES = {
    0: "an empty payload",
    125: "125 bytes, the largest 7-bit length",
    126: "126 bytes, the smallest 16-bit length",
    127: "127 bytes, a 16-bit length",
    128: "128 bytes, a 16-bit length",
    65535: "65535 bytes, the largest 16-bit length",
    65536: "65536 bytes, the smallest 64-bit length",
}


def _case(sub: int, kind: str, row: tuple[int, int, int | None, float]) -> Case:
    number, length, chop, kill = row
    binary = sub == 2
    payload = (b"\xfe" if binary else b"*") * length
    description = f"Send one {kind} message of {_LENGTH_NOTES[length]} in a single frame."
    if chop is not None:
        description += f" The frame's bytes are written in chops of {chop} octets."
    return Case(
        id=f"1.{sub}.{number}",
        description=description,
        expectation=(
            f"The peer echoes the {kind} message with the same payload. "
            "Clean close with normal code."
        ),
        steps=(SendFrame(BINARY if binary else TEXT, payload, chopsize=chop), KillAfter(kill)),
        expected=ok(Message(payload, binary)),
        expected_close=TESTER_CLOSES,
    )


CASES: tuple[Case, ...] = tuple(
    _case(sub, kind, row) for sub, kind in ((1, "text"), (2, "binary")) for row in _ROWS
)
