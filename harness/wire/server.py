"""Accepting the clients under test: the tester's listening adapter (server role).

:func:`serve` listens on a TCP address; each accepted connection reads the upgrade
request head (bounded by :class:`~wsconform.reference.protocol.http.Limits`, under the
opening handshake timer) and hands it to a *route*, which looks at the path and query
and returns either a :class:`~.connection.TesterConnection` in the server role (the
transport is handed over to it, and it answers the request) or a :class:`Rejection`
(an HTTP error with a one-line reason, then TCP is closed). A request that is not HTTP,
a route that raises, or a client that sends nothing in time gets its error answer or a
closed connection; the server itself never stops on what a client sends.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import ssl
import typing
from collections.abc import Callable

from wsconform.reference.protocol.http import Request, RequestParser

from .connection import TesterConnection
from .handshake import rejection_head

__all__ = ["DEFAULT_REQUEST_TIMEOUT", "Rejection", "Route", "serve"]

#: Seconds a client has to send its whole upgrade request.
DEFAULT_REQUEST_TIMEOUT = 5.0


@dataclasses.dataclass(frozen=True, slots=True)
class Rejection:
    """An HTTP error answer: ``status`` and the one-line ``reason`` sent as its body."""

    status: int
    reason: str


#: What a route makes of a request: the connection that takes it, or an error answer.
Route = Callable[[Request], TesterConnection | Rejection]


class _Accepting(asyncio.Protocol):
    """Reads one upgrade request, then hands the transport over (module docstring)."""

    def __init__(
        self, route: Route, timeout: float, log: Callable[[str], None] | None = None
    ) -> None:
        self.route = route
        self.timeout = timeout
        self.log = log
        self.parser = RequestParser()
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.done = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport; uvloop's are not subclasses of asyncio.Transport.
        transport = typing.cast(asyncio.Transport, transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # Autobahn's tcpNoDelay default: chopped writes must leave as they are cut.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        loop = asyncio.get_running_loop()
        self.timer = loop.call_later(self.timeout, self._timed_out)

    def _timed_out(self) -> None:
        self.timer = None
        self._note(f"no complete upgrade request within {self.timeout:g} s")
        self._finish()
        if self.transport is not None:
            self.transport.abort()

    def _note(self, message: str) -> None:
        if self.log is not None:
            peer = self.transport.get_extra_info("peername") if self.transport else None
            where = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else "a client"
            self.log(f"{where}: {message}")

    def _finish(self) -> None:
        self.done = True
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _reject(self, status: int, reason: str) -> None:
        self._note(f"{status}: {reason}")
        self._finish()
        assert self.transport is not None
        self.transport.write(rejection_head(status, reason))
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self.done:
            return
        try:
            request = self.parser.feed(data)
        except Exception as exc:  # InvalidMessage, SecurityError: not a usable request
            self._reject(400, f"invalid HTTP request: {exc}")
            return
        if request is None:
            return
        try:
            routed = self.route(request)
        except Exception as exc:  # our own bug: answered, logged, the server goes on
            self._reject(500, f"internal error: {type(exc).__name__}: {exc}")
            return
        if isinstance(routed, Rejection):
            self._reject(routed.status, routed.reason)
            return
        self._finish()
        transport = self.transport
        assert transport is not None
        transport.set_protocol(routed)
        routed.connection_made(transport)
        routed.accept(request, request.raw, self.parser.leftover)

    def eof_received(self) -> bool | None:
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._finish()


async def serve(
    route: Route,
    host: str,
    port: int,
    *,
    timeout: float = DEFAULT_REQUEST_TIMEOUT,
    log: Callable[[str], None] | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> asyncio.Server:
    """Listen on ``host``:``port`` (0 picks a free port) and route every upgrade request.

    ``log`` receives one line per refused request. With ``ssl_context`` the server
    speaks TLS (``wss://``, RFC 6455 section 3): a client's TLS handshake is bounded by
    ``timeout`` too, and one that fails closes that connection only.

    Raises:
        OSError: the address cannot be bound.
    """
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: _Accepting(route, timeout, log),
        host,
        port,
        ssl=ssl_context,
        ssl_handshake_timeout=timeout if ssl_context is not None else None,
    )
