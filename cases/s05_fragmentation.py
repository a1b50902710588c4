"""Section 5, Fragmentation: control frames inside messages, and broken fragment sequences.

RFC 6455 section 5.4: "Control frames ... MUST NOT be fragmented", "Control frames ...
MAY be injected in the middle of a fragmented message", and a message is "a single frame
with the FIN bit clear and an opcode other than 0, followed by zero or more frames with
the FIN bit clear and the opcode set to 0, and terminated by a single frame with the FIN
bit set and an opcode of 0". A continuation frame with nothing to continue, or a new
data frame inside a message, must fail the connection.

Write patterns: "burst" (all frames at once), "sync" (each frame its own write), "chop 1"
(one octet per write).
"""

from __future__ import annotations

from .common import PEER_FAILS_1002, TESTER_CLOSES, ok, ok_or_non_strict
from .model import (
    CONT,
    PING,
    PONG,
    TEXT,
    Case,
    CloseAfter,
    ContinueLater,
    KillAfter,
    Message,
    Pong,
    SendFrame,
)

__all__ = ["CASES"]

_PATTERNS: dict[str, tuple[bool, int | None, str]] = {
    "burst": (False, None, ""),
    "sync": (True, None, " Each frame is its own write."),
    "chop": (False, 1, " Every frame is written one octet at a time."),
}

_F1, _F2, _F3, _F4, _F5 = (f"fragment{i}".encode() for i in range(1, 6))
_HELLO = b"Hello, world!"
_NON_CONT = b"non-continuation payload"

# A frame before the write pattern is applied: (opcode, payload, fin).
_Frame = tuple[int, bytes, bool]


def _frames(frames: tuple[_Frame, ...], pattern: str) -> tuple[SendFrame, ...]:
    sync, chop, _ = _PATTERNS[pattern]
    return tuple(SendFrame(op, data, fin=fin, sync=sync, chopsize=chop) for op, data, fin in frames)


def _fails(case_id: str, description: str, frames: tuple[_Frame, ...], pattern: str) -> Case:
    return Case(
        id=case_id,
        description=description + _PATTERNS[pattern][2],
        expectation="The peer fails the connection at once (1002).",
        steps=(*_frames(frames, pattern), KillAfter(1)),
        expected=ok(),
        expected_close=PEER_FAILS_1002,
    )


def _echoes(
    case_id: str,
    description: str,
    expectation: str,
    *,
    frames: tuple[_Frame, ...],
    pattern: str,
    events: tuple[Message | Pong, ...],
) -> Case:
    return Case(
        id=case_id,
        description=description + _PATTERNS[pattern][2],
        expectation=expectation,
        steps=(*_frames(frames, pattern), CloseAfter(1)),
        expected=ok(*events),
        expected_close=TESTER_CLOSES,
    )


_TWO = ((TEXT, _F1, False), (CONT, _F2, True))
_TWO_WITH_PING = ((TEXT, _F1, False), (PING, b"ping payload", True), (CONT, _F2, True))
_STRAY_CONT = ((CONT, _NON_CONT, True), (TEXT, _HELLO, True))
_STRAY_CONT0 = ((CONT, _NON_CONT, False), (TEXT, _HELLO, True))


def _interleaved(case_id: str, pattern: str) -> Case:
    """5.19/5.20: two pings inside a fragmented message, with a 1 s pause in between."""
    part1 = ((TEXT, _F1, False), (CONT, _F2, False), (PING, b"pongme 1!", True))
    part2 = (
        (CONT, _F3, False),
        (CONT, _F4, False),
        (PING, b"pongme 2!", True),
        (CONT, _F5, True),
    )
    return Case(
        id=case_id,
        description=(
            "Send a fragmented text message in five frames: the first two, a ping, then "
            "after a 1 s pause two more fragments, a second ping and the last fragment. "
            "Everything is legal." + _PATTERNS[pattern][2]
        ),
        expectation=(
            "Each ping is answered before the message is complete (the first one during "
            "the pause), then the whole message is echoed: pong 1, pong 2, message."
        ),
        steps=(
            *_frames(part1, pattern),
            ContinueLater(1),
            *_frames(part2, pattern),
            CloseAfter(1),
        ),
        expected=ok(
            Pong(b"pongme 1!"),
            Pong(b"pongme 2!"),
            Message(_F1 + _F2 + _F3 + _F4 + _F5),
        ),
        expected_close=TESTER_CLOSES,
    )


