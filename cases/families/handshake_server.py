"""The ``hs`` family: a server's side of the opening handshake (RFC 6455 section 4.2,
RFC 7692 section 5), for server targets only.

Each subsection is a table of requests (:class:`~wsconform.cases.handshake.HandshakeRequest`)
built from the standard request of RFC 6455 section 4.1 by changing one thing, and the
answer a conforming server gives. A request the server must refuse earns OK with any
4xx answer (RFC 6455 section 4.2.1: "an appropriate error code (such as 400 Bad
Request)"); if the server accepts it after all, the tester closes at once (1000). A
request the server must accept is followed by an echo of one text message.
"""

from __future__ import annotations

import base64

from wsconform.cases.handshake import (
    HOST,
    KEY,
    MUST_ACCEPT,
    STANDARD_REQUEST,
    HandshakeRequest,
    Header,
    ServerExpectation,
    ServerHandshakeCase,
    replace_header,
    without_header,
)
from wsconform.cases.model import (
    NON_STRICT,
    OK,
    CloseAfter,
    ExpectedClose,
    KillAfter,
    Message,
    SendClose,
    SendMessage,
)

__all__ = ["CASES", "SUBSECTION_TITLES", "masked_text_frame"]

_ECHO = b"Hello, handshake"
_PIPELINED = b"Pipelined with the request"
#: Seconds the tester gives the server to echo before it closes (every case arms a timer).
_WAIT = 2.0
_NORMAL_CLOSE = ExpectedClose(closed_by_me=True, close_codes=(1000,), require_clean=True)

#: RFC 6455 section 4.2.1, the sentence every refusal here rests on.
_MUST_REFUSE = (
    'RFC 6455 section 4.2.1: "If the server, while reading the handshake, finds that the '
    "client did not send a handshake that matches the description below [...], the server "
    "MUST stop processing the client's handshake and return an HTTP response with an "
    'appropriate error code (such as 400 Bad Request)."'
)
_REFUSE = "A 4xx answer such as 400 Bad Request; a 101 is FAILED."
_ACCEPT = "A 101 answer that passes the checks of RFC 6455 section 4.1, then the echo."
_REFUSE_VERSION = (
    "A 4xx answer such as 426 Upgrade Required with a Sec-WebSocket-Version header "
    "listing 13; a 101, or a refusal without that header, is FAILED."
)

REFUSE = ServerExpectation()
#: Not a WebSocket request at all: any answer but 101 will do.
PLAIN_HTTP = ServerExpectation(plain_http=True)
_PLAIN = (
    "Any HTTP answer but 101 (a 4xx, or a page: this is not a WebSocket request); a 101 is FAILED."
)
REFUSE_VERSION = ServerExpectation(version_header=True)
#: Too big to be worth processing: a 4xx or a closed connection both do (RFC 9110 5.4).
BOUNDED = ServerExpectation(accept=NON_STRICT, refuse=OK, close=OK)
DECLINE_DEFLATE = ServerExpectation(accept=OK, refuse=NON_STRICT, deflate_declined=True)

_MASK = b"\x37\xfa\x21\x3d"


def masked_text_frame(payload: bytes, mask: bytes = _MASK) -> bytes:
    """One masked text frame (FIN set, at most 125 bytes), as a client sends it
    (RFC 6455 section 5.3), with a fixed key so the case's bytes are the same each run.

    Raises:
        ValueError: the payload is longer than 125 bytes.
    """
    if len(payload) > 125:
        raise ValueError("a one-byte length holds at most 125")
    body = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + body


def _key(size: int) -> str:
    return base64.b64encode(bytes(range(size))).decode("ascii")


def _with(name: str, *values: str) -> tuple[Header, ...]:
    return replace_header(STANDARD_REQUEST, name, *values)


def _offer(value: str, *more: str) -> tuple[Header, ...]:
    lines = tuple(("Sec-WebSocket-Extensions", v) for v in (value, *more))
    return (*STANDARD_REQUEST, *lines)


