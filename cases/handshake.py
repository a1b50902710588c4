"""Opening-handshake cases (RFC 6455 section 4, RFC 7692 section 5) as plain data.

Autobahn has no handshake cases; these are wsconform's own. A handshake case is an
ordinary :class:`~wsconform.cases.model.Case` (its steps, expected events and close
expectation run once the connection is open, as any case's do) with the opening
handshake made explicit:

* :class:`ServerHandshakeCase` (family ``hs``, for server targets): the tester sends
  :class:`HandshakeRequest` exactly as written (method, HTTP version, header lines in
  order, duplicates and letter case kept, the write pattern, bytes pipelined after the
  head) and judges the answer by :class:`ServerExpectation`: what a 101, an HTTP error
  status, or a connection closed without an answer earns. A 101 is also held to the
  response rules (the Sec-WebSocket-Accept value, a subprotocol that was offered,
  permessage-deflate parameters valid and ``server_max_window_bits`` no larger than
  offered), then the case's steps run (an echo).
* :class:`ClientHandshakeCase` (family ``hc``, for client targets): the tester answers
  the client's request with :class:`HandshakeResponse` as written (status line, header
  lines, write pattern, a frame in the same write), then sends a text message. With
  ``proceed`` the client must open and echo it; without, the client must fail the
  connection (RFC 6455 section 4.1): close TCP, and send no data frame.

Header values may hold the placeholders :data:`HOST` (the target's authority),
:data:`KEY` (a fresh valid Sec-WebSocket-Key) and :data:`ACCEPT` (the right
Sec-WebSocket-Accept for the client's key), which the runner fills in.
"""

from __future__ import annotations

import dataclasses

from .exceptions import InvalidCase
from .model import NON_STRICT, OK, Case, Verdict

FAILED = Verdict.FAILED

__all__ = [
    "ACCEPT",
    "HOST",
    "KEY",
    "MUST_ACCEPT",
    "STANDARD_REQUEST",
    "STANDARD_RESPONSE",
    "ClientHandshakeCase",
    "HandshakeRequest",
    "HandshakeResponse",
    "Header",
    "ServerExpectation",
    "ServerHandshakeCase",
    "handshake_lines",
    "replace_header",
    "without_header",
]

#: Placeholder for the target's ``host[:port]`` authority (RFC 6455 section 4.1, item 4).
HOST = "{host}"
#: Placeholder for a fresh Sec-WebSocket-Key: 16 random bytes, base64 (section 4.1, item 7).
KEY = "{key}"
#: Placeholder for the Sec-WebSocket-Accept that matches the client's key (section 4.2.2).
ACCEPT = "{accept}"

#: One header line: name and value exactly as they go on the wire.
Header = tuple[str, str]

#: The request of RFC 6455 section 4.1, in the order most clients send it.
STANDARD_REQUEST: tuple[Header, ...] = (
    ("Host", HOST),
    ("Upgrade", "websocket"),
    ("Connection", "Upgrade"),
    ("Sec-WebSocket-Key", KEY),
    ("Sec-WebSocket-Version", "13"),
)

#: The 101 answer of RFC 6455 section 4.2.2 (after its status line).
STANDARD_RESPONSE: tuple[Header, ...] = (
    ("Upgrade", "websocket"),
    ("Connection", "Upgrade"),
    ("Sec-WebSocket-Accept", ACCEPT),
)


def without_header(headers: tuple[Header, ...], name: str) -> tuple[Header, ...]:
    """``headers`` without the lines named ``name`` (ASCII case-insensitive)."""
    return tuple(h for h in headers if h[0].lower() != name.lower())


def replace_header(headers: tuple[Header, ...], name: str, *values: str) -> tuple[Header, ...]:
    """``headers`` with the lines named ``name`` replaced, in place, by one line per value
    (none: removed); a name not present is appended."""
    out: list[Header] = []
    done = False
    for header in headers:
        if header[0].lower() != name.lower():
            out.append(header)
        elif not done:
            out.extend((name, value) for value in values)
            done = True
    if not done:
        out.extend((name, value) for value in values)
    return tuple(out)


#: Longest header value :func:`handshake_lines` shows whole.
_SHOWN_VALUE = 80
#: Most header lines :func:`handshake_lines` shows.
_SHOWN_LINES = 20


def _shown(first: str, headers: tuple[Header, ...], extra: bytes, what: str) -> list[str]:
    lines = [first]
    for name, value in headers[:_SHOWN_LINES]:
        cut = value if len(value) <= _SHOWN_VALUE else f"{value[:40]}... ({len(value)} characters)"
        lines.append(f"{name}: {cut}")
    if len(headers) > _SHOWN_LINES:
        lines.append(f"... ({len(headers) - _SHOWN_LINES} more header lines)")
    if extra:
        lines.append(f"(then {len(extra)} bytes in the same write: {what})")
    return lines


def handshake_lines(case: Case) -> list[str]:
    """The request or response a handshake case writes, as lines to show (``cases
    --show``), long values and long header lists cut; empty for any other case."""
    if isinstance(case, ServerHandshakeCase):
        request = case.request
        target = request.target if request.target is not None else "<the target's path>"
        lines = _shown(
            f"{request.method} {target} {request.version}", request.headers,
            request.pipelined, "a masked frame",
        )  # fmt: skip
        if request.chopsize is not None:
            lines.append(f"(written {request.chopsize} byte(s) per TCP write)")
        return lines
    if isinstance(case, ClientHandshakeCase):
        response = case.response
        lines = _shown(
            response.status_line, response.headers, response.trailer, "an unmasked frame"
        )
        if response.chopsize is not None:
            lines.append(f"(written {response.chopsize} byte(s) per TCP write)")
        return lines
    return []


