"""The bytes of a handshake case's request or response, built exactly as the case says.

:mod:`wsconform.cases.handshake` describes a request (``hs`` cases) or a response
(``hc`` cases) line by line; these pure functions fill in its placeholders and write
it out byte for byte, duplicates, letter case and order kept, with no check of its own:
a case sends what a conforming peer must refuse.
"""

from __future__ import annotations

from wsconform.cases.handshake import ACCEPT, HOST, KEY, HandshakeRequest, HandshakeResponse
from wsconform.reference.protocol.exceptions import InvalidHandshake
from wsconform.reference.protocol.handshake import accept_key
from wsconform.reference.protocol.headers import build_host, parse_token_list
from wsconform.reference.protocol.uri import WebSocketURI

__all__ = ["offered_extensions", "offered_subprotocols", "request_bytes", "response_bytes"]


def _head(first_line: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [first_line, *(f"{name}: {value}" for name, value in headers), "", ""]
    # RFC 9110 section 5.5: field values are octets; latin-1 keeps each as one byte.
    return "\r\n".join(lines).encode("latin-1")


def request_bytes(request: HandshakeRequest, uri: WebSocketURI, key: str) -> bytes:
    """The request head of ``request`` for target ``uri`` with ``key`` for :data:`KEY`,
    followed by its pipelined bytes."""
    host = build_host(uri.host, uri.port, secure=uri.secure)
    target = request.target if request.target is not None else uri.resource_name
    headers = [
        (name, value.replace(HOST, host).replace(KEY, key)) for name, value in request.headers
    ]
    head = _head(f"{request.method} {target} {request.version}", headers)
    return head + request.pipelined


def offered_subprotocols(request: HandshakeRequest) -> tuple[str, ...]:
    """Every subprotocol the request offers, over all its Sec-WebSocket-Protocol lines
    (RFC 6455 section 11.3.4: several lines are "logically the same as a single" one)."""
    offered: list[str] = []
    for value in request.values("Sec-WebSocket-Protocol"):
        try:
            offered.extend(parse_token_list(value, "Sec-WebSocket-Protocol"))
        except (InvalidHandshake, ValueError):
            continue
    return tuple(offered)


def offered_extensions(request: HandshakeRequest) -> str | None:
    """The request's Sec-WebSocket-Extensions lines joined into one value, or ``None``."""
    values = request.values("Sec-WebSocket-Extensions")
    return ", ".join(values) if values else None


def response_bytes(response: HandshakeResponse, key: str) -> bytes:
    """The response head of ``response`` answering ``key`` (for :data:`ACCEPT`), followed
    by its trailer."""
    accept = accept_key(key)
    headers = [(name, value.replace(ACCEPT, accept)) for name, value in response.headers]
    return _head(response.status_line, headers) + response.trailer
