"""Section 6, UTF-8 handling: text messages must be valid UTF-8, checked as they arrive.

RFC 6455 section 8.1: "When an endpoint is to interpret a byte stream as UTF-8 but finds
that the byte stream is not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the
WebSocket Connection_." Section 7.4.1 gives 1007 for "data within a message that was not
consistent with the type of the message". 6.1-6.4 are hand-written (empty fragments,
fragments inside code points, fail-fast); 6.5-6.23 come from :mod:`.utf8_vectors`.
"""

from __future__ import annotations

from .common import PEER_FAILS_1007, TESTER_CLOSES, ok, ok_or_non_strict
from .model import (
    CONT,
    TEXT,
    Case,
    CloseAfter,
    ContinueLater,
    KillAfter,
    Message,
    RecordTimeout,
    SendFrame,
    SendMessage,
    Step,
    StreamFrameData,
    StreamFrameHeader,
    Timeout,
)
from .utf8_vectors import GROUPS, KOSME

__all__ = ["CASES", "SUBSECTION_TITLES"]

#: "Hello-µ@ßöäüàá-UTF-8!!" in UTF-8 (29 bytes).
HELLO = "Hello-\u00b5@\u00df\u00f6\u00e4\u00fc\u00e0\u00e1-UTF-8!!".encode()
#: UTF-8-style encoding of the surrogate U+D800, which UTF-8 forbids.
SURR = bytes.fromhex("eda080")
EDITED = b"edited"
#: Would be U+110000, above the Unicode range; its second byte 0x90 is the first bad one.
BAD4 = bytes.fromhex("f4908080")

_ECHOED = "The message is echoed. Clean close with normal code."
_FAIL_1007 = "The peer fails the connection at once (1007): the payload is not valid UTF-8."


def _echo_case(case_id: str, description: str, steps: tuple[Step, ...], payload: bytes) -> Case:
    return Case(
        id=case_id,
        description=description,
        expectation=_ECHOED,
        steps=(*steps, CloseAfter(1)),
        expected=ok(Message(payload)),
        expected_close=TESTER_CLOSES,
    )


def _fail_fast(case_id: str, parts: tuple[bytes, bytes, bytes], streamed: bool) -> Case:
    """6.4.x: three parts 1 s apart; the peer should fail as soon as part 2 arrives."""
    first, second, third = parts
    sends: tuple[Step, Step, Step]
    tail: tuple[Step, ...]
    if streamed:
        total = len(first) + len(second) + len(third)
        sends = (StreamFrameData(first), StreamFrameData(second), StreamFrameData(third))
        head: tuple[Step, ...] = (StreamFrameHeader(TEXT, total, fin=False),)
        tail = (SendFrame(CONT, b"", fin=True),)
        how = (
            f"one text frame (FIN=0, declared length {total}) whose payload is written in "
            "three parts, followed by an empty final continuation frame"
        )
    else:
        sends = (
            SendFrame(TEXT, first, fin=False),
            SendFrame(CONT, second, fin=False),
            SendFrame(CONT, third, fin=True),
        )
        head, tail = (), ()
        how = "three frames"
    return Case(
        id=case_id,
        description=(
            f"Send an invalid UTF-8 text message as {how}, 1 s apart. Part 1 is valid; "
            "part 2 makes the sequence invalid; part 3 is the rest."
            f"<br><br>PART1 = {first.hex()}<br>PART2 = {second.hex()}<br>PART3 = {third.hex()}"
        ),
        expectation=(
            "Part 1 is accepted, so the first wait times out. The peer should fail the "
            "connection (1007) as soon as part 2 arrives, before the message is complete "
            "(fail-fast). Failing only after part 3 is tolerated (NON-STRICT)."
        ),
        steps=(
            *head,
            sends[0],
            ContinueLater(1, "A"),
            RecordTimeout("A"),
            sends[1],
            ContinueLater(1, "B"),
            RecordTimeout("B"),
            sends[2],
            *tail,
            KillAfter(1),
        ),
        expected=ok_or_non_strict((Timeout("A"),), (Timeout("A"), Timeout("B"))),
        expected_close=PEER_FAILS_1007,
    )


_INVALID_20 = KOSME + SURR + EDITED