#: (description, request, expectation text, what each answer earns)
_Row = tuple[str, HandshakeRequest, str, ServerExpectation]

_REQUEST_LINE: list[_Row] = [
    (
        f'The method is POST. RFC 6455 section 4.2.1, item 1: the request is "An HTTP/1.1 '
        f'or higher GET request". {_MUST_REFUSE}',
        HandshakeRequest(method="POST"),
        _REFUSE,
        REFUSE,
    ),
    (
        "The method is 'get' in lower case. RFC 9110 section 9.1: \"The method token is "
        f'case-sensitive"; RFC 6455 section 4.2.1, item 1 asks for a GET request. {_MUST_REFUSE}',
        HandshakeRequest(method="get"),
        _REFUSE,
        REFUSE,
    ),
    (
        'The request is HTTP/1.0. RFC 6455 section 4.2.1, item 1: "An HTTP/1.1 or higher '
        f'GET request". {_MUST_REFUSE}',
        HandshakeRequest(version="HTTP/1.0"),
        _REFUSE,
        REFUSE,
    ),
]

_HOST_UPGRADE_CONNECTION: list[_Row] = [
    (
        'No Host header. RFC 6455 section 4.2.1, item 2: "A |Host| header field containing '
        'the server\'s authority"; RFC 9112 section 3.2: "A server MUST respond with a 400 '
        "(Bad Request) status code to any HTTP/1.1 request message that lacks a Host header "
        'field".',
        HandshakeRequest(without_header(STANDARD_REQUEST, "Host")),
        _REFUSE,
        REFUSE,
    ),
    (
        'Two Host headers. RFC 9112 section 3.2: a server MUST respond with 400 to "any '
        'request message that contains more than one Host header field line".',
        HandshakeRequest(_with("Host", HOST, HOST)),
        _REFUSE,
        REFUSE,
    ),
    (
        'No Upgrade header. RFC 6455 section 4.2.1, item 3: "An |Upgrade| header field '
        f'containing the value "websocket"". {_MUST_REFUSE}',
        HandshakeRequest(without_header(STANDARD_REQUEST, "Upgrade")),
        _PLAIN,
        PLAIN_HTTP,
    ),
    (
        "Upgrade is misspelt 'websockets'. RFC 6455 section 4.2.1, item 3: the value "
        f'"websocket", treated as an ASCII case-insensitive value. {_MUST_REFUSE}',
        HandshakeRequest(_with("Upgrade", "websockets")),
        _PLAIN,
        PLAIN_HTTP,
    ),
    (
        "Upgrade is 'WebSocket'. RFC 6455 section 4.2.1, item 3: \"An |Upgrade| header field "
        'containing the value "websocket", treated as an ASCII case-insensitive value."',
        HandshakeRequest(_with("Upgrade", "WebSocket")),
        _ACCEPT,
        MUST_ACCEPT,
    ),
    (
        'No Connection header. RFC 6455 section 4.2.1, item 4: "A |Connection| header field '
        f'that includes the token "Upgrade"". {_MUST_REFUSE}',
        HandshakeRequest(without_header(STANDARD_REQUEST, "Connection")),
        _PLAIN,
        PLAIN_HTTP,
    ),
    (
        "Connection is 'keep-alive' only. RFC 6455 section 4.2.1, item 4: \"A |Connection| "
        f'header field that includes the token "Upgrade"". {_MUST_REFUSE}',
        HandshakeRequest(_with("Connection", "keep-alive")),
        _PLAIN,
        PLAIN_HTTP,
    ),
    (
        "Connection is the token list 'keep-alive, Upgrade' (as Firefox sends it). RFC 6455 "
        'section 4.2.1, item 4: "A |Connection| header field that includes the token '
        '"Upgrade", treated as an ASCII case-insensitive value."',
        HandshakeRequest(_with("Connection", "keep-alive, Upgrade")),
        _ACCEPT,
        MUST_ACCEPT,
    ),
    (
        "Connection is 'upgrade' in lower case. RFC 6455 section 4.2.1, item 4: the token "
        '"Upgrade", "treated as an ASCII case-insensitive value."',
        HandshakeRequest(_with("Connection", "upgrade")),
        _ACCEPT,
        MUST_ACCEPT,
    ),
    (
        "Connection on two lines, 'keep-alive' then 'Upgrade'. RFC 9110 section 5.3: a "
        "field sent on several lines is one comma-separated list; RFC 6455 section 4.2.1, "
        'item 4: the Connection header field "includes the token "Upgrade"".',
        HandshakeRequest(_with("Connection", "keep-alive", "Upgrade")),
        _ACCEPT,
        MUST_ACCEPT,
    ),
]

