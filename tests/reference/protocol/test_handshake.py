"""Tests of :mod:`wsconform.reference.protocol.handshake` (RFC 6455 section 4)."""

from __future__ import annotations

import base64
from collections.abc import Sequence

import pytest

from wsconform.reference.protocol import handshake
from wsconform.reference.protocol.exceptions import (
    InvalidHandshake,
    InvalidHeader,
    InvalidHeaderFormat,
    InvalidHeaderValue,
    InvalidMessage,
    InvalidOrigin,
    InvalidStatus,
    InvalidUpgrade,
    InvalidVersion,
    NegotiationError,
)
from wsconform.reference.protocol.extensions.base import Extension
from wsconform.reference.protocol.extensions.factories import (
    ClientExtensionFactory,
    ServerExtensionFactory,
)
from wsconform.reference.protocol.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from wsconform.reference.protocol.frames import Frame
from wsconform.reference.protocol.headers import ExtensionParameter, Headers
from wsconform.reference.protocol.http import Request, RequestParser, Response
from wsconform.reference.protocol.uri import parse_uri

KEY = "dGhlIHNhbXBsZSBub25jZQ=="
ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_accept_key_rfc_example() -> None:
    # RFC 6455 section 1.3: the key "dGhlIHNhbXBsZSBub25jZQ==" gives
    # "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".
    assert handshake.accept_key(KEY) == ACCEPT


def test_generate_key_is_random_16_bytes() -> None:
    keys = {handshake.generate_key() for _ in range(20)}
    assert len(keys) == 20
    for key in keys:
        assert len(base64.b64decode(key, validate=True)) == 16


# --- the client's request -----------------------------------------------------------------


def test_build_request_minimal() -> None:
    request = handshake.build_request(parse_uri("ws://example.com/chat?x=1"), KEY)
    assert request.path == "/chat?x=1"
    assert request.serialize() == (
        b"GET /chat?x=1 HTTP/1.1\r\n"
        b"Host: example.com\r\n"
        b"Upgrade: websocket\r\n"
        b"Connection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\n"
        b"User-Agent: " + handshake.USER_AGENT.encode() + b"\r\n"
        b"\r\n"
    )
    # The request passes the server's own checks.
    assert handshake.check_request(request) == KEY


def test_build_request_options() -> None:
    request = handshake.build_request(
        parse_uri("wss://user:p%40ss@[::1]:8443/"),
        KEY,
        origin="https://example.com",
        subprotocols=["chat", "superchat"],
        extensions=[ClientPerMessageDeflateFactory(server_max_window_bits=10)],
        user_agent=None,
        additional_headers=[("X-Extra", "1")],
    )
    headers = request.headers
    assert headers["Host"] == "[::1]:8443"
    assert headers["Origin"] == "https://example.com"
    assert headers["Sec-WebSocket-Protocol"] == "chat, superchat"
    assert headers["Sec-WebSocket-Extensions"] == (
        "permessage-deflate; server_max_window_bits=10; client_max_window_bits"
    )
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"user:p@ss").decode()
    assert "User-Agent" not in headers
    assert headers["X-Extra"] == "1"
    assert handshake.check_request(request) == KEY


# --- the server's checks: one test per defect ------------------------------------------------

VALID = (
    "GET /chat HTTP/1.1\r\n"
    "Host: server.example.com\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    f"Sec-WebSocket-Key: {KEY}\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "Origin: http://example.com\r\n"
    "\r\n"
)


def _request(text: str) -> Request:
    request = RequestParser().feed(text.encode("latin-1"))
    assert request is not None
    return request


def _reject(text: str, origins: Sequence[str | None] | None = None) -> tuple[Exception, Response]:
    with pytest.raises(InvalidHandshake) as info:
        handshake.check_request(_request(text), origins=origins)
    return info.value, handshake.rejection_for(info.value)


def test_valid_request() -> None:
    assert handshake.check_request(_request(VALID)) == KEY


