"""Section 3, Reserved bits: any RSV bit set without an extension must fail the connection.

RFC 6455 section 5.2: "RSV1, RSV2, RSV3: 1 bit each. MUST be 0 unless an extension is
negotiated that defines meanings for non-zero values. If a nonzero value is received and
none of the negotiated extensions defines the meaning of such a nonzero value, the
receiving endpoint MUST _Fail the WebSocket Connection_."

``rsv`` is the 3-bit field: 4 is RSV1, 2 is RSV2, 1 is RSV3.
"""

from __future__ import annotations

from .common import PEER_FAILS_1002, ok, ok_or_non_strict
from .model import BINARY, CLOSE, PING, TEXT, Case, KillAfter, Message, SendFrame

__all__ = ["CASES"]

_HELLO = b"Hello, world!"
_EXPECT_FAIL = (
    "The peer fails the connection at once (1002): RSV bits must be 0 when no extension "
    "gives them a meaning."
)


def _alone(case_id: str, what: str, frame: SendFrame) -> Case:
    return Case(
        id=case_id,
        description=f"Send {what} with RSV = {frame.rsv}.",
        expectation=_EXPECT_FAIL,
        steps=(frame, KillAfter(1)),
        expected=ok(),
        expected_close=PEER_FAILS_1002,
    )


def _after_valid(case_id: str, rsv: int, sync: bool, chop: int | None) -> Case:
    how = ""
    if sync:
        how = " Each frame is its own write."
    elif chop == 1:
        how = " Every frame is written one octet at a time."
    frames = (
        SendFrame(TEXT, _HELLO, sync=sync, chopsize=chop),
        SendFrame(TEXT, _HELLO, rsv=rsv, sync=sync, chopsize=chop),
        SendFrame(PING, sync=sync, chopsize=chop),
    )
    return Case(
        id=case_id,
        description=(
            f"Send a small text message, the same message again with RSV = {rsv}, then a ping.{how}"
        ),
        expectation=(
            "The first message is echoed, then the peer fails the connection at the "
            "second one (1002), so no pong comes back. Failing without echoing the first "
            "message is tolerated (NON-STRICT)."
        ),
        steps=(*frames, KillAfter(1)),
        expected=ok_or_non_strict((Message(_HELLO),), ()),
        expected_close=PEER_FAILS_1002,
    )


CASES: tuple[Case, ...] = (
    _alone("3.1", "a small text message", SendFrame(TEXT, _HELLO, rsv=1)),
    _after_valid("3.2", 2, sync=False, chop=None),
    _after_valid("3.3", 3, sync=True, chop=None),
    _after_valid("3.4", 4, sync=False, chop=1),
    _alone(
        "3.5",
        "a small binary message",
        SendFrame(BINARY, b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff", rsv=5),
    ),
    # Autobahn's description says "Ping", but the frame it sends is binary (case/case3_6.py).
    _alone(
        "3.6",
        "a binary frame (not a ping) with payload Hello, world!",
        SendFrame(BINARY, _HELLO, rsv=6),
    ),
    _alone("3.7", "a close frame with an empty body", SendFrame(CLOSE, rsv=7)),
)
