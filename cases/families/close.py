"""The ``cl`` family: close codes and close bodies that Autobahn's catalog never sends.

Autobahn's section 7 predates the registration of 1012-1014 with IANA (its 7.7 never
sends them, and its library rejects them), and reports 5000 and above as undefined
(7.13). These cases judge by RFC 6455 section 7.4 and the IANA "WebSocket Close Code
Number Registry" (:mod:`wsconform.reference.protocol.close`); the tester accepts
1012-1014 in a peer's close frame in this family.

* ``cl.1``: 1012 (Service Restart), 1013 (Try Again Later), 1014 (Bad Gateway) are
  registered: the peer answers with 1000 or the same code.
* ``cl.2``: 1015 and unassigned codes of 1000-2999 must not appear on the wire: 1002.
* ``cl.3``: 5000 and above fall in no range of section 7.4.2: 1002, an echo tolerated.
* ``cl.4``: close bodies: one byte, a fragmented close, a long multi-byte reason, a
  reason cut inside a code point.
* ``cl.5``: frames after the tester's close frame, in the same write: the peer discards
  them and answers the close with 1000.
"""

from __future__ import annotations

from wsconform.cases.common import PEER_FAILS_1002, TESTER_CLOSES, closing_case, ok
from wsconform.cases.model import (
    CLOSE,
    CONT,
    TEXT,
    Alternative,
    Case,
    ExpectedClose,
    KillAfter,
    SendClose,
    SendFrame,
    SendWireFrame,
)

__all__ = ["CASES", "INVALID_CODES", "REGISTERED_CODES", "SUBSECTION_TITLES", "UNDEFINED_CODES"]

#: cl.1: codes registered with IANA after RFC 6455, with the registry's names.
REGISTERED_CODES: tuple[tuple[int, bytes | None], ...] = (
    (1012, None),
    (1013, None),
    (1014, None),
    (1012, b"Service Restart"),
    (1014, b"Bad Gateway"),
)
#: cl.2: 1015 and a sample of the unassigned codes of 1016-2999 (Autobahn's 7.9 sends
#: 1016, 1100, 2000 and 2999).
INVALID_CODES: tuple[int, ...] = (1015, 1017, 1099, 1500, 1999, 2998)
#: cl.3: codes above every range of section 7.4.2 (Autobahn's 7.13 sends 5000, 65535).
UNDEFINED_CODES: tuple[int, ...] = (5000, 9999, 32768, 65535)

_REGISTRY = (
    "The IANA WebSocket Close Code Number Registry lists 1012 (Service Restart), 1013 "
    '(Try Again Later) and 1014 (Bad Gateway); RFC 6455 section 7.4.2: "Status codes in '
    "the range 1000-2999 are reserved for definition by this protocol, its future "
    "revisions, and extensions specified in a permanent and readily available public "
    'specification."'
)
_RESERVED_1015 = (
    'RFC 6455 section 7.4.1: "1015 is a reserved value and MUST NOT be set as a status '
    'code in a Close control frame by an endpoint."'
)
_UNASSIGNED = (
    "RFC 6455 section 7.4.2 reserves 1000-2999 for this protocol and its extensions, and "
    "the IANA registry assigns none of 1016-2999: no endpoint may send one."
)
_RANGES = (
    'RFC 6455 section 5.5.1: the body starts with "a status code with value /code/ '
    'defined in Section 7.4"; section 7.4.2 defines 0-999, 1000-2999, 3000-3999 and '
    "4000-4999 only."
)
_DISCARD = (
    'RFC 6455 section 1.4: "after receiving a control frame indicating the connection '
    'should be closed, a peer discards any further data received."'
)
_INVALID_REASON = b"\xc3\xa9" * 60 + b"\xc3"

_PROTOCOL_ERROR = ExpectedClose(closed_by_me=True, close_codes=(1002,), require_clean=False)


def _registered(n: int, code: int, reason: bytes | None) -> Case:
    with_reason = f' and the reason "{reason.decode()}"' if reason else " and no reason"
    return closing_case(
        f"cl.1.{n}",
        f"Send a close frame with the registered code {code}{with_reason}. {_REGISTRY}",
        f"Clean close with normal code (1000) or {code} echoed.",
        (SendClose(code, reason, raw=True),),
        ExpectedClose(closed_by_me=True, close_codes=(1000, code), require_clean=True),
    )


def _invalid(n: int, code: int) -> Case:
    rfc = _RESERVED_1015 if code == 1015 else _UNASSIGNED
    return closing_case(
        f"cl.2.{n}",
        f"Send a close frame with the code {code} and no reason. {rfc}",
        "The peer fails the connection with protocol error (1002), or drops TCP.",
        (SendClose(code, raw=True),),
        _PROTOCOL_ERROR,
    )