_KEY: list[_Row] = [
    (
        'No Sec-WebSocket-Key. RFC 6455 section 4.2.1, item 5: "A |Sec-WebSocket-Key| header '
        "field with a base64-encoded [...] value that, when decoded, is 16 bytes in "
        f'length". {_MUST_REFUSE}',
        HandshakeRequest(without_header(STANDARD_REQUEST, "Sec-WebSocket-Key")),
        _REFUSE,
        REFUSE,
    ),
    (
        "Sec-WebSocket-Key is not base64 ('not-base64-at-all!'). RFC 6455 section 4.2.1, "
        f"item 5: a base64-encoded value. {_MUST_REFUSE}",
        HandshakeRequest(_with("Sec-WebSocket-Key", "not-base64-at-all!")),
        _REFUSE,
        REFUSE,
    ),
    (
        "Sec-WebSocket-Key decodes to 15 bytes. RFC 6455 section 4.2.1, item 5: a value "
        f'"that, when decoded, is 16 bytes in length". {_MUST_REFUSE}',
        HandshakeRequest(_with("Sec-WebSocket-Key", _key(15))),
        _REFUSE,
        REFUSE,
    ),
    (
        "Sec-WebSocket-Key decodes to 17 bytes. RFC 6455 section 4.2.1, item 5: a value "
        f'"that, when decoded, is 16 bytes in length". {_MUST_REFUSE}',
        HandshakeRequest(_with("Sec-WebSocket-Key", _key(17))),
        _REFUSE,
        REFUSE,
    ),
    (
        "Sec-WebSocket-Key is empty. RFC 6455 section 4.2.1, item 5: a value that decodes "
        f"to 16 bytes. {_MUST_REFUSE}",
        HandshakeRequest(_with("Sec-WebSocket-Key", "")),
        _REFUSE,
        REFUSE,
    ),
    (
        'Two Sec-WebSocket-Key headers, each valid. RFC 6455 section 11.3.1: "The '
        '|Sec-WebSocket-Key| header field MUST NOT appear more than once in an HTTP request."',
        HandshakeRequest(_with("Sec-WebSocket-Key", KEY, _key(16))),
        _REFUSE,
        REFUSE,
    ),
]

_VERSION_SENTENCE = (
    "RFC 6455 section 4.4: \"If the server doesn't support the requested version, it MUST "
    "abort the WebSocket handshake described in Section 4.2 and instead send an appropriate "
    "HTTP error code (such as 426 Upgrade Required) and a |Sec-WebSocket-Version| header "
    'field indicating the version(s) the server is capable of understanding."'
)

