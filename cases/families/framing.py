"""The ``fr`` family: framing that Autobahn's catalog never sends (RFC 6455 section 5).

Autobahn's sender always writes the minimal length encoding, masks as its role says and
never declares a length it does not send. These cases do, through
:class:`~wsconform.cases.model.SendWireFrame`:

* ``fr.1``: non-minimal length encodings. Section 5.2: "in all cases, the minimal number
  of bytes MUST be used to encode the length". The MUST is the sender's; the RFC gives
  the receiver no rule, and its ABNF (``frame-payload-length-16 = %x0000-FFFF``) admits
  the long forms. Failing the connection with 1002, as for any frame that breaks the
  framing rules, is OK (the reference and Autobahn's own library do); accepting the
  frame and answering it is tolerated (NON-STRICT); anything else fails.
* ``fr.2``: a 64-bit length with the most significant bit set. Section 5.2: "the most
  significant bit MUST be 0": no conforming frame has it, no receiver can buffer it, so
  the peer must fail at once (1002; 1009, message too big, is tolerated).
* ``fr.3`` (servers) and ``fr.4`` (clients): masking for the wrong role. Section 5.1:
  "The server MUST close the connection upon receiving a frame that is not masked" and
  "A client MUST close a connection if it detects a masked frame", each with "MAY send
  a Close frame with a status code of 1002".
* ``fr.5``: a ping of exactly 125 bytes, the largest control frame (section 5.5: "All
  control frames MUST have a payload length of 125 bytes or less"), inside a fragmented
  message (section 5.4: "Control frames ... MAY be injected in the middle of a
  fragmented message").
* ``fr.6``: the largest frame headers (16- and 64-bit lengths, masking key) written a
  few octets at a time, the payload after them in one write: section 5.2 frames are a
  byte stream, and TCP may cut them anywhere.
"""

from __future__ import annotations

from wsconform.cases.common import PEER_FAILS_1002, TESTER_CLOSES, ok, ok_or_non_strict
from wsconform.cases.model import (
    BINARY,
    CLOSE,
    CONT,
    PING,
    PONG,
    TEXT,
    Alternative,
    AppliesTo,
    Case,
    CloseAfter,
    Event,
    ExpectedClose,
    KillAfter,
    Message,
    Pong,
    SendFrame,
    SendWireFrame,
    Step,
)

__all__ = ["CASES", "SUBSECTION_TITLES"]

_HELLO = b"Hello, world!"
_F1, _F2, _F3 = b"fragment1", b"fragment2", b"fragment3"
_PING_125 = bytes(range(125))

_MINIMAL = (
    'RFC 6455 section 5.2: "in all cases, the minimal number of bytes MUST be used to '
    'encode the length".'
)
_MSB = 'RFC 6455 section 5.2: "the most significant bit MUST be 0".'
_SERVER_MASK = (
    'RFC 6455 section 5.1: "The server MUST close the connection upon receiving a frame '
    'that is not masked."'
)
_CLIENT_MASK = (
    'RFC 6455 section 5.1: "A server MUST NOT mask any frames that it sends to the '
    'client. A client MUST close a connection if it detects a masked frame."'
)
_INJECTED = (
    'RFC 6455 section 5.4: "Control frames (see Section 5.5) MAY be injected in the '
    'middle of a fragmented message"; section 5.5: "All control frames MUST have a '
    'payload length of 125 bytes or less".'
)
_STREAM = (
    'RFC 6455 section 5.2: "If 126, the following 2 bytes interpreted as a 16-bit unsigned '
    "integer are the payload length. If 127, the following 8 bytes interpreted as a "
    "64-bit unsigned integer (the most significant bit MUST be 0) are the payload "
    'length"; TCP may deliver those bytes in any number of pieces.'
)

#: The tester closes after accepting what the peer echoed (its killAfter: 1001).
_TESTER_ENDS = ExpectedClose(closed_by_me=True, close_codes=(1000, 1001), require_clean=True)


def _echo_of(step: SendWireFrame) -> tuple[Event, ...]:
    """What a peer that accepts a lone frame sends back: an echo or a pong."""
    if step.opcode == PING:
        return (Pong(step.payload),)
    return (Message(step.payload, binary=step.opcode == BINARY),)