def _undefined(n: int, code: int) -> Case:
    return closing_case(
        f"cl.3.{n}",
        f"Send a close frame with the code {code} and no reason. {_RANGES}",
        "The peer fails the connection with protocol error (1002), or drops TCP; a clean "
        "close with 1000 or the code echoed is tolerated (NON-STRICT): Autobahn's 7.13 "
        "calls it undefined.",
        (SendClose(code, raw=True),),
        _PROTOCOL_ERROR,
        alternatives=(
            Alternative(
                (),
                ExpectedClose(closed_by_me=True, close_codes=(1000, code), require_clean=True),
                f"it accepted {code}, which no range of section 7.4.2 defines; tolerated, "
                "as Autobahn's 7.13 leaves it open, but 1002 is the answer.",
            ),
        ),
    )


_BODIES: tuple[Case, ...] = (
    closing_case(
        "cl.4.1",
        "Send a close frame whose body is the single byte 0x03 (half of a close code). "
        'RFC 6455 section 5.5.1: "If there is a body, the first two bytes of the body MUST '
        'be a 2-byte unsigned integer".',
        "The peer fails the connection with protocol error (1002), or drops TCP.",
        (SendClose(None, b"\x03", raw=True),),
        _PROTOCOL_ERROR,
    ),
    closing_case(
        "cl.4.2",
        "Send the first fragment of a text message, then a close frame with the 1-byte "
        'body 0x03. RFC 6455 section 5.5.1: "the first two bytes of the body MUST be a '
        '2-byte unsigned integer"; section 5.4: control frames "MAY be injected in the '
        'middle of a fragmented message".',
        "The peer fails the connection with protocol error (1002), or drops TCP.",
        (SendFrame(TEXT, b"fragment1", fin=False), SendClose(None, b"\x03", raw=True)),
        _PROTOCOL_ERROR,
    ),
    Case(
        id="cl.4.3",
        description=(
            "Send a close frame with code 1000 and FIN=0, as if fragmented. RFC 6455 "
            'section 5.5: "Control frames themselves MUST NOT be fragmented."'
        ),
        expectation="The peer fails the connection (1002).",
        steps=(SendFrame(CLOSE, (1000).to_bytes(2, "big"), fin=False), KillAfter(1)),
        expected=ok(),
        expected_close=PEER_FAILS_1002,
        wrong_code_fails=True,
    ),
    closing_case(
        "cl.4.4",
        "Send a close frame with code 1000 and a reason of 41 three-byte UTF-8 characters "
        '(123 bytes, a 125-byte body). RFC 6455 section 5.5: "All control frames MUST have '
        'a payload length of 125 bytes or less"; section 5.5.1: the reason is '
        '"UTF-8-encoded data".',
        "Clean close with normal code.",
        (SendClose(1000, "\u20ac".encode() * 41),),
        TESTER_CLOSES,
    ),
    closing_case(
        "cl.4.5",
        "Send a close frame with code 1000 and a 121-byte reason whose last character is "
        "cut after its first byte. RFC 6455 section 8.1: an endpoint that finds invalid "
        'UTF-8 "MUST _Fail the WebSocket Connection_".'
        f"<br><br>Reason: 0x{_INVALID_REASON.hex()}",
        "The peer fails the connection with invalid payload (1007) or protocol error "
        "(1002), or drops TCP.",
        (SendClose(1000, _INVALID_REASON, raw=True),),
        ExpectedClose(closed_by_me=True, close_codes=(1007, 1002), require_clean=False),
        hex_local_close_reason=True,
    ),
)


def _after_close(n: int, what: str, frame: SendFrame | SendWireFrame) -> Case:
    return closing_case(
        f"cl.5.{n}",
        f"Send a close frame with code 1000 and, in the same write, {what}. {_DISCARD}",
        "The frame after the close is discarded, not answered or judged: clean close with "
        "normal code.",
        (SendClose(1000), frame),
        TESTER_CLOSES,
    )


_AFTER_CLOSE: tuple[Case, ...] = (
    _after_close(1, "a text message that is not valid UTF-8", SendFrame(TEXT, b"\xce\xba\xff")),
    _after_close(2, "a frame with the reserved opcode 3", SendFrame(3, b"reserved")),
    _after_close(3, "a continuation frame outside any message", SendFrame(CONT, b"stray")),
    _after_close(4, "a text message with RSV = 7", SendFrame(TEXT, b"Hello", rsv=7)),
    _after_close(
        5,
        "a frame header declaring a 64-bit length with the most significant bit set (the "
        "server must still close TCP, not wait for that payload)",
        SendWireFrame(TEXT, b"", length=2**63, length_bits=64),
    ),
)


CASES: tuple[Case, ...] = (
    *(_registered(n, code, reason) for n, (code, reason) in enumerate(REGISTERED_CODES, 1)),
    *(_invalid(n, code) for n, code in enumerate(INVALID_CODES, start=1)),
    *(_undefined(n, code) for n, code in enumerate(UNDEFINED_CODES, start=1)),
    *_BODIES,
    *_AFTER_CLOSE,
)

SUBSECTION_TITLES: dict[str, str] = {
    "cl.1": "Close codes registered after RFC 6455 (1012-1014)",
    "cl.2": "Reserved and unassigned close codes of 1000-2999",
    "cl.3": "Close codes of 5000 and above",
    "cl.4": "Close frame bodies",
    "cl.5": "Frames after the close frame",
}
