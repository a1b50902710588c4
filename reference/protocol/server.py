"""The server's side of a WebSocket connection, opening handshake included, without I/O.

:class:`ServerProtocol` adds the CONNECTING state to :class:`Protocol`: the request
arrives through :meth:`receive_data` and comes out of :meth:`events_received` as a
:class:`Request`; :meth:`accept` checks it and builds the answer (101, or 400 / 403 /
426 with the reason), :meth:`reject` builds any other answer, and :meth:`send_response`
queues it. A request that does not even parse is answered with 400 at once.
"""

from __future__ import annotations

import http
import logging
from collections.abc import Callable, Sequence
from typing import Any

from .connection import CONNECTING, OPEN, SERVER, Protocol, State
from .exceptions import (
    InvalidHandshake,
    InvalidMessage,
    InvalidState,
    InvalidStatus,
    SecurityError,
)
from .extensions.factories import ServerExtensionFactory
from .handshake import (
    SERVER as SERVER_HEADER,
)
from .handshake import (
    build_rejection,
    build_response,
    check_request,
    negotiate_server_extensions,
    offered_subprotocols,
    rejection_for,
    select_server_subprotocol,
)
from .headers import Headers
from .http import DEFAULT_LIMITS, Limits, Request, RequestParser, Response
from .mask import BytesLike

__all__ = ["SelectSubprotocol", "ServerProtocol"]

#: ``select_subprotocol(protocol, offered)``: the subprotocol to use, or ``None``.
SelectSubprotocol = Callable[["ServerProtocol", Sequence[str]], "str | None"]


