"""Section 2, Pings/Pongs: pings must be answered with the same payload, pongs ignored.

RFC 6455 section 5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame
in response ... The Pong frame sent in response to a Ping frame must have identical
"Application data"". Section 5.5.3: "A Pong frame MAY be sent unsolicited ... A response
to an unsolicited Pong frame is not expected." Section 5.5: "All control frames MUST
have a payload length of 125 bytes or less".
"""

from __future__ import annotations

from .common import PEER_FAILS_1002, TESTER_CLOSES, ok
from .model import PING, PONG, Case, CloseAfter, KillAfter, Pong, SendClose, SendFrame

__all__ = ["CASES"]

_BINARY_8 = b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"
_UNSOLICITED = b"unsolicited pong payload"
_TEN = tuple(f"payload-{i}".encode() for i in range(10))


def _echoes_ping(case_id: str, what: str, payload: bytes, chop: int | None, wait: float) -> Case:
    how = " The frame is written one octet at a time." if chop == 1 else ""
    return Case(
        id=case_id,
        description=f"Send a ping with {what}.{how}",
        expectation="A pong with the same payload comes back. Clean close with normal code.",
        steps=(SendFrame(PING, payload, chopsize=chop), CloseAfter(wait)),
        expected=ok(Pong(payload)),
        expected_close=TESTER_CLOSES,
    )


def _ten_pings(case_id: str, chop: int | None) -> Case:
    how = ", each written one octet at a time" if chop == 1 else ""
    return Case(
        id=case_id,
        description=f"Send 10 pings back to back with payloads payload-0 to payload-9{how}.",
        expectation=(
            "Ten pongs with the ten payloads, in the order sent. The RFC would allow "
            "answering only the latest ping; this case checks for all of them. "
            "Clean close with normal code."
        ),
        steps=(*(SendFrame(PING, p, chopsize=chop) for p in _TEN), CloseAfter(3)),
        expected=ok(*(Pong(p) for p in _TEN)),
        expected_close=TESTER_CLOSES,
    )


CASES: tuple[Case, ...] = (
    _echoes_ping("2.1", "an empty payload", b"", None, 1),
    _echoes_ping("2.2", "the text payload Hello, world!", b"Hello, world!", None, 1),
    _echoes_ping("2.3", "a small binary payload that is not UTF-8", _BINARY_8, None, 1),
    _echoes_ping("2.4", "a 125-byte binary payload, the largest allowed", b"\xfe" * 125, None, 1),
    Case(
        id="2.5",
        description="Send a ping with a 126-byte binary payload, one byte over the limit.",
        expectation=(
            "The peer fails the connection at once (1002, protocol error): control frames "
            "carry at most 125 bytes. No pong comes back."
        ),
        steps=(SendFrame(PING, b"\xfe" * 126), KillAfter(1)),
        expected=ok(),
        expected_close=PEER_FAILS_1002,
    ),
    _echoes_ping("2.6", "a 125-byte binary payload", b"\xfe" * 125, 1, 2),
    Case(
        id="2.7",
        description="Send an unsolicited empty pong, then close with 1000 right away.",
        expectation="Nothing comes back for the pong. Clean close with normal code.",
        steps=(SendFrame(PONG), SendClose(1000), CloseAfter(1)),
        expected=ok(),
        expected_close=TESTER_CLOSES,
    ),
    Case(
        id="2.8",
        description="Send an unsolicited pong with a payload, then close with 1000 right away.",
        expectation="Nothing comes back for the pong. Clean close with normal code.",
        steps=(SendFrame(PONG, _UNSOLICITED), SendClose(1000), CloseAfter(1)),
        expected=ok(),
        expected_close=TESTER_CLOSES,
    ),
    Case(
        id="2.9",
        description="Send an unsolicited pong with a payload, then a ping with a payload.",
        expectation=(
            "Nothing for the pong; a pong with the ping's payload for the ping. "
            "Clean close with normal code."
        ),
        steps=(SendFrame(PONG, _UNSOLICITED), SendFrame(PING, b"ping payload"), CloseAfter(1)),
        expected=ok(Pong(b"ping payload")),
        expected_close=TESTER_CLOSES,
    ),
    _ten_pings("2.10", None),
    _ten_pings("2.11", 1),
)