def _what(step: SendWireFrame) -> str:
    kinds: dict[int, str] = {TEXT: "text", BINARY: "binary", PING: "ping", CLOSE: "close"}
    return f"a {len(step.payload)}-byte {kinds.get(step.opcode, 'data')} frame"


# --- fr.1: non-minimal length encodings ---------------------------------------------------

#: (opcode, payload, length field): each payload in a longer field than it needs.
_NON_MINIMAL: tuple[tuple[int, bytes, int], ...] = (
    (TEXT, b"", 16),
    (TEXT, _HELLO, 16),
    (BINARY, b"\xfe" * 125, 16),
    (TEXT, _HELLO, 64),
    (BINARY, b"\xfe" * 126, 64),
    (BINARY, b"\xfe" * 65535, 64),
    (PING, b"ping payload", 16),
)


def _non_minimal(n: int, opcode: int, payload: bytes, bits: int) -> Case:
    step = SendWireFrame(opcode, payload, length_bits=bits)
    minimal = 7 if len(payload) < 126 else 16
    return Case(
        id=f"fr.1.{n}",
        description=(
            f"Send {_what(step)} whose length is written in the {bits}-bit form (the "
            f"minimal form is {minimal}-bit). {_MINIMAL}"
        ),
        expectation=(
            "The peer fails the connection (1002): the frame breaks section 5.2. The MUST "
            "is on the sender and the RFC gives the receiver no rule, so accepting the "
            "frame and answering it is tolerated (NON-STRICT)."
        ),
        steps=(step, KillAfter(1)),
        expected=ok(),
        expected_close=PEER_FAILS_1002,
        alternatives=(
            Alternative(
                _echo_of(step),
                _TESTER_ENDS,
                "it accepted a non-minimal length; section 5.2 binds the sender, so this "
                "is tolerated, but failing the connection with 1002 is preferred.",
            ),
        ),
    )


# --- fr.2: a 64-bit length with the most significant bit set ------------------------------

_MSB_LENGTHS: tuple[tuple[int, bytes, int], ...] = (
    (BINARY, b"", 2**63),
    (TEXT, _HELLO, 2**63 + len(_HELLO)),
    (BINARY, b"\xfe" * 8, 2**64 - 1),
)


def _msb_set(n: int, opcode: int, payload: bytes, length: int) -> Case:
    step = SendWireFrame(opcode, payload, length=length, length_bits=64)
    kind = "text" if opcode == TEXT else "binary"
    return Case(
        id=f"fr.2.{n}",
        description=(
            f"Send a {kind} frame header declaring a 64-bit length of 0x{length:016x} (the "
            f"most significant bit set), followed by {len(payload)} payload bytes. {_MSB}"
        ),
        expectation=(
            "The peer fails the connection at once with 1002 and does not wait for the "
            "payload; 1009 (message too big) is tolerated (NON-STRICT)."
        ),
        steps=(step, KillAfter(1)),
        expected=ok(),
        expected_close=PEER_FAILS_1002,
        wrong_code_fails=True,
        alternatives=(
            Alternative(
                (),
                ExpectedClose(closed_by_me=False, close_codes=(1009,), require_clean=False),
                "a length with the top bit set is a framing error (section 5.2), for which "
                "1002 is the code; 1009 is tolerated.",
            ),
        ),
    )


# --- fr.3 / fr.4: masking for the wrong role ---------------------------------------------


def _mask_case(
    case_id: str,
    target: AppliesTo,
    what: str,
    steps: tuple[Step, ...],
    *,
    echo_first: bool = False,
    wrong_code_fails: bool = False,
) -> Case:
    rfc = _SERVER_MASK if target == "server" else _CLIENT_MASK
    bad = "unmasked" if target == "server" else "masked"
    expectation = f"The {target} fails the connection (1002) at the {bad} frame."
    expected = ok()
    if echo_first:
        expectation += (
            " The valid message before it is echoed first; failing without echoing it is "
            "tolerated (NON-STRICT)."
        )
        expected = ok_or_non_strict((Message(_HELLO),), ())
    return Case(
        id=case_id,
        description=f"Send {what}. {rfc}",
        expectation=expectation,
        steps=(*steps, KillAfter(1)),
        expected=expected,
        expected_close=PEER_FAILS_1002,
        wrong_code_fails=wrong_code_fails,
        applies_to=target,
    )


