"""The thread-based client: :func:`connect` and :func:`unix_connect`.

``with connect("ws://host:port/path") as ws: ws.send("hi"); print(ws.recv())``
"""

from __future__ import annotations

import logging
import socket
import ssl as ssl_module
from collections.abc import Callable, Sequence
from typing import Any

from ..protocol.client import ClientProtocol
from ..protocol.connection import CONNECTING
from ..protocol.exceptions import InvalidMessage
from ..protocol.extensions.factories import ClientExtensionFactory
from ..protocol.headers import HeadersLike
from ..protocol.uri import parse_uri
from .compression import client_extensions
from .connection import Connection
from .tls import TLSSocket
from .utils import Deadline

__all__ = ["USER_AGENT", "ClientConnection", "connect", "unix_connect"]

#: Default ``User-Agent`` header.
USER_AGENT = "wsconform-reference (sync)"


class ClientConnection(Connection):
    """A client connection; :attr:`request` is the request sent, :attr:`response` the
    server's answer."""

    protocol: ClientProtocol

    def handshake(self, timeout: float | None = None) -> None:
        """Send the opening handshake request and wait for the response.

        Raises:
            InvalidHandshake: the server's response is not a valid 101 (for example
                :class:`InvalidStatus` with the response when it is not 101).
            TimeoutError: no response within ``timeout`` seconds.
            OSError: the socket failed while sending the request.
        """
        with self._protocol_lock:
            if self.protocol.state is not CONNECTING:
                # The reader thread runs from the start: a server that closed TCP (or
                # failed) before our request went out has already ended the connection.
                raise self.protocol.handshake_exc or InvalidMessage(
                    "connection closed before the opening handshake request was sent"
                )
            request = self.protocol.connect()
            self.request = request
            self.protocol.send_request(request)
            self._outgoing.extend(self.protocol.data_to_send())
        self._flush()
        if not self._handshake_event.wait(timeout):
            raise TimeoutError("timed out during the opening handshake")
        if self.protocol.handshake_exc is not None:
            raise self.protocol.handshake_exc
        # Not "state is OPEN": a server may answer, send and close in one packet, and
        # the messages it sent must still reach recv().
        if self.response is None:
            raise InvalidMessage("connection closed during the opening handshake")


def connect(
    uri: str,
    *,
    sock: socket.socket | None = None,
    ssl: ssl_module.SSLContext | None = None,
    server_hostname: str | None = None,
    origin: str | None = None,
    extensions: Sequence[ClientExtensionFactory] | None = None,
    subprotocols: Sequence[str] | None = None,
    additional_headers: HeadersLike | None = None,
    user_agent_header: str | None = USER_AGENT,
    compression: str | None = "deflate",
    open_timeout: float | None = 10,
    ping_interval: float | None = 20,
    ping_timeout: float | None = 20,
    close_timeout: float | None = 10,
    max_size: int | None = 2**20,
    max_queue: int | None = 16,
    logger: logging.Logger | logging.LoggerAdapter[Any] | None = None,
    create_connection: Callable[..., ClientConnection] | None = None,
    **kwargs: Any,
) -> ClientConnection:
    """Open a WebSocket connection to ``uri`` and perform the opening handshake.

    ``wss://`` uses TLS, with ``ssl`` or a default verifying context; ``ssl``
    with ``ws://`` is an error. ``sock`` is an already connected socket (then the URI
    only gives the handshake's ``Host`` and path). ``compression="deflate"`` (the
    default) offers permessage-deflate; ``None`` does not. ``max_size`` bounds incoming
    messages after decompression, ``None`` for no bound. ``open_timeout`` bounds
    the whole opening handshake: TCP, TLS and HTTP. Extra keyword arguments go to
    :func:`socket.create_connection` (``source_address`` ...). ``create_connection`` is
    the connection class, a subclass or a ``functools.partial`` of one.

    Raises:
        InvalidURI: ``uri`` is not a valid WebSocket URI.
        InvalidHandshake: the handshake failed.
        TimeoutError: the handshake did not finish within ``open_timeout``.
        OSError: the TCP connection or TLS failed.
        ValueError: an option is inconsistent (``ssl`` with ``ws://``, unknown
            ``compression``).
    """
    if logger is None:
        logger = logging.getLogger("wsconform.reference.client")
    wsuri = parse_uri(uri)
    if not wsuri.secure and ssl is not None:
        raise ValueError("ssl argument is incompatible with a ws:// URI")
    deadline = Deadline(open_timeout)
    factories = client_extensions(compression, extensions)
    unix_path: str | None = kwargs.pop("unix_path", None)
    if create_connection is None:
        create_connection = ClientConnection

    if sock is None:
        if unix_path is not None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.settimeout(deadline.timeout())
                sock.connect(unix_path)
            except BaseException:
                sock.close()
                raise
        else:
            kwargs.setdefault("timeout", deadline.timeout())
            sock = socket.create_connection((wsuri.host, wsuri.port), **kwargs)
    try:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            # Small frames (pings, short messages) go out now, not after 40 ms.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, True)
        transport: socket.socket | TLSSocket = sock
        if wsuri.secure:
            if ssl is None:
                ssl = ssl_module.create_default_context()
            transport = TLSSocket.wrap(
                sock, ssl, server_hostname=server_hostname or wsuri.host, timeout=deadline.timeout()
            )
        transport.settimeout(None)
        protocol = ClientProtocol(
            wsuri,
            origin=origin,
            extensions=factories,
            subprotocols=subprotocols,
            user_agent=user_agent_header,
            additional_headers=additional_headers,
            max_size=max_size,
            logger=logger,
        )
        connection = create_connection(
            transport,
            protocol,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            close_timeout=close_timeout,
            max_queue=max_queue,
            logger=logger,
        )
    except BaseException:
        sock.close()
        raise
    try:
        connection.handshake(deadline.timeout())
    except BaseException:
        connection._abort()
        connection.wait_closed(connection.close_timeout)
        raise
    connection.start_keepalive()
    return connection


def unix_connect(
    path: str | None = None, uri: str | None = None, **kwargs: Any
) -> ClientConnection:
    """Like :func:`connect` over the Unix socket ``path``.

    ``uri`` (default ``ws://localhost/``, ``wss://`` with ``ssl``) only sets the
    handshake's ``Host`` and path.

    Raises:
        The exceptions of :func:`connect`.
    """
    if uri is None:
        uri = "ws://localhost/" if kwargs.get("ssl") is None else "wss://localhost/"
    return connect(uri, unix_path=path, **kwargs)
