"""Section 7, Close handling: the tester starts the closing handshake in many shapes.

RFC 6455 section 5.5.1: after a close frame "the endpoint MUST send a Close frame in
response" and, having sent one, "the application MUST NOT send any more data frames";
section 7.4.1 lists the defined codes, section 7.4.2 the reserved ones; a close body of
one byte, over 125 bytes, or with a reason that is not UTF-8 is a protocol violation.

Except in 7.1.1, the tester's close goes out at t=0, so the tester is always the side
that closes first. In all of them except 7.1.1, 7.7 and 7.9 the tester never auto-closes
(Autobahn's ``suppressClose``; 7.7 and 7.9 have already sent their close). A WRONG CODE
close verdict also fails ``behavior`` in 7.1.1-7.1.5, 7.3, 7.5, 7.7 and 7.9; 7.1.6 and
7.13 are informational.
"""

from __future__ import annotations

from .common import TESTER_CLOSES, closing_case, ok, ok_or_non_strict
from .model import (
    CLOSE,
    CONT,
    PING,
    TEXT,
    Case,
    ExpectedClose,
    Informational,
    KillAfter,
    Message,
    SendClose,
    SendFrame,
    Verdict,
)

__all__ = ["CASES", "INVALID_CODES", "VALID_CODES"]

#: 7.7.1-7.7.13: codes a peer must accept (section 7.4.1, and 3000-4999 of 7.4.2).
VALID_CODES = (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999)
#: 7.9.1-7.9.9: codes that must not appear on the wire (section 7.4.1 and 7.4.2).
INVALID_CODES = (0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999)

_HELLO = b"Hello World!"
_CLEAN_NORMAL = "Clean close with normal code."
_PROTOCOL_ERROR = ExpectedClose(closed_by_me=True, close_codes=(1002,), require_clean=False)
_UNDEFINED = "The spec leaves what happens here undefined; this case only reports it."


_BASIC: tuple[Case, ...] = (
    Case(
        id="7.1.1",
        description="Send a text message; once it is echoed, the tester closes.",
        expectation="The message is echoed, then a clean close with normal code.",
        steps=(SendFrame(TEXT, _HELLO), KillAfter(1)),
        expected=ok(Message(_HELLO)),
        expected_close=TESTER_CLOSES,
        wrong_code_fails=True,
    ),
    closing_case(
        "7.1.2",
        "Send a close frame with code 1000, then a second, empty close frame.",
        f"{_CLEAN_NORMAL} The second close frame is ignored.",
        (SendClose(1000), SendFrame(CLOSE)),
    ),
    closing_case(
        "7.1.3",
        "Send a close frame with code 1000, then a ping.",
        f"{_CLEAN_NORMAL} The ping after the close is not answered.",
        (SendClose(1000), SendFrame(PING)),
    ),
    closing_case(
        "7.1.4",
        "Send a close frame with code 1000, then a text message.",
        f"{_CLEAN_NORMAL} The message after the close is not echoed.",
        (SendClose(1000), SendFrame(TEXT, _HELLO)),
    ),
    closing_case(
        "7.1.5",
        "Send the first fragment of a text message, a close frame with code 1000, then "
        "the last fragment.",
        _CLEAN_NORMAL,
        (SendFrame(TEXT, b"fragment1", fin=False), SendClose(1000), SendFrame(CONT, b"fragment2")),
    ),
    Case(
        id="7.1.6",
        description=(
            "Send a 256 KiB text message, a small text message, a close frame with code "
            "1000 and a ping, back to back."
        ),
        expectation=(
            "Depends on how the implementation orders its work: the small message may be "
            "echoed before the close is handled, or the close may be handled first and "
            "the messages dropped. Only reported."
        ),
        steps=(
            SendFrame(TEXT, b"BAsd7&jh23", repeat_length=256 * 2**10),
            SendFrame(TEXT, _HELLO),
            SendClose(1000),
            SendFrame(PING),
            KillAfter(1),
        ),
        expected=ok_or_non_strict((Message(_HELLO),), ()),
        expected_close=TESTER_CLOSES,
        suppress_auto_close=True,
        informational=Informational(
            results={
                Verdict.OK: "The text message was handled before the close.",
                Verdict.NON_STRICT: "The close was handled before the text message came back.",
            }
        ),
    ),
)