@pytest.mark.parametrize(
    ("old", "new", "exc_type", "status", "reason"),
    [
        (
            "GET /chat",
            "POST /chat",
            InvalidMessage,
            400,
            "unsupported HTTP method POST; expected GET",
        ),
        (
            "HTTP/1.1\r\n",
            "HTTP/1.0\r\n",
            InvalidMessage,
            400,
            "unsupported HTTP version HTTP/1.0; expected HTTP/1.1",
        ),
        ("Host: server.example.com\r\n", "", InvalidHeader, 400, "missing Host header"),
        (
            "Host: server.example.com\r\n",
            "Host: a\r\nHost: b\r\n",
            InvalidHeader,
            400,
            "invalid Host header: more than one value: a, b",
        ),
        (
            "Host: server.example.com\r\n",
            "Host: a b\r\n",
            InvalidHeaderValue,
            400,
            "invalid Host header: a b",
        ),
        ("Upgrade: websocket\r\n", "", InvalidUpgrade, 400, "missing Upgrade header"),
        (
            "Upgrade: websocket\r\n",
            "Upgrade: h2c\r\n",
            InvalidUpgrade,
            400,
            "invalid Upgrade header: h2c",
        ),
        (
            "Upgrade: websocket\r\n",
            "Upgrade: web socket\r\n",
            InvalidHeaderFormat,
            400,
            "invalid Upgrade header: expected comma at 4 in web socket",
        ),
        ("Connection: Upgrade\r\n", "", InvalidUpgrade, 400, "missing Connection header"),
        (
            "Connection: Upgrade\r\n",
            "Connection: keep-alive\r\n",
            InvalidUpgrade,
            400,
            "invalid Connection header: keep-alive",
        ),
        (
            # "upgrade" must be a list element, not a substring.
            "Connection: Upgrade\r\n",
            "Connection: upgrades\r\n",
            InvalidUpgrade,
            400,
            "invalid Connection header: upgrades",
        ),
        (
            f"Sec-WebSocket-Key: {KEY}\r\n",
            "",
            InvalidHeader,
            400,
            "missing Sec-WebSocket-Key header",
        ),
        (
            f"Sec-WebSocket-Key: {KEY}\r\n",
            f"Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Key: {KEY}\r\n",
            InvalidHeader,
            400,
            f"invalid Sec-WebSocket-Key header: more than one value: {KEY}, {KEY}",
        ),
        (
            f"Sec-WebSocket-Key: {KEY}\r\n",
            "Sec-WebSocket-Key: not base64!\r\n",
            InvalidHeaderValue,
            400,
            "invalid Sec-WebSocket-Key header: not base64!",
        ),
        (
            f"Sec-WebSocket-Key: {KEY}\r\n",
            "Sec-WebSocket-Key: c2hvcnQ=\r\n",  # "short"
            InvalidHeaderValue,
            400,
            "invalid Sec-WebSocket-Key header: c2hvcnQ=",
        ),
        (
            f"Sec-WebSocket-Key: {KEY}\r\n",
            "Sec-WebSocket-Key: \r\n",
            InvalidHeaderValue,
            400,
            "empty Sec-WebSocket-Key header",
        ),
        (
            "Sec-WebSocket-Version: 13\r\n",
            "",
            InvalidHeader,
            400,
            "missing Sec-WebSocket-Version header",
        ),
        (
            "Sec-WebSocket-Version: 13\r\n",
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Version: 13\r\n",
            InvalidHeader,
            400,
            "invalid Sec-WebSocket-Version header: more than one value: 13, 13",
        ),
        (
            "Sec-WebSocket-Version: 13\r\n",
            "Sec-WebSocket-Version: 8\r\n",
            InvalidVersion,
            426,
            "invalid Sec-WebSocket-Version header: 8",
        ),
        (
            "Sec-WebSocket-Version: 13\r\n",
            "Sec-WebSocket-Version: 13, 8\r\n",
            InvalidVersion,
            426,
            "invalid Sec-WebSocket-Version header: 13, 8",
        ),
    ],
)
def test_each_request_defect(
    old: str, new: str, exc_type: type[Exception], status: int, reason: str
) -> None:
    assert old in VALID
    exc, response = _reject(VALID.replace(old, new))
    assert type(exc) is exc_type
    assert str(exc) == reason
    assert response.status_code == status
    assert response.body == f"Failed to open a WebSocket connection: {reason}.\n".encode()
    assert response.headers["Content-Length"] == str(len(response.body))
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    if status == 426:
        assert response.reason_phrase == "Upgrade Required"
        assert response.headers["Sec-WebSocket-Version"] == "13"
        assert response.headers["Upgrade"] == "websocket"
        assert response.headers["Connection"] == "Upgrade, close"
    else:
        assert response.reason_phrase == "Bad Request"
        assert "Sec-WebSocket-Version" not in response.headers
        assert response.headers["Connection"] == "close"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Upgrade: websocket", "Upgrade: WebSocket"),
        ("Upgrade: websocket", "Upgrade: h2c, WEBSOCKET"),
        ("Upgrade: websocket\r\n", "Upgrade: h2c\r\nUpgrade: websocket\r\n"),
        ("Connection: Upgrade", "Connection: keep-alive, upgrade"),
        ("Connection: Upgrade", "Connection: keep-alive,UPGRADE"),
        ("Connection: Upgrade\r\n", "Connection: keep-alive\r\nConnection: Upgrade\r\n"),
        ("GET /chat HTTP/1.1", "GET http://server.example.com/chat HTTP/1.1"),
        ("HTTP/1.1\r\n", "HTTP/1.2\r\n"),
        ("Host: server.example.com", "Host: 127.0.0.1:8080"),
        ("Host: server.example.com", "Host: [::1]:8080"),
        ("websocket\r\n", "websocket\r\nSec-WebSocket-Protocol: chat\r\n"),
    ],
)
def test_request_variants_accepted(old: str, new: str) -> None:
    assert old in VALID
    assert handshake.check_request(_request(VALID.replace(old, new))) == KEY


