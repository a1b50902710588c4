"""Tests of :mod:`wsconform.reference.protocol.http`.

Every parser input is fed whole, one byte at a time, and followed by trailing data
(style rule 3).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wsconform.reference.protocol import http
from wsconform.reference.protocol.exceptions import InvalidMessage, SecurityError
from wsconform.reference.protocol.headers import Headers
from wsconform.reference.protocol.http import (
    Limits,
    Request,
    RequestParser,
    Response,
    ResponseParser,
)

T = TypeVar("T")

# RFC 6455 section 1.2, the example handshake.
REQUEST = (
    b"GET /chat HTTP/1.1\r\n"
    b"Host: server.example.com\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Origin: http://example.com\r\n"
    b"Sec-WebSocket-Protocol: chat, superchat\r\n"
    b"Sec-WebSocket-Version: 13\r\n"
    b"\r\n"
)
RESPONSE = (
    b"HTTP/1.1 101 Switching Protocols\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    b"Sec-WebSocket-Protocol: chat\r\n"
    b"\r\n"
)
TRAILING = b"\x81\x05Hello"

SPLITS = ["whole", "bytewise", "trailing"]


def _feed(parser_type: Callable[[], http._Parser[T]], data: bytes, how: str) -> tuple[T, bytes]:
    """Feed ``data`` as ``how`` says; return the message and the leftover bytes."""
    parser = parser_type()
    result: T | None = None
    if how == "whole":
        result = parser.feed(data)
    elif how == "bytewise":
        for i in range(len(data)):
            assert result is None, f"message complete after {i} of {len(data)} bytes"
            result = parser.feed(data[i : i + 1])
    else:
        result = parser.feed(data + TRAILING)
    if result is None:
        result = parser.feed_eof()
    assert result is not None
    assert parser.done
    return result, parser.leftover


def _fail(parser_type: Callable[[], http._Parser[T]], data: bytes, how: str) -> None:
    """Feed ``data`` as ``how`` says, then EOF; the caller expects an exception."""
    parser = parser_type()
    if how == "whole":
        parser.feed(data)
    elif how == "bytewise":
        for i in range(len(data)):
            parser.feed(data[i : i + 1])
    else:
        parser.feed(data + TRAILING)
    parser.feed_eof()


@pytest.mark.parametrize("how", SPLITS)
def test_parse_request(how: str) -> None:
    request, leftover = _feed(RequestParser, REQUEST, how)
    assert request.method == "GET"
    assert request.path == "/chat"
    assert request.version == "HTTP/1.1"
    assert request.headers["sec-websocket-key"] == "dGhlIHNhbXBsZSBub25jZQ=="
    assert request.headers["Sec-WebSocket-Protocol"] == "chat, superchat"
    assert request.raw == REQUEST
    assert leftover == (TRAILING if how == "trailing" else b"")


@pytest.mark.parametrize("how", SPLITS)
def test_parse_101_response_leaves_frames(how: str) -> None:
    response, leftover = _feed(ResponseParser, RESPONSE, how)
    assert response.status_code == 101
    assert response.reason_phrase == "Switching Protocols"
    assert response.headers["Sec-WebSocket-Accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert response.body == b""
    assert response.raw == RESPONSE
    assert leftover == (TRAILING if how == "trailing" else b"")


def test_serialize_round_trip() -> None:
    request = RequestParser().feed(REQUEST)
    assert request is not None
    assert request.serialize() == REQUEST
    response = ResponseParser().feed(RESPONSE)
    assert response is not None
    assert response.serialize() == RESPONSE
    built = Request("/", Headers(Host="a"))
    assert built.serialize() == b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
    rejected = Response(400, "Bad Request", Headers([("Content-Length", "3")]), b"bad")
    assert rejected.serialize() == b"HTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\n\r\nbad"


def test_leading_empty_lines_before_request_line_are_ignored() -> None:
    request = RequestParser().feed(b"\r\n\r\n" + REQUEST)
    assert request is not None
    assert request.path == "/chat"


def test_header_values_are_stripped_and_latin1() -> None:
    request = RequestParser().feed(b"GET / HTTP/1.1\r\nX:  caf\xe9 \t\r\nY:\r\n\r\n")
    assert request is not None
    assert request.headers["X"] == "caf\xe9"
    assert request.headers["Y"] == ""


# --- bodies of responses --------------------------------------------------------------------


@pytest.mark.parametrize("how", SPLITS)
def test_body_with_content_length(how: str) -> None:
    data = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 5\r\n\r\nhello"
    response, leftover = _feed(ResponseParser, data, how)
    assert (response.status_code, response.body) == (400, b"hello")
    assert response.raw == data[:-5]
    assert leftover == (TRAILING if how == "trailing" else b"")


@pytest.mark.parametrize("how", SPLITS)
def test_chunked_body(how: str) -> None:
    data = (
        b"HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\nhello\r\n1\r\n!\r\n0\r\nTrailer: x\r\n\r\n"
    )
    response, leftover = _feed(ResponseParser, data, how)
    assert response.body == b"hello!"
    assert leftover == (TRAILING if how == "trailing" else b"")


@pytest.mark.parametrize("how", ["whole", "bytewise"])
def test_body_to_eof(how: str) -> None:
    response, _ = _feed(ResponseParser, b"HTTP/1.0 404 Not Found\r\n\r\nnot here", how)
    assert (response.version, response.status_code, response.body) == ("HTTP/1.0", 404, b"not here")


@pytest.mark.parametrize("status", [101, 100, 204, 304])
def test_no_body_statuses(status: int) -> None:
    parser = ResponseParser()
    response = parser.feed(f"HTTP/1.1 {status} X\r\nContent-Length: 3\r\n\r\nabc".encode())
    assert response is not None
    assert response.body == b""
    assert parser.leftover == b"abc"


@pytest.mark.parametrize(
    "line",
    [b"HTTP/1.1 101", b"HTTP/1.1 101 ", b"HTTP/1.1 101 Switching Protocols, eh \t"],
)
def test_lenient_reason_phrase(line: bytes) -> None:
    response = ResponseParser().feed(line + b"\r\n\r\n")
    assert response is not None
    assert response.status_code == 101


def test_identical_content_lengths_are_accepted() -> None:
    response = ResponseParser().feed(
        b"HTTP/1.1 400 X\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok"
    )
    assert response is not None
    assert response.body == b"ok"


def test_unknown_final_transfer_coding_reads_to_eof() -> None:
    parser = ResponseParser()
    assert parser.feed(b"HTTP/1.1 400 X\r\nTransfer-Encoding: gzip\r\n\r\nzz") is None
    response = parser.feed_eof()
    assert response is not None
    assert response.body == b"zz"


# --- malformed messages --------------------------------------------------------------------


@pytest.mark.parametrize("how", SPLITS)
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GET /chat\r\n\r\n", "invalid request line"),
        (b"GET  /chat HTTP/1.1\r\n\r\n", "invalid request line"),
        (b"GET /chat HTTP/1.1 x\r\n\r\n", "invalid request line"),
        (b"G(T /chat HTTP/1.1\r\n\r\n", "invalid method"),
        (b"GET /ch\x7fat HTTP/1.1\r\n\r\n", "invalid request target"),
        (b"GET /chat HTTP/11\r\n\r\n", "invalid HTTP version"),
        (b"GET /chat http/1.1\r\n\r\n", "invalid HTTP version"),
        (b"GET / HTTP/1.1\r\nHost example.com\r\n\r\n", "line without a colon"),
        (b"GET / HTTP/1.1\r\nHost : example.com\r\n\r\n", "invalid header name"),
        (b"GET / HTTP/1.1\r\nHo(st: example.com\r\n\r\n", "invalid header name"),
        (b"GET / HTTP/1.1\r\n: x\r\n\r\n", "invalid header name"),
        (b"GET / HTTP/1.1\r\nA: 1\r\n  folded\r\n\r\n", "obsolete line folding"),
        (b"GET / HTTP/1.1\r\nA: x\x00y\r\n\r\n", "invalid header value"),
        (b"GET / HTTP/1.1\r\nA: x\ny\r\n\r\n", "invalid header value"),
        (b"GET / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", "unsupported request body"),
        (b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", "unsupported request body"),
        (b"GET / HTTP/1.1\r\nHost: x\r\n", "connection closed while reading header line"),
        (b"", "connection closed while reading request line"),
    ],
)
def test_invalid_request(data: bytes, message: str, how: str) -> None:
    with pytest.raises(InvalidMessage, match=message):
        _fail(RequestParser, data, how)


@pytest.mark.parametrize("how", SPLITS)
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"HTTP/1.1 1O1 Switching\r\n\r\n", "invalid status code"),
        (b"HTTP/1.1 1011 Switching\r\n\r\n", "invalid status code"),
        (b"HTTP/1.1 099 Low\r\n\r\n", "invalid status code"),
        (b"HTTP/1.1 101 Switching\x00\r\n\r\n", "invalid reason phrase"),
        (b"ICY 200 OK\r\n\r\n", "invalid HTTP version"),
        (b"HTTP/1.1 400 X\r\nContent-Length: -1\r\n\r\n", "invalid Content-Length"),
        (b"HTTP/1.1 400 X\r\nContent-Length: 1, 2\r\n\r\n", "invalid Content-Length"),
        (b"HTTP/1.1 400 X\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", "transfer coding"),
        (b"HTTP/1.1 400 X\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "invalid chunk size"),
        (b"HTTP/1.1 400 X\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", "not followed"),
    ],
)
def test_invalid_response(data: bytes, message: str, how: str) -> None:
    with pytest.raises(InvalidMessage, match=message):
        _fail(ResponseParser, data, how)


@pytest.mark.parametrize("how", ["whole", "bytewise"])
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"HTTP/1.1 400 X\r\nContent-Length: 5\r\n\r\nabc", "while reading body"),
        (b"HTTP/1.1 400 X\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab", "reading chunk"),
        (b"HTTP/1.1 400 X\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n", "trailer line"),
    ],
)
def test_truncated_response(data: bytes, message: str, how: str) -> None:
    with pytest.raises(InvalidMessage, match=message):
        _fail(ResponseParser, data, how)


# --- limits --------------------------------------------------------------------------------

SMALL = Limits(max_line=64, max_headers=4, max_head=200, max_body=10)


@pytest.mark.parametrize("how", SPLITS)
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GET /" + b"a" * 70 + b" HTTP/1.1\r\n\r\n", "request line longer than 64"),
        (b"GET /" + b"a" * 70, "request line longer than 64"),
        (b"GET / HTTP/1.1\r\nX: " + b"a" * 70 + b"\r\n\r\n", "header line longer than 64"),
        (b"GET / HTTP/1.1\r\n" + b"X: a\r\n" * 5 + b"\r\n", "more than 4 header fields"),
        (b"GET / HTTP/1.1\r\n" + (b"X: " + b"a" * 55 + b"\r\n") * 4, "head longer than 200"),
        (b"\r\n" * 120 + b"GET / HTTP/1.1\r\n\r\n", "head longer than 200"),
    ],
)
def test_request_limits(data: bytes, message: str, how: str) -> None:
    with pytest.raises(SecurityError, match=message):
        _fail(lambda: RequestParser(SMALL), data, how)


@pytest.mark.parametrize("how", SPLITS)
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"HTTP/1.1 400 X\r\nContent-Length: 11\r\n\r\n", "body longer than 10 bytes: 11"),
        (b"HTTP/1.1 400 X\r\n\r\n" + b"a" * 11, "body longer than 10"),
        (
            b"HTTP/1.1 400 X\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\n",
            "body longer than 10",
        ),
        (
            b"HTTP/1.1 400 X\r\nTransfer-Encoding: chunked\r\n\r\n" + b"0" * 70 + b"1\r\n",
            "chunk size line longer than 64",
        ),
    ],
)
def test_response_limits(data: bytes, message: str, how: str) -> None:
    with pytest.raises(SecurityError, match=message):
        _fail(lambda: ResponseParser(SMALL), data, how)


def test_lines_at_the_limit_pass() -> None:
    line = b"X: " + b"a" * 61  # 64 bytes without CRLF
    request = RequestParser(SMALL).feed(b"GET / HTTP/1.1\r\n" + line + b"\r\n\r\n")
    assert request is not None
    assert request.headers["X"] == "a" * 61


def test_default_limits() -> None:
    assert Limits(8192, 128, 65536, 2**20) == http.DEFAULT_LIMITS
    # 128 headers pass, 129 do not.
    head = b"GET / HTTP/1.1\r\n" + b"X: 1\r\n" * 128 + b"\r\n"
    assert RequestParser().feed(head) is not None
    with pytest.raises(SecurityError):
        RequestParser().feed(b"GET / HTTP/1.1\r\n" + b"X: 1\r\n" * 129 + b"\r\n")
    with pytest.raises(SecurityError):
        RequestParser().feed(b"GET / HTTP/1.1\r\nX: " + b"a" * 8190 + b"\r\n\r\n")


def test_buffer_is_bounded_without_crlf() -> None:
    parser = RequestParser(SMALL)
    parser.feed(b"a" * 65)
    with pytest.raises(SecurityError):
        parser.feed(b"a")


def test_errors_are_sticky() -> None:
    parser = RequestParser()
    with pytest.raises(InvalidMessage):
        parser.feed(b"BAD\r\n")
    with pytest.raises(InvalidMessage):
        parser.feed(REQUEST)
    assert not parser.done
    assert parser.leftover == b""


def test_feeding_after_completion_returns_the_message() -> None:
    parser = RequestParser()
    request = parser.feed(REQUEST)
    assert parser.feed(b"more") is request
    assert parser.leftover == b"more"


@given(st.binary(max_size=300), st.lists(st.integers(0, 300), max_size=6))
def test_arbitrary_bytes_raise_only_handshake_errors(data: bytes, cuts: list[int]) -> None:
    for parser_type in (RequestParser, ResponseParser):
        parser = parser_type(SMALL)
        try:
            previous = 0
            for cut in [*sorted(cuts), len(data)]:
                parser.feed(data[previous:cut])
                previous = max(previous, cut)
            parser.feed_eof()
        except (InvalidMessage, SecurityError):
            pass


@given(st.binary(min_size=1, max_size=80), st.integers(0, 400))
def test_split_anywhere_gives_the_same_response(body: bytes, cut: int) -> None:
    data = b"HTTP/1.1 400 X\r\nContent-Length: %d\r\n\r\n" % len(body) + body + TRAILING
    cut = min(cut, len(data))
    parser = ResponseParser()
    first = parser.feed(data[:cut])
    second = parser.feed(data[cut:])
    assert (first or second) == ResponseParser().feed(data)
    assert parser.leftover == TRAILING


def test_all_is_complete() -> None:
    for name in http.__all__:
        assert hasattr(http, name)