_STRUCTURE: tuple[Case, ...] = (
    closing_case(
        "7.3.1",
        "Send a close frame with an empty body (no code, no reason).",
        _CLEAN_NORMAL,
        (SendClose(),),
    ),
    closing_case(
        "7.3.2",
        "Send a close frame with a 1-byte body.",
        "Clean close with protocol error (1002), or a dropped TCP connection.",
        (SendClose(None, b"a", raw=True),),
        _PROTOCOL_ERROR,
    ),
    closing_case(
        "7.3.3",
        "Send a close frame with code 1000 and no reason.",
        _CLEAN_NORMAL,
        (SendClose(1000),),
    ),
    closing_case(
        "7.3.4",
        "Send a close frame with code 1000 and a reason.",
        _CLEAN_NORMAL,
        (SendClose(1000, _HELLO),),
    ),
    closing_case(
        "7.3.5",
        "Send a close frame with code 1000 and a 123-byte reason: a 125-byte body, the most "
        "a control frame may carry.",
        _CLEAN_NORMAL,
        (SendClose(1000, b"*" * 123),),
    ),
    closing_case(
        "7.3.6",
        "Send a close frame with code 1000 and a 124-byte reason: a 126-byte body, one byte "
        "too long.",
        "Clean close with protocol error (1002), or a dropped TCP connection.",
        (SendClose(1000, b"*" * 124, raw=True),),
        _PROTOCOL_ERROR,
    ),
)

_INVALID_REASON = bytes.fromhex("cebae1bdb9cf83cebcceb5eda080656469746564")

_PAYLOAD_VALUE = Case(
    id="7.5.1",
    description="Send a close frame with code 1000 and a reason that is not valid UTF-8."
    f"<br><br>Reason: 0x{_INVALID_REASON.hex()}",
    expectation="Clean close with protocol error (1002) or invalid payload (1007), or a "
    "dropped TCP connection.",
    steps=(SendClose(1000, _INVALID_REASON, raw=True), KillAfter(1)),
    expected=ok(),
    expected_close=ExpectedClose(closed_by_me=True, close_codes=(1002, 1007), require_clean=False),
    suppress_auto_close=True,
    wrong_code_fails=True,
    hex_local_close_reason=True,
)


def _code_case(case_id: str, code: int, valid: bool) -> Case:
    # The raw form sends the code exactly, valid or not; these cases may auto-close
    # (Autobahn does not suppress it), which is moot once the close is out.
    expected_close = (
        ExpectedClose(closed_by_me=True, close_codes=(1000, code), require_clean=True)
        if valid
        else _PROTOCOL_ERROR
    )
    return Case(
        id=case_id,
        description=f"Send a close frame with the {'valid' if valid else 'invalid'} close "
        f"code {code} and no reason.",
        expectation="Clean close with normal code or the same code echoed."
        if valid
        else "Clean close with protocol error (1002), or a dropped TCP connection.",
        steps=(SendClose(code, raw=True), KillAfter(1)),
        expected=ok(),
        expected_close=expected_close,
        wrong_code_fails=True,
    )


def _informational(case_id: str, code: int) -> Case:
    return Case(
        id=case_id,
        description=f"Send a close frame with the close code {code}.",
        expectation=_UNDEFINED,
        steps=(SendClose(code, raw=True), KillAfter(1)),
        expected=ok(),
        expected_close=ExpectedClose(
            closed_by_me=True, close_codes=(1000, code, 1002), require_clean=False
        ),
        suppress_auto_close=True,
        informational=Informational(result=_UNDEFINED),
    )


CASES: tuple[Case, ...] = (
    *_BASIC,
    *_STRUCTURE,
    _PAYLOAD_VALUE,
    *(_code_case(f"7.7.{n}", code, True) for n, code in enumerate(VALID_CODES, start=1)),
    *(_code_case(f"7.9.{n}", code, False) for n, code in enumerate(INVALID_CODES, start=1)),
    _informational("7.13.1", 5000),
    _informational("7.13.2", 65535),
)