def test_defects_are_reported_in_rfc_order() -> None:
    # Wrong version and missing key: item 5 (key) comes before item 6 (version).
    text = VALID.replace(f"Sec-WebSocket-Key: {KEY}\r\n", "").replace(": 13", ": 8")
    exc, response = _reject(text)
    assert str(exc) == "missing Sec-WebSocket-Key header"
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("origins", "text", "reason"),
    [
        (["http://other.com"], VALID, "invalid Origin header: http://example.com"),
        (
            ["http://other.com"],
            VALID.replace("Origin: http://example.com\r\n", ""),
            "missing Origin header",
        ),
        (
            ["http://example.com"],
            VALID.replace("Origin: http://example.com\r\n", "Origin: a\r\nOrigin: b\r\n"),
            "invalid Origin header: more than one value: a, b",
        ),
    ],
)
def test_origin_rejected(origins: list[str | None], text: str, reason: str) -> None:
    exc, response = _reject(text, origins)
    assert str(exc) == reason
    expected_status = 403 if isinstance(exc, InvalidOrigin) else 400
    assert response.status_code == expected_status


def test_origin_accepted() -> None:
    assert handshake.check_request(_request(VALID), origins=["http://example.com"]) == KEY
    no_origin = VALID.replace("Origin: http://example.com\r\n", "")
    assert handshake.check_request(_request(no_origin), origins=[None]) == KEY
    assert handshake.check_request(_request(no_origin)) == KEY


def test_build_response() -> None:
    response = handshake.build_response(
        KEY, extensions="permessage-deflate", subprotocol="chat", server=None
    )
    assert response.serialize() == (
        b"HTTP/1.1 101 Switching Protocols\r\n"
        b"Upgrade: websocket\r\n"
        b"Connection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
        b"Sec-WebSocket-Extensions: permessage-deflate\r\n"
        b"Sec-WebSocket-Protocol: chat\r\n"
        b"\r\n"
    )
    handshake.check_response(response, KEY)


def test_build_rejection() -> None:
    response = handshake.build_rejection(503, "busy\n", headers=[("Retry-After", "1")])
    assert response.status_code == 503
    assert response.reason_phrase == "Service Unavailable"
    assert response.body == b"busy\n"
    assert response.headers["Retry-After"] == "1"
    assert response.headers["Server"] == handshake.SERVER
    assert handshake.build_rejection(418, "teapot").reason_phrase == "I'm a Teapot"
    assert handshake.build_rejection(499, "unknown").reason_phrase == "Error"


