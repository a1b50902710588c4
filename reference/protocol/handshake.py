"""The opening handshake of RFC 6455 section 4, for both roles, as pure functions.

The client builds a request (:func:`build_request`) and checks the response
(:func:`check_response`, :func:`negotiate_client_extensions`,
:func:`negotiate_client_subprotocol`); the server checks the request
(:func:`check_request`), negotiates (:func:`negotiate_server_extensions`,
:func:`select_server_subprotocol`) and answers (:func:`build_response` or
:func:`build_rejection`). Each defect raises its own :class:`InvalidHandshake` subclass
with a message precise enough to serve as the body of the 400 response.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import http
import re
import secrets
import sys
from collections.abc import Sequence

from wsconform import __version__

from .exceptions import (
    InvalidHandshake,
    InvalidHeader,
    InvalidHeaderValue,
    InvalidMessage,
    InvalidOrigin,
    InvalidStatus,
    InvalidUpgrade,
    InvalidVersion,
    MultipleValuesError,
    NegotiationError,
)
from .extensions.base import Extension
from .extensions.factories import ClientExtensionFactory, ServerExtensionFactory
from .headers import (
    ExtensionHeader,
    Headers,
    HeadersLike,
    build_extension_list,
    build_host,
    build_subprotocol_list,
    parse_connection,
    parse_extension_list,
    parse_subprotocol_list,
    parse_upgrade,
)
from .http import Request, Response
from .uri import WebSocketURI

__all__ = [
    "GUID",
    "SERVER",
    "USER_AGENT",
    "accept_key",
    "build_rejection",
    "build_request",
    "build_response",
    "check_request",
    "check_response",
    "generate_key",
    "negotiate_client_extensions",
    "negotiate_client_subprotocol",
    "negotiate_server_extensions",
    "offered_subprotocols",
    "rejection_for",
    "select_server_subprotocol",
]

# RFC 6455 section 1.3: "the server has to ... concatenate this with the Globally Unique
# Identifier (GUID, [RFC4122]) "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" in string form".
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

_PYTHON = f"Python/{sys.version_info.major}.{sys.version_info.minor}"
#: Default ``User-Agent`` of the client.
USER_AGENT = f"wsconform/{__version__} {_PYTHON}"
#: Default ``Server`` of the server.
SERVER = f"wsconform/{__version__} {_PYTHON}"

# RFC 3986 section 3.2.2-3.2.3: host = IP-literal / IPv4address / reg-name, [":" port].
_HOST_RE = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[-A-Za-z0-9._~%!$&'()*+,;=]+)(?::[0-9]*)?")


def generate_key() -> str:
    """A fresh ``Sec-WebSocket-Key``.

    RFC 6455 section 4.1: "The request MUST include a header field with the name
    |Sec-WebSocket-Key|. The value of this header field MUST be a nonce consisting of a
    randomly selected 16-byte value that has been base64-encoded".
    """
    return base64.b64encode(secrets.token_bytes(16)).decode("ascii")


def accept_key(key: str) -> str:
    """The ``Sec-WebSocket-Accept`` value that answers ``key``."""
    # RFC 6455 section 4.2.2, step 5.4: "The value of this header field is constructed by
    # concatenating /key/, defined above in step 4 in Section 4.2.2, with the string
    # "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", taking the SHA-1 hash of this concatenated
    # value to obtain a 20-byte value and base64-encoding (see Section 4 of [RFC4648])
    # this 20-byte hash."
    digest = hashlib.sha1((key + GUID).encode("ascii"), usedforsecurity=False).digest()
    return base64.b64encode(digest).decode("ascii")


# --- client -----------------------------------------------------------------------------


def build_request(
    uri: WebSocketURI,
    key: str,
    *,
    origin: str | None = None,
    subprotocols: Sequence[str] | None = None,
    extensions: Sequence[ClientExtensionFactory] = (),
    user_agent: str | None = USER_AGENT,
    additional_headers: HeadersLike | None = None,
) -> Request:
    """The client's opening handshake (RFC 6455 section 4.1).

    Raises:
        ValueError: a subprotocol or extension parameter is not a token, or an
            additional header is invalid.
    """
    headers = Headers()
    # "The request MUST contain a |Host| header field whose value contains /host/ plus
    # optionally ":" followed by /port/ (when not using the default port)."
    headers["Host"] = build_host(uri.host, uri.port, secure=uri.secure)
    if uri.user_info is not None:
        credentials = ":".join(uri.user_info).encode("utf-8")
        headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode("ascii")
    # "The request MUST contain an |Upgrade| header field whose value MUST include the
    # "websocket" keyword." / "The request MUST contain a |Connection| header field
    # whose value MUST include the "Upgrade" token."
    headers["Upgrade"] = "websocket"
    headers["Connection"] = "Upgrade"
    headers["Sec-WebSocket-Key"] = key
    # "The request MUST include a header field with the name |Sec-WebSocket-Version|.
    # The value of this header field MUST be 13."
    headers["Sec-WebSocket-Version"] = "13"
    if origin is not None:
        headers["Origin"] = origin
    if extensions:
        offers: list[ExtensionHeader] = [
            (factory.name, factory.get_request_params()) for factory in extensions
        ]
        headers["Sec-WebSocket-Extensions"] = build_extension_list(offers)
    if subprotocols:
        headers["Sec-WebSocket-Protocol"] = build_subprotocol_list(subprotocols)
    if user_agent is not None:
        headers["User-Agent"] = user_agent
    if additional_headers is not None:
        headers.extend(additional_headers)
    return Request(uri.resource_name, headers)


def _single(headers: Headers, name: str) -> str:
    """The only value of a header that must appear once.

    Raises:
        InvalidHeader: the header is missing or appears several times.
    """
    try:
        return headers[name]
    except KeyError:
        raise InvalidHeader(name) from None
    except MultipleValuesError:
        raise InvalidHeader(name, f"more than one value: {headers.get_joined(name)}") from None


def _check_connection_upgrade(headers: Headers) -> None:
    connection = headers.get_joined("Connection")
    if connection is None:
        raise InvalidUpgrade("Connection")
    # RFC 6455 section 4.2.1 item 4: "A |Connection| header field that includes the token
    # "Upgrade", treated as an ASCII case-insensitive value." It is a list (RFC 7230
    # section 6.1), such as "keep-alive, Upgrade".
    if not any(option.lower() == "upgrade" for option in parse_connection(connection)):
        raise InvalidUpgrade("Connection", connection)


def check_response(response: Response, key: str) -> None:
    """The client's checks of the server's opening handshake (RFC 6455 section 4.1).

    Extensions and subprotocol are negotiated apart, by
    :func:`negotiate_client_extensions` and :func:`negotiate_client_subprotocol`.

    Raises:
        InvalidStatus: the status is not 101.
        InvalidUpgrade: Upgrade or Connection is missing or wrong.
        InvalidHeader: Sec-WebSocket-Accept is missing, repeated or wrong.
    """
    # "If the status code received from the server is not 101, the client handles the
    # response per HTTP [RFC2616] procedures."
    if response.status_code != 101:
        raise InvalidStatus(response)
    headers = response.headers
    # "If the response lacks an |Upgrade| header field or the |Upgrade| header field
    # contains a value that is not an ASCII case-insensitive match for the value
    # "websocket", the client MUST _Fail the WebSocket Connection_."
    upgrade = headers.get_joined("Upgrade")
    if upgrade is None:
        raise InvalidUpgrade("Upgrade")
    if any(protocol.lower() != "websocket" for protocol in parse_upgrade(upgrade)):
        raise InvalidUpgrade("Upgrade", upgrade)
    # "If the response lacks a |Connection| header field or the |Connection| header field
    # doesn't contain a token that is an ASCII case-insensitive match for the value
    # "Upgrade", the client MUST _Fail the WebSocket Connection_."
    _check_connection_upgrade(headers)
    # "If the response lacks a |Sec-WebSocket-Accept| header field or the
    # |Sec-WebSocket-Accept| contains a value other than the base64-encoded SHA-1 of the
    # concatenation of the |Sec-WebSocket-Key| (as a string, not base64-decoded) with the
    # string "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" ..., the client MUST _Fail the
    # WebSocket Connection_."
    accept = _single(headers, "Sec-WebSocket-Accept")
    if accept != accept_key(key):
        raise InvalidHeaderValue("Sec-WebSocket-Accept", accept)


def _conflicts(extension: Extension, accepted: Sequence[Extension]) -> bool:
    """Whether ``extension`` gives a meaning to an RSV bit already taken."""
    taken: set[int] = set()
    for other in accepted:
        taken |= other.rsv_bits
    return bool(taken & extension.rsv_bits)


def negotiate_client_extensions(
    headers: Headers, factories: Sequence[ClientExtensionFactory]
) -> list[Extension]:
    """The extensions the server's response accepts, in its order.

    When several offers share a name (different configurations), the first factory that
    accepts the response element wins.

    Raises:
        InvalidHeaderFormat: Sec-WebSocket-Extensions does not parse.
        NegotiationError: RFC 6455 section 4.1: "If the response includes a
            |Sec-WebSocket-Extensions| header field and this header field indicates the
            use of an extension that was not present in the client's handshake (the
            server has indicated an extension not requested by the client), the client
            MUST _Fail the WebSocket Connection_." Also: the response breaks the
            extension's own rules, or two extensions claim the same RSV bit.
    """
    header = headers.get_joined("Sec-WebSocket-Extensions")
    accepted: list[Extension] = []
    if header is None:
        return accepted
    for name, params in parse_extension_list(header):
        candidates = [factory for factory in factories if factory.name == name]
        if not candidates:
            raise NegotiationError(f"extension {name} was not offered")
        error: NegotiationError | None = None
        for factory in candidates:
            try:
                extension = factory.process_response_params(params, accepted)
            except NegotiationError as exc:
                error = error or exc
                continue
            if _conflicts(extension, accepted):
                raise NegotiationError(f"extension {name} uses an RSV bit already in use")
            accepted.append(extension)
            break
        else:
            assert error is not None
            raise error
    return accepted


def negotiate_client_subprotocol(headers: Headers, offered: Sequence[str] | None) -> str | None:
    """The subprotocol the server selected, or ``None``.

    Raises:
        InvalidHeaderFormat: Sec-WebSocket-Protocol does not parse.
        NegotiationError: more than one subprotocol, or one that was not offered: "If
            the response includes a |Sec-WebSocket-Protocol| header field and this header
            field indicates the use of a subprotocol that was not present in the client's
            handshake (the server has indicated a subprotocol not requested by the
            client), the client MUST _Fail the WebSocket Connection_."
    """
    header = headers.get_joined("Sec-WebSocket-Protocol")
    if header is None:
        return None
    selected = parse_subprotocol_list(header)
    if len(selected) > 1:
        raise NegotiationError(f"server selected more than one subprotocol: {header}")
    if selected[0] not in (offered or ()):
        raise NegotiationError(f"server selected a subprotocol that wasn't offered: {header}")
    return selected[0]


# --- server -----------------------------------------------------------------------------


def _version_tuple(version: str) -> tuple[int, int]:
    major, _, minor = version.removeprefix("HTTP/").partition(".")
    return int(major), int(minor)


def check_request(request: Request, *, origins: Sequence[str | None] | None = None) -> str:
    """The server's checks of the client's opening handshake; returns the key.

    The checks run in the order of RFC 6455 section 4.2.1, so a request with several
    defects is rejected for the first one in that list.

    Raises:
        InvalidMessage: not a GET, or not HTTP/1.1 or higher.
        InvalidHeader: Host or Sec-WebSocket-Key missing, repeated or invalid, or a
            repeated Sec-WebSocket-Version.
        InvalidUpgrade: Upgrade or Connection missing or without the right token.
        InvalidVersion: Sec-WebSocket-Version is not 13 (answered with 426).
        InvalidOrigin: ``origins`` is given and the Origin is not in it.
    """
    headers = request.headers
    # "1. An HTTP/1.1 or higher GET request, including a "Request-URI"".
    if request.method != "GET":
        raise InvalidMessage(f"unsupported HTTP method {request.method}; expected GET")
    if _version_tuple(request.version) < (1, 1):
        raise InvalidMessage(f"unsupported HTTP version {request.version}; expected HTTP/1.1")
    # "2. A |Host| header field containing the server's authority." RFC 7230 section 5.4:
    # "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request
    # message that lacks a Host header field and to any request message that contains
    # more than one Host header field or a Host header field with an invalid
    # field-value."
    host = _single(headers, "Host")
    if not _HOST_RE.fullmatch(host):
        raise InvalidHeaderValue("Host", host)
    # "3. An |Upgrade| header field containing the value "websocket", treated as an ASCII
    # case-insensitive value."
    upgrade = headers.get_joined("Upgrade")
    if upgrade is None:
        raise InvalidUpgrade("Upgrade")
    if not any(protocol.lower() == "websocket" for protocol in parse_upgrade(upgrade)):
        raise InvalidUpgrade("Upgrade", upgrade)
    # "4. A |Connection| header field that includes the token "Upgrade", treated as an
    # ASCII case-insensitive value."
    _check_connection_upgrade(headers)
    # "5. A |Sec-WebSocket-Key| header field with a base64-encoded (see Section 4 of
    # [RFC4648]) value that, when decoded, is 16 bytes in length."
    key = _single(headers, "Sec-WebSocket-Key")
    try:
        raw_key = base64.b64decode(key.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise InvalidHeaderValue("Sec-WebSocket-Key", key) from None
    if len(raw_key) != 16:
        raise InvalidHeaderValue("Sec-WebSocket-Key", key)
    # "6. A |Sec-WebSocket-Version| header field, with a value of 13."
    version = _single(headers, "Sec-WebSocket-Version")
    if version != "13":
        raise InvalidVersion("Sec-WebSocket-Version", version)
    # "7. Optionally, an |Origin| header field." Section 10.2: "servers ... SHOULD verify
    # the |Origin| field is an origin they expect".
    if origins is not None:
        origin = _single(headers, "Origin") if "Origin" in headers else None
        if origin not in origins:
            raise InvalidOrigin(origin)
    return key


def negotiate_server_extensions(
    headers: Headers, factories: Sequence[ServerExtensionFactory]
) -> tuple[str | None, list[Extension]]:
    """Answer the client's offers: the response header value and the extensions.

    Offers are considered in the client's order ("the order of extensions is
    significant", RFC 6455 section 9.1); each is answered by the first factory of that
    name that accepts it, and an offer that no factory accepts is declined.

    Raises:
        InvalidHeaderFormat: Sec-WebSocket-Extensions does not parse (400).
    """
    header = headers.get_joined("Sec-WebSocket-Extensions")
    accepted: list[Extension] = []
    response: list[ExtensionHeader] = []
    if header is None or not factories:
        return None, accepted
    for name, params in parse_extension_list(header):
        for factory in factories:
            if factory.name != name:
                continue
            try:
                response_params, extension = factory.process_request_params(params, accepted)
            except NegotiationError:
                continue
            if _conflicts(extension, accepted):
                continue
            accepted.append(extension)
            response.append((name, response_params))
            break
    return (build_extension_list(response) if response else None), accepted


def select_server_subprotocol(headers: Headers, supported: Sequence[str] | None) -> str | None:
    """The first subprotocol of the client's list that the server supports, or ``None``.

    RFC 6455 section 4.2.2: "If the server does not wish to agree to one of the suggested
    subprotocols, it MUST NOT send back a |Sec-WebSocket-Protocol| header field in its
    response."

    Raises:
        InvalidHeaderFormat: Sec-WebSocket-Protocol does not parse (400).
    """
    offered = offered_subprotocols(headers)
    for subprotocol in offered:
        if subprotocol in (supported or ()):
            return subprotocol
    return None


def offered_subprotocols(headers: Headers) -> list[str]:
    """The client's subprotocols, in its order of preference.

    Raises:
        InvalidHeaderFormat: Sec-WebSocket-Protocol does not parse.
    """
    header = headers.get_joined("Sec-WebSocket-Protocol")
    return [] if header is None else parse_subprotocol_list(header)


def build_response(
    key: str,
    *,
    extensions: str | None = None,
    subprotocol: str | None = None,
    server: str | None = SERVER,
) -> Response:
    """The server's 101 answer (RFC 6455 section 4.2.2, step 5)."""
    headers = Headers()
    # "1. A Status-Line with a 101 response code as per RFC 2616."
    # "2. An |Upgrade| header field with value "websocket" as per RFC 2616."
    headers["Upgrade"] = "websocket"
    # "3. A |Connection| header field with value "Upgrade"."
    headers["Connection"] = "Upgrade"
    # "4. A |Sec-WebSocket-Accept| header field."
    headers["Sec-WebSocket-Accept"] = accept_key(key)
    if extensions is not None:
        headers["Sec-WebSocket-Extensions"] = extensions
    if subprotocol is not None:
        headers["Sec-WebSocket-Protocol"] = subprotocol
    if server is not None:
        headers["Server"] = server
    return Response(101, "Switching Protocols", headers)


