"""Section 4, Opcodes: frames with reserved opcodes must fail the connection.

RFC 6455 section 5.2: "%x3-7 are reserved for further non-control frames" and "%xB-F are
reserved for further control frames"; "If an unknown opcode is received, the receiving
endpoint MUST _Fail the WebSocket Connection_." 4.1 uses the reserved data opcodes 3-7,
4.2 the reserved control opcodes 11-15.
"""

from __future__ import annotations

from .common import PEER_FAILS_1002, ok, ok_or_non_strict
from .model import PING, TEXT, Case, KillAfter, Message, SendFrame

__all__ = ["CASES"]

_HELLO = b"Hello, world!"
_RESERVED_PAYLOAD = b"reserved opcode payload"
_KIND = {1: "non-control", 2: "control"}


def _alone(sub: int, number: int, opcode: int, payload: bytes) -> Case:
    what = "a non-empty payload" if payload else "an empty payload"
    return Case(
        id=f"4.{sub}.{number}",
        description=f"Send a frame with the reserved {_KIND[sub]} opcode {opcode} and {what}.",
        expectation="The peer fails the connection at once (1002).",
        steps=(SendFrame(opcode, payload), KillAfter(1)),
        expected=ok(),
        expected_close=PEER_FAILS_1002,
    )


def _after_valid(sub: int, number: int, opcode: int, payload: bytes, chop: int | None) -> Case:
    what = "a non-empty payload" if payload else "an empty payload"
    how = " Every frame is written one octet at a time." if chop == 1 else ""
    return Case(
        id=f"4.{sub}.{number}",
        description=(
            f"Send a small text message, then a frame with the reserved {_KIND[sub]} "
            f"opcode {opcode} and {what}, then a ping.{how}"
        ),
        expectation=(
            "The text message is echoed, then the peer fails the connection at the "
            "reserved opcode (1002), so no pong comes back. Failing without echoing the "
            "message first is tolerated (NON-STRICT)."
        ),
        steps=(
            SendFrame(TEXT, _HELLO, chopsize=chop),
            SendFrame(opcode, payload, chopsize=chop),
            SendFrame(PING, chopsize=chop),
            KillAfter(1),
        ),
        expected=ok_or_non_strict((Message(_HELLO),), ()),
        expected_close=PEER_FAILS_1002,
    )


def _subsection(sub: int, first: int) -> tuple[Case, ...]:
    return (
        _alone(sub, 1, first, b""),
        _alone(sub, 2, first + 1, _RESERVED_PAYLOAD),
        _after_valid(sub, 3, first + 2, b"", None),
        _after_valid(sub, 4, first + 3, _HELLO, None),
        _after_valid(sub, 5, first + 4, _HELLO, 1),
    )


CASES: tuple[Case, ...] = _subsection(1, 3) + _subsection(2, 11)
