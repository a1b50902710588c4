"""The asyncio client: :func:`connect`, :func:`unix_connect`, :class:`ClientConnection`.

``connect(uri)`` can be awaited, used with ``async with`` (the connection is closed on
exit, also on error), or iterated with ``async for``, which reconnects after the
connection drops or a connection attempt fails, waiting longer after each failure
(exponential backoff with jitter), and stops on a fatal handshake error.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl as ssl_module
import sys
from collections.abc import AsyncIterator, Callable, Generator, Iterator, Sequence
from types import TracebackType
from typing import Any

from ... import __version__
from ..protocol.client import ClientProtocol
from ..protocol.exceptions import (
    InvalidMessage,
    InvalidStatus,
)
from ..protocol.extensions.factories import ClientExtensionFactory
from ..protocol.headers import HeadersLike
from ..protocol.uri import WebSocketURI, parse_uri
from .compression import client_extensions
from .connection import Connection, LoggerLike, MaxQueue, WriteLimit

__all__ = [
    "USER_AGENT",
    "ClientConnection",
    "backoff",
    "connect",
    "process_exception",
    "unix_connect",
]

#: The default ``User-Agent`` header.
USER_AGENT = f"Python/{sys.version_info.major}.{sys.version_info.minor} wsconform/{__version__}"


class ClientConnection(Connection):
    """The client side of a connection; what :func:`connect` returns.

    Subclass it and pass ``create_connection=`` to :func:`connect` to add state or
    methods; the constructor's keyword arguments must be passed on.
    """

    __slots__ = ()

    protocol: ClientProtocol

    async def handshake(self) -> None:
        """Send the request and wait for the response.

        Raises:
            InvalidHandshake: the server refused the upgrade (:class:`InvalidStatus`),
                answered wrongly, or closed the connection before answering
                (:class:`InvalidMessage`).
        """
        request = self.protocol.connect()
        self.request = request
        self.protocol.send_request(request)
        self._send_data()
        self._flush()
        await asyncio.shield(self._handshake_waiter)
        if self.protocol.handshake_exc is not None:
            raise self.protocol.handshake_exc
        if self.response is None:
            raise InvalidMessage("connection closed before the response was complete")
        # The state may be past OPEN already: the server's first messages and its close
        # frame can come in the same read as the response; they wait in the queue.
        self._connection_open()


def process_exception(exc: Exception) -> Exception | None:
    """Decide whether ``async for ... in connect(...)`` retries after ``exc``.

    Returns ``None`` to retry, or the exception to raise. Network errors, timeouts,
    malformed HTTP responses and 5xx statuses are retried; other handshake errors
    (4xx statuses, failed negotiation), certificate errors and bugs are fatal.
    """
    if isinstance(exc, ssl_module.SSLCertVerificationError):
        return exc
    if isinstance(exc, EOFError | OSError | asyncio.TimeoutError | InvalidMessage):
        return None
    if isinstance(exc, InvalidStatus) and 500 <= exc.response.status_code < 600:
        return None
    return exc


def backoff(initial: float = 1.0, factor: float = 1.618, maximum: float = 60.0) -> Iterator[float]:
    """The delays between failed attempts: exponential growth, equal jitter.

    The n-th delay is drawn uniformly in ``[d / 2, d]`` where ``d = min(maximum,
    initial * factor ** n)``, so that clients dropped together do not come back
    together.
    """
    delay = initial
    while True:
        yield delay / 2 + random.random() * delay / 2
        delay = min(maximum, delay * factor)


class connect:
    """Open a WebSocket connection to ``uri``.

    ``ws = await connect(uri)``, ``async with connect(uri) as ws:`` (closed on exit),
    or ``async for ws in connect(uri):`` (reconnects; see :func:`process_exception`).
    Every keyword argument that is not an option below goes to
    :meth:`asyncio.loop.create_connection` (``ssl``, ``sock``, ``server_hostname``,
    ``local_addr`` ...). A ``wss://`` URI uses TLS with the default context unless
    ``ssl=`` gives one (for example one with verification off).

    Args:
        uri: ``ws://`` or ``wss://`` URI.
        origin: The ``Origin`` header, if any.
        extensions: Extension factories, in order of preference.
        subprotocols: Subprotocols to offer, in order of preference.
        compression: ``"deflate"`` (default) offers permessage-deflate; ``None`` not.
        additional_headers: Extra request headers.
        user_agent_header: The ``User-Agent`` header; ``None`` sends none.
        open_timeout: Seconds for TCP, TLS and the opening handshake together.
        ping_interval, ping_timeout, close_timeout, max_queue, write_limit: see
            :class:`Connection`.
        max_size: Largest incoming message in bytes; ``None`` for no limit.
        logger: Logger (``wsconform.reference.client`` by default).
        create_connection: A :class:`ClientConnection` subclass or a factory with its
            signature; ``create_protocol`` is an alias.
        process_exception: Retry policy of ``async for`` (see :func:`process_exception`).
        backoff_initial_delay, backoff_factor, backoff_max_delay: The backoff of
            ``async for`` in seconds (see :func:`backoff`).
    """

    def __init__(
        self,
        uri: str,
        *,
        origin: str | None = None,
        extensions: Sequence[ClientExtensionFactory] | None = None,
        subprotocols: Sequence[str] | None = None,
        compression: str | None = "deflate",
        additional_headers: HeadersLike | None = None,
        user_agent_header: str | None = USER_AGENT,
        open_timeout: float | None = 10,
        ping_interval: float | None = 20,
        ping_timeout: float | None = 20,
        close_timeout: float | None = 10,
        max_size: int | None = 2**20,
        max_queue: MaxQueue = 16,
        write_limit: WriteLimit = 2**15,
        logger: LoggerLike | None = None,
        create_connection: Callable[..., ClientConnection] | None = None,
        create_protocol: Callable[..., ClientConnection] | None = None,
        process_exception: Callable[[Exception], Exception | None] = process_exception,
        backoff_initial_delay: float = 1.0,
        backoff_factor: float = 1.618,
        backoff_max_delay: float = 60.0,
        **kwargs: Any,
    ) -> None:
        self.uri = uri
        self._unix_path: str | None = kwargs.pop("unix_path", None)
        self._unix = kwargs.pop("unix", False)
        wsuri = parse_uri(uri)
        if not wsuri.secure and kwargs.get("ssl") is not None:
            raise ValueError("connect() received a ssl argument for a ws:// URI")
        self._wsuri = wsuri
        if logger is None:
            logger = logging.getLogger("wsconform.reference.client")
        self.logger = logger
        if create_connection is None:
            create_connection = create_protocol or ClientConnection
        all_extensions = client_extensions(compression, extensions)

        def factory() -> ClientConnection:
            protocol = ClientProtocol(
                wsuri,
                origin=origin,
                extensions=all_extensions,
                subprotocols=subprotocols,
                user_agent=user_agent_header,
                additional_headers=additional_headers,
                max_size=max_size,
                logger=logger,
            )
            return create_connection(
                protocol,
                ping_interval=ping_interval,
                ping_timeout=ping_timeout,
                close_timeout=close_timeout,
                max_queue=max_queue,
                write_limit=write_limit,
            )

        self._factory = factory
        self._kwargs = kwargs
        self.open_timeout = open_timeout
        self.process_exception = process_exception
        self._backoff = (backoff_initial_delay, backoff_factor, backoff_max_delay)
        self.connection: ClientConnection | None = None

    async def _create_transport(self) -> ClientConnection:
        loop = asyncio.get_running_loop()
        kwargs = dict(self._kwargs)
        wsuri: WebSocketURI = self._wsuri
        if wsuri.secure:
            kwargs.setdefault("ssl", True)
            if kwargs.get("sock") is not None or self._unix:
                kwargs.setdefault("server_hostname", wsuri.host)
        if self._unix:
            if kwargs.get("sock") is None:
                kwargs.setdefault("path", self._unix_path)
            _, connection = await loop.create_unix_connection(self._factory, **kwargs)
        elif kwargs.get("sock") is not None:
            _, connection = await loop.create_connection(self._factory, **kwargs)
        else:
            host = kwargs.pop("host", wsuri.host)
            port = kwargs.pop("port", wsuri.port)
            _, connection = await loop.create_connection(self._factory, host, port, **kwargs)
        return connection

    async def _open(self) -> ClientConnection:
        connection: ClientConnection | None = None
        try:
            async with asyncio.timeout(self.open_timeout):
                connection = await self._create_transport()
                await connection.handshake()
        except BaseException:
            if connection is not None:
                connection.transport.abort()
            raise
        self.connection = connection
        return connection

    def __await__(self) -> Generator[Any, None, ClientConnection]:
        return self._open().__await__()

    async def __aenter__(self) -> ClientConnection:
        return await self._open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self.connection is not None
        await self.connection.close()

    async def __aiter__(self) -> AsyncIterator[ClientConnection]:
        """Yield a connection, and a new one each time the loop body comes back.

        Raises:
            Exception: what :attr:`process_exception` chooses not to retry.
        """
        delays: Iterator[float] | None = None
        while True:
            try:
                connection = await self._open()
            except Exception as exc:
                new_exc = self.process_exception(exc)
                if new_exc is exc:
                    raise
                if new_exc is not None:
                    raise new_exc from exc
                if delays is None:
                    delays = backoff(*self._backoff)
                delay = next(delays)
                self.logger.info(
                    "connect failed (%s); reconnecting in %.1f seconds",
                    exc or type(exc).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
                continue
            delays = None
            try:
                yield connection
            finally:
                # Also when the loop is left with break: do not leak the connection.
                await connection.close()


def unix_connect(path: str | None = None, uri: str | None = None, **kwargs: Any) -> connect:
    """Like :func:`connect` over a Unix socket at ``path`` (or ``sock=``).

    ``uri`` only fills the request (``Host``, path); it defaults to ``ws://localhost/``,
    or ``wss://localhost/`` when ``ssl=`` is given.
    """
    if uri is None:
        uri = "ws://localhost/" if kwargs.get("ssl") is None else "wss://localhost/"
    return connect(uri, unix=True, unix_path=path, **kwargs)