# --- the client's checks of the response ---------------------------------------------------


def _response(status: int = 101, **changes: str | None) -> Response:
    headers = Headers()
    values: dict[str, str | None] = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Accept": ACCEPT,
    }
    values.update({name.replace("_", "-"): value for name, value in changes.items()})
    for name, value in values.items():
        if value is not None:
            headers[name] = value
    return Response(status, "X", headers)


def test_valid_response() -> None:
    handshake.check_response(_response(), KEY)
    handshake.check_response(_response(Upgrade="WebSocket", Connection="keep-alive, upgrade"), KEY)


@pytest.mark.parametrize(
    ("response", "exc_type", "reason"),
    [
        (_response(200), InvalidStatus, "server rejected WebSocket connection: HTTP 200"),
        (_response(Upgrade=None), InvalidUpgrade, "missing Upgrade header"),
        (_response(Upgrade="h2c"), InvalidUpgrade, "invalid Upgrade header: h2c"),
        # RFC 6455 section 4.1: a value "that is not an ASCII case-insensitive match for
        # the value "websocket"" fails, so another protocol beside it fails too.
        (
            _response(Upgrade="websocket, h2c"),
            InvalidUpgrade,
            "invalid Upgrade header: websocket, h2c",
        ),
        (_response(Connection=None), InvalidUpgrade, "missing Connection header"),
        (_response(Connection="close"), InvalidUpgrade, "invalid Connection header: close"),
        (
            _response(Sec_WebSocket_Accept=None),
            InvalidHeader,
            "missing Sec-WebSocket-Accept header",
        ),
        (
            _response(Sec_WebSocket_Accept="AAAA"),
            InvalidHeaderValue,
            "invalid Sec-WebSocket-Accept header: AAAA",
        ),
    ],
)
def test_each_response_defect(response: Response, exc_type: type[Exception], reason: str) -> None:
    with pytest.raises(InvalidHandshake) as info:
        handshake.check_response(response, KEY)
    assert type(info.value) is exc_type
    assert str(info.value) == reason


def test_duplicate_accept_header() -> None:
    response = _response()
    response.headers.add("Sec-WebSocket-Accept", ACCEPT)
    with pytest.raises(InvalidHeader, match="more than one value"):
        handshake.check_response(response, KEY)


# --- subprotocols -------------------------------------------------------------------------


def test_client_subprotocol() -> None:
    negotiate = handshake.negotiate_client_subprotocol
    assert negotiate(Headers(), ["chat"]) is None
    assert negotiate(Headers(), None) is None
    assert negotiate(Headers([("Sec-WebSocket-Protocol", "chat")]), ["x", "chat"]) == "chat"
    with pytest.raises(NegotiationError, match="wasn't offered"):
        negotiate(Headers([("Sec-WebSocket-Protocol", "chat")]), ["x"])
    with pytest.raises(NegotiationError, match="wasn't offered"):
        negotiate(Headers([("Sec-WebSocket-Protocol", "chat")]), None)
    with pytest.raises(NegotiationError, match="more than one"):
        negotiate(Headers([("Sec-WebSocket-Protocol", "chat, x")]), ["x", "chat"])
    two = Headers([("Sec-WebSocket-Protocol", "chat"), ("Sec-WebSocket-Protocol", "x")])
    with pytest.raises(NegotiationError, match="more than one"):
        negotiate(two, ["x", "chat"])


def test_server_subprotocol_follows_client_preference() -> None:
    headers = Headers([("Sec-WebSocket-Protocol", "b, a")])
    assert handshake.select_server_subprotocol(headers, ["a", "b"]) == "b"
    assert handshake.select_server_subprotocol(headers, ["a"]) == "a"
    assert handshake.select_server_subprotocol(headers, ["c"]) is None
    assert handshake.select_server_subprotocol(headers, None) is None
    assert handshake.select_server_subprotocol(Headers(), ["a"]) is None
    assert handshake.offered_subprotocols(headers) == ["b", "a"]


# --- extensions ---------------------------------------------------------------------------