_VERSION: list[_Row] = [
    (
        'No Sec-WebSocket-Version. RFC 6455 section 4.2.1, item 6: "A |Sec-WebSocket-Version| '
        f'header field, with a value of 13." {_MUST_REFUSE}',
        HandshakeRequest(without_header(STANDARD_REQUEST, "Sec-WebSocket-Version")),
        _REFUSE,
        REFUSE,
    ),
    *(
        (
            f"Sec-WebSocket-Version is {version} ({why}). {_VERSION_SENTENCE}",
            HandshakeRequest(_with("Sec-WebSocket-Version", version)),
            _REFUSE_VERSION,
            REFUSE_VERSION,
        )
        for version, why in (
            ("8", "hybi-08, as old clients send it"),
            ("12", "the last draft before RFC 6455"),
            ("14", "a version after 13"),
            ("13, 8", "a list: a client sends one version"),
        )
    ),
    (
        'Two Sec-WebSocket-Version headers, both 13. RFC 6455 section 11.3.5: "The '
        "|Sec-WebSocket-Version| header field MUST NOT appear more than once in an HTTP "
        'request."',
        HandshakeRequest(_with("Sec-WebSocket-Version", "13", "13")),
        _REFUSE,
        REFUSE,
    ),
]

_LONG_VALUE = "a" * 65536
_MANY = tuple((f"X-Wsconform-{n}", "x") for n in range(1000))
_BOUND_SENTENCE = (
    'RFC 9110 section 5.4: "A server that receives a request header field line, field '
    "value, or set of fields larger than it wishes to process MUST respond with an "
    'appropriate 4xx (Client Error) status code."'
)
_BOUNDED = (
    "A 4xx answer (such as 431), or the connection closed: either is OK; a 101 is "
    "NON-STRICT; no answer in time is FAILED."
)

_SYNTAX: list[_Row] = [
    (
        'Every header name in lower case. RFC 9110 section 5.1: "Field names are '
        'case-insensitive".',
        HandshakeRequest(tuple((name.lower(), value) for name, value in STANDARD_REQUEST)),
        _ACCEPT,
        MUST_ACCEPT,
    ),
    (
        'Every header name in upper case. RFC 9110 section 5.1: "Field names are '
        'case-insensitive".',
        HandshakeRequest(tuple((name.upper(), value) for name, value in STANDARD_REQUEST)),
        _ACCEPT,
        MUST_ACCEPT,
    ),
    (
        'The headers in reverse order. RFC 6455 section 4.2.1: "note that as per [RFC2616], '
        'the order of the header fields is not important".',
        HandshakeRequest(tuple(reversed(STANDARD_REQUEST))),
        _ACCEPT,
        MUST_ACCEPT,
    ),
    (
        "Origin, User-Agent, Cookie and unknown headers around the required ones. RFC 6455 "
        'section 4.1: "The request MAY include any other header fields, for example, cookies '
        '[RFC6265] and/or authentication-related header fields".',
        HandshakeRequest(
            (
                ("User-Agent", "wsconform-handshake"),
                *STANDARD_REQUEST[:3],
                ("Origin", "http://example.com"),
                ("Cookie", "a=b"),
                *STANDARD_REQUEST[3:],
                ("X-Wsconform", "unknown header"),
            )
        ),
        _ACCEPT,
        MUST_ACCEPT,
    ),
    (
        "Values padded with spaces and tabs ('Upgrade:  \\t websocket \\t'). RFC 9112 section "
        '5.1: optional whitespace around a field value "is not part of the field value and '
        'is ignored when parsing".',
        HandshakeRequest(
            tuple(
                (name, f" \t {value} \t" if name in ("Upgrade", "Connection") else value)
                for name, value in STANDARD_REQUEST
            )
        ),
        _ACCEPT,
        MUST_ACCEPT,
    ),
    (
        "A space between a header name and its colon ('Upgrade : websocket'). RFC 9112 "
        'section 5.1: "A server MUST reject, with a response status code of 400 (Bad '
        "Request), any received request message that contains whitespace between a header "
        'field name and colon."',
        HandshakeRequest(
            tuple(
                (name + " " if name == "Upgrade" else name, value)
                for name, value in STANDARD_REQUEST
            )
        ),
        _REFUSE,
        REFUSE,
    ),
    (
        f"One header of 64 KiB. {_BOUND_SENTENCE} The server must refuse it without crashing "
        "or waiting.",
        HandshakeRequest((*STANDARD_REQUEST, ("X-Wsconform-Long", _LONG_VALUE))),
        _BOUNDED,
        BOUNDED,
    ),
    (
        f"1,000 headers besides the required ones. {_BOUND_SENTENCE} The server must refuse "
        "them without crashing or waiting.",
        HandshakeRequest((*STANDARD_REQUEST, *_MANY)),
        _BOUNDED,
        BOUNDED,
    ),
]

