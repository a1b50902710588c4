"""The thread-based server: :func:`serve` and :func:`unix_serve`.

::

    def echo(ws):
        for message in ws:
            ws.send(message)

    with serve(echo, "127.0.0.1", 8765) as server:
        server.serve_forever()

Each connection gets a handler thread (running the opening handshake, then the user's
handler) and a reader thread; :meth:`Server.shutdown`, from any thread, stops accepting,
closes every connection with 1001 and waits for the handlers.
"""

from __future__ import annotations

import contextlib
import http
import logging
import selectors
import socket
import ssl as ssl_module
import threading
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, TypeAlias

from ..protocol.connection import Event
from ..protocol.exceptions import ConnectionClosedOK, InvalidHandshake
from ..protocol.extensions.factories import ServerExtensionFactory
from ..protocol.headers import Headers
from ..protocol.http import Request, Response
from ..protocol.server import ServerProtocol
from .compression import server_extensions
from .connection import Connection
from .tls import TLSSocket
from .utils import Deadline

__all__ = ["SERVER_HEADER", "Server", "ServerConnection", "serve", "unix_serve"]

#: Default ``Server`` header.
SERVER_HEADER = "wsconform-reference (sync)"

_ProcessRequest: TypeAlias = Callable[["ServerConnection", Request], "Response | None"]
_ProcessResponse: TypeAlias = Callable[["ServerConnection", Request, Response], "Response | None"]
_SelectSubprotocol: TypeAlias = Callable[["ServerConnection", Sequence[str]], "str | None"]


class ServerConnection(Connection):
    """The server side of a connection; what a handler receives."""

    protocol: ServerProtocol
    #: The server that accepted the connection (set by :func:`serve`).
    server: Server | None = None

    def respond(self, status: int | http.HTTPStatus, text: str) -> Response:
        """Build a plain-text HTTP response, for ``process_request`` to return."""
        status = http.HTTPStatus(status)
        body = text.encode()
        headers = Headers()
        headers["Content-Type"] = "text/plain; charset=utf-8"
        headers["Content-Length"] = str(len(body))
        headers["Connection"] = "close"
        return Response(status.value, status.phrase, headers, body)

    def handshake(
        self,
        process_request: _ProcessRequest | None = None,
        process_response: _ProcessResponse | None = None,
        server_header: str | None = SERVER_HEADER,
        timeout: float | None = None,
    ) -> None:
        """Wait for the request, answer it, and open the connection if it upgrades.

        Raises:
            InvalidHandshake: the request was refused (the answer was sent; the
                exception says why) or the connection closed before a request.
            TimeoutError: no complete request within ``timeout`` seconds.
            Exception: whatever ``process_request`` or ``process_response`` raised
                (a 500 response was sent).
        """
        if not self._handshake_event.wait(timeout):
            raise TimeoutError("timed out waiting for the opening handshake request")
        request = self.request
        if request is None:
            exc = self.protocol.handshake_exc
            raise exc or InvalidHandshake("connection closed before the request was complete")
        response: Response | None = None
        hook_exc: Exception | None = None
        try:
            if process_request is not None:
                response = process_request(self, request)
            if response is None:
                if self.server is not None and self.server.is_shutting_down():
                    response = self.respond(
                        http.HTTPStatus.SERVICE_UNAVAILABLE, "Server is shutting down.\n"
                    )
                else:
                    response = self.protocol.accept(request)
            else:
                _complete(response)
            if server_header:
                response.headers["Server"] = server_header
            if process_response is not None:
                replaced = process_response(self, request, response)
                if replaced is not None:
                    response = replaced
                    _complete(response)
        except Exception as exc:
            self.logger.error("opening handshake hook failed", exc_info=True)
            response = self.respond(
                http.HTTPStatus.INTERNAL_SERVER_ERROR,
                "Failed to open a WebSocket connection.\nSee server log for more information.\n",
            )
            hook_exc = exc
        self.response = response
        try:
            with self._protocol_lock:
                self.protocol.send_response(response)
                # Frames that came with the request are read once the 101 is sent: queue
                # them now, under the lock so that what the reader reads next comes after.
                self._queue_early(self.protocol.events_received())
                self._outgoing.extend(self.protocol.data_to_send())
            self._flush()
        finally:
            # The reader acts on a failure those frames left pending (Connection).
            self._response_sent.set()
        if hook_exc is not None:
            raise hook_exc
        # Not "state is OPEN" checked now: the client may already have closed.
        if response.status_code == 101 and self.protocol.handshake_exc is None:
            return
        if self.protocol.handshake_exc is not None:
            raise self.protocol.handshake_exc
        raise InvalidHandshake(f"rejected with HTTP {response.status_code}")

    def _queue_early(self, events: list[Event]) -> None:
        """Queue the frames that came with the request, past the queue's bound: the
        handler that empties the queue has not started yet, and the core bounds these
        bytes (``Limits.max_head``), so waiting for room would never end."""
        messages = self._messages
        limit, messages.max_queue = messages.max_queue, None
        try:
            for event in events:
                self._dispatch(event)
        finally:
            messages.max_queue = limit