class _OpaqueExtension(Extension):
    """An extension that claims RSV1 as permessage-deflate does, to test conflicts."""

    name = "x-opaque"
    rsv_bits = frozenset({1})

    def encode(self, frame: Frame) -> Frame:
        return frame

    def decode(self, frame: Frame, *, max_size: int | None = None) -> Frame:
        return frame


class _ClientOpaque(ClientExtensionFactory):
    name = "x-opaque"

    def get_request_params(self) -> list[ExtensionParameter]:
        return []

    def process_response_params(
        self, params: Sequence[ExtensionParameter], accepted_extensions: Sequence[Extension]
    ) -> Extension:
        if params:
            raise NegotiationError("x-opaque takes no parameters")
        return _OpaqueExtension()


class _ServerOpaque(ServerExtensionFactory):
    name = "x-opaque"

    def process_request_params(
        self, params: Sequence[ExtensionParameter], accepted_extensions: Sequence[Extension]
    ) -> tuple[list[ExtensionParameter], Extension]:
        return [], _OpaqueExtension()


def _ext_headers(value: str) -> Headers:
    return Headers([("Sec-WebSocket-Extensions", value)])


def test_client_extensions() -> None:
    negotiate = handshake.negotiate_client_extensions
    factories = [ClientPerMessageDeflateFactory()]
    assert negotiate(Headers(), factories) == []
    (extension,) = negotiate(_ext_headers("permessage-deflate"), factories)
    assert isinstance(extension, PerMessageDeflate)
    with pytest.raises(NegotiationError, match="extension x-foo was not offered"):
        negotiate(_ext_headers("x-foo"), factories)
    with pytest.raises(NegotiationError, match="negotiated twice"):
        negotiate(_ext_headers("permessage-deflate, permessage-deflate"), factories)
    with pytest.raises(InvalidHeaderFormat):
        negotiate(_ext_headers("permessage-deflate;"), factories)
    with pytest.raises(NegotiationError, match="RSV bit"):
        negotiate(_ext_headers("permessage-deflate, x-opaque"), [*factories, _ClientOpaque()])


def test_client_extensions_with_several_offers_of_one_name() -> None:
    factories = [
        ClientPerMessageDeflateFactory(server_max_window_bits=9),
        ClientPerMessageDeflateFactory(),
    ]
    # The response answers the second offer (no server_max_window_bits).
    (extension,) = handshake.negotiate_client_extensions(
        _ext_headers("permessage-deflate"), factories
    )
    assert isinstance(extension, PerMessageDeflate)
    assert extension.remote_max_window_bits == 15
    # The first offer's error is reported when no offer fits.
    with pytest.raises(NegotiationError, match="server_max_window_bits=10 exceeds"):
        handshake.negotiate_client_extensions(
            _ext_headers("permessage-deflate; server_max_window_bits=10"), factories[:1]
        )


def test_server_extensions() -> None:
    negotiate = handshake.negotiate_server_extensions
    factories: list[ServerExtensionFactory] = [ServerPerMessageDeflateFactory()]
    assert negotiate(Headers(), factories) == (None, [])
    assert negotiate(_ext_headers("permessage-deflate"), []) == (None, [])
    value, accepted = negotiate(
        _ext_headers(
            "permessage-deflate; foo, "  # declined: unknown parameter
            "permessage-deflate; server_max_window_bits=10; client_max_window_bits, "
            "permessage-deflate"  # declined: already accepted
        ),
        factories,
    )
    assert value == "permessage-deflate; server_max_window_bits=10"
    (extension,) = accepted
    assert isinstance(extension, PerMessageDeflate)
    assert extension.local_max_window_bits == 10
    # Unknown extensions are ignored; conflicting RSV bits are declined.
    value, accepted = negotiate(
        _ext_headers("x-unknown, permessage-deflate, x-opaque"), [*factories, _ServerOpaque()]
    )
    assert value == "permessage-deflate"
    assert len(accepted) == 1
    with pytest.raises(InvalidHeaderFormat):
        negotiate(_ext_headers("permessage-deflate; a=,"), factories)


def test_all_is_complete() -> None:
    for name in handshake.__all__:
        assert hasattr(handshake, name)
