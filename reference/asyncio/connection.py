"""The asyncio connection: one :class:`asyncio.Protocol` driving one sans-I/O core.

Bytes from the transport go straight into the core (``receive_data``); the events that
come out are assembled into messages in a bounded queue that :meth:`Connection.recv`
reads; whatever the core wants to send goes to the transport in one ``write`` per batch.
No task is created per frame or per message: the hot path is a few method calls.

Bounds: ``max_size`` (in the core) bounds one message, ``max_queue`` the number of
messages waiting for :meth:`~Connection.recv` (reading from the socket pauses above it),
``write_limit`` the transport's write buffer (:meth:`~Connection.send` waits for it to
drain), ``close_timeout`` the closing handshake and ``ping_timeout`` the keepalive pongs.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import typing
from types import TracebackType
from typing import Any, Final, TypeAlias

from ..protocol.connection import CLOSED, CONNECTING, OPEN, Protocol, State
from ..protocol.exceptions import (
    ConcurrencyError,
    ConnectionClosed,
    ConnectionClosedOK,
    InvalidState,
)
from ..protocol.frames import BINARY, CONT, PONG, TEXT, Frame
from ..protocol.http import Request, Response
from .keepalive import Keepalive
from .sending import Sending

__all__ = [
    "FAILURE_GRACE",
    "Connection",
    "Data",
    "DataLike",
    "LoggerLike",
    "MaxQueue",
    "WriteLimit",
]

#: Seconds the front end gives its application to read the messages that arrived before
#: bad input (see :meth:`~wsconform.reference.protocol.connection.Protocol.fail_pending`)
#: before it fails the connection anyway; it fails at once when the application has
#: read them all. The protocol core has no clock: waiting is the front end's part.
FAILURE_GRACE: Final = 0.5

#: A message: ``str`` for a text message, ``bytes`` for a binary one.
Data: TypeAlias = str | bytes
#: What ``send`` accepts for a message or a fragment: ``str`` or a bytes-like object.
DataLike: TypeAlias = str | bytes | bytearray | memoryview
#: A logger or a logger adapter.
LoggerLike: TypeAlias = "logging.Logger | logging.LoggerAdapter[Any]"
#: ``max_queue``: a high-water mark, a ``(high, low)`` pair, or ``None`` for no bound.
MaxQueue: TypeAlias = "int | tuple[int, int | None] | None"
#: ``write_limit``: a high-water mark or a ``(high, low)`` pair, in bytes.
WriteLimit: TypeAlias = "int | tuple[int, int | None]"


class Connection(Sending, Keepalive, asyncio.Protocol):
    """A WebSocket connection, common to the server and the client side.

    Do not create it directly: :func:`~wsconform.reference.serve` hands one to each
    handler and :func:`~wsconform.reference.connect` returns one. ``send`` comes from
    the :class:`~.sending.Sending` mixin, ``ping`` and ``pong`` from
    :class:`~.keepalive.Keepalive`; this class declares the slots of both.

    Args:
        protocol: The sans-I/O core this connection drives.
        ping_interval: Seconds between keepalive pings; ``None`` disables them.
        ping_timeout: Seconds to wait for a keepalive pong before failing the
            connection with 1011; ``None`` waits forever.
        close_timeout: Seconds to wait for the closing handshake, then again for the
            TCP connection to close, before aborting it; ``None`` waits forever.
        max_queue: High-water mark of the queue of received messages (reading from the
            socket pauses above it, resumes at the low-water mark, a quarter by default).
        write_limit: High-water mark of the write buffer in bytes (``send`` waits for
            the buffer to drain below the low-water mark, a quarter by default).
    """

    # Slots: a server holds thousands of idle connections (subclasses get a __dict__).
    __slots__ = (
        "__weakref__",
        "_close_handle",
        "_debug",
        "_drain_waiters",
        "_eof",
        "_fail_handle",
        "_flush_handle",
        "_flush_threshold",
        "_fragmented_send",
        "_fragments",
        "_fragments_text",
        "_handshake_waiter",
        "_keepalive_handle",
        "_lingering",
        "_lost_exc",
        "_lost_waiter",
        "_message_taken",
        "_messages",
        "_outgoing",
        "_outgoing_size",
        "_peer_eof",
        "_pings",
        "_pong_timeouts",
        "_queue_high",
        "_queue_low",
        "_reading_paused",
        "_recv_waiter",
        "_writing_paused",
        "close_timeout",
        "latency",
        "logger",
        "loop",
        "ping_interval",
        "ping_timeout",
        "protocol",
        "request",
        "response",
        "transport",
        "write_limit",
    )

    def __init__(
        self,
        protocol: Protocol,
        *,
        ping_interval: float | None = 20,
        ping_timeout: float | None = 20,
        close_timeout: float | None = 10,
        max_queue: MaxQueue = 16,
        write_limit: WriteLimit = 2**15,
    ) -> None:
        self.protocol = protocol
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.close_timeout = close_timeout
        if isinstance(max_queue, int):
            max_queue = (max_queue, None)
        if max_queue is None:
            self._queue_high: int | None = None
            self._queue_low = 0
        else:
            high, low = max_queue
            self._queue_high = high
            self._queue_low = high // 4 if low is None else low
        if isinstance(write_limit, int):
            write_limit = (write_limit, None)
        self.write_limit = write_limit
        self.logger: LoggerLike = protocol.logger
        self._debug = self.logger.isEnabledFor(logging.DEBUG)
        self.loop = asyncio.get_running_loop()

        #: The opening handshake's request, set once it is sent or received.
        self.request: Request | None = None
        #: The opening handshake's response, set once it is sent or received.
        self.response: Response | None = None
        #: Seconds between the last ping and its pong (0 until one is answered).
        self.latency: float = 0.0

        self.transport: asyncio.Transport
        # Set when the handshake's Request / Response event arrives or the TCP
        # connection is lost before it.
        self._handshake_waiter: asyncio.Future[None] = self.loop.create_future()
        # Set when the TCP connection is lost.
        self._lost_waiter: asyncio.Future[None] = self.loop.create_future()
        # The exception the transport reported when the connection was lost, chained to
        # the ConnectionClosed exceptions raised afterwards.
        self._lost_exc: BaseException | None = None

        # Incoming messages: (is_text, payload) pairs; fragments of the current one.
        self._messages: collections.deque[tuple[bool, bytes]] = collections.deque()
        self._fragments: bytearray | bytes | None = None
        self._fragments_text = False
        self._recv_waiter: asyncio.Future[None] | None = None
        # The application took a message and has not asked for the next one yet: it may
        # still answer it, so bad input that follows waits for that (data_received).
        self._message_taken = False
        # No more messages will arrive: the TCP connection is closed.
        self._eof = False
        # The peer closed its side of TCP (eof_received).
        self._peer_eof = False
        # Our side is shut down (write_eof): reading on until the peer's EOF or the
        # close timeout, so that the peer's last writes do not reset the connection.
        self._lingering = False
        self._reading_paused = False

        # Outgoing bytes not written yet (see _send_data) and their size.
        self._outgoing: list[bytes] = []
        self._outgoing_size = 0
        self._flush_handle: asyncio.Handle | None = None
        self._flush_threshold = write_limit[0] or 1
        # Outgoing messages (the Sending mixin).
        self._writing_paused = False
        self._drain_waiters: list[asyncio.Future[None]] = []
        self._fragmented_send: asyncio.Future[None] | None = None

        # The Keepalive mixin's: pings waiting for their pong, payload -> (waiter, time
        # sent), in sending order.
        self._pings: dict[bytes, tuple[asyncio.Future[float], float]] = {}
        self._keepalive_handle: asyncio.TimerHandle | None = None
        # One timer per keepalive ping waiting for its pong (more than one only when
        # ping_timeout > ping_interval).
        self._pong_timeouts: list[asyncio.TimerHandle] = []
        self._close_handle: asyncio.TimerHandle | None = None
        # Bad input received after messages the application has not read yet: the
        # connection fails once it has read them (and maybe answered), or after
        # FAILURE_GRACE seconds (see Protocol.fail_pending).
        protocol.defer_failure = True
        self._fail_handle: asyncio.TimerHandle | None = None

    # --- public attributes ---------------------------------------------------------

    @property
    def id(self) -> Any:
        """A unique identifier of the connection (a :class:`uuid.UUID`), for logs."""
        return self.protocol.id

    @property
    def state(self) -> State:
        """CONNECTING, OPEN, CLOSING or CLOSED (:class:`~wsconform.reference.State`)."""
        return self.protocol.state

    @property
    def local_address(self) -> Any:
        """The local socket address: ``(host, port)`` for IPv4, a path for Unix."""
        return self.transport.get_extra_info("sockname")

    @property
    def remote_address(self) -> Any:
        """The peer's socket address: ``(host, port)`` for IPv4, a path for Unix."""
        return self.transport.get_extra_info("peername")

    @property
    def subprotocol(self) -> str | None:
        """The negotiated subprotocol, ``None`` if there is none."""
        subprotocol: str | None = getattr(self.protocol, "subprotocol", None)
        return subprotocol

    @property
    def request_headers(self) -> Any:
        """The request's headers (shortcut for ``request.headers``).

        Raises:
            InvalidState: the opening handshake has not started yet.
        """
        if self.request is None:
            raise InvalidState("no request yet")
        return self.request.headers

    @property
    def response_headers(self) -> Any:
        """The response's headers (shortcut for ``response.headers``).

        Raises:
            InvalidState: the opening handshake is not finished yet.
        """
        if self.response is None:
            raise InvalidState("no response yet")
        return self.response.headers

    @property
    def close_code(self) -> int | None:
        """The close code received, 1005 for an empty close frame, 1006 for none.

        ``None`` while the connection is not closed.
        """
        if self.protocol.state is not CLOSED:
            return None
        return self.protocol.close_code

    @property
    def close_reason(self) -> str | None:
        """The close reason received; ``None`` while the connection is not closed."""
        if self.protocol.state is not CLOSED:
            return None
        return self.protocol.close_reason

    # --- receiving -----------------------------------------------------------------

    async def recv(self, timeout: float | None = None, decode: bool | None = None) -> Data:
        """Return the next message: ``str`` for text, ``bytes`` for binary.

        Cancelling ``recv`` (for example with :func:`asyncio.wait_for`) loses nothing:
        the next call returns the message that had not been returned yet.

        Args:
            timeout: Seconds to wait; ``None`` waits until a message or the close.
            decode: ``False`` returns text messages as UTF-8 ``bytes``; ``True``
                decodes binary messages as UTF-8 ``str``; ``None`` does neither.

        Raises:
            ConnectionClosedOK: the connection closed normally (1000 / 1001).
            ConnectionClosedError: it closed another way (1006 when TCP was lost).
            ConcurrencyError: another coroutine is already waiting in ``recv``.
            TimeoutError: ``timeout`` expired; the connection stays usable.
            UnicodeDecodeError: ``decode=True`` and a binary message is not UTF-8.
        """
        if self._recv_waiter is not None:
            raise ConcurrencyError(
                "cannot call recv while another coroutine is already waiting for the next message"
            )
        if not self._messages:
            self._message_taken = False
            if self.protocol.failure_pending is not None:
                self._fail_now()
            if self._eof:
                raise self._closed_exc()
            waiter = self._recv_waiter = self.loop.create_future()
            try:
                if timeout is None:
                    await waiter
                else:
                    async with asyncio.timeout(timeout):
                        await waiter
            finally:
                self._recv_waiter = None
            if not self._messages:
                raise self._closed_exc()
        # The message leaves the queue only here, after the last await: a cancelled
        # recv leaves it for the next call.
        return self._pop_message(decode)

    def _pop_message(self, decode: bool | None = None) -> Data:
        """Take the next message out of the queue (it must not be empty)."""
        text, data = self._messages.popleft()
        self._message_taken = True
        if self._reading_paused and len(self._messages) <= self._queue_low:
            self._reading_paused = False
            self.transport.resume_reading()
        if text:
            return data if decode is False else data.decode()
        return data.decode() if decode else data

    def __aiter__(self) -> Connection:
        return self

    async def __anext__(self) -> Data:
        """Iterate on messages; the iteration ends quietly on a normal close.

        Raises:
            ConnectionClosedError: the connection closed with an error or was lost.
            ConcurrencyError: another coroutine is already waiting in ``recv``.
        """
        if self._messages and self._recv_waiter is None:
            return self._pop_message()  # fast path: no coroutine for recv
        try:
            return await self.recv()
        except ConnectionClosedOK:
            raise StopAsyncIteration from None

    # --- closing -------------------------------------------------------------------

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Perform the closing handshake and wait until the TCP connection is closed.

        Closing a closed connection does nothing. The wait is bounded by twice
        ``close_timeout``: the closing handshake, then the TCP close, then abort.

        Raises:
            ProtocolError: ``code`` may not be sent on the wire.
        """
        if self.protocol.failure_pending is not None:
            self._fail_now()
        if self.protocol.state is OPEN:
            if self._debug:
                self.logger.debug("= closing with %d %s", code, reason)
            self.protocol.send_close(code, reason)
            self._send_data()
        elif self.protocol.state is CONNECTING:
            # The handshake never finished: there is no closing handshake to perform.
            self._close_transport()
        elif self.protocol.state is not CLOSED and not self._lost_waiter.done():
            self._arm_close_timer()  # CLOSING: the timer is normally armed already
        await asyncio.shield(self._lost_waiter)

    async def wait_closed(self) -> None:
        """Wait until the TCP connection is closed (it does not start the closing)."""
        await asyncio.shield(self._lost_waiter)

    async def __aenter__(self) -> Connection:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # Closing normally also on error: the error is the application's, not the
        # peer's, and the exception goes on propagating.
        await self.close()

    def _check_open(self) -> None:
        """Raise the closing exception unless the connection is OPEN.

        Raises:
            ConnectionClosed: the connection is closing or closed.
        """
        if self.protocol.state is not OPEN:
            raise self._closed_exc()

    async def _ensure_open(self) -> None:
        """Return if the connection is OPEN, else raise once it is closed.

        Waiting for the TCP close (bounded by ``close_timeout``) makes the exception
        tell how the connection ended: during a closing handshake the peer's close
        frame is not known yet.

        Raises:
            ConnectionClosed: the connection is closing or closed.
        """
        if self.protocol.state is not OPEN:
            await asyncio.shield(self._lost_waiter)
            raise self._closed_exc()

    def _closed_exc(self) -> ConnectionClosed:
        """The exception to raise now that the connection is (being) closed, chained."""
        exc = self.protocol.close_exc
        cause = self._lost_exc
        if cause is None:
            cause = getattr(self.protocol, "parser_exc", None)
        if cause is None and self._lost_waiter.done() and self.protocol.close_rcvd is None:
            cause = EOFError("the TCP connection closed without a close frame")
        exc.__cause__ = cause
        return exc

    def _arm_close_timer(self) -> None:
        """Bound the closing: close TCP after ``close_timeout``, abort after another."""
        if self._close_handle is None and self.close_timeout is not None:
            self._close_handle = self.loop.call_later(self.close_timeout, self._close_expired)

    def _close_expired(self) -> None:
        self._close_handle = None
        if self._lost_waiter.done():
            return
        if not self.transport.is_closing():
            if self._debug:
                self.logger.debug("! timed out waiting for the closing handshake")
            self._flush()
            self.transport.close()
            self._arm_close_timer()
        else:
            if self._debug:
                self.logger.debug("! timed out waiting for TCP close; aborting")
            self.transport.abort()

    def _close_transport(self, linger: bool = False) -> None:
        """Close TCP after the buffered data is written, abort after ``close_timeout``.

        With ``linger`` (the core is done and discards its input), only our side is
        shut down and reading goes on until the peer's EOF, the clean closure of RFC
        6455 section 7.1.1: "call shutdown() with SHUT_WR on the socket, call recv()
        until obtaining a return value of 0 indicating that the peer has also performed
        an orderly shutdown, and finally call close() on the socket". Closing at once
        makes the kernel answer whatever the peer still writes (the rest of a frame
        written one octet at a time, Autobahn's cases 4.1.5 and 4.2.5) with a reset,
        and a peer whose next write fails on it may drop the echo and the close frame
        it had not read yet. The close timeout bounds the wait: then TCP is closed, and
        aborted after another ``close_timeout``. A transport that cannot half-close
        (TLS) is closed at once.
        """
        if self._lingering:
            return  # the close timer is armed; input is discarded until EOF
        self._flush()
        transport = self.transport
        if not transport.is_closing():
            if linger and not self._peer_eof and transport.can_write_eof():
                if self._debug:
                    self.logger.debug("x half-closing TCP connection")
                self._lingering = True
                transport.write_eof()
                if self._reading_paused:
                    # Nothing is queued any more (the core discards): read to the EOF.
                    self._reading_paused = False
                    transport.resume_reading()
            else:
                if self._debug:
                    self.logger.debug("x closing TCP connection")
                transport.close()
        if self._close_handle is not None:
            self._close_handle.cancel()
            self._close_handle = None
        if self.close_timeout is not None and not self._lost_waiter.done():
            self._close_handle = self.loop.call_later(self.close_timeout, self._close_expired)

    # --- driving the core ----------------------------------------------------------

    def _send_data(self) -> None:
        """Queue what the core wants to send; close TCP or arm the close timer if told.

        The bytes are written at the end of the current event loop iteration, together
        with whatever else is sent meanwhile: a handler that answers a burst of
        messages makes one system call, not one per message. Above the write buffer's
        high-water mark they are written at once, so that ``send`` sees the transport
        pause and waits for the drain.
        """
        protocol = self.protocol
        data = protocol.data_to_send()
        if data and not self._eof:
            self._outgoing += data
            size = self._outgoing_size = self._outgoing_size + (
                len(data[0]) if len(data) == 1 else sum(map(len, data))
            )
            if size >= self._flush_threshold:
                self._flush()
            elif self._flush_handle is None:
                self._flush_handle = self.loop.call_soon(self._flush)
        if protocol.state is not OPEN:
            if protocol.transport_should_close():
                self._close_transport(linger=True)
            elif protocol.close_expected():
                self._arm_close_timer()

    def _flush(self) -> None:
        """Write the queued bytes to the transport in one call."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        outgoing = self._outgoing
        if outgoing:
            self._outgoing = []
            self._outgoing_size = 0
            if self.transport.is_closing() or self._lingering:
                return
            if len(outgoing) == 1:
                self.transport.write(outgoing[0])
            else:
                self.transport.writelines(outgoing)

    def _process_events(self) -> None:
        """Turn the core's events into queued messages, pong acknowledgments, EOF."""
        for event in self.protocol.events_received():
            if isinstance(event, Frame):
                opcode = event.opcode
                if opcode is TEXT or opcode is BINARY:
                    if event.fin:
                        self._messages.append((opcode is TEXT, event.data))
                        self._message_queued()
                    else:
                        self._fragments = event.data
                        self._fragments_text = opcode is TEXT
                elif opcode is CONT:
                    fragments = self._fragments
                    if type(fragments) is bytes:
                        fragments = self._fragments = bytearray(fragments)
                    assert isinstance(fragments, bytearray), "CONT without a first frame"
                    fragments += event.data
                    if event.fin:
                        self._messages.append((self._fragments_text, bytes(fragments)))
                        self._fragments = None
                        self._message_queued()
                elif opcode is PONG:
                    self._acknowledge_pings(event.data)
                # CLOSE: the core answered it; recv raises once TCP is closed too, so
                # that close_code is known by then (connection_lost).
                # PING: the core already queued the pong with the same payload.
            else:
                self._handshake_event(event)

    def _message_queued(self) -> None:
        waiter = self._recv_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        if (
            self._queue_high is not None
            and not self._reading_paused
            and len(self._messages) >= self._queue_high
        ):
            self._reading_paused = True
            self.transport.pause_reading()

    def _set_eof(self) -> None:
        self._eof = True
        waiter = self._recv_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _handshake_event(self, event: Request | Response) -> None:
        """Record the handshake's request or response (the subclasses add to it)."""
        if isinstance(event, Request):
            self.request = event
        else:
            self.response = event
        if not self._handshake_waiter.done():
            self._handshake_waiter.set_result(None)

    def _connection_open(self) -> None:
        """The opening handshake succeeded: start the keepalive."""
        if self.protocol.state is OPEN:
            self._start_keepalive()

    # --- asyncio.Protocol ----------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport; uvloop's are not subclasses of asyncio.Transport.
        transport = typing.cast(asyncio.Transport, transport)
        self.transport = transport
        high, low = self.write_limit
        transport.set_write_buffer_limits(high, low)

    def data_received(self, data: bytes) -> None:
        self.protocol.receive_data(data)
        self._process_events()
        if self.protocol.failure_pending is not None:
            # Fail at once only when no message awaits an answer: none unread, and the
            # application is not still handling the last one it took (one-byte writes
            # can bring the bad frame while an echo handler is between recv and send).
            if not self._messages and not self._message_taken:
                self.protocol.fail_pending()
            elif self._fail_handle is None:
                self._fail_handle = self.loop.call_later(FAILURE_GRACE, self._fail_now)
        self._send_data()

    def _fail_now(self) -> None:
        """Fail the connection for the bad input held back (see data_received)."""
        if self._fail_handle is not None:
            self._fail_handle.cancel()
            self._fail_handle = None
        self.protocol.fail_pending()
        self._send_data()

    def eof_received(self) -> None:
        self._peer_eof = True
        self.protocol.receive_eof()
        self._process_events()
        self._send_data()
        # Returning None lets the transport close itself.

    def connection_lost(self, exc: Exception | None) -> None:
        # Idempotent: after eof_received it does nothing; after a reset it moves the core
        # to CLOSED (and logs it).
        self.protocol.receive_eof()
        self._process_events()
        self._lost_exc = exc
        for handle in (
            self._keepalive_handle,
            self._close_handle,
            self._flush_handle,
            self._fail_handle,
            *self._pong_timeouts,
        ):
            if handle is not None:
                handle.cancel()
        self._keepalive_handle = self._close_handle = self._flush_handle = None
        self._fail_handle = None
        self._outgoing.clear()
        self._pong_timeouts.clear()
        self._set_eof()
        if not self._handshake_waiter.done():
            self._handshake_waiter.set_result(None)
        for waiter in self._drain_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._drain_waiters.clear()
        self._abandon_pings()
        if not self._lost_waiter.done():
            self._lost_waiter.set_result(None)

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        for waiter in self._drain_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._drain_waiters.clear()