def _complete(response: Response) -> None:
    """Give a non-101 response built by the user a Content-Length."""
    if response.status_code != 101 and "Content-Length" not in response.headers:
        response.headers["Content-Length"] = str(len(response.body))


class Server:
    """A listening socket and the connections accepted on it.

    Use it as a context manager: leaving the block calls :meth:`shutdown`.
    """

    def __init__(
        self,
        sock: socket.socket,
        handle: Callable[[socket.socket, Any], None],
        logger: logging.Logger | logging.LoggerAdapter[Any],
    ) -> None:
        self.socket = sock
        self.logger = logger
        self._handle = handle
        self._lock = threading.Lock()
        self._connections: set[ServerConnection] = set()
        self._threads: set[threading.Thread] = set()
        self._shutting_down = threading.Event()
        self._not_serving = threading.Event()
        self._not_serving.set()
        # A socket pair wakes serve_forever() from select(): no polling interval.
        self._wake_r, self._wake_w = socket.socketpair()

    @property
    def connections(self) -> set[ServerConnection]:
        """The open connections (a copy)."""
        with self._lock:
            return set(self._connections)

    def is_shutting_down(self) -> bool:
        """Whether :meth:`shutdown` was called."""
        return self._shutting_down.is_set()

    def fileno(self) -> int:
        """The listening socket's file descriptor."""
        return self.socket.fileno()

    def serve_forever(self) -> None:
        """Accept connections until :meth:`shutdown`; each gets its own threads."""
        if self._shutting_down.is_set():
            return
        self._not_serving.clear()
        try:
            self.socket.setblocking(False)
            with selectors.DefaultSelector() as selector:
                selector.register(self.socket, selectors.EVENT_READ)
                selector.register(self._wake_r, selectors.EVENT_READ)
                while not self._shutting_down.is_set():
                    # No timeout: shutdown() writes to _wake_w.
                    for key, _ in selector.select():
                        if key.fileobj is self._wake_r:
                            return
                        self._accept()
        finally:
            self._not_serving.set()

    def _accept(self) -> None:
        try:
            sock, address = self.socket.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return  # another thread took it, or the client gave up
        except OSError as exc:
            # EMFILE and friends: log, keep serving (the next accept may succeed).
            self.logger.error("accept() failed: %s", exc)
            return
        sock.setblocking(True)
        thread = threading.Thread(
            target=self._run_connection, args=(sock, address), name="wsconform-handler", daemon=True
        )
        with self._lock:
            self._threads.add(thread)
        thread.start()

    def _run_connection(self, sock: socket.socket, address: Any) -> None:
        try:
            self._handle(sock, address)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _register(self, connection: ServerConnection) -> bool:
        """Track ``connection``; ``False`` when shutting down (then refuse it)."""
        with self._lock:
            if self._shutting_down.is_set():
                return False
            self._connections.add(connection)
            return True

    def _unregister(self, connection: ServerConnection) -> None:
        with self._lock:
            self._connections.discard(connection)

    def shutdown(self, code: int = 1001, reason: str = "", *, timeout: float | None = None) -> None:
        """Stop accepting, close every connection with ``code`` and wait for handlers.

        RFC 6455 section 7.4.1: "1001 indicates that an endpoint is "going away", such
        as a server going down". Each connection's closing handshake is bounded by its
        ``close_timeout``; ``timeout`` bounds the wait for the handler threads (default:
        the longest ``close_timeout`` plus one second).
        """
        self._shutting_down.set()
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")
        # serve_forever() returns at once after the wake-up; bounded anyway.
        self._not_serving.wait(5)
        with contextlib.suppress(OSError):
            self.socket.close()
        with self._lock:
            connections = list(self._connections)
        closers = [
            threading.Thread(target=c.close, args=(code, reason), daemon=True) for c in connections
        ]
        # Close in parallel: one slow peer must not delay the others' close frames.
        for closer in closers:
            closer.start()
        if timeout is None:
            timeouts = [c.close_timeout or 0 for c in connections]
            timeout = 2 * max(timeouts, default=0) + 1
        deadline = Deadline(timeout)
        for closer in closers:
            closer.join(deadline.timeout(raise_if_elapsed=False))
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(deadline.timeout(raise_if_elapsed=False))
        for sock in (self._wake_r, self._wake_w):
            sock.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.shutdown()