_PIPELINE_EXPECTATION = (
    "A 101 answer, then the echo of the pipelined message (OK); a 101 without the echo is "
    "NON-STRICT; a refusal is FAILED."
)
_PIPELINE_SENTENCE = (
    "RFC 6455 section 4.1 asks a client to wait (\"Once the client's opening handshake "
    "has been sent, the client MUST wait for a response from the server before sending any "
    'further data"), yet a server reads a TCP stream: the bytes after the head are the '
    "first frame once it has answered 101."
)

_WRITES: list[_Row] = [
    (
        "The request written one byte per TCP segment. RFC 9112 section 2: HTTP is a "
        "byte stream; a server must assemble the head from any number of reads.",
        HandshakeRequest(chopsize=1),
        _ACCEPT,
        MUST_ACCEPT,
    ),
    (
        f"A masked text frame in the same TCP write as the request. {_PIPELINE_SENTENCE}",
        HandshakeRequest(pipelined=masked_text_frame(_PIPELINED)),
        _PIPELINE_EXPECTATION,
        MUST_ACCEPT,
    ),
    (
        "The request and a masked text frame after it, one byte per TCP segment. "
        f"{_PIPELINE_SENTENCE}",
        HandshakeRequest(pipelined=masked_text_frame(_PIPELINED), chopsize=1),
        _PIPELINE_EXPECTATION,
        MUST_ACCEPT,
    ),
]

_SUBPROTOCOL_SENTENCE = (
    "RFC 6455 section 4.2.2: \"The value chosen MUST be derived from the client's "
    "handshake, specifically by selecting one of the values from the "
    '|Sec-WebSocket-Protocol| field" (or none: "the server [...] MUST NOT send back a '
    '|Sec-WebSocket-Protocol| header field" then).'
)
_SUBPROTOCOL_EXPECTATION = (
    "A 101 answer choosing one of the offered subprotocols or none, then the echo."
)

_SUBPROTOCOLS: list[_Row] = [
    (
        f"No subprotocol offered: the answer must name none. {_SUBPROTOCOL_SENTENCE}",
        HandshakeRequest(),
        "A 101 answer without Sec-WebSocket-Protocol, then the echo.",
        MUST_ACCEPT,
    ),
    (
        f"One subprotocol offered ('chat'). {_SUBPROTOCOL_SENTENCE}",
        HandshakeRequest((*STANDARD_REQUEST, ("Sec-WebSocket-Protocol", "chat"))),
        _SUBPROTOCOL_EXPECTATION,
        MUST_ACCEPT,
    ),
    (
        f"Two subprotocols offered ('chat, superchat'). {_SUBPROTOCOL_SENTENCE}",
        HandshakeRequest((*STANDARD_REQUEST, ("Sec-WebSocket-Protocol", "chat, superchat"))),
        _SUBPROTOCOL_EXPECTATION,
        MUST_ACCEPT,
    ),
    (
        "Two subprotocols offered on two Sec-WebSocket-Protocol lines. RFC 6455 section "
        '11.3.4: the header "may appear multiple times in an HTTP request (which is '
        "logically the same as a single |Sec-WebSocket-Protocol| header field that contains "
        f'all values)". {_SUBPROTOCOL_SENTENCE}',
        HandshakeRequest(
            (
                *STANDARD_REQUEST,
                ("Sec-WebSocket-Protocol", "chat"),
                ("Sec-WebSocket-Protocol", "superchat"),
            )
        ),
        _SUBPROTOCOL_EXPECTATION,
        MUST_ACCEPT,
    ),
]

