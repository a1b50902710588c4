"""The bytes of scripted handshake requests and responses."""

from __future__ import annotations

from wsconform.cases.handshake import (
    ACCEPT,
    HOST,
    KEY,
    HandshakeRequest,
    HandshakeResponse,
)
from wsconform.harness.wire import handshake_script as script
from wsconform.reference.protocol.handshake import accept_key
from wsconform.reference.protocol.uri import parse_uri

URI = parse_uri("ws://example.com:8080/chat?x=1")


def test_exports() -> None:
    for name in script.__all__:
        assert hasattr(script, name)


def test_the_request_is_written_exactly_as_given() -> None:
    request = HandshakeRequest(
        (("host", HOST), ("X-Dup", "a"), ("X-Dup", "b"), ("Sec-WebSocket-Key", KEY)),
        method="POST",
        version="HTTP/1.0",
        pipelined=b"\x81\x00",
    )
    assert script.request_bytes(request, URI, "k==") == (
        b"POST /chat?x=1 HTTP/1.0\r\nhost: example.com:8080\r\nX-Dup: a\r\nX-Dup: b\r\n"
        b"Sec-WebSocket-Key: k==\r\n\r\n\x81\x00"
    )


def test_a_request_target_and_latin_1_values() -> None:
    request = HandshakeRequest((("X", "caf\xe9"),), target="*")
    assert script.request_bytes(request, URI, "k") == b"GET * HTTP/1.1\r\nX: caf\xe9\r\n\r\n"


def test_offers_are_read_over_every_line() -> None:
    request = HandshakeRequest(
        (
            ("Sec-WebSocket-Protocol", "chat, superchat"),
            ("sec-websocket-protocol", "v2"),
            ("Sec-WebSocket-Protocol", "not a token list!"),
            ("Sec-WebSocket-Extensions", "permessage-deflate"),
            ("Sec-WebSocket-Extensions", "x-foo"),
        )
    )
    assert script.offered_subprotocols(request) == ("chat", "superchat", "v2")
    assert script.offered_extensions(request) == "permessage-deflate, x-foo"
    assert script.offered_extensions(HandshakeRequest()) is None


def test_the_response_answers_the_key() -> None:
    response = HandshakeResponse(
        "HTTP/1.1 101 Switching Protocols",
        (("Sec-WebSocket-Accept", ACCEPT), ("upgrade", "websocket")),
        trailer=b"\x81\x01a",
    )
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    assert script.response_bytes(response, key) == (
        b"HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: "
        + accept_key(key).encode()
        + b"\r\nupgrade: websocket\r\n\r\n\x81\x01a"
    )