def _wrong_mask(target: AppliesTo) -> tuple[Case, ...]:
    """The same table for both roles: each frame with the other role's masking."""
    masked = target == "client"
    bad = "masked" if masked else "unmasked"
    a_bad = f"a {bad}" if masked else f"an {bad}"
    prefix = "fr.3" if target == "server" else "fr.4"

    def frame(opcode: int, payload: bytes = b"", *, fin: bool = True) -> SendWireFrame:
        return SendWireFrame(opcode, payload, fin=fin, masked=masked)

    rows: tuple[tuple[str, tuple[Step, ...], bool, bool], ...] = (
        (f"{a_bad} text message", (frame(TEXT, _HELLO),), False, False),
        (f"{a_bad} binary message", (frame(BINARY, b"\x00\xff" * 4),), False, False),
        (f"{a_bad} empty text message", (frame(TEXT),), False, False),
        (f"{a_bad} ping; no pong may come back", (frame(PING, b"ping"),), False, False),
        (
            f"{a_bad} close frame with code 1000: the peer must fail (1002), not close normally",
            (frame(CLOSE, (1000).to_bytes(2, "big")),),
            False,
            True,
        ),
        (
            f"a valid text message, then the same message {bad}",
            (SendFrame(TEXT, _HELLO), frame(TEXT, _HELLO)),
            True,
            False,
        ),
        (
            f"the first fragment of a text message as the role requires, then {a_bad} "
            "last fragment",
            (SendFrame(TEXT, _F1, fin=False), frame(CONT, _F2)),
            False,
            False,
        ),
    )
    cases = [
        _mask_case(f"{prefix}.{n}", target, what, steps, echo_first=echo, wrong_code_fails=code)
        for n, (what, steps, echo, code) in enumerate(rows, start=1)
    ]
    if target == "client":
        zero = SendWireFrame(TEXT, _HELLO, masked=True, mask_key=b"\x00\x00\x00\x00")
        cases.append(
            _mask_case(
                f"{prefix}.{len(rows) + 1}",
                target,
                "a text message masked with the all-zero key: the payload bytes are the "
                "plain text, but the MASK bit is set",
                (zero,),
            )
        )
    return tuple(cases)


_ZERO_KEY = Case(
    id="fr.3.8",
    description=(
        "Send a text message masked with the all-zero masking key (the masked payload is "
        'the plain text). RFC 6455 section 5.3: "The masking key is a 32-bit value '
        'chosen at random by the client"; a server cannot tell a zero key from a random '
        "one, and the frame is masked, so it is valid."
    ),
    expectation=("The message is echoed; rejecting the predictable key is tolerated (NON-STRICT)."),
    steps=(SendWireFrame(TEXT, _HELLO, masked=True, mask_key=b"\x00\x00\x00\x00"), KillAfter(1)),
    expected=ok(Message(_HELLO)),
    expected_close=TESTER_CLOSES,
    applies_to="server",
    alternatives=(
        Alternative(
            (),
            PEER_FAILS_1002,
            "it refused the all-zero masking key, which section 5.3 forbids the sender to "
            "choose on purpose but which is a masked frame all the same.",
        ),
    ),
)


# --- fr.5: a 125-byte ping inside a fragmented message ------------------------------------


def _injected(n: int, description: str, steps: tuple[Step, ...], events: tuple[Event, ...]) -> Case:
    return Case(
        id=f"fr.5.{n}",
        description=f"{description} {_INJECTED}",
        expectation=(
            "Each ping is answered with its 125 bytes before the message is complete, "
            "then the whole message is echoed. Clean close with normal code."
        ),
        steps=(*steps, CloseAfter(1)),
        expected=ok(*events),
        expected_close=TESTER_CLOSES,
    )


_PING_2 = bytes(reversed(_PING_125))

