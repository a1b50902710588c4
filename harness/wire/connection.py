"""The tester's connection on asyncio: a thin :class:`asyncio.Protocol` around
:class:`~.protocol.TesterProtocol`.

The tester's rules (handshake in both roles, reader checks, library timers, close
rules, write modes) live in the sans-I/O :class:`~.protocol.TesterProtocol`; this
adapter only moves bytes and time, as the reference's asyncio front end does for its
core (``reference/asyncio/connection.py``):

* bytes read go to :meth:`~.protocol.TesterProtocol.receive_data`; while the reader has
  a backlog (:attr:`~.protocol.TesterProtocol.backlog_pending`) reading is paused and
  the next batch runs at the next turn of the loop, so the case's timers fire on time
  whatever the peer sends;
* after every call into the protocol, its writes are performed in their mode
  (:mod:`.writes`): each write handed out is one ``transport.write``; after a sync,
  chopped or queued one the loop runs once (``call_soon``) before the next turn;
  bursts issued in one callback are handed out joined at the end of it;
* one loop timer handle sits on the protocol's earliest deadline (library timers and the
  case's delayed steps), and fires them with the loop's clock;
* once the protocol dropped TCP, the transport is closed or aborted as it says; when the
  transport reports the connection lost, so does the protocol.

In the client role :func:`~.client.connect` attaches it to a dialled transport; in the
server role :func:`~.server.serve` hands it the transport and the parsed upgrade request
(:meth:`TesterConnection.accept`).
"""

from __future__ import annotations

import asyncio
import socket
import typing

from wsconform.harness.record.observation import Observation
from wsconform.reference.protocol.extensions.permessage_deflate import PerMessageDeflate
from wsconform.reference.protocol.http import Request
from wsconform.reference.protocol.uri import WebSocketURI

from .handshake import RequestSettings, ServerSettings
from .protocol import (
    ABORT,
    ALLOWED_CLOSE_CODES,
    CLIENT,
    CLOSE_HANDSHAKE,
    CLOSED,
    CLOSING,
    CONNECTING,
    DEFAULT_MAX_MESSAGE_SIZE,
    OPEN,
    OPEN_HANDSHAKE,
    PONG_BACKLOG,
    SERVER,
    SERVER_DROP,
    ConnectionEvents,
    Role,
    State,
    TesterProtocol,
    Timer,
    WireTimeouts,
    close_code_valid,
)

__all__ = [
    "ALLOWED_CLOSE_CODES",
    "CLIENT",
    "CLOSED",
    "CLOSE_HANDSHAKE",
    "CLOSING",
    "CONNECTING",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "OPEN",
    "OPEN_HANDSHAKE",
    "PONG_BACKLOG",
    "SERVER",
    "SERVER_DROP",
    "ConnectionEvents",
    "Role",
    "State",
    "TesterConnection",
    "Timer",
    "WireTimeouts",
    "close_code_valid",
]