def serve(
    handler: Callable[[ServerConnection], Any],
    host: str | None = None,
    port: int | None = None,
    *,
    sock: socket.socket | None = None,
    ssl: ssl_module.SSLContext | None = None,
    origins: Sequence[str | None] | None = None,
    extensions: Sequence[ServerExtensionFactory] | None = None,
    subprotocols: Sequence[str] | None = None,
    select_subprotocol: _SelectSubprotocol | None = None,
    compression: str | None = "deflate",
    process_request: _ProcessRequest | None = None,
    process_response: _ProcessResponse | None = None,
    server_header: str | None = SERVER_HEADER,
    open_timeout: float | None = 10,
    ping_interval: float | None = 20,
    ping_timeout: float | None = 20,
    close_timeout: float | None = 10,
    max_size: int | None = 2**20,
    max_queue: int | None = 16,
    logger: logging.Logger | logging.LoggerAdapter[Any] | None = None,
    create_connection: Callable[..., ServerConnection] | None = None,
    **kwargs: Any,
) -> Server:
    """Listen on ``host:port`` (or ``sock``) and run ``handler(connection)`` per client.

    The handler runs in its own thread once the connection is open; when it returns the
    connection closes with 1000, when it raises with 1011 and the error is logged.
    Options have the meaning they have in the asyncio :func:`serve`; ``ssl`` is a
    server-side :class:`ssl.SSLContext`. Extra keyword arguments go to
    :func:`socket.create_server` (``backlog``, ``reuse_port``, ``family``).

    Raises:
        OSError: the socket could not be bound.
        ValueError: an unknown ``compression``.
    """
    if logger is None:
        logger = logging.getLogger("wsconform.reference.server")
    if create_connection is None:
        create_connection = ServerConnection
    factories = server_extensions(compression, extensions)
    unix_path: str | None = kwargs.pop("unix_path", None)
    if sock is None:
        if unix_path is not None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.bind(unix_path)
            sock.listen(kwargs.get("backlog", 2048))
        else:
            kwargs.setdefault("backlog", 2048)
            sock = socket.create_server((host or "", port or 0), **kwargs)

    def handle(tcp: socket.socket, address: Any) -> None:
        deadline = Deadline(open_timeout)
        client: socket.socket | TLSSocket = tcp
        try:
            if tcp.family in (socket.AF_INET, socket.AF_INET6):
                tcp.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, True)
            if ssl is not None:
                client = TLSSocket.wrap(tcp, ssl, server_side=True, timeout=deadline.timeout())
            client.settimeout(None)
        except Exception as exc:
            logger.debug("connection from %s failed before the handshake: %s", address, exc)
            client.close()
            return
        holder: list[ServerConnection] = []

        def core_select(_: Any, offered: Sequence[str]) -> str | None:
            assert select_subprotocol is not None
            return select_subprotocol(holder[0], offered)

        protocol = ServerProtocol(
            origins=origins,
            extensions=factories,
            subprotocols=subprotocols,
            select_subprotocol=None if select_subprotocol is None else core_select,
            server_header=server_header,
            max_size=max_size,
            logger=logger,
        )
        connection = create_connection(
            client,
            protocol,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            close_timeout=close_timeout,
            max_queue=max_queue,
            logger=logger,
        )
        holder.append(connection)
        connection.server = server
        if not server._register(connection):
            connection._abort()
            return
        try:
            _run(
                connection,
                handler,
                process_request=process_request,
                process_response=process_response,
                server_header=server_header,
                deadline=deadline,
            )
        finally:
            server._unregister(connection)

    server = Server(sock, handle, logger)
    return server


def _run(
    connection: ServerConnection,
    handler: Callable[[ServerConnection], Any],
    *,
    process_request: _ProcessRequest | None,
    process_response: _ProcessResponse | None,
    server_header: str | None,
    deadline: Deadline,
) -> None:
    logger = connection.logger
    try:
        connection.handshake(
            process_request,
            process_response,
            server_header,
            deadline.timeout(raise_if_elapsed=False),
        )
    except Exception as exc:
        logger.debug("opening handshake failed: %s", exc)
        if connection.protocol.response is not None:
            # Refused: the answer is written; half-close so the client reads all of it
            # and closes its side, then drop what is left.
            connection._close_write()
            connection.wait_closed(connection.close_timeout)
        connection._abort()
        connection.wait_closed(connection.close_timeout)
        return
    connection.start_keepalive()
    try:
        handler(connection)
    except ConnectionClosedOK:
        # The handler used a connection the peer had closed normally.
        logger.debug("handler ended by a normal close")
        connection.close()
    except Exception:
        logger.error("connection handler failed", exc_info=True)
        connection.close(1011)
    else:
        connection.close()


def unix_serve(
    handler: Callable[[ServerConnection], Any], path: str | None = None, **kwargs: Any
) -> Server:
    """Like :func:`serve` on a Unix socket at ``path`` (or ``sock=``).

    Raises:
        OSError: the socket could not be bound.
    """
    return serve(handler, unix_path=path, **kwargs)
