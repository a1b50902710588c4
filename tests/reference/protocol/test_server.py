"""Tests of :mod:`wsconform.reference.protocol.server`."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from wsconform.reference.protocol import server as server_module
from wsconform.reference.protocol.connection import CLOSED, CONNECTING, OPEN
from wsconform.reference.protocol.exceptions import (
    InvalidHeader,
    InvalidMessage,
    InvalidOrigin,
    InvalidState,
    InvalidStatus,
    InvalidVersion,
    SecurityError,
)
from wsconform.reference.protocol.extensions.permessage_deflate import (
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from wsconform.reference.protocol.frames import BINARY, TEXT, Frame
from wsconform.reference.protocol.handshake import SERVER
from wsconform.reference.protocol.http import Limits, Request, Response, ResponseParser
from wsconform.reference.protocol.server import ServerProtocol

KEY = "dGhlIHNhbXBsZSBub25jZQ=="
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
# "Hello", masked, from RFC 6455 section 5.7.
MASKED_FRAME = bytes.fromhex("818537fa213d7f9f4d5158")


def _parse_response(data: list[bytes]) -> Response:
    parser = ResponseParser()
    response = parser.feed(b"".join(data))
    if response is None:
        response = parser.feed_eof()
    assert response is not None
    return response


def _request(server: ServerProtocol, data: bytes = REQUEST) -> Request:
    server.receive_data(data)
    (request,) = server.events_received()
    assert isinstance(request, Request)
    return request


@pytest.mark.parametrize("how", ["whole", "bytewise", "trailing"])
def test_successful_handshake(how: str) -> None:
    server = ServerProtocol(subprotocols=["superchat", "chat"])
    if how == "bytewise":
        for i in range(len(REQUEST)):
            server.receive_data(REQUEST[i : i + 1])
    else:
        server.receive_data(REQUEST + (MASKED_FRAME if how == "trailing" else b""))
    (request,) = server.events_received()
    assert isinstance(request, Request)
    assert server.request is request
    assert request.raw == REQUEST
    assert server.state is CONNECTING
    response = server.accept(request)
    assert response.status_code == 101
    # The client's preference wins: "chat" comes first in its list.
    assert response.headers["Sec-WebSocket-Protocol"] == "chat"
    assert response.headers["Sec-WebSocket-Accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert response.headers["Server"] == SERVER
    server.send_response(response)
    assert server.state is OPEN
    assert server.subprotocol == "chat"
    assert server.handshake_exc is None
    assert server.data_to_send() == [response.serialize()]
    # Bytes sent before the response are parsed as frames once OPEN.
    expected = [Frame(TEXT, b"Hello")] if how == "trailing" else []
    assert server.events_received() == expected
    server.receive_data(MASKED_FRAME)
    assert server.events_received() == [Frame(TEXT, b"Hello")]


def test_early_data_arriving_after_the_request() -> None:
    server = ServerProtocol()
    request = _request(server)
    server.receive_data(MASKED_FRAME[:4])
    server.receive_data(MASKED_FRAME[4:])
    assert server.events_received() == []
    server.send_response(server.accept(request))
    assert server.events_received() == [Frame(TEXT, b"Hello")]


def test_too_much_early_data_is_rejected() -> None:
    server = ServerProtocol(limits=Limits(max_head=1024))
    request = _request(server)
    server.receive_data(MASKED_FRAME * 100)
    response = server.accept(request)
    assert response.status_code == 400
    assert b"before the handshake response" in response.body
    assert isinstance(server.handshake_exc, InvalidMessage)


@pytest.mark.parametrize(
    ("data", "exc_type", "reason"),
    [
        (b"GET /chat\r\n\r\n", InvalidMessage, "invalid request line: b'GET /chat'"),
        (b"GET / HTTP/1.1\r\nA : b\r\n\r\n", InvalidMessage, "invalid header name: b'A '"),
        (
            b"GET / HTTP/1.1\r\n" + b"X: 1\r\n" * 3 + b"\r\n",
            SecurityError,
            "more than 2 header fields",
        ),
        (b"GET /" + b"a" * 100, SecurityError, "request line longer than 64 bytes"),
    ],
)
def test_malformed_request_is_answered_with_400(
    data: bytes, exc_type: type[Exception], reason: str
) -> None:
    server = ServerProtocol(limits=Limits(max_line=64, max_headers=2))
    server.receive_data(data)
    assert server.events_received() == []
    assert type(server.handshake_exc) is exc_type
    response = _parse_response(server.data_to_send())
    assert response.status_code == 400
    assert response.body == f"Failed to open a WebSocket connection: {reason}.\n".encode()
    assert server.transport_should_close()
    assert server.state is CONNECTING
    server.receive_data(REQUEST)  # discarded
    assert server.events_received() == []
    server.receive_eof()
    assert server.state is CLOSED


@pytest.mark.parametrize(
    ("old", "new", "status", "exc_type"),
    [
        (b"Sec-WebSocket-Version: 13", b"Sec-WebSocket-Version: 8", 426, InvalidVersion),
        (b"Host: server.example.com\r\n", b"", 400, InvalidHeader),
        (b"Origin: http://example.com", b"Origin: http://evil.com", 403, InvalidOrigin),
    ],
)
def test_defective_request(old: bytes, new: bytes, status: int, exc_type: type[Exception]) -> None:
    server = ServerProtocol(origins=["http://example.com"])
    request = _request(server, REQUEST.replace(old, new))
    response = server.accept(request)
    assert response.status_code == status
    assert type(server.handshake_exc) is exc_type
    assert response.body.decode() == (
        f"Failed to open a WebSocket connection: {server.handshake_exc}.\n"
    )
    server.send_response(response)
    assert server.state is CONNECTING
    assert server.transport_should_close()
    assert server.handshake_exc is not None
    assert not isinstance(server.handshake_exc, InvalidStatus)
    assert _parse_response(server.data_to_send()) == Response(
        response.status_code,
        response.reason_phrase,
        response.headers,
        response.body,
        raw=response.serialize()[: -len(response.body)],
    )
    server.receive_data(MASKED_FRAME)
    assert server.events_received() == []


def test_reject() -> None:
    server = ServerProtocol(server_header=None)
    _request(server)
    response = server.reject(404, "Not here.\n")
    assert (response.status_code, response.reason_phrase, response.body) == (
        404,
        "Not Found",
        b"Not here.\n",
    )
    assert "Server" not in response.headers
    server.send_response(response)
    assert isinstance(server.handshake_exc, InvalidStatus)
    assert server.transport_should_close()
    with pytest.raises(InvalidState):
        server.send_response(response)


def test_send_response_only_while_connecting() -> None:
    server = ServerProtocol()
    request = _request(server)
    server.send_response(server.accept(request))
    with pytest.raises(InvalidState):
        server.send_response(server.reject(500, "again"))


def test_extensions_negotiated() -> None:
    server = ServerProtocol(extensions=[ServerPerMessageDeflateFactory(server_max_window_bits=12)])
    request = _request(
        server,
        REQUEST.replace(
            b"\r\n\r\n",
            b"\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n",
        ),
    )
    response = server.accept(request)
    assert response.headers["Sec-WebSocket-Extensions"] == (
        "permessage-deflate; server_max_window_bits=12"
    )
    assert [type(ext) for ext in server.extensions] == [PerMessageDeflate]


def test_malformed_extensions_header_is_400() -> None:
    server = ServerProtocol(extensions=[ServerPerMessageDeflateFactory()])
    request = _request(
        server, REQUEST.replace(b"\r\n\r\n", b"\r\nSec-WebSocket-Extensions: ;\r\n\r\n")
    )
    assert server.accept(request).status_code == 400
    assert server.extensions == []


def test_no_common_subprotocol() -> None:
    server = ServerProtocol(subprotocols=["other"])
    response = server.accept(_request(server))
    assert response.status_code == 101
    assert "Sec-WebSocket-Protocol" not in response.headers
    assert server.subprotocol is None


def test_select_subprotocol() -> None:
    seen: list[Sequence[str]] = []

    def select(protocol: ServerProtocol, offered: Sequence[str]) -> str | None:
        seen.append(offered)
        return offered[-1]

    server = ServerProtocol(select_subprotocol=select)
    response = server.accept(_request(server))
    assert seen == [["chat", "superchat"]]
    assert response.headers["Sec-WebSocket-Protocol"] == "superchat"


@pytest.mark.parametrize("result", ["unoffered", ValueError("boom")])
def test_select_subprotocol_failure_is_500(result: str | Exception) -> None:
    def select(protocol: ServerProtocol, offered: Sequence[str]) -> str | None:
        if isinstance(result, Exception):
            raise result
        return result

    server = ServerProtocol(select_subprotocol=select)
    response = server.accept(_request(server))
    assert response.status_code == 500
    assert isinstance(server.handshake_exc, ValueError)
    assert b"See server log" in response.body


def test_eof_before_the_request() -> None:
    server = ServerProtocol()
    server.receive_data(REQUEST[:10])
    server.receive_eof()
    assert isinstance(server.handshake_exc, InvalidMessage)
    assert str(server.handshake_exc) == "connection closed while reading request line"
    assert server.state is CLOSED


def test_eof_after_the_request() -> None:
    server = ServerProtocol()
    _request(server)
    server.receive_eof()
    assert server.handshake_exc is None
    assert server.state is CLOSED


def test_open_server_skips_the_handshake() -> None:
    server = ServerProtocol(state=OPEN)
    server.receive_data(MASKED_FRAME)
    assert server.events_received() == [Frame(TEXT, b"Hello")]
    server.receive_eof()
    assert server.handshake_exc is None
    assert server.state is CLOSED


def test_all_is_complete() -> None:
    for name in server_module.__all__:
        assert hasattr(server_module, name)


# --- against the websockets library's sans-I/O client, in memory ---------------------------

ws_client = pytest.importorskip("websockets.client")
ws_uri = pytest.importorskip("websockets.uri")
ws_pmd = pytest.importorskip("websockets.extensions.permessage_deflate")


@pytest.mark.parametrize("client_no_context_takeover", [False, True])
@pytest.mark.parametrize("client_max_window_bits", [None, 9, 12])
def test_handshake_and_messages_with_websockets_client(
    client_no_context_takeover: bool, client_max_window_bits: int | None
) -> None:
    theirs = ws_client.ClientProtocol(
        ws_uri.parse_uri("ws://localhost/"),
        extensions=[
            ws_pmd.ClientPerMessageDeflateFactory(
                client_no_context_takeover=client_no_context_takeover
            )
        ],
        subprotocols=["chat"],
    )
    server = ServerProtocol(
        extensions=[ServerPerMessageDeflateFactory(client_max_window_bits=client_max_window_bits)],
        subprotocols=["chat"],
    )
    theirs.send_request(theirs.connect())
    for data in theirs.data_to_send():
        server.receive_data(data)
    (request,) = server.events_received()
    assert isinstance(request, Request)
    server.send_response(server.accept(request))
    for data in server.data_to_send():
        theirs.receive_data(data)
    assert theirs.handshake_exc is None
    assert server.state is OPEN
    assert server.subprotocol == "chat"
    (extension,) = server.extensions
    assert isinstance(extension, PerMessageDeflate)
    assert extension.remote_no_context_takeover is client_no_context_takeover
    assert extension.remote_max_window_bits == (client_max_window_bits or 15)
    theirs.events_received()
    for payload in (b"Hello", b"Hello" * 500, bytes(range(256)) * 10):
        theirs.send_binary(payload)
        for data in theirs.data_to_send():
            server.receive_data(data)
        assert server.events_received() == [Frame(BINARY, payload)]
        server.send_binary(payload[:100], fin=False)
        server.send_continuation(payload[100:], fin=True)
        for data in server.data_to_send():
            theirs.receive_data(data)
        frames = theirs.events_received()
        assert b"".join(frame.data for frame in frames) == payload
    theirs.send_close(1000)
    for data in theirs.data_to_send():
        if data:
            server.receive_data(data)
    assert server.close_rcvd is not None
    assert server.close_rcvd.code == 1000
    assert server.transport_should_close()