class TesterConnection(asyncio.Protocol):
    """One tester connection on asyncio (see the module docstring); the arguments are
    :class:`~.protocol.TesterProtocol`'s, on the running loop's clock.

    Raises:
        ValueError: a client-role connection without ``uri``.
    """

    def __init__(
        self,
        uri: WebSocketURI | None,
        obs: Observation,
        events: ConnectionEvents,
        *,
        settings: RequestSettings | None = None,
        timeouts: WireTimeouts | None = None,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        role: Role = CLIENT,
        accept: ServerSettings | None = None,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.protocol = TesterProtocol(
            uri, obs, events, clock=self.loop.time, settings=settings, timeouts=timeouts,
            max_message_size=max_message_size, role=role, accept=accept,
        )  # fmt: skip
        self.transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._turn_scheduled = False
        self._continue_scheduled = False
        self._paused = False
        self._closed = False

    # --- what the callers see of the protocol ---------------------------------------------

    @property
    def obs(self) -> Observation:
        """The tester's record."""
        return self.protocol.obs

    @property
    def events(self) -> ConnectionEvents:
        """Where the protocol's events go."""
        return self.protocol.events

    @property
    def state(self) -> State:
        """The connection state (RFC 6455 sections 4 and 7)."""
        return self.protocol.state

    @property
    def role(self) -> Role:
        """The tester's role."""
        return self.protocol.role

    @property
    def deflate(self) -> PerMessageDeflate | None:
        """The negotiated permessage-deflate codec, once OPEN."""
        return self.protocol.deflate

    def send_message(self, payload: bytes, *, binary: bool, fragment_size: int = 0) -> None:
        """:meth:`~.protocol.TesterProtocol.send_message`, then write."""
        self.protocol.send_message(payload, binary=binary, fragment_size=fragment_size)
        self._pump()

    def send_close(
        self, code: int | None = None, reason: bytes | None = None, *, is_reply: bool = False
    ) -> None:
        """:meth:`~.protocol.TesterProtocol.send_close`, then write."""
        self.protocol.send_close(code, reason, is_reply=is_reply)
        self._pump()

    def drop(self, *, abort: bool) -> None:
        """:meth:`~.protocol.TesterProtocol.drop`: close TCP now (abortive or orderly)."""
        self.protocol.drop(abort=abort)
        self._pump()

    def accept(self, request: Request, head: bytes, leftover: bytes = b"") -> None:
        """Server role: answer the parsed upgrade request
        (:meth:`~.protocol.TesterProtocol.accept`)."""
        self.protocol.accept(request, head, leftover)
        self._pump()

    # --- asyncio.Protocol ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport; uvloop's are not subclasses of asyncio.Transport.
        transport = typing.cast(asyncio.Transport, transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # Autobahn's tcpNoDelay default: chopped writes must leave as they are cut.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.protocol.connection_made()
        self._pump()

    def data_received(self, data: bytes) -> None:
        if self.transport is not None:
            self.protocol.transport_backlog = self.transport.get_write_buffer_size()
        self.protocol.receive_data(data)
        self._pump()

    def eof_received(self) -> bool | None:
        # A half-close from the peer ends the connection, as in Autobahn.
        self.protocol.receive_eof()
        self._pump()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self.protocol.connection_lost()
        self._pump()

    # --- the adapter's work -------------------------------------------------------------

    def _pump(self) -> None:
        """Do what the protocol asks after a call: write, close, pause, arm the timer."""
        protocol = self.protocol
        transport = self.transport
        writes = protocol.data_to_send()
        if transport is None:
            return
        for write in writes:
            # A transport that lost its socket already would only log each write.
            if not transport.is_closing():
                transport.write(write.data)
        if protocol.turn_awaited and not self._turn_scheduled:
            # Re-enter the event loop (which polls the sockets) before the next queued
            # write, so that each write leaves as its own TCP segment.
            self._turn_scheduled = True
            self.loop.call_soon(self._turn)
        if protocol.close_transport is not None and not self._closed:
            self._closed = True
            if protocol.close_transport is ABORT:
                transport.abort()
            else:
                transport.close()
        if protocol.backlog_pending:
            if not self._paused and not self._closed:
                self._paused = True
                transport.pause_reading()
            if not self._continue_scheduled:
                self._continue_scheduled = True
                self.loop.call_soon(self._continue)
        elif self._paused and not self._closed:
            self._paused = False
            transport.resume_reading()
        self._rearm()

    def _turn(self) -> None:
        self._turn_scheduled = False
        self.protocol.next_turn()
        self._pump()

    def _continue(self) -> None:
        """The next batch of the reader's backlog; reading resumes once it is gone."""
        self._continue_scheduled = False
        if self.transport is not None:
            self.protocol.transport_backlog = self.transport.get_write_buffer_size()
        self.protocol.read_backlog()
        self._pump()

    def _rearm(self) -> None:
        """One timer handle, on the protocol's earliest deadline."""
        when = self.protocol.next_deadline
        if when == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = when
        if when is not None:
            self._timer = self.loop.call_at(when, self._fire, when)

    def _fire(self, when: float) -> None:
        self._timer = None
        self._timer_at = None
        # The loop runs a timer up to its clock resolution early: it is due all the same.
        self.protocol.deadlines_passed(max(self.loop.time(), when))
        self._pump()
