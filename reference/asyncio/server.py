"""The asyncio server: :func:`serve`, :func:`unix_serve`, :class:`Server`.

Each TCP connection gets a :class:`ServerConnection` (an :class:`asyncio.Protocol`) and
one task that runs the opening handshake and then the user's handler. When the handler
returns, the connection is closed with 1000; when it raises, the error is logged and the
connection is closed with 1011. :meth:`Server.close` stops listening, closes every
connection with 1001 and waits for the handlers.
"""

from __future__ import annotations

import asyncio
import http
import inspect
import logging
import socket
import sys
from collections.abc import Awaitable, Callable, Generator, Sequence
from types import TracebackType
from typing import Any, TypeAlias

from ... import __version__
from ..protocol.close import CloseCode
from ..protocol.connection import CONNECTING, OPEN
from ..protocol.exceptions import ConnectionClosedOK, InvalidHandshake
from ..protocol.extensions.factories import ServerExtensionFactory
from ..protocol.http import Request, Response
from ..protocol.server import ServerProtocol
from .compression import server_extensions
from .connection import Connection, LoggerLike, MaxQueue, WriteLimit

__all__ = [
    "SERVER_HEADER",
    "Server",
    "ServerConnection",
    "serve",
    "unix_serve",
]

#: The default ``Server`` header.
SERVER_HEADER = f"Python/{sys.version_info.major}.{sys.version_info.minor} wsconform/{__version__}"

_ProcessRequest: TypeAlias = Callable[
    ["ServerConnection", Request], "Awaitable[Response | None] | Response | None"
]
_ProcessResponse: TypeAlias = Callable[
    ["ServerConnection", Request, Response], "Awaitable[Response | None] | Response | None"
]
_SelectSubprotocol: TypeAlias = Callable[["ServerConnection", Sequence[str]], "str | None"]


class ServerConnection(Connection):
    """The server side of a connection; what a handler receives.

    Subclass it and pass ``create_connection=`` to :func:`serve` to add state or
    methods; the constructor's keyword arguments must be passed on.
    """

    __slots__ = ("server",)

    protocol: ServerProtocol

    def __init__(
        self,
        protocol: ServerProtocol,
        server: Server,
        *,
        ping_interval: float | None = 20,
        ping_timeout: float | None = 20,
        close_timeout: float | None = 10,
        max_queue: MaxQueue = 16,
        write_limit: WriteLimit = 2**15,
    ) -> None:
        super().__init__(
            protocol,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            close_timeout=close_timeout,
            max_queue=max_queue,
            write_limit=write_limit,
        )
        self.server = server

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        # The task starts here rather than in the protocol factory: with TLS, the
        # transport exists only once the TLS handshake is done.
        self.server.start_connection(self)

    def respond(self, status: int | http.HTTPStatus, text: str) -> Response:
        """Build a plain-text HTTP response, for ``process_request`` to return.

        The response carries ``Content-Type: text/plain``, ``Content-Length`` and
        ``Connection: close``; headers can be added to ``response.headers``.
        """
        return self.protocol.reject(int(status), text)

    async def handshake(
        self,
        process_request: _ProcessRequest | None,
        process_response: _ProcessResponse | None,
        server_header: str | None,
    ) -> None:
        """Receive the request, answer it, and open the connection if it upgrades.

        Raises:
            InvalidHandshake: the request was refused (the answer was sent; the
                exception is the reason) or the connection closed before a request.
            Exception: whatever ``process_request`` or ``process_response`` raised
                (a 500 response was sent).
        """
        await asyncio.shield(self._handshake_waiter)
        request = self.request
        if request is None:
            exc = self.protocol.handshake_exc
            if exc is None:
                exc = InvalidHandshake("connection closed before the request was complete")
            raise exc
        response: Response | None = None
        hook_exc: Exception | None = None
        try:
            if process_request is not None:
                result = process_request(self, request)
                if inspect.isawaitable(result):
                    result = await result
                response = result
            if response is None:
                if self.server.is_closing():
                    response = self.respond(
                        http.HTTPStatus.SERVICE_UNAVAILABLE, "Server is shutting down.\n"
                    )
                else:
                    response = self.protocol.accept(request)
            else:
                _complete(response)
            if server_header and "Server" not in response.headers:
                response.headers["Server"] = server_header
            if process_response is not None:
                result = process_response(self, request, response)
                if inspect.isawaitable(result):
                    result = await result
                if result is not None:
                    response = result
                    _complete(response)
        except Exception as exc:
            self.logger.error("opening handshake hook failed", exc_info=True)
            response = self.respond(
                http.HTTPStatus.INTERNAL_SERVER_ERROR,
                "Failed to open a WebSocket connection.\nSee server log for more information.\n",
            )
            hook_exc = exc
        self.response = response
        self.protocol.send_response(response)
        # Frames that came with the request are read once the 101 is sent: queue them
        # now rather than with the next read, which may never come.
        self._process_events()
        self._send_data()
        self._flush()  # before the handler runs: it may abort the transport
        if hook_exc is not None:
            raise hook_exc
        if self.protocol.state is OPEN:
            self._connection_open()
            return
        if self.protocol.handshake_exc is not None:
            raise self.protocol.handshake_exc
        raise InvalidHandshake(f"rejected with HTTP {response.status_code}")


