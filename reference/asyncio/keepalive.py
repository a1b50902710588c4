"""Pings, pongs and the keepalive of the asyncio connection.

:class:`Keepalive` is a mixin of :class:`~.connection.Connection`: it holds no state
of its own (``__slots__ = ()``, so that an idle connection costs no more memory), and
works on the connection's slots ``_pings``, ``_keepalive_handle``, ``_pong_timeouts``,
``latency``, ``ping_interval`` and ``ping_timeout``, which the connection declares and
initialises. :class:`KeepaliveHost` names what it uses of the connection.

RFC 6455 section 5.5.2: a ping "may serve either as a keepalive or as a means to
verify that the remote endpoint is still responsive"; section 5.5.3: a pong answers it
with the same payload, and a peer may answer only the most recent ping.
"""

from __future__ import annotations

import asyncio
import random
import struct
from typing import TYPE_CHECKING, Protocol

from ..protocol.close import CloseCode
from ..protocol.connection import OPEN
from ..protocol.exceptions import ConcurrencyError, ConnectionClosed

if TYPE_CHECKING:
    from ..protocol.connection import Protocol as Core
    from .connection import DataLike, LoggerLike

__all__ = ["Keepalive", "KeepaliveHost"]

_pack_ping = struct.Struct("!I").pack


class KeepaliveHost(Protocol):
    """What :class:`Keepalive` uses of the connection it is mixed into."""

    loop: asyncio.AbstractEventLoop
    logger: LoggerLike
    _debug: bool
    latency: float
    ping_interval: float | None
    ping_timeout: float | None
    # Pings waiting for their pong: payload -> (waiter, time sent), in sending order.
    _pings: dict[bytes, tuple[asyncio.Future[float], float]]
    _keepalive_handle: asyncio.TimerHandle | None
    # One timer per keepalive ping waiting for its pong.
    _pong_timeouts: list[asyncio.TimerHandle]

    @property
    def protocol(self) -> Core: ...  # read-only here: the subclasses narrow its type

    def _send_data(self) -> None: ...
    async def _ensure_open(self) -> None: ...
    def _closed_exc(self) -> ConnectionClosed: ...
    def _keepalive(self) -> None: ...
    def _keepalive_timeout(self, waiter: asyncio.Future[float]) -> None: ...


class Keepalive:
    """Pings with their pong waiters, unsolicited pongs, keepalive timers (a mixin)."""

    __slots__ = ()

    if TYPE_CHECKING:
        # The slots the methods below assign, declared by the connection.
        latency: float
        _keepalive_handle: asyncio.TimerHandle | None

    async def ping(self: KeepaliveHost, data: DataLike | None = None) -> asyncio.Future[float]:
        """Send a ping; return an awaitable that resolves to the latency on its pong.

        A pong answers its own ping and every ping sent before it (RFC 6455 section
        5.5.3 lets a peer answer only the most recent one).

        Args:
            data: The payload (at most 125 bytes); four random bytes by default.

        Raises:
            ConnectionClosed: the connection is closed or closing.
            ConcurrencyError: a ping with the same payload is waiting for its pong.
        """
        if isinstance(data, str):
            data = data.encode()
        elif data is None:
            data = _pack_ping(random.getrandbits(32))
            while data in self._pings:
                data = _pack_ping(random.getrandbits(32))
        else:
            data = bytes(data)
        if data in self._pings:
            raise ConcurrencyError("already waiting for a pong with the same data")
        await self._ensure_open()
        waiter: asyncio.Future[float] = self.loop.create_future()
        self.protocol.send_ping(data)
        self._pings[data] = (waiter, self.loop.time())
        self._send_data()
        return waiter

    async def pong(self: KeepaliveHost, data: DataLike = b"") -> None:
        """Send an unsolicited pong (a unidirectional heartbeat, RFC 6455 section 5.5.3).

        Raises:
            ConnectionClosed: the connection is closed or closing.
        """
        await self._ensure_open()
        self.protocol.send_pong(data.encode() if isinstance(data, str) else bytes(data))
        self._send_data()

    def _acknowledge_pings(self: KeepaliveHost, data: bytes) -> None:
        """Resolve the ping that ``data`` answers and every ping sent before it."""
        if data not in self._pings:
            return
        now = self.loop.time()
        while self._pings:
            key = next(iter(self._pings))
            waiter, sent_at = self._pings.pop(key)
            if not waiter.done():
                waiter.set_result(now - sent_at)
            if key == data:
                self.latency = now - sent_at
                break

    def _abandon_pings(self: KeepaliveHost) -> None:
        """The connection is lost: fail every ping still waiting for its pong."""
        if self._pings:
            closed = self._closed_exc()
            for pong_waiter, _ in self._pings.values():
                if not pong_waiter.done():
                    pong_waiter.set_exception(closed)
                    pong_waiter.exception()  # retrieved: nobody may be awaiting a ping
            self._pings.clear()

    def _start_keepalive(self: KeepaliveHost) -> None:
        """Arm the first keepalive ping (called when the connection opens)."""
        if self.ping_interval is not None:
            self._keepalive_handle = self.loop.call_later(self.ping_interval, self._keepalive)

    def _keepalive(self: KeepaliveHost) -> None:
        """Send a keepalive ping, arm its timeout and the next ping (timer callback)."""
        self._keepalive_handle = None
        if self.protocol.state is not OPEN:
            return
        data = _pack_ping(random.getrandbits(32))
        while data in self._pings:
            data = _pack_ping(random.getrandbits(32))
        waiter: asyncio.Future[float] = self.loop.create_future()
        self.protocol.send_ping(data)
        self._pings[data] = (waiter, self.loop.time())
        if self._debug:
            self.logger.debug("> keepalive ping %s", data.hex())
        self._send_data()
        if self.ping_timeout is not None:
            self._pong_timeouts.append(
                self.loop.call_later(self.ping_timeout, self._keepalive_timeout, waiter)
            )
        if self.ping_interval is not None:
            self._keepalive_handle = self.loop.call_later(self.ping_interval, self._keepalive)

    def _keepalive_timeout(self: KeepaliveHost, waiter: asyncio.Future[float]) -> None:
        """No pong within ``ping_timeout``: fail the connection with 1011 (timer)."""
        # The list only serves to cancel pending timers on connection_lost: any entry can
        # go, as each callback checks its own waiter.
        self._pong_timeouts.pop()
        if waiter.done() or self.protocol.state is not OPEN:
            return
        self.logger.info("keepalive ping timeout; failing the connection with 1011")
        self.protocol.fail(CloseCode.INTERNAL_ERROR, "keepalive ping timeout")
        self._send_data()