_HAND_WRITTEN: tuple[Case, ...] = (
    _echo_case("6.1.1", "Send a text message with an empty payload.", (SendFrame(TEXT, b""),), b""),
    _echo_case(
        "6.1.2",
        "Send a text message in three fragments, each of them empty.",
        (SendFrame(TEXT, b"", fin=False), SendFrame(CONT, b"", fin=False), SendFrame(CONT, b"")),
        b"",
    ),
    _echo_case(
        "6.1.3",
        "Send a text message in three fragments: empty, non-empty, empty.",
        (
            SendFrame(TEXT, b"", fin=False),
            SendFrame(CONT, b"middle frame payload", fin=False),
            SendFrame(CONT, b""),
        ),
        b"middle frame payload",
    ),
    _echo_case(
        "6.2.1",
        f"Send a valid UTF-8 text message in one frame.<br><br>MESSAGE: {HELLO.hex()}",
        (SendMessage(HELLO),),
        HELLO,
    ),
    _echo_case(
        "6.2.2",
        "Send a valid UTF-8 text message in two fragments split on a code point boundary."
        f"<br><br>FRAGMENT 1: {HELLO[:15].hex()}<br>FRAGMENT 2: {HELLO[15:].hex()}",
        (SendFrame(TEXT, HELLO[:15], fin=False), SendFrame(CONT, HELLO[15:])),
        HELLO,
    ),
    _echo_case(
        "6.2.3",
        "Send a valid UTF-8 text message in 1-byte fragments, so that frames end inside "
        f"code points.<br><br>MESSAGE: {HELLO.hex()}",
        (SendMessage(HELLO, fragment_size=1),),
        HELLO,
    ),
    _echo_case(
        "6.2.4",
        "Send a valid UTF-8 text message (Greek) in 1-byte fragments, so that frames end "
        f"inside code points.<br><br>MESSAGE: {KOSME.hex()}",
        (SendMessage(KOSME, fragment_size=1),),
        KOSME,
    ),
    Case(
        id="6.3.1",
        description=f"Send an invalid UTF-8 text message in one frame.<br><br>MESSAGE: "
        f"{_INVALID_20.hex()}",
        expectation=_FAIL_1007,
        steps=(SendMessage(_INVALID_20), KillAfter(1)),
        expected=ok(),
        expected_close=PEER_FAILS_1007,
    ),
    Case(
        id="6.3.2",
        description="Send the invalid UTF-8 text message of 6.3.1 in 1-byte fragments."
        f"<br><br>MESSAGE: {_INVALID_20.hex()}",
        expectation=_FAIL_1007,
        steps=(SendMessage(_INVALID_20, fragment_size=1), KillAfter(1)),
        expected=ok(),
        expected_close=PEER_FAILS_1007,
    ),
    _fail_fast("6.4.1", (KOSME, BAD4, EDITED), streamed=False),
    _fail_fast("6.4.2", (KOSME + BAD4[:1], BAD4[1:2], BAD4[2:] + EDITED), streamed=False),
    _fail_fast("6.4.3", (KOSME, BAD4, EDITED), streamed=True),
    _fail_fast("6.4.4", (KOSME + BAD4[:1], BAD4[1:2], BAD4[2:] + EDITED), streamed=True),
)


def _vector_case(case_id: str, valid: bool, payload: bytes) -> Case:
    if valid:
        return Case(
            id=case_id,
            description="Send a text message whose payload is valid UTF-8, in one frame."
            f"<br><br>Payload: 0x{payload.hex()}",
            expectation="The message is echoed.",
            steps=(SendMessage(payload), KillAfter(0.5)),
            expected=ok(Message(payload)),
            expected_close=TESTER_CLOSES,
        )
    return Case(
        id=case_id,
        description="Send a text message whose payload is not valid UTF-8, in one frame."
        f"<br><br>Payload: 0x{payload.hex()}",
        expectation=_FAIL_1007,
        steps=(SendMessage(payload), KillAfter(0.5)),
        expected=ok(),
        expected_close=PEER_FAILS_1007,
    )


_GENERATED: tuple[Case, ...] = tuple(
    _vector_case(f"6.{i}.{j}", vector.valid, vector.payload)
    for i, group in enumerate(GROUPS, start=5)
    for j, vector in enumerate(group.vectors, start=1)
)

#: Titles of the generated subsections 6.5-6.23.
SUBSECTION_TITLES: dict[str, str] = {
    f"6.{i}": group.title for i, group in enumerate(GROUPS, start=5)
}

CASES: tuple[Case, ...] = _HAND_WRITTEN + _GENERATED
