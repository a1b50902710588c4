"""The ``hc`` family: a client's side of the opening handshake (RFC 6455 section 4.1,
RFC 7692 section 5), for client targets only.

The tester answers the client's upgrade request with a scripted response
(:class:`~wsconform.cases.handshake.HandshakeResponse`): the 101 of RFC 6455 section
4.2.2 with one thing changed. Then it sends one text message. When the response is
one the client must refuse, the client must fail the connection (close TCP without a
data frame) within 2 s; when it is valid, the client must open and echo the message.
"""

from __future__ import annotations

from wsconform.cases.handshake import (
    ACCEPT,
    STANDARD_RESPONSE,
    ClientHandshakeCase,
    HandshakeResponse,
    Header,
    replace_header,
    without_header,
)
from wsconform.cases.model import OK, ExpectedClose, KillAfter, Message, SendMessage

__all__ = ["CASES", "SUBSECTION_TITLES", "text_frame"]

_PROBE = b"Hello, handshake"
_IN_SEGMENT = b"Sent in the same segment as the 101"
_NORMAL_CLOSE = ExpectedClose(closed_by_me=True, close_codes=(1000,), require_clean=True)
_WAIT = 2.0

_FAIL = (
    "The client fails the connection: it closes TCP without sending a data frame (it "
    "does not echo the tester's message)."
)
_PROCEED = "The client opens the connection and echoes the tester's message."
_MUST_FAIL = 'the client MUST _Fail the WebSocket Connection_."'


def text_frame(payload: bytes) -> bytes:
    """One unmasked text frame (FIN set, at most 125 bytes), as a server sends it.

    Raises:
        ValueError: the payload is longer than 125 bytes.
    """
    if len(payload) > 125:
        raise ValueError("a one-byte length holds at most 125")
    return bytes([0x81, len(payload)]) + payload


def _with(name: str, *values: str) -> tuple[Header, ...]:
    return replace_header(STANDARD_RESPONSE, name, *values)


#: (description, response, the client must proceed)
_Row = tuple[str, HandshakeResponse, bool]

_STATUS_SENTENCE = (
    'RFC 6455 section 4.1: "If the status code received from the server is not 101, the '
    'client handles the response per HTTP [RFC2616] procedures."; only a 101 opens a '
    "WebSocket connection."
)
_BODYLESS = (("Content-Length", "0"),)

_STATUS: list[_Row] = [
    (
        f"The answer is '{line}' with the other 101 headers. {_STATUS_SENTENCE}",
        HandshakeResponse(line, (*STANDARD_RESPONSE, *_BODYLESS, *extra)),
        False,
    )
    for line, extra in (
        ("HTTP/1.1 200 OK", ()),
        ("HTTP/1.1 302 Found", (("Location", "ws://127.0.0.1:1/"),)),
        ("HTTP/1.1 400 Bad Request", ()),
        ("HTTP/1.1 503 Service Unavailable", ()),
    )
]

_UPGRADE_SENTENCE = (
    'RFC 6455 section 4.1: "If the response lacks an |Upgrade| header field or the '
    "|Upgrade| header field contains a value that is not an ASCII case-insensitive match "
    f'for the value "websocket", {_MUST_FAIL}'
)
_CONNECTION_SENTENCE = (
    'RFC 6455 section 4.1: "If the response lacks a |Connection| header field or the '
    "|Connection| header field doesn't contain a token that is an ASCII case-insensitive "
    f'match for the value "Upgrade", {_MUST_FAIL}'
)

_UPGRADE_CONNECTION: list[_Row] = [
    (
        f"No Upgrade header. {_UPGRADE_SENTENCE}",
        HandshakeResponse(headers=without_header(STANDARD_RESPONSE, "Upgrade")),
        False,
    ),
    (
        f"Upgrade is 'websockets'. {_UPGRADE_SENTENCE}",
        HandshakeResponse(headers=_with("Upgrade", "websockets")),
        False,
    ),
    (
        f"Upgrade is 'h2c'. {_UPGRADE_SENTENCE}",
        HandshakeResponse(headers=_with("Upgrade", "h2c")),
        False,
    ),
    (
        f"No Connection header. {_CONNECTION_SENTENCE}",
        HandshakeResponse(headers=without_header(STANDARD_RESPONSE, "Connection")),
        False,
    ),
    (
        f"Connection is 'close'. {_CONNECTION_SENTENCE}",
        HandshakeResponse(headers=_with("Connection", "close")),
        False,
    ),
    (
        f"Connection is 'keep-alive'. {_CONNECTION_SENTENCE}",
        HandshakeResponse(headers=_with("Connection", "keep-alive")),
        False,
    ),
]

