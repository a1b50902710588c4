"""The client's side of a WebSocket connection, opening handshake included, without I/O.

:class:`ClientProtocol` adds the CONNECTING state to :class:`Protocol`: :meth:`connect`
builds the request, :meth:`send_request` queues it, and the response arrives through
:meth:`receive_data` and comes out of :meth:`events_received` as a :class:`Response`.
The bytes after the response head are frames and go to the frame parser.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from .connection import CLIENT, CONNECTING, OPEN, Protocol, State
from .exceptions import (
    InvalidHandshake,
    InvalidMessage,
    InvalidState,
    MissingExtension,
    SecurityError,
)
from .extensions.factories import ClientExtensionFactory
from .handshake import (
    USER_AGENT,
    build_request,
    check_response,
    generate_key,
    negotiate_client_extensions,
    negotiate_client_subprotocol,
)
from .headers import HeadersLike
from .http import DEFAULT_LIMITS, Limits, Request, Response, ResponseParser
from .mask import BytesLike
from .uri import WebSocketURI, parse_uri

__all__ = ["ClientProtocol"]


class ClientProtocol(Protocol):
    """A WebSocket client connection without I/O.

    Args:
        uri: the ``ws://`` or ``wss://`` URI to connect to.
        origin: the ``Origin`` header to send, if any.
        extensions: the extension offers, in order of preference.
        subprotocols: the subprotocols to offer, in order of preference.
        required_extensions: names of extensions the server must accept; when one is
            missing, the client fails the connection with 1010 (RFC 6455 section 7.4.1:
            "an endpoint (client) is terminating the connection because it has expected
            the server to negotiate one or more extension") and ``handshake_exc`` is a
            :class:`MissingExtension`.
        user_agent: the ``User-Agent`` header, ``None`` for none.
        additional_headers: more request headers.
        state: the initial state; ``OPEN`` when the handshake happened elsewhere.
        max_size: bound of an incoming message, decompressed; ``None`` for none.
        limits: bounds of the HTTP response.
        logger: where the handshake, frames and state changes are logged.

    Raises:
        InvalidURI: ``uri`` is not a WebSocket URI.
    """

    def __init__(
        self,
        uri: str | WebSocketURI,
        *,
        origin: str | None = None,
        extensions: Sequence[ClientExtensionFactory] = (),
        subprotocols: Sequence[str] | None = None,
        required_extensions: Sequence[str] = (),
        user_agent: str | None = USER_AGENT,
        additional_headers: HeadersLike | None = None,
        state: State = CONNECTING,
        max_size: int | None = 2**20,
        limits: Limits = DEFAULT_LIMITS,
        logger: logging.Logger | logging.LoggerAdapter[Any] | None = None,
    ) -> None:
        super().__init__(CLIENT, state=state, max_size=max_size, logger=logger)
        self.uri = parse_uri(uri) if isinstance(uri, str) else uri
        self.origin = origin
        self.available_extensions = list(extensions)
        self.available_subprotocols = None if subprotocols is None else list(subprotocols)
        self.required_extensions = list(required_extensions)
        self.user_agent = user_agent
        self.additional_headers = additional_headers
        #: The ``Sec-WebSocket-Key`` of the request (a new random one per connection).
        self.key = generate_key()
        #: The subprotocol the server selected, once OPEN.
        self.subprotocol: str | None = None
        #: The request sent and the response received, once they are.
        self.request: Request | None = None
        self.response: Response | None = None
        self._response_parser = ResponseParser(limits)

    def connect(self) -> Request:
        """Build the opening handshake request (RFC 6455 section 4.1).

        The caller may change it before passing it to :meth:`send_request`.
        """
        return build_request(
            self.uri,
            self.key,
            origin=self.origin,
            subprotocols=self.available_subprotocols,
            extensions=self.available_extensions,
            user_agent=self.user_agent,
            additional_headers=self.additional_headers,
        )

    def send_request(self, request: Request) -> None:
        """Queue the request for sending.

        The response is checked against the request's ``Sec-WebSocket-Key``.

        Raises:
            InvalidState: not CONNECTING, or a request was already sent.
        """
        if self.state is not CONNECTING or self.request is not None:
            raise InvalidState("the opening handshake request can be sent only once")
        self.request = request
        keys = request.headers.get_all("Sec-WebSocket-Key")
        if len(keys) == 1:
            self.key = keys[0]
        if self.debug:
            self.logger.debug("> %s %s %s", request.method, request.path, request.version)
            for name, value in request.headers.raw_items():
                self.logger.debug("> %s: %s", name, value)
        self._writes.append(request.serialize())

    # --- bytes in ----------------------------------------------------------------------

    def receive_data(self, data: BytesLike) -> None:
        """Take bytes: the response while CONNECTING, then frames.

        Never raises on bad input: a bad response sets ``handshake_exc`` and asks the
        front end to close the connection.

        Raises:
            InvalidState: called after :meth:`receive_eof`.
        """
        if self.state is not CONNECTING or self._discarding or self._eof_rcvd:
            super().receive_data(data)
            return
        try:
            response = self._response_parser.feed(bytes(data))
        except (InvalidMessage, SecurityError) as exc:
            self._handshake_failed(exc)
            return
        if response is not None:
            self._receive_response(response)
            leftover = self._response_parser.leftover
            if leftover and self.state is OPEN:
                super().receive_data(leftover)

    def receive_eof(self) -> None:
        """Take the end of input; it may end a response body read to the end."""
        if self.state is CONNECTING and not self._discarding and not self._eof_rcvd:
            try:
                response = self._response_parser.feed_eof()
            except InvalidMessage as exc:
                self._handshake_failed(exc)
            else:
                assert response is not None  # else feed_eof raises
                self._receive_response(response)
        super().receive_eof()

    def _receive_response(self, response: Response) -> None:
        self.response = response
        if self.debug:
            self.logger.debug(
                "< %s %d %s", response.version, response.status_code, response.reason_phrase
            )
            for name, value in response.headers.raw_items():
                self.logger.debug("< %s: %s", name, value)
            if response.body:
                self.logger.debug("< [body] (%d bytes)", len(response.body))
        try:
            check_response(response, self.key)
            extensions = negotiate_client_extensions(response.headers, self.available_extensions)
            subprotocol = negotiate_client_subprotocol(
                response.headers, self.available_subprotocols
            )
        except InvalidHandshake as exc:
            self._events.append(response)
            self._handshake_failed(exc)
            return
        self.extensions = extensions
        self.subprotocol = subprotocol
        self._events.append(response)
        self._set_state(OPEN)
        negotiated = {extension.name for extension in extensions}
        missing = [name for name in self.required_extensions if name not in negotiated]
        if missing:
            # Section 7.4.1: "The list of extensions that are needed SHOULD appear in the
            # /reason/ part of the Close frame."
            reason = ", ".join(missing)
            self.handshake_exc = MissingExtension(f"server didn't negotiate {reason}")
            self.fail(MissingExtension.code, reason)

    def _handshake_failed(self, exc: Exception) -> None:
        """Section 4.1: the client "MUST _Fail the WebSocket Connection_": no close frame
        can be sent before the connection is established, so close TCP."""
        self.handshake_exc = exc
        self._discarding = True
        self._transport_should_close = True
        if self.debug:
            self.logger.debug("! opening handshake failed: %s", exc)