def build_rejection(
    status_code: int,
    text: str,
    *,
    headers: HeadersLike | None = None,
    server: str | None = SERVER,
) -> Response:
    """A plain-text HTTP response that refuses the upgrade and closes the connection."""
    body = text.encode("utf-8")
    response_headers = Headers()
    if server is not None:
        response_headers["Server"] = server
    response_headers["Connection"] = "close"
    response_headers["Content-Type"] = "text/plain; charset=utf-8"
    response_headers["Content-Length"] = str(len(body))
    if headers is not None:
        response_headers.extend(headers)
    try:
        reason = http.HTTPStatus(status_code).phrase
    except ValueError:
        reason = "Error"
    return Response(int(status_code), reason, response_headers, body)


def rejection_for(exc: InvalidHandshake, *, server: str | None = SERVER) -> Response:
    """The response to a request that failed :func:`check_request` with ``exc``.

    * :class:`InvalidVersion`: 426 with ``Sec-WebSocket-Version: 13``, RFC 6455 section
      4.4: "the server MUST abort the WebSocket handshake ... and instead send an
      appropriate HTTP error code (such as 426 Upgrade Required) and a
      |Sec-WebSocket-Version| header field indicating the version(s) the server is
      capable of understanding."
    * :class:`InvalidOrigin`: 403, section 4.2.2: "If the server does not wish to accept
      this connection, it MUST return an appropriate HTTP error code (e.g., 403
      Forbidden)".
    * anything else: 400, section 4.2.1: "return an HTTP response with an appropriate
      error code (such as 400 Bad Request)".

    The body is the reason, one line.
    """
    text = f"Failed to open a WebSocket connection: {exc}.\n"
    if isinstance(exc, InvalidVersion):
        response = build_rejection(426, text, server=server)
        # RFC 7231 section 6.5.15: "The server MUST send an Upgrade header field in a 426
        # response to indicate the required protocol(s)"; RFC 7230 section 6.7: "When
        # Upgrade is sent, the sender MUST also send a Connection header field that
        # contains an "upgrade" connection option".
        response.headers["Connection"] = "Upgrade, close"
        response.headers["Upgrade"] = "websocket"
        response.headers["Sec-WebSocket-Version"] = "13"
        return response
    if isinstance(exc, InvalidOrigin):
        return build_rejection(403, text, server=server)
    return build_rejection(400, text, server=server)