_ACCEPT_SENTENCE = (
    'RFC 6455 section 4.1: "If the response lacks a |Sec-WebSocket-Accept| header field '
    "or the |Sec-WebSocket-Accept| contains a value other than the base64-encoded SHA-1 "
    "of the concatenation of the |Sec-WebSocket-Key| (as a string, not base64-decoded) "
    'with the string "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" [...], '
    f"{_MUST_FAIL}"
)

_ACCEPT_KEY: list[_Row] = [
    (
        f"No Sec-WebSocket-Accept. {_ACCEPT_SENTENCE}",
        HandshakeResponse(headers=without_header(STANDARD_RESPONSE, "Sec-WebSocket-Accept")),
        False,
    ),
    (
        f"Sec-WebSocket-Accept answers another key (the RFC's sample key). {_ACCEPT_SENTENCE}",
        HandshakeResponse(headers=_with("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")),
        False,
    ),
    (
        f"Sec-WebSocket-Accept is empty. {_ACCEPT_SENTENCE}",
        HandshakeResponse(headers=_with("Sec-WebSocket-Accept", "")),
        False,
    ),
    (
        "Two Sec-WebSocket-Accept headers, the right one and a wrong one. RFC 6455 section "
        '11.3.3: "The |Sec-WebSocket-Accept| header MUST NOT appear more than once in an '
        f'HTTP response." {_ACCEPT_SENTENCE}',
        HandshakeResponse(
            headers=_with("Sec-WebSocket-Accept", ACCEPT, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        ),
        False,
    ),
]

_NEGOTIATION: list[_Row] = [
    (
        "The answer selects a subprotocol the client never offered ('wsconform-never-offered'). "
        'RFC 6455 section 4.1: "If the response includes a |Sec-WebSocket-Protocol| header '
        "field and this header field indicates the use of a subprotocol that was not "
        f"present in the client's handshake [...], {_MUST_FAIL}",
        HandshakeResponse(
            headers=(*STANDARD_RESPONSE, ("Sec-WebSocket-Protocol", "wsconform-never-offered"))
        ),
        False,
    ),
    (
        "The answer selects an extension the client never offered ('x-wsconform-never-offered'). "
        'RFC 6455 section 4.1: "If the response includes a |Sec-WebSocket-Extensions| header '
        "field and this header field indicates the use of an extension that was not present "
        f"in the client's handshake [...], {_MUST_FAIL}",
        HandshakeResponse(
            headers=(*STANDARD_RESPONSE, ("Sec-WebSocket-Extensions", "x-wsconform-never-offered"))
        ),
        False,
    ),
]

_PMD = "permessage-deflate"
_DEFLATE_SENTENCE = (
    'RFC 7692 section 5: "A client MUST _Fail the WebSocket Connection_ if the peer '
    "server accepted an extension negotiation offer for this extension with an extension "
    "negotiation response meeting any of the following conditions: The negotiation "
    "response contains an extension parameter not defined for use in a response. The "
    "negotiation response contains an extension parameter with an invalid value. The "
    'negotiation response contains multiple extension parameters with the same name." '
    "(A client that offered no permessage-deflate must fail as for any unoffered extension.)"
)

_DEFLATE: list[_Row] = [
    (
        f"An invalid permessage-deflate answer ({why}): '{value}'. {_DEFLATE_SENTENCE}",
        HandshakeResponse(headers=(*STANDARD_RESPONSE, ("Sec-WebSocket-Extensions", value))),
        False,
    )
    for value, why in (
        (f"{_PMD}; server_max_window_bits=16", "window bits above 15"),
        (f"{_PMD}; server_max_window_bits=7", "window bits below 8"),
        (f"{_PMD}; client_max_window_bits=16", "window bits above 15"),
        (f"{_PMD}; server_no_context_takeover=1", "a value on a parameter without one"),
        (
            f"{_PMD}; server_no_context_takeover; server_no_context_takeover",
            "a duplicated parameter",
        ),
        (f"{_PMD}; x_wsconform_unknown=1", "a parameter RFC 7692 does not define"),
        (f"{_PMD}, {_PMD}", "the extension accepted twice"),
    )
]

_PROCEED_SENTENCE = (
    "the response meets every rule of RFC 6455 section 4.1, so the client must open "
    "the connection: \"If the server's response is validated as provided for above, it "
    'is said that _The WebSocket Connection is Established_".'
)

_VALID: list[_Row] = [
    (
        f"The 101 answer written one byte per TCP segment: {_PROCEED_SENTENCE}",
        HandshakeResponse(chopsize=1),
        True,
    ),
    (
        "A text frame in the same TCP segment as the 101 answer. RFC 6455 section 4.2.2: "
        'once the server has sent its answer it "considers the connection established" and '
        f"may send data at once; {_PROCEED_SENTENCE}",
        HandshakeResponse(trailer=text_frame(_IN_SEGMENT)),
        True,
    ),
    (
        "Upgrade is 'WebSocket' and Connection 'upgrade' (letter case): both are ASCII "
        f"case-insensitive matches; {_PROCEED_SENTENCE}",
        HandshakeResponse(
            headers=replace_header(_with("Upgrade", "WebSocket"), "Connection", "upgrade")
        ),
        True,
    ),
    (
        "Connection is the token list 'keep-alive, Upgrade': it contains the token "
        f"'Upgrade'; {_PROCEED_SENTENCE}",
        HandshakeResponse(headers=_with("Connection", "keep-alive, Upgrade")),
        True,
    ),
    (
        'Every header name in lower case (RFC 9110 section 5.1: "Field names are '
        f'case-insensitive"); {_PROCEED_SENTENCE}',
        HandshakeResponse(
            headers=tuple((name.lower(), value) for name, value in STANDARD_RESPONSE)
        ),
        True,
    ),
    (
        "Unknown headers around the required ones (RFC 9110 section 5.1: a recipient ignores "
        f"fields it does not recognise); {_PROCEED_SENTENCE}",
        HandshakeResponse(
            headers=(("X-Wsconform", "a"), *STANDARD_RESPONSE, ("Set-Cookie", "a=b"))
        ),
        True,
    ),
]

_SUBSECTIONS: list[tuple[str, list[_Row]]] = [
    ("Status other than 101", _STATUS),
    ("Upgrade and Connection", _UPGRADE_CONNECTION),
    ("Sec-WebSocket-Accept", _ACCEPT_KEY),
    ("Unoffered subprotocol or extension", _NEGOTIATION),
    ("Invalid permessage-deflate answers (RFC 7692)", _DEFLATE),
    ("Valid answers the client must accept", _VALID),
]

SUBSECTION_TITLES: dict[str, str] = {
    f"hc.{number}": title for number, (title, _rows) in enumerate(_SUBSECTIONS, 1)
}


def _case(case_id: str, row: _Row) -> ClientHandshakeCase:
    description, response, proceed = row
    if not proceed:
        return ClientHandshakeCase(
            id=case_id, description=description, expectation=_FAIL,
            steps=(SendMessage(_PROBE), KillAfter(_WAIT)), expected={},
            expected_close=_NORMAL_CLOSE, applies_to="client", response=response,
            proceed=False, wait=_WAIT,
        )  # fmt: skip
    echo = _IN_SEGMENT if response.trailer else _PROBE
    return ClientHandshakeCase(
        id=case_id, description=description, expectation=_PROCEED,
        steps=(KillAfter(_WAIT),) if response.trailer else (SendMessage(_PROBE), KillAfter(_WAIT)),
        expected={OK: (Message(echo),)}, expected_close=_NORMAL_CLOSE, applies_to="client",
        response=response, proceed=True, wait=_WAIT,
    )  # fmt: skip


CASES: tuple[ClientHandshakeCase, ...] = tuple(
    _case(f"hc.{section}.{number}", row)
    for section, (_title, rows) in enumerate(_SUBSECTIONS, 1)
    for number, row in enumerate(rows, 1)
)