_PMD = "permessage-deflate"
_ACCEPT_OFFER = (
    "RFC 6455 section 4.2.2: the extensions chosen \"MUST be derived from the client's "
    'handshake"; RFC 7692 section 7.1: the response parameters must be valid for the offer.'
)
_DEFLATE_EXPECTATION = (
    "A 101 answer that accepts the offer with valid parameters, or no extension, then the echo."
)
_WINDOW_SENTENCE = (
    'RFC 7692 section 7.1.2.1: "A server accepts an extension negotiation offer with this '
    'parameter by including the "server_max_window_bits" extension parameter in the '
    "extension negotiation response to send back to the client with the same or smaller "
    'value as the offer."'
)
_DECLINE_SENTENCE = (
    'RFC 7692 section 5: "A server MUST decline an extension negotiation offer for this '
    "extension if any of the following conditions are met: The negotiation offer contains "
    "an extension parameter not defined for use in an offer. The negotiation offer "
    "contains an extension parameter with an invalid value. The negotiation offer "
    'contains multiple extension parameters with the same name."'
)
_DECLINE_EXPECTATION = (
    "A 101 answer without permessage-deflate, then the echo; accepting the offer is "
    "FAILED, refusing the whole handshake NON-STRICT (declining the offer suffices)."
)

_EXTENSIONS: list[_Row] = [
    (
        "An unknown extension offered ('x-wsconform-unknown'). RFC 6455 section 9.1: the "
        "server accepts extensions it supports from the offer; an unknown one is left out "
        "of the answer, not a reason to refuse.",
        HandshakeRequest(_offer("x-wsconform-unknown")),
        "A 101 answer without that extension, then the echo.",
        MUST_ACCEPT,
    ),
    (
        "An unknown extension with parameters ('x-wsconform-unknown; a=1; b; c=\"x-y\"'). "
        "RFC 6455 section 9.1: parameters are part of the extension's own syntax; an "
        "unknown extension is ignored.",
        HandshakeRequest(_offer('x-wsconform-unknown; a=1; b; c="x-y"')),
        "A 101 answer without that extension, then the echo.",
        MUST_ACCEPT,
    ),
    *(
        (
            f"A permessage-deflate offer: '{value}'. {_ACCEPT_OFFER}",
            HandshakeRequest(_offer(value)),
            _DEFLATE_EXPECTATION,
            MUST_ACCEPT,
        )
        for value in (
            _PMD,
            f"{_PMD}; client_max_window_bits",
            f"{_PMD}; client_max_window_bits=10",
            f"{_PMD}; server_no_context_takeover",
            f"{_PMD}; client_no_context_takeover",
        )
    ),
    *(
        (
            f"A permessage-deflate offer: '{value}'. {_WINDOW_SENTENCE}",
            HandshakeRequest(_offer(value)),
            f"{_DEFLATE_EXPECTATION} If accepted, server_max_window_bits at most {bits}.",
            MUST_ACCEPT,
        )
        for value, bits in (
            (f"{_PMD}; server_max_window_bits=10", 10),
            (f"{_PMD}; server_max_window_bits=8", 8),
            (
                f"{_PMD}; client_no_context_takeover; server_no_context_takeover; "
                "client_max_window_bits; server_max_window_bits=12",
                12,
            ),
        )
    ),
    *(
        (
            f"An invalid permessage-deflate offer ({why}): '{value}'. {_DECLINE_SENTENCE}",
            HandshakeRequest(_offer(value)),
            _DECLINE_EXPECTATION,
            DECLINE_DEFLATE,
        )
        for value, why in (
            (f"{_PMD}; server_max_window_bits=7", "window bits below 8"),
            (f"{_PMD}; server_max_window_bits=16", "window bits above 15"),
            (f"{_PMD}; client_max_window_bits=16", "window bits above 15"),
            (f"{_PMD}; server_max_window_bits", "window bits without a value"),
            (f"{_PMD}; server_max_window_bits=010", "a leading zero"),
            (f"{_PMD}; server_no_context_takeover=1", "a value on a parameter without one"),
            (
                f"{_PMD}; server_no_context_takeover; server_no_context_takeover",
                "a duplicated parameter",
            ),
            (f"{_PMD}; x_wsconform_unknown=1", "a parameter RFC 7692 does not define"),
        )
    ),
    (
        "Two permessage-deflate offers, an invalid one first "
        f"('{_PMD}; server_max_window_bits=16, {_PMD}'). RFC 7692 section 5: offers come "
        'in order of preference and the server "accepts" one of them; the invalid one must '
        "be declined, the second may be accepted.",
        HandshakeRequest(_offer(f"{_PMD}; server_max_window_bits=16, {_PMD}")),
        "A 101 answer accepting the second offer or no extension, then the echo.",
        MUST_ACCEPT,
    ),
    (
        "Two permessage-deflate offers on two lines, each with server_max_window_bits "
        f"(10, then 12). {_WINDOW_SENTENCE}",
        HandshakeRequest(
            _offer(f"{_PMD}; server_max_window_bits=10", f"{_PMD}; server_max_window_bits=12")
        ),
        f"{_DEFLATE_EXPECTATION} If accepted, server_max_window_bits at most 12.",
        MUST_ACCEPT,
    ),
]