class ServerProtocol(Protocol):
    """A WebSocket server connection without I/O.

    Args:
        origins: acceptable ``Origin`` values (``None`` in the list accepts a request
            without one); ``None`` accepts any origin.
        extensions: the extensions the server supports, in order of preference.
        subprotocols: the subprotocols the server supports; the first one of the
            client's list that is supported is selected.
        select_subprotocol: replaces that selection; it gets this protocol and the
            client's list and returns one of them or ``None``.
        state: the initial state; ``OPEN`` when the handshake happened elsewhere.
        max_size: bound of an incoming message, decompressed; ``None`` for none.
        limits: bounds of the HTTP request; ``max_head`` also bounds the bytes a client
            may send after its request and before the response (RFC 6455 section 4.1:
            "the client MUST wait for a response from the server before sending any
            further data"; they are kept and parsed as frames once OPEN).
        server_header: the ``Server`` header of responses, ``None`` for none.
        logger: where the handshake, frames and state changes are logged.
    """

    def __init__(
        self,
        *,
        origins: Sequence[str | None] | None = None,
        extensions: Sequence[ServerExtensionFactory] = (),
        subprotocols: Sequence[str] | None = None,
        select_subprotocol: SelectSubprotocol | None = None,
        state: State = CONNECTING,
        max_size: int | None = 2**20,
        limits: Limits = DEFAULT_LIMITS,
        server_header: str | None = SERVER_HEADER,
        logger: logging.Logger | logging.LoggerAdapter[Any] | None = None,
    ) -> None:
        super().__init__(SERVER, state=state, max_size=max_size, logger=logger)
        self.origins = None if origins is None else list(origins)
        self.available_extensions = list(extensions)
        self.available_subprotocols = None if subprotocols is None else list(subprotocols)
        self.select_subprotocol = select_subprotocol
        self.server_header = server_header
        self.limits = limits
        #: The subprotocol selected by :meth:`accept`, if any.
        self.subprotocol: str | None = None
        #: The request received and the response sent, once they are.
        self.request: Request | None = None
        self.response: Response | None = None
        self._request_parser = RequestParser(limits)
        self._early_data = bytearray()  # bytes after the request, before the response
        self._early_data_overflow = False

    # --- bytes in ----------------------------------------------------------------------

    def receive_data(self, data: BytesLike) -> None:
        """Take bytes: the request while CONNECTING, then frames.

        Never raises on bad input: a request that does not parse is answered with 400
        (the reason in the body), ``handshake_exc`` is set and the front end is asked
        to close the connection.

        Raises:
            InvalidState: called after :meth:`receive_eof`.
        """
        if self.state is not CONNECTING or self._discarding or self._eof_rcvd:
            super().receive_data(data)
            return
        if self.request is None:
            try:
                request = self._request_parser.feed(bytes(data))
            except (InvalidMessage, SecurityError) as exc:
                self.handshake_exc = exc
                if self.debug:
                    self.logger.debug("! invalid request: %s", exc)
                self.send_response(rejection_for(exc, server=self.server_header))
                return
            if request is None:
                return
            self._receive_request(request)
            data = self._request_parser.leftover
        if not data or self._early_data_overflow:
            return
        if len(self._early_data) + len(data) > self.limits.max_head:
            self._early_data_overflow = True
            self._early_data.clear()
            return
        self._early_data += data

    def receive_eof(self) -> None:
        """Take the end of input; before a whole request it sets ``handshake_exc``."""
        if (
            self.state is CONNECTING
            and self.request is None
            and self.handshake_exc is None
            and not self._eof_rcvd
        ):
            try:
                self._request_parser.feed_eof()
            except InvalidMessage as exc:
                self.handshake_exc = exc
        super().receive_eof()

    def _receive_request(self, request: Request) -> None:
        self.request = request
        if self.debug:
            self.logger.debug("< %s %s %s", request.method, request.path, request.version)
            for name, value in request.headers.raw_items():
                self.logger.debug("< %s: %s", name, value)
        self._events.append(request)

    # --- answering ---------------------------------------------------------------------

    def accept(self, request: Request) -> Response:
        """Check the request and negotiate; return the 101 response or a rejection.

        A defect gives 400 with the reason in the body, 426 with
        ``Sec-WebSocket-Version: 13`` for another version, 403 for a refused origin,
        and sets ``handshake_exc``; an exception in ``select_subprotocol`` or in an
        extension factory gives 500. Extensions and subprotocol are set on success.
        """
        try:
            if self._early_data_overflow:
                raise InvalidMessage(
                    f"client sent over {self.limits.max_head} bytes before the handshake response"
                )
            key = check_request(request, origins=self.origins)
            header, extensions = negotiate_server_extensions(
                request.headers, self.available_extensions
            )
            subprotocol = self._select_subprotocol(request.headers)
        except InvalidHandshake as exc:
            self.handshake_exc = exc
            if self.debug:
                self.logger.debug("! invalid handshake: %s", exc)
            return rejection_for(exc, server=self.server_header)
        except Exception as exc:
            self.handshake_exc = exc
            self.logger.error("opening handshake failed", exc_info=True)
            return self.reject(
                http.HTTPStatus.INTERNAL_SERVER_ERROR,
                "Failed to open a WebSocket connection.\nSee server log for more information.\n",
            )
        self.extensions = extensions
        self.subprotocol = subprotocol
        return build_response(
            key, extensions=header, subprotocol=subprotocol, server=self.server_header
        )

    def _select_subprotocol(self, headers: Headers) -> str | None:
        if self.select_subprotocol is None:
            return select_server_subprotocol(headers, self.available_subprotocols)
        offered = offered_subprotocols(headers)
        selected = self.select_subprotocol(self, offered)
        # RFC 6455 section 4.2.2: "The value chosen MUST be derived from the client's
        # handshake, specifically by selecting one of the values from the
        # |Sec-WebSocket-Protocol| field".
        # Choosing another one is the server's bug: 500, not 400.
        if selected is not None and selected not in offered:
            raise ValueError(f"select_subprotocol chose {selected!r}, which wasn't offered")
        return selected

    def reject(self, status: int, text: str) -> Response:
        """A plain-text response refusing the upgrade with ``status`` and ``text``."""
        return build_rejection(status, text, server=self.server_header)

    def send_response(self, response: Response) -> None:
        """Queue the response; a 101 opens the connection, anything else closes it.

        Bytes the client sent after its request are parsed as frames once OPEN.

        Raises:
            InvalidState: not CONNECTING, or a response was already sent.
        """
        if self.state is not CONNECTING or self.response is not None:
            raise InvalidState("the opening handshake response can be sent only once")
        self.response = response
        if self.debug:
            self.logger.debug(
                "> %s %d %s", response.version, response.status_code, response.reason_phrase
            )
            for name, value in response.headers.raw_items():
                self.logger.debug("> %s: %s", name, value)
            if response.body:
                self.logger.debug("> [body] (%d bytes)", len(response.body))
        self._writes.append(response.serialize())
        if response.status_code == 101:
            self._set_state(OPEN)
            early, self._early_data = bytes(self._early_data), bytearray()
            if early:
                super().receive_data(early)
        else:
            if self.handshake_exc is None:
                self.handshake_exc = InvalidStatus(response)
            self._discarding = True
            self._transport_should_close = True
