"""Tests of :mod:`wsconform.reference.protocol.client`, and of a client and a server
talking to each other in memory."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wsconform.reference.protocol import client as client_module
from wsconform.reference.protocol.client import ClientProtocol
from wsconform.reference.protocol.connection import CLOSED, CLOSING, CONNECTING, OPEN, Protocol
from wsconform.reference.protocol.exceptions import (
    InvalidHeaderValue,
    InvalidMessage,
    InvalidState,
    InvalidStatus,
    InvalidUpgrade,
    MissingExtension,
    NegotiationError,
    SecurityError,
)
from wsconform.reference.protocol.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from wsconform.reference.protocol.frames import BINARY, CLOSE, CONT, PING, PONG, TEXT, Frame
from wsconform.reference.protocol.handshake import accept_key
from wsconform.reference.protocol.http import Limits, Request, Response
from wsconform.reference.protocol.server import ServerProtocol

FRAME = b"\x81\x05Hello"  # an unmasked text frame from the server


def _client(**kwargs: object) -> ClientProtocol:
    client = ClientProtocol("ws://example.com/chat", **kwargs)  # type: ignore[arg-type]
    client.send_request(client.connect())
    return client


def _response(
    client: ClientProtocol, *extra: str, status: str = "101 Switching Protocols"
) -> bytes:
    lines = [
        f"HTTP/1.1 {status}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Accept: {accept_key(client.key)}",
        *extra,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _feed(protocol: Protocol, data: bytes, how: str) -> None:
    if how == "bytewise":
        for i in range(len(data)):
            protocol.receive_data(data[i : i + 1])
    else:
        protocol.receive_data(data)


# --- the request --------------------------------------------------------------------------


def test_connect_and_send_request() -> None:
    client = ClientProtocol("ws://example.com:8080/chat?x", origin="http://example.com")
    assert client.state is CONNECTING
    request = client.connect()
    assert request.path == "/chat?x"
    assert request.headers["Host"] == "example.com:8080"
    assert request.headers["Sec-WebSocket-Key"] == client.key
    assert request.headers["Origin"] == "http://example.com"
    assert client.data_to_send() == []
    client.send_request(request)
    assert client.data_to_send() == [request.serialize()]
    assert client.request is request
    with pytest.raises(InvalidState):
        client.send_request(request)
    with pytest.raises(InvalidState):
        client.send_text(b"too early")


def test_keys_differ_between_connections() -> None:
    assert ClientProtocol("ws://h/").key != ClientProtocol("ws://h/").key


def test_response_is_checked_against_the_key_sent() -> None:
    client = ClientProtocol("ws://h/")
    request = client.connect()
    request.headers["Sec-WebSocket-Key"] = "dGhlIHNhbXBsZSBub25jZQ=="
    client.send_request(request)
    assert client.key == "dGhlIHNhbXBsZSBub25jZQ=="


# --- the response -------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["whole", "bytewise"])
def test_successful_handshake_then_frames(how: str) -> None:
    client = _client(subprotocols=["chat"], extensions=[ClientPerMessageDeflateFactory()])
    data = _response(
        client, "Sec-WebSocket-Protocol: chat", "Sec-WebSocket-Extensions: permessage-deflate"
    )
    _feed(client, data + FRAME, how)
    assert client.state is OPEN
    assert client.subprotocol == "chat"
    assert [type(ext) for ext in client.extensions] == [PerMessageDeflate]
    events = client.events_received()
    assert isinstance(events[0], Response)
    assert events[0].raw == data
    assert client.response is events[0]
    assert events[1:] == [Frame(TEXT, b"Hello")]
    assert client.handshake_exc is None
    assert not client.transport_should_close()


def test_frames_in_the_same_chunk_as_the_response_head() -> None:
    client = _client()
    client.receive_data(_response(client)[:-2])
    assert client.state is CONNECTING
    client.receive_data(b"\r\n" + FRAME + FRAME)
    assert client.events_received()[1:] == [Frame(TEXT, b"Hello")] * 2


def test_rejected_with_body() -> None:
    client = _client()
    body = b"Failed to open a WebSocket connection: nope.\n"
    head = f"HTTP/1.1 400 Bad Request\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    client.receive_data(head + body)
    (response,) = client.events_received()
    assert isinstance(response, Response)
    assert (response.status_code, response.body) == (400, body)
    assert isinstance(client.handshake_exc, InvalidStatus)
    assert client.handshake_exc.response is response
    assert client.state is CONNECTING
    assert client.transport_should_close()
    client.receive_data(FRAME)  # discarded
    assert client.events_received() == []
    client.receive_eof()
    assert client.state is CLOSED


def test_rejected_with_body_to_eof() -> None:
    client = _client()
    client.receive_data(b"HTTP/1.0 503 Service Unavailable\r\n\r\nbusy")
    assert client.events_received() == []
    client.receive_eof()
    (response,) = client.events_received()
    assert isinstance(response, Response)
    assert response.body == b"busy"
    assert isinstance(client.handshake_exc, InvalidStatus)
    assert client.state is CLOSED


@pytest.mark.parametrize(
    ("transform", "exc_type", "message"),
    [
        (lambda r: r.replace(b"Upgrade: websocket", b"Upgrade: h2c"), InvalidUpgrade, "h2c"),
        (
            lambda r: r.replace(b"Connection: Upgrade", b"Connection: close"),
            InvalidUpgrade,
            "close",
        ),
        (lambda r: r.replace(b"Accept: ", b"Accept: x"), InvalidHeaderValue, "Accept"),
        (
            lambda r: r.replace(b"\r\n\r\n", b"\r\nSec-WebSocket-Protocol: chat\r\n\r\n"),
            NegotiationError,
            "wasn't offered",
        ),
        (
            lambda r: r.replace(b"\r\n\r\n", b"\r\nSec-WebSocket-Extensions: x-foo\r\n\r\n"),
            NegotiationError,
            "x-foo was not offered",
        ),
        (lambda r: r.replace(b"HTTP/1.1", b"HTTP/1"), InvalidMessage, "invalid HTTP version"),
    ],
)
def test_invalid_response(transform: object, exc_type: type[Exception], message: str) -> None:
    client = _client()
    client.data_to_send()
    client.receive_data(transform(_response(client)) + FRAME)  # type: ignore[operator]
    assert isinstance(client.handshake_exc, exc_type)
    assert message in str(client.handshake_exc)
    assert client.state is CONNECTING
    assert client.transport_should_close()
    assert client.data_to_send() == []  # no close frame: the connection is not open
    events = client.events_received()
    assert all(isinstance(event, Response) for event in events)


def test_response_head_limits() -> None:
    client = _client(limits=Limits(max_headers=2))
    client.receive_data(_response(client, "X: 1"))
    assert isinstance(client.handshake_exc, SecurityError)
    assert client.transport_should_close()


def test_eof_in_the_middle_of_the_response() -> None:
    client = _client()
    client.receive_data(b"HTTP/1.1 101 Switching Protocols\r\nUpg")
    client.receive_eof()
    assert isinstance(client.handshake_exc, InvalidMessage)
    assert "connection closed while reading header line" in str(client.handshake_exc)
    assert client.state is CLOSED
    with pytest.raises(InvalidState):
        client.receive_data(b"more")


def test_required_extension_missing_fails_with_1010() -> None:
    client = _client(
        extensions=[ClientPerMessageDeflateFactory()], required_extensions=["permessage-deflate"]
    )
    client.data_to_send()
    client.receive_data(_response(client) + FRAME)
    assert isinstance(client.handshake_exc, MissingExtension)
    assert str(client.handshake_exc) == "server didn't negotiate permessage-deflate"
    assert client.state is CLOSING
    assert client.close_sent is not None
    assert (client.close_sent.code, client.close_sent.reason) == (1010, "permessage-deflate")
    (data,) = client.data_to_send()
    assert data[0] == 0x88  # a close frame
    assert client.transport_should_close()
    # The frame after the response is discarded: the connection is failed.
    assert [type(event) for event in client.events_received()] == [Response]


def test_required_extension_present() -> None:
    client = _client(
        extensions=[ClientPerMessageDeflateFactory()], required_extensions=["permessage-deflate"]
    )
    client.receive_data(_response(client, "Sec-WebSocket-Extensions: permessage-deflate"))
    assert client.state is OPEN
    assert client.handshake_exc is None


def test_open_client_skips_the_handshake() -> None:
    client = ClientProtocol("ws://h/", state=OPEN)
    client.receive_data(FRAME)
    assert client.events_received() == [Frame(TEXT, b"Hello")]


def test_handshake_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.client")
    with caplog.at_level(logging.DEBUG, logger="test.client"):
        client = _client(logger=logger)
        client.receive_data(_response(client))
    messages = [record.getMessage() for record in caplog.records]
    assert "> GET /chat HTTP/1.1" in messages
    assert "< HTTP/1.1 101 Switching Protocols" in messages


# --- a client and a server in memory -------------------------------------------------------


def _pump(source: Protocol, destination: Protocol) -> None:
    for data in source.data_to_send():
        destination.receive_data(data)


def _open(
    client_factories: list[ClientPerMessageDeflateFactory],
    server_factories: list[ServerPerMessageDeflateFactory],
) -> tuple[ClientProtocol, ServerProtocol]:
    client = ClientProtocol(
        "ws://localhost/", extensions=client_factories, subprotocols=["superchat", "chat"]
    )
    server = ServerProtocol(extensions=server_factories, subprotocols=["chat"])
    client.send_request(client.connect())
    _pump(client, server)
    (request,) = server.events_received()
    assert isinstance(request, Request)
    server.send_response(server.accept(request))
    assert server.state is OPEN
    _pump(server, client)
    assert client.state is OPEN
    assert client.subprotocol == server.subprotocol == "chat"
    (response,) = client.events_received()
    assert isinstance(response, Response)
    return client, server


def _message(sender: Protocol, receiver: Protocol, payload: bytes, cuts: list[int]) -> None:
    points = sorted({min(cut, len(payload)) for cut in cuts})
    pieces = [payload[a:b] for a, b in zip([0, *points], [*points, len(payload)], strict=True)]
    sender.send_binary(pieces[0], fin=len(pieces) == 1)
    for i, piece in enumerate(pieces[1:], start=2):
        sender.send_continuation(piece, fin=i == len(pieces))
    _pump(sender, receiver)
    frames = receiver.events_received()
    assert all(isinstance(frame, Frame) for frame in frames)
    assert [frame.opcode for frame in frames] == [BINARY] + [CONT] * (len(frames) - 1)  # type: ignore[union-attr]
    assert b"".join(frame.data for frame in frames) == payload  # type: ignore[union-attr]


def test_conversation_with_deflate() -> None:
    client, server = _open([ClientPerMessageDeflateFactory()], [ServerPerMessageDeflateFactory()])
    assert [type(ext) for ext in client.extensions] == [PerMessageDeflate]
    assert [type(ext) for ext in server.extensions] == [PerMessageDeflate]
    for payload in (b"Hello", b"Hello" * 1000, b""):
        _message(client, server, payload, [])
        _message(server, client, payload, [3])
    # A ping is answered by the core, and the close handshake completes.
    client.send_ping(b"p")
    _pump(client, server)
    assert server.events_received() == [Frame(PING, b"p")]
    _pump(server, client)
    assert client.events_received() == [Frame(PONG, b"p")]
    client.send_close(1000, "bye")
    _pump(client, server)
    assert [frame.opcode for frame in server.events_received()] == [CLOSE]  # type: ignore[union-attr]
    assert server.transport_should_close()
    _pump(server, client)
    assert [frame.opcode for frame in client.events_received()] == [CLOSE]  # type: ignore[union-attr]
    assert client.state is CLOSING
    # The server closes TCP first (RFC 6455 section 7.1.1).
    server.receive_eof()
    client.receive_eof()
    assert client.state is server.state is CLOSED
    assert client.close_code == server.close_code == 1000


def test_compressed_bytes_on_the_wire() -> None:
    _, server = _open([ClientPerMessageDeflateFactory()], [ServerPerMessageDeflateFactory()])
    server.send_text(b"Hello")
    (data,) = server.data_to_send()
    # RFC 7692 section 7.2.3.1: "Hello" compressed, with RSV1 set (0xc1).
    assert data == bytes.fromhex("c107f248cdc9c90700")


client_factories = st.builds(
    ClientPerMessageDeflateFactory,
    server_no_context_takeover=st.booleans(),
    client_no_context_takeover=st.booleans(),
    server_max_window_bits=st.sampled_from([None, 8, 9, 12, 15]),
    client_max_window_bits=st.sampled_from([None, True, 8, 9, 12, 15]),
)
server_factories = st.builds(
    ServerPerMessageDeflateFactory,
    server_no_context_takeover=st.booleans(),
    client_no_context_takeover=st.booleans(),
    server_max_window_bits=st.sampled_from([None, 8, 9, 12, 15]),
    client_max_window_bits=st.sampled_from([None, 8, 9, 12, 15]),
)
payloads = st.one_of(
    st.binary(max_size=500),
    st.lists(st.sampled_from([b"abc", b"Hello ", b"\x00" * 20]), max_size=200).map(b"".join),
)


@given(
    client_factories,
    server_factories,
    st.lists(
        st.tuples(payloads, st.lists(st.integers(0, 600), max_size=3), st.booleans()), max_size=5
    ),
)
def test_conversation_property(
    client_factory: ClientPerMessageDeflateFactory,
    server_factory: ServerPerMessageDeflateFactory,
    messages: list[tuple[bytes, list[int], bool]],
) -> None:
    client, server = _open([client_factory], [server_factory])
    for payload, cuts, from_client in messages:
        if from_client:
            _message(client, server, payload, cuts)
        else:
            _message(server, client, payload, cuts)
    assert client.parser_exc is None
    assert server.parser_exc is None


def test_all_is_complete() -> None:
    for name in client_module.__all__:
        assert hasattr(client_module, name)


# --- against the websockets library's sans-I/O server, in memory ---------------------------

ws_server = pytest.importorskip("websockets.server")
ws_pmd = pytest.importorskip("websockets.extensions.permessage_deflate")


def _pump_to_theirs(ours: Protocol, theirs: object) -> None:
    for data in ours.data_to_send():
        theirs.receive_data(data)  # type: ignore[attr-defined]


def _pump_from_theirs(theirs: object, ours: Protocol) -> None:
    for data in theirs.data_to_send():  # type: ignore[attr-defined]
        if data:  # websockets signals EOF with b""
            ours.receive_data(data)


@pytest.mark.parametrize("server_no_context_takeover", [False, True])
@pytest.mark.parametrize("server_max_window_bits", [None, 9, 12])
def test_handshake_and_messages_with_websockets_server(
    server_no_context_takeover: bool, server_max_window_bits: int | None
) -> None:
    client = ClientProtocol(
        "ws://localhost/",
        extensions=[
            ClientPerMessageDeflateFactory(
                server_no_context_takeover=server_no_context_takeover,
                server_max_window_bits=server_max_window_bits,
            )
        ],
        subprotocols=["chat"],
    )
    theirs = ws_server.ServerProtocol(
        extensions=[ws_pmd.ServerPerMessageDeflateFactory()], subprotocols=["chat"]
    )
    client.send_request(client.connect())
    _pump_to_theirs(client, theirs)
    (request,) = theirs.events_received()
    theirs.send_response(theirs.accept(request))
    _pump_from_theirs(theirs, client)
    assert client.state is OPEN, client.handshake_exc
    assert client.subprotocol == "chat"
    (extension,) = client.extensions
    assert isinstance(extension, PerMessageDeflate)
    assert extension.remote_no_context_takeover is server_no_context_takeover
    assert extension.remote_max_window_bits == (server_max_window_bits or 15)
    client.events_received()
    for payload in (b"Hello", b"Hello" * 500, "\u00e9t\u00e9".encode() * 100):
        client.send_text(payload[:7], fin=False)
        client.send_continuation(payload[7:], fin=True)
        _pump_to_theirs(client, theirs)
        frames = theirs.events_received()
        assert b"".join(frame.data for frame in frames) == payload
        theirs.send_binary(payload)
        _pump_from_theirs(theirs, client)
        (frame,) = client.events_received()
        assert frame == Frame(BINARY, payload)
    client.send_close(1000)
    _pump_to_theirs(client, theirs)
    _pump_from_theirs(theirs, client)
    assert client.close_rcvd is not None
    assert client.close_rcvd.code == 1000