_SUBSECTIONS: list[tuple[str, list[_Row]]] = [
    ("Request line", _REQUEST_LINE),
    ("Host, Upgrade and Connection", _HOST_UPGRADE_CONNECTION),
    ("Sec-WebSocket-Key", _KEY),
    ("Sec-WebSocket-Version", _VERSION),
    ("Header syntax and bounds", _SYNTAX),
    ("Write patterns and pipelined frames", _WRITES),
    ("Subprotocol negotiation", _SUBPROTOCOLS),
    ("Extension negotiation (RFC 7692)", _EXTENSIONS),
]

SUBSECTION_TITLES: dict[str, str] = {
    f"hs.{number}": title for number, (title, _rows) in enumerate(_SUBSECTIONS, 1)
}


def _case(case_id: str, row: _Row) -> ServerHandshakeCase:
    description, request, expectation, answer = row
    if not answer.wants_accept:
        # Accepted after all: the tester closes at once (the answer decided the verdict).
        return ServerHandshakeCase(
            id=case_id, description=description, expectation=expectation,
            steps=(SendClose(1000), KillAfter(_WAIT)), expected={}, expected_close=_NORMAL_CLOSE,
            applies_to="server", request=request, answer=answer,
        )  # fmt: skip
    if request.pipelined:
        # The message came with the request; it is echoed, or the tester closes after _WAIT.
        return ServerHandshakeCase(
            id=case_id, description=description, expectation=expectation,
            steps=(CloseAfter(_WAIT),),
            expected={OK: (Message(_PIPELINED),), NON_STRICT: ()},
            expected_close=_NORMAL_CLOSE, applies_to="server", request=request,
            answer=answer,
        )  # fmt: skip
    return ServerHandshakeCase(
        id=case_id, description=description, expectation=expectation,
        steps=(SendMessage(_ECHO), KillAfter(_WAIT)), expected={OK: (Message(_ECHO),)},
        expected_close=_NORMAL_CLOSE, applies_to="server", request=request, answer=answer,
    )  # fmt: skip


CASES: tuple[ServerHandshakeCase, ...] = tuple(
    _case(f"hs.{section}.{number}", row)
    for section, (_title, rows) in enumerate(_SUBSECTIONS, 1)
    for number, row in enumerate(rows, 1)
)