CASES: tuple[Case, ...] = (
    _fails(
        "5.1",
        "Send a ping in two fragments (FIN=0, then a continuation).",
        ((PING, _F1, False), (CONT, _F2, True)),
        "burst",
    ),
    _fails(
        "5.2",
        "Send a pong in two fragments (FIN=0, then a continuation).",
        ((PONG, _F1, False), (CONT, _F2, True)),
        "burst",
    ),
    *(
        _echoes(
            f"5.{3 + i}",
            "Send a text message in two fragments.",
            "The message is echoed whole. Clean close with normal code.",
            frames=_TWO,
            pattern=pattern,
            events=(Message(_F1 + _F2),),
        )
        for i, pattern in enumerate(("burst", "sync", "chop"))
    ),
    *(
        _echoes(
            f"5.{6 + i}",
            "Send a text message in two fragments with a ping between them.",
            "The pong comes back first, then the echoed message. Clean close with normal code.",
            frames=_TWO_WITH_PING,
            pattern=pattern,
            events=(Pong(b"ping payload"), Message(_F1 + _F2)),
        )
        for i, pattern in enumerate(("burst", "sync", "chop"))
    ),
    *(
        _fails(
            f"5.{9 + i}",
            "Send a continuation frame with FIN=1 when no message is open, then a text message.",
            _STRAY_CONT,
            pattern,
        )
        for i, pattern in enumerate(("burst", "sync", "chop"))
    ),
    *(
        _fails(
            f"5.{12 + i}",
            "Send a continuation frame with FIN=0 when no message is open, then a text message.",
            _STRAY_CONT0,
            pattern,
        )
        for i, pattern in enumerate(("burst", "sync", "chop"))
    ),
    Case(
        id="5.15",
        description=(
            "Send a text message in two fragments, then a continuation frame with FIN=0 "
            "that continues nothing, then a text frame."
        ),
        expectation=(
            "The first message is echoed, then the peer fails the connection at the stray "
            "continuation (1002). Failing without echoing it first is tolerated (NON-STRICT)."
        ),
        steps=(
            *_frames(
                ((TEXT, _F1, False), (CONT, _F2, True), (CONT, _F3, False), (TEXT, _F4, True)),
                "burst",
            ),
            KillAfter(1),
        ),
        expected=ok_or_non_strict((Message(_F1 + _F2),), ()),
        expected_close=PEER_FAILS_1002,
    ),
    _fails(
        "5.16",
        "Twice: a continuation with FIN=0 outside any message, a text frame with "
        "FIN=0, a continuation with FIN=1.",
        ((CONT, _F1, False), (TEXT, _F2, False), (CONT, _F3, True)) * 2,
        "burst",
    ),
    _fails(
        "5.17",
        "Twice: a continuation with FIN=1 outside any message, a text frame with "
        "FIN=0, a continuation with FIN=1.",
        ((CONT, _F1, True), (TEXT, _F2, False), (CONT, _F3, True)) * 2,
        "burst",
    ),
    _fails(
        "5.18",
        "Send a text frame with FIN=0, then another text frame (instead of a "
        "continuation) with FIN=1.",
        ((TEXT, _F1, False), (TEXT, _F2, True)),
        "burst",
    ),
    _interleaved("5.19", "burst"),
    _interleaved("5.20", "sync"),
)
