"""HTTP/1.1 requests and responses of the opening handshake, parsed incrementally.

The parsers take bytes as they arrive (whole, one byte at a time, or with frames after
the head) and never buffer more than their :class:`Limits` allow: a line longer than
``max_line``, more than ``max_headers`` fields or a head longer than ``max_head`` raise
:class:`SecurityError`, a body longer than ``max_body`` too. Heads are kept byte for
byte in ``raw`` because the harness reports what a target actually sent.

Only what a WebSocket handshake needs is supported: a request has no body (RFC 6455
section 4.1 sends a GET), and a response other than 101 may have one, delimited by
``Content-Length``, by the chunked transfer coding, or by the end of the connection
(RFC 7230 section 3.3.3).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Generator
from typing import Generic, TypeVar

from .exceptions import InvalidMessage, SecurityError
from .headers import Headers

__all__ = [
    "DEFAULT_LIMITS",
    "Limits",
    "Request",
    "RequestParser",
    "Response",
    "ResponseParser",
]


@dataclasses.dataclass(frozen=True, slots=True)
class Limits:
    """Bounds of what the HTTP parsers buffer; each one exceeded raises SecurityError."""

    #: Longest line (request line, status line, header field, chunk size), CRLF excluded.
    max_line: int = 8192
    #: Most header fields (and, separately, most trailer fields of a chunked body).
    max_headers: int = 128
    #: Longest head, from the first byte to the empty line included.
    max_head: int = 65536
    #: Longest body of a response (the error page of a rejected handshake).
    max_body: int = 2**20


DEFAULT_LIMITS = Limits()

# RFC 7230 section 3.2.6: token = 1*tchar
_TOKEN_RE = re.compile(rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+")
# RFC 7230 section 3.2: field-value made of VCHAR / obs-text / SP / HTAB.
_VALUE_RE = re.compile(rb"[\x09\x20-\x7e\x80-\xff]*")
# RFC 7230 section 2.6: HTTP-version = HTTP-name "/" DIGIT "." DIGIT
_VERSION_RE = re.compile(rb"HTTP/[0-9]\.[0-9]")
# RFC 7230 section 5.3: request-target in any form; visible ASCII, no whitespace.
_TARGET_RE = re.compile(rb"[\x21-\x7e]+")
# RFC 7230 section 3.1.2: reason-phrase = *( HTAB / SP / VCHAR / obs-text )
_REASON_RE = re.compile(rb"[\x09\x20-\x7e\x80-\xff]*")
# RFC 7230 section 4.1: chunk-size = 1*HEXDIG, then chunk-ext (ignored).
_CHUNK_SIZE_RE = re.compile(rb"([0-9a-fA-F]+)[\t ]*(?:;.*)?")


@dataclasses.dataclass
class Request:
    """An HTTP request head; ``raw`` is the head as received (empty when built here)."""

    path: str
    headers: Headers
    raw: bytes = b""
    method: str = "GET"
    version: str = "HTTP/1.1"

    def serialize(self) -> bytes:
        """The request head as sent on the wire."""
        line = f"{self.method} {self.path} {self.version}\r\n".encode("ascii")
        return line + self.headers.serialize()


@dataclasses.dataclass
class Response:
    """An HTTP response; ``raw`` is the head as received (empty when built here)."""

    status_code: int
    reason_phrase: str
    headers: Headers
    body: bytes = b""
    raw: bytes = b""
    version: str = "HTTP/1.1"

    def serialize(self) -> bytes:
        """The response head and body as sent on the wire."""
        line = f"{self.version} {self.status_code} {self.reason_phrase}\r\n"
        return line.encode("latin-1") + self.headers.serialize() + self.body


_T = TypeVar("_T")

# A parsing coroutine yields when it needs more bytes and returns the message.
_Parsing = Generator[None, None, _T]


class _Parser(Generic[_T]):
    """Runs a parsing coroutine over a bounded buffer fed by :meth:`feed`."""

    def __init__(self, limits: Limits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self._buffer = bytearray()
        self._scanned = 0  # bytes of the buffer already searched for CRLF
        self._eof = False
        self._head = bytearray()  # head bytes consumed so far, for ``raw``
        self._result: _T | None = None
        self._exc: Exception | None = None
        self._coroutine = self._parse()

    # --- driving ---------------------------------------------------------------------

    def feed(self, data: bytes) -> _T | None:
        """Take more bytes; return the message once it is complete, else ``None``.

        Bytes after the message stay in :attr:`leftover` (frames after a 101).

        Raises:
            InvalidMessage: the bytes are not a valid HTTP message.
            SecurityError: a limit was exceeded.
        """
        self._buffer += data
        return self._run()

    def feed_eof(self) -> _T | None:
        """Signal the end of the stream; may complete a body read to the end.

        Raises:
            InvalidMessage: the stream ended inside the message.
        """
        self._eof = True
        return self._run()

    @property
    def done(self) -> bool:
        """Whether the message is complete."""
        return self._result is not None

    @property
    def leftover(self) -> bytes:
        """Bytes received after the message (empty while it is incomplete)."""
        return bytes(self._buffer) if self._result is not None else b""

    def _run(self) -> _T | None:
        if self._exc is not None:
            raise self._exc
        if self._result is not None:
            return self._result
        try:
            next(self._coroutine)
        except StopIteration as stop:
            self._result = stop.value
        except (InvalidMessage, SecurityError) as exc:
            self._exc = exc
            raise
        return self._result

    def _parse(self) -> _Parsing[_T]:
        raise NotImplementedError

    # --- reading primitives ----------------------------------------------------------

    def _read_line(self, what: str, *, head: bool = True) -> _Parsing[bytes]:
        """Read one CRLF-terminated line (without the CRLF), bounded by ``max_line``."""
        limit = self.limits.max_line
        while (end := self._buffer.find(b"\r\n", self._scanned)) < 0:
            if len(self._buffer) > limit + 1:  # + 1: the CR may still be followed by LF
                raise SecurityError(f"{what} line longer than {limit} bytes")
            if head and len(self._head) + len(self._buffer) > self.limits.max_head + 1:
                raise SecurityError(f"head longer than {self.limits.max_head} bytes")
            if self._eof:
                raise InvalidMessage(f"connection closed while reading {what} line")
            self._scanned = max(0, len(self._buffer) - 1)
            yield
        if end > limit:
            raise SecurityError(f"{what} line longer than {limit} bytes")
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 2]
        self._scanned = 0
        if head:
            self._head += line + b"\r\n"
            if len(self._head) > self.limits.max_head:
                raise SecurityError(f"head longer than {self.limits.max_head} bytes")
        return line

    def _read_exact(self, size: int, what: str) -> _Parsing[bytes]:
        while len(self._buffer) < size:
            if self._eof:
                raise InvalidMessage(f"connection closed while reading {what}")
            yield
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def _read_to_eof(self, limit: int, what: str) -> _Parsing[bytes]:
        while not self._eof:
            if len(self._buffer) > limit:
                raise SecurityError(f"{what} longer than {limit} bytes")
            yield
        if len(self._buffer) > limit:
            raise SecurityError(f"{what} longer than {limit} bytes")
        data = bytes(self._buffer)
        self._buffer.clear()
        return data

    def _read_fields(self, what: str, *, head: bool = True) -> _Parsing[Headers]:
        """Read header fields up to the empty line (RFC 7230 section 3.2)."""
        headers = Headers()
        count = 0
        while line := (yield from self._read_line(what, head=head)):
            count += 1
            if count > self.limits.max_headers:
                raise SecurityError(f"more than {self.limits.max_headers} {what} fields")
            if line[:1] in (b" ", b"\t"):
                # RFC 7230 section 3.2.4: "A server that receives an obs-fold in a request
                # message ... MUST either reject the message by sending a 400".
                raise InvalidMessage(f"obsolete line folding in {what}: {line!r}")
            name, sep, value = line.partition(b":")
            if not sep:
                raise InvalidMessage(f"{what} line without a colon: {line!r}")
            if not _TOKEN_RE.fullmatch(name):
                # RFC 7230 section 3.2.4: "No whitespace is allowed between the header
                # field-name and colon ... A server MUST reject any received request
                # message that contains whitespace between a header field-name and colon".
                raise InvalidMessage(f"invalid {what} name: {name!r}")
            value = value.strip(b" \t")
            if not _VALUE_RE.fullmatch(value):
                raise InvalidMessage(f"invalid {what} value: {value!r}")
            headers.add(name.decode("ascii"), value.decode("latin-1"))
        return headers


def _parse_version(version: bytes) -> str:
    if not _VERSION_RE.fullmatch(version):
        raise InvalidMessage(f"invalid HTTP version: {version!r}")
    return version.decode("ascii")


class RequestParser(_Parser[Request]):
    """Incremental parser of a request head (no body: the handshake is a GET).

    Raises (from :meth:`feed`):
        InvalidMessage: malformed request line or field, or a request body.
        SecurityError: a limit of :class:`Limits` was exceeded.
    """

    def _parse(self) -> _Parsing[Request]:
        # RFC 7230 section 3.5: "a server that is expecting to receive and parse a
        # request-line SHOULD ignore at least one empty line (CRLF) received prior to the
        # request-line." The head limit bounds how many.
        while not (line := (yield from self._read_line("request"))):
            pass
        # request-line = method SP request-target SP HTTP-version CRLF
        parts = line.split(b" ")
        if len(parts) != 3:
            raise InvalidMessage(f"invalid request line: {line!r}")
        method, target, version = parts
        if not _TOKEN_RE.fullmatch(method):
            raise InvalidMessage(f"invalid method: {method!r}")
        if not _TARGET_RE.fullmatch(target):
            raise InvalidMessage(f"invalid request target: {target!r}")
        version_str = _parse_version(version)
        headers = yield from self._read_fields("header")
        if "Transfer-Encoding" in headers or headers.get("Content-Length", "0") != "0":
            raise InvalidMessage("unsupported request body")
        return Request(
            path=target.decode("ascii"),
            headers=headers,
            raw=bytes(self._head),
            method=method.decode("ascii"),
            version=version_str,
        )


class ResponseParser(_Parser[Response]):
    """Incremental parser of a response head and, for a status other than 101, its body.

    Raises (from :meth:`feed` and :meth:`feed_eof`):
        InvalidMessage: malformed status line, field or body framing.
        SecurityError: a limit of :class:`Limits` was exceeded.
    """

    def _parse(self) -> _Parsing[Response]:
        line = yield from self._read_line("status")
        # status-line = HTTP-version SP status-code SP reason-phrase CRLF; a missing
        # reason phrase (with or without its SP) is tolerated, as many servers send it.
        version, _, rest = line.partition(b" ")
        code, _, reason = rest.partition(b" ")
        version_str = _parse_version(version)
        if not (len(code) == 3 and code.isdigit() and code[:1] != b"0"):
            raise InvalidMessage(f"invalid status code: {code!r}")
        if not _REASON_RE.fullmatch(reason):
            raise InvalidMessage(f"invalid reason phrase: {reason!r}")
        status_code = int(code)
        headers = yield from self._read_fields("header")
        raw = bytes(self._head)
        body = yield from self._read_body(status_code, headers)
        return Response(status_code, reason.decode("latin-1"), headers, body, raw, version_str)

    def _read_body(self, status_code: int, headers: Headers) -> _Parsing[bytes]:
        """Read the body per RFC 7230 section 3.3.3 (message body length)."""
        max_body = self.limits.max_body
        # "Any response to a HEAD request and any response with a 1xx (Informational),
        # 204 (No Content), or 304 (Not Modified) status code is always terminated by the
        # first empty line after the header fields". After a 101 the bytes are frames.
        if status_code < 200 or status_code in (204, 304):
            return b""
        if "Transfer-Encoding" in headers:
            codings = [
                c.strip().lower() for c in ",".join(headers.get_all("Transfer-Encoding")).split(",")
            ]
            if codings[-1] != "chunked":
                # "If a Transfer-Encoding header field is present in a response and the
                # chunked transfer coding is not the final encoding, the message body
                # length is determined by reading the connection until it is closed".
                return (yield from self._read_to_eof(max_body, "body"))
            if codings != ["chunked"]:
                raise InvalidMessage(f"unsupported transfer coding: {codings}")
            return (yield from self._read_chunked())
        if "Content-Length" in headers:
            # "If a message is received ... with multiple Content-Length header fields
            # having differing field-values, or a single Content-Length header field having
            # an invalid value, then the message framing is invalid".
            values = {v.strip() for v in ",".join(headers.get_all("Content-Length")).split(",")}
            if len(values) != 1 or not (value := values.pop()).isdigit() or not value.isascii():
                raise InvalidMessage(f"invalid Content-Length: {headers.get_all('Content-Length')}")
            length = int(value)
            if length > max_body:
                raise SecurityError(f"body longer than {max_body} bytes: {length}")
            return (yield from self._read_exact(length, "body"))
        return (yield from self._read_to_eof(max_body, "body"))

    def _read_chunked(self) -> _Parsing[bytes]:
        """Decode the chunked transfer coding (RFC 7230 section 4.1), bounded."""
        body = bytearray()
        while True:
            line = yield from self._read_line("chunk size", head=False)
            match = _CHUNK_SIZE_RE.fullmatch(line)
            if match is None:
                raise InvalidMessage(f"invalid chunk size line: {line!r}")
            size = int(match.group(1), 16)
            if size == 0:
                break
            if len(body) + size > self.limits.max_body:
                raise SecurityError(f"body longer than {self.limits.max_body} bytes")
            body += yield from self._read_exact(size, "chunk")
            if (yield from self._read_exact(2, "chunk")) != b"\r\n":
                raise InvalidMessage("chunk data not followed by CRLF")
        # trailer-part = *( header-field CRLF ), then the final CRLF; trailers are dropped.
        yield from self._read_fields("trailer", head=False)
        return bytes(body)