def _complete(response: Response) -> None:
    """Give a non-101 response built by the user a Content-Length."""
    if response.status_code != 101 and "Content-Length" not in response.headers:
        response.headers["Content-Length"] = str(len(response.body))


class Server:
    """A WebSocket server: the listening sockets, the connections, the handlers.

    Returned by :func:`serve` / :func:`unix_serve`. ``async with`` closes it on exit.
    """

    def __init__(
        self,
        handler: Callable[..., Awaitable[Any]],
        *,
        open_timeout: float | None,
        close_timeout: float | None,
        process_request: _ProcessRequest | None,
        process_response: _ProcessResponse | None,
        server_header: str | None,
        logger: LoggerLike,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.handler = handler
        self._legacy_handler = _takes_path(handler)
        self.open_timeout = open_timeout
        self.close_timeout = close_timeout
        self.process_request = process_request
        self.process_response = process_response
        self.server_header = server_header
        self.logger = logger
        #: The open (or opening) connections and the tasks that run their handlers.
        self.handlers: dict[ServerConnection, asyncio.Task[None]] = {}
        self.server: asyncio.Server
        self._close_task: asyncio.Task[None] | None = None
        self._closed: asyncio.Future[None] = self.loop.create_future()

    # --- listening -----------------------------------------------------------------

    def wrap(self, server: asyncio.Server) -> None:
        """Attach the listening :class:`asyncio.Server` (called by :func:`serve`)."""
        self.server = server
        for sock in server.sockets:
            self.logger.info("server listening on %s", _format_address(sock))

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        """The listening sockets (``server.sockets[0].getsockname()`` gives the port)."""
        return tuple(self.server.sockets)

    @property
    def connections(self) -> set[ServerConnection]:
        """The open connections (handshake finished, not closed yet)."""
        return {c for c in self.handlers if c.protocol.state is OPEN}

    def is_serving(self) -> bool:
        """Whether the server accepts new connections."""
        return self.server.is_serving()

    def is_closing(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._close_task is not None

    async def start_serving(self) -> None:
        """Start accepting connections (already done unless ``start_serving=False``)."""
        await self.server.start_serving()

    async def serve_forever(self) -> None:
        """Serve until :meth:`close` finishes (for example from a signal handler).

        Cancelling it (Ctrl-C under :func:`asyncio.run`) propagates the cancellation;
        ``async with`` then closes the server on the way out.
        """
        await self.start_serving()
        await asyncio.shield(self._closed)

    # --- connections ---------------------------------------------------------------

    def start_connection(self, connection: ServerConnection) -> None:
        """Run the handshake and the handler of a new connection in its own task."""
        task = self.loop.create_task(self._conn_handler(connection))
        self.handlers[connection] = task

    async def _conn_handler(self, connection: ServerConnection) -> None:
        try:
            try:
                async with asyncio.timeout(self.open_timeout):
                    await connection.handshake(
                        self.process_request, self.process_response, self.server_header
                    )
            except asyncio.CancelledError:
                connection.transport.abort()
                raise
            except TimeoutError:
                connection.logger.info("opening handshake timed out")
                connection.transport.abort()
                return
            except Exception as exc:
                if connection.protocol.state is CONNECTING:
                    connection._close_transport()
                connection.logger.info("opening handshake failed: %s", exc)
                await connection.wait_closed()
                return
            try:
                if self._legacy_handler:
                    request = connection.request
                    assert request is not None
                    await self.handler(connection, request.path)
                else:
                    await self.handler(connection)
            except ConnectionClosedOK:
                # The handler used a connection the peer had closed normally.
                connection.logger.debug("handler ended by a normal close")
                await connection.close()
            except Exception:
                connection.logger.error("connection handler failed", exc_info=True)
                await connection.close(CloseCode.INTERNAL_ERROR)
            else:
                await connection.close()
        finally:
            del self.handlers[connection]

    # --- closing -------------------------------------------------------------------

    def close(self, close_connections: bool = True) -> None:
        """Stop listening; close connections with 1001 unless told not to.

        Returns at once; :meth:`wait_closed` waits until it is done.
        """
        if self._close_task is None:
            self._close_task = self.loop.create_task(self._close(close_connections))

    async def _close(self, close_connections: bool) -> None:
        self.logger.info("server closing")
        self.server.close()
        if close_connections:
            closing = [
                c.close(CloseCode.GOING_AWAY) for c in list(self.handlers) if c.state is OPEN
            ]
            for connection in list(self.handlers):
                if connection.state is CONNECTING:
                    connection._close_transport()
            if closing:
                await asyncio.gather(*closing, return_exceptions=True)
        handlers = list(self.handlers.values())
        if handlers:
            _, pending = await asyncio.wait(handlers, timeout=self.close_timeout)
            for task in pending:
                self.logger.warning("handler still running after its connection closed; cancel")
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=self.close_timeout)
        self.logger.info("server closed")
        if not self._closed.done():
            self._closed.set_result(None)

    async def wait_closed(self) -> None:
        """Wait until :meth:`close` is done: connections closed, handlers returned."""
        await asyncio.shield(self._closed)

    async def __aenter__(self) -> Server:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
        await self.wait_closed()


def _takes_path(handler: Callable[..., Any]) -> bool:
    """Whether ``handler`` is the legacy form ``handler(connection, path)``."""
    try:
        signature = inspect.signature(handler)
    except (TypeError, ValueError):
        return False
    positional = [
        p
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    return len(positional) >= 2


def _format_address(sock: socket.socket) -> str:
    name = sock.getsockname()
    if sock.family == socket.AF_INET6:
        return f"[{name[0]}]:{name[1]}"
    if sock.family == socket.AF_INET:
        return f"{name[0]}:{name[1]}"
    return str(name)


class serve:
    """Start a WebSocket server: ``async with serve(handler, host, port) as server:``.

    Also ``server = await serve(...)``. Every keyword argument that is not one of the
    options below goes to :meth:`asyncio.loop.create_server` (or
    :meth:`~asyncio.loop.create_unix_server`): a list of hosts, ``sock``,
    ``reuse_port``, ``backlog``, ``ssl``, ``start_serving`` ...

    Args:
        handler: Called with each open :class:`ServerConnection`; any callable that
            returns an awaitable, including a :func:`functools.partial`; the legacy
            ``handler(connection, path)`` is detected by its two positional parameters.
        origins: Accepted ``Origin`` values (``None`` in the list accepts a missing
            header); ``None`` accepts any.
        extensions: Extension factories, in order of preference.
        subprotocols: Supported subprotocols; the first of the client's list that is
            supported is selected.
        select_subprotocol: ``select_subprotocol(connection, offered) -> str | None``
            replaces that choice.
        compression: ``"deflate"`` (default) negotiates permessage-deflate; ``None``
            turns it off.
        process_request: ``process_request(connection, request)`` runs before the
            upgrade (sync or async); returning a :class:`Response` sends it instead.
        process_response: ``process_response(connection, request, response)`` may
            change or replace the response.
        server_header: The ``Server`` header; ``None`` sends none.
        open_timeout: Seconds for the opening handshake; ``None`` waits forever.
        ping_interval, ping_timeout, close_timeout, max_queue, write_limit: see
            :class:`Connection`.
        max_size: Largest incoming message in bytes (after decompression); ``None``
            for no limit.
        logger: Logger of the server and its connections (``wsconform.reference.server``).
        create_connection: A :class:`ServerConnection` subclass or a factory with its
            signature (a :func:`functools.partial` of one); ``create_protocol`` is an
            alias.
    """

    def __init__(
        self,
        handler: Callable[..., Awaitable[Any]],
        host: str | Sequence[str] | None = None,
        port: int | None = None,
        *,
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
        max_queue: MaxQueue = 16,
        write_limit: WriteLimit = 2**15,
        logger: LoggerLike | None = None,
        create_connection: Callable[..., ServerConnection] | None = None,
        create_protocol: Callable[..., ServerConnection] | None = None,
        **kwargs: Any,
    ) -> None:
        if logger is None:
            logger = logging.getLogger("wsconform.reference.server")
        if create_connection is None:
            create_connection = create_protocol or ServerConnection
        all_extensions = server_extensions(compression, extensions)
        self._unix = kwargs.pop("unix", False)
        self._host = host
        self._port = port
        self._kwargs = kwargs
        self._server_args: dict[str, Any] = dict(  # noqa: C408
            open_timeout=open_timeout,
            close_timeout=close_timeout,
            process_request=process_request,
            process_response=process_response,
            server_header=server_header,
            logger=logger,
        )
        self._handler = handler

        def factory(server: Server) -> ServerConnection:
            core_select: Callable[[Any, Sequence[str]], str | None] | None = None
            holder: list[ServerConnection] = []
            if select_subprotocol is not None:

                def core_select(_: Any, offered: Sequence[str]) -> str | None:
                    return select_subprotocol(holder[0], offered)

            protocol = ServerProtocol(
                origins=origins,
                extensions=all_extensions,
                subprotocols=subprotocols,
                select_subprotocol=core_select,
                max_size=max_size,
                server_header=server_header,
                logger=logger,
            )
            connection = create_connection(
                protocol,
                server,
                ping_interval=ping_interval,
                ping_timeout=ping_timeout,
                close_timeout=close_timeout,
                max_queue=max_queue,
                write_limit=write_limit,
            )
            holder.append(connection)
            return connection

        self._factory = factory

    async def _create(self) -> Server:
        server = Server(self._handler, **self._server_args)

        def protocol_factory() -> ServerConnection:
            return self._factory(server)

        loop = asyncio.get_running_loop()
        if self._unix:
            asyncio_server = await loop.create_unix_server(protocol_factory, **self._kwargs)
        else:
            asyncio_server = await loop.create_server(
                protocol_factory, self._host, self._port, **self._kwargs
            )
        server.wrap(asyncio_server)
        return server

    def __await__(self) -> Generator[Any, None, Server]:
        return self._create().__await__()

    async def __aenter__(self) -> Server:
        self._server = await self._create()
        return self._server

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.close()
        await self._server.wait_closed()


def unix_serve(
    handler: Callable[..., Awaitable[Any]], path: str | None = None, **kwargs: Any
) -> serve:
    """Like :func:`serve` on a Unix socket at ``path`` (or ``sock=``).

    Every keyword argument of :func:`serve` is accepted; the others go to
    :meth:`asyncio.loop.create_unix_server`.
    """
    return serve(handler, path=path, unix=True, **kwargs)