_FR5: tuple[Case, ...] = (
    _injected(
        1,
        "Send a text message in two fragments with a 125-byte ping between them.",
        (SendFrame(TEXT, _F1, fin=False), SendFrame(PING, _PING_125), SendFrame(CONT, _F2)),
        (Pong(_PING_125), Message(_F1 + _F2)),
    ),
    _injected(
        2,
        "Send a binary message in two fragments with a 125-byte ping between them.",
        (SendFrame(BINARY, _F1, fin=False), SendFrame(PING, _PING_125), SendFrame(CONT, _F2)),
        (Pong(_PING_125), Message(_F1 + _F2, binary=True)),
    ),
    _injected(
        3,
        "Send a text message in three fragments with a different 125-byte ping after "
        "each of the first two.",
        (
            SendFrame(TEXT, _F1, fin=False),
            SendFrame(PING, _PING_125),
            SendFrame(CONT, _F2, fin=False),
            SendFrame(PING, _PING_2),
            SendFrame(CONT, _F3),
        ),
        (Pong(_PING_125), Pong(_PING_2), Message(_F1 + _F2 + _F3)),
    ),
    _injected(
        4,
        "Send a text message in two fragments with a 125-byte ping between them, every "
        "frame written one octet at a time.",
        (
            SendFrame(TEXT, _F1, fin=False, chopsize=1),
            SendFrame(PING, _PING_125, chopsize=1),
            SendFrame(CONT, _F2, chopsize=1),
        ),
        (Pong(_PING_125), Message(_F1 + _F2)),
    ),
    _injected(
        5,
        "Send a text message in two empty fragments with a 125-byte ping between them.",
        (SendFrame(TEXT, b"", fin=False), SendFrame(PING, _PING_125), SendFrame(CONT, b"")),
        (Pong(_PING_125), Message(b"")),
    ),
    _injected(
        6,
        "Send a text message in two fragments with an unsolicited 125-byte pong between "
        'them (section 5.5.3: "A response to an unsolicited Pong frame is not expected").',
        (SendFrame(TEXT, _F1, fin=False), SendFrame(PONG, _PING_125), SendFrame(CONT, _F2)),
        (Message(_F1 + _F2),),
    ),
    Case(
        id="fr.5.7",
        description=(
            "Send the first fragment of a text message, a 126-byte ping (one byte over "
            f"the limit), then the last fragment. {_INJECTED}"
        ),
        expectation="The peer fails the connection (1002) at the ping; no pong comes back.",
        steps=(
            SendFrame(TEXT, _F1, fin=False),
            SendFrame(PING, b"\xfe" * 126),
            SendFrame(CONT, _F2),
            KillAfter(1),
        ),
        expected=ok(),
        expected_close=PEER_FAILS_1002,
    ),
)


# --- fr.6: large frame headers in tiny writes ---------------------------------------------

#: (opcode, payload length, octets per header write).
_HEADERS: tuple[tuple[int, int, int], ...] = (
    (TEXT, 126, 1),
    (BINARY, 65535, 1),
    (BINARY, 65536, 1),
    (BINARY, 65536, 3),
    (TEXT, 2**20, 2),
)


def _large_header(n: int, opcode: int, length: int, chop: int) -> Case:
    payload = (b"*" if opcode == TEXT else b"\xfe") * length
    bits = 16 if length < 65536 else 64
    step = SendWireFrame(opcode, payload, chopsize=chop, chop_header=True)
    kind = "text" if opcode == TEXT else "binary"
    return Case(
        id=f"fr.6.{n}",
        description=(
            f"Send a {length}-byte {kind} message whose header ({bits}-bit length, and the "
            f"masking key when the tester is the client) is written {chop} octet"
            f"{'s' if chop > 1 else ''} at a time, the payload after it in one write. "
            f"{_STREAM}"
        ),
        expectation="The message is echoed. Clean close with normal code.",
        steps=(step, KillAfter(5)),
        expected=ok(Message(payload, binary=opcode == BINARY)),
        expected_close=TESTER_CLOSES,
    )


CASES: tuple[Case, ...] = (
    *(_non_minimal(n, *row) for n, row in enumerate(_NON_MINIMAL, start=1)),
    *(_msb_set(n, *row) for n, row in enumerate(_MSB_LENGTHS, start=1)),
    *_wrong_mask("server"),
    _ZERO_KEY,
    *_wrong_mask("client"),
    *_FR5,
    *(_large_header(n, *row) for n, row in enumerate(_HEADERS, start=1)),
)

SUBSECTION_TITLES: dict[str, str] = {
    "fr.1": "Non-minimal length encodings",
    "fr.2": "64-bit length with the most significant bit set",
    "fr.3": "Frames a server receives unmasked",
    "fr.4": "Frames a client receives masked",
    "fr.5": "A 125-byte ping inside a fragmented message",
    "fr.6": "Large frame headers in tiny writes",
}