def _check_headers(where: str, headers: tuple[Header, ...]) -> None:
    for name, value in headers:
        # Not only tokens: a case may send a space before the colon (RFC 9112 section 5.1).
        if not name or set(name) & {":", "\r", "\n"}:
            raise InvalidCase(where, f"header name {name[:40]!r} cannot be written")
        if "\r" in value or "\n" in value:
            raise InvalidCase(where, f"header {name} has a line break in its value")


@dataclasses.dataclass(frozen=True, slots=True)
class HandshakeRequest:
    """The upgrade request of a server case, written exactly as given.

    ``method``, ``target`` (``None``: the target URL's path and query) and ``version``
    make the request line; ``headers`` follow in order. ``chopsize`` n writes the
    request in n-byte writes, each its own TCP segment. ``pipelined`` bytes follow the
    head in the same write (a masked frame: the server must read it after its 101).
    """

    headers: tuple[Header, ...] = STANDARD_REQUEST
    method: str = "GET"
    target: str | None = None
    version: str = "HTTP/1.1"
    chopsize: int | None = None
    pipelined: bytes = b""

    def __post_init__(self) -> None:
        _check_headers("HandshakeRequest", self.headers)
        if self.chopsize is not None and self.chopsize < 1:
            raise InvalidCase("HandshakeRequest", f"chopsize {self.chopsize} < 1")

    def values(self, name: str) -> list[str]:
        """The values of the lines named ``name`` (ASCII case-insensitive), in order."""
        return [value for key, value in self.headers if key.lower() == name.lower()]


@dataclasses.dataclass(frozen=True, slots=True)
class ServerExpectation:
    """What each kind of answer to a server case's request earns.

    ``accept``: a 101 (then held to the response rules and the case's echo).
    ``refuse``: an HTTP error status (4xx; a 5xx is at best NON-STRICT, the request was
    at fault, not the server). ``close``: TCP closed without any answer. A server that
    does not answer within the opening handshake timer always gets FAILED.
    ``version_header``: a refusal must carry ``Sec-WebSocket-Version`` listing 13
    (RFC 6455 section 4.4), else FAILED. ``deflate_declined``: every permessage-deflate
    offer of the request is invalid, so a 101 that accepts the extension is FAILED
    (RFC 7692 section 5: the server "MUST decline" such an offer). ``plain_http``: the
    request is not a WebSocket request at all (no Upgrade or Connection token), so any
    status but 101 is a fine answer; otherwise a 2xx or 3xx refusal is NON-STRICT (RFC
    6455 section 4.2.1 asks for "an appropriate error code").
    """

    accept: Verdict = FAILED
    refuse: Verdict = OK
    close: Verdict = FAILED
    version_header: bool = False
    deflate_declined: bool = False
    plain_http: bool = False

    def __post_init__(self) -> None:
        allowed = {OK, NON_STRICT, FAILED}
        if not {self.accept, self.refuse, self.close} <= allowed:
            raise InvalidCase("ServerExpectation", "verdicts are OK, NON-STRICT or FAILED")

    @property
    def wants_accept(self) -> bool:
        """Whether a 101 is the answer that earns OK."""
        return self.accept is OK


#: A server case whose request is valid: a 101 is the only right answer.
MUST_ACCEPT = ServerExpectation(accept=OK, refuse=FAILED, close=FAILED)


@dataclasses.dataclass(frozen=True, eq=False, slots=True, kw_only=True)
class ServerHandshakeCase(Case):
    """A case of the ``hs`` family (module docstring): a request, and what its answer earns."""

    request: HandshakeRequest = HandshakeRequest()
    answer: ServerExpectation = MUST_ACCEPT

    def __post_init__(self) -> None:
        Case.__post_init__(self)
        if self.answer.wants_accept and not self.expected and not self.steps:
            raise InvalidCase(self.id, "an accepting server case needs its echo check")


@dataclasses.dataclass(frozen=True, slots=True)
class HandshakeResponse:
    """The tester's answer to a client's upgrade request, written exactly as given.

    ``status_line`` (without CRLF) and ``headers`` in order; ``chopsize`` n writes it in
    n-byte writes; ``trailer`` bytes (an unmasked frame) follow the head in the same
    write.
    """

    status_line: str = "HTTP/1.1 101 Switching Protocols"
    headers: tuple[Header, ...] = STANDARD_RESPONSE
    chopsize: int | None = None
    trailer: bytes = b""

    def __post_init__(self) -> None:
        _check_headers("HandshakeResponse", self.headers)
        if "\r" in self.status_line or "\n" in self.status_line:
            raise InvalidCase("HandshakeResponse", "a line break in the status line")
        if self.chopsize is not None and self.chopsize < 1:
            raise InvalidCase("HandshakeResponse", f"chopsize {self.chopsize} < 1")


@dataclasses.dataclass(frozen=True, eq=False, slots=True, kw_only=True)
class ClientHandshakeCase(Case):
    """A case of the ``hc`` family (module docstring).

    ``proceed``: the response is valid and the client must open (the case's expected
    echo judges it); otherwise the client must fail the connection within ``wait``
    seconds without sending a data frame.
    """

    response: HandshakeResponse = HandshakeResponse()
    proceed: bool = False
    wait: float = 2.0

    def __post_init__(self) -> None:
        Case.__post_init__(self)
        if self.wait <= 0:
            raise InvalidCase(self.id, "wait must be above 0")
