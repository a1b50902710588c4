"""A WebSocket connection driven by threads: the blocking twin of the asyncio connection.

Threads and locks, and why:

* one **reader thread** per connection reads the socket, feeds the sans-I/O core and
  dispatches what comes out: messages to :class:`Assembler`, pongs to the ping waiters,
  the HTTP request or response of the opening handshake to the handshake waiter;
* ``_protocol_lock`` guards the core; it is held for microseconds, never across I/O, so
  the reader never waits for a slow writer to feed the core;
* ``_write_lock`` serialises writes to the socket. Bytes to write are moved from the core
  to ``_outgoing`` under ``_protocol_lock``; whoever holds ``_write_lock`` writes
  everything pending, and every thread re-checks after releasing it, so nothing is left
  behind (:meth:`Connection._flush`). The reader only *tries* to take it: when an
  application thread is busy writing a large message, the automatic pong is written by
  that thread right after, instead of the reader blocking on the lock;
* ``_send_lock`` keeps the fragments of one message together: another message cannot
  start in the middle (RFC 6455 section 5.4: "the fragments of one message MUST NOT be
  interleaved between the fragments of another message"); control frames may.

Over TLS the socket is a :class:`~.tls.TLSSocket`: an ``ssl.SSLSocket`` must not be read
by the reader thread while another thread writes to it.

Every wait the connection itself performs is bounded: the opening handshake by
``open_timeout``, the closing handshake by ``close_timeout``; ``recv`` and the pong
waiters take a ``timeout``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import struct
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any, Final, NoReturn

from ..protocol.connection import OPEN, Protocol, State
from ..protocol.exceptions import (
    ConcurrencyError,
    ConnectionClosed,
    ConnectionClosedOK,
    InvalidState,
)
from ..protocol.frames import BINARY, CONT, PONG, TEXT, Frame
from ..protocol.http import Request, Response
from .messages import Assembler
from .tls import TLSSocket

__all__ = ["FAILURE_GRACE", "Connection", "Data", "PongWaiter"]

#: Seconds the front end gives its application to read the messages that arrived before
#: bad input (see :meth:`~wsconform.reference.protocol.connection.Protocol.fail_pending`)
#: before it fails the connection anyway; it fails at once when the application has
#: read them all. The protocol core has no clock: waiting is the front end's part.
FAILURE_GRACE: Final = 0.5
#: Seconds the reader waits, after a request, for the server's answer to go out (the
#: handler's hooks run meanwhile) before it reads on as if it had.
RESPONSE_WAIT: Final = 10.0

#: A message: ``str`` is sent as text, bytes-like as binary.
Data = str | bytes | bytearray | memoryview

LOGGER = logging.getLogger("wsconform.reference")


class PongWaiter:
    """What :meth:`Connection.ping` returns: wait on it for the matching pong.

    It behaves like a :class:`threading.Event` (``wait``, ``is_set``) with one
    difference: when the connection closes before the pong arrives, :meth:`wait` raises
    the connection's :class:`ConnectionClosed` rather than waiting in vain.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.sent_at = time.monotonic()
        #: Round-trip time in seconds, once the pong has arrived.
        self.latency: float | None = None
        self._event = threading.Event()
        self._exc: ConnectionClosed | None = None

    def is_set(self) -> bool:
        """Whether the pong arrived."""
        return self.latency is not None

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the pong; return ``True`` if it arrived, ``False`` after ``timeout``.

        Raises:
            ConnectionClosed: the connection closed before the pong arrived.
        """
        self._event.wait(timeout)
        if self.latency is not None:
            return True
        if self._exc is not None:
            raise self._exc
        return False

    def _pong(self, now: float) -> None:
        self.latency = now - self.sent_at
        self._event.set()

    def _abandon(self, exc: ConnectionClosed) -> None:
        if self.latency is None:
            self._exc = exc
        self._event.set()


class Connection:
    """The part of a WebSocket connection common to client and server.

    The method names match the asyncio connection's: ``recv``, ``send``, ``ping``,
    ``pong``, ``close``, iteration. Build it with :func:`connect` or let :func:`serve`
    build it; the constructor starts the reader thread at once.
    """

    #: Bytes asked of the socket per read.
    recv_bufsize = 65536

    def __init__(
        self,
        socket: socket.socket | TLSSocket,
        protocol: Protocol,
        *,
        ping_interval: float | None = 20,
        ping_timeout: float | None = 20,
        close_timeout: float | None = 10,
        max_queue: int | None = 16,
        logger: logging.Logger | logging.LoggerAdapter[Any] | None = None,
    ) -> None:
        self.socket = socket
        self.protocol = protocol
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.close_timeout = close_timeout
        self.logger: logging.Logger | logging.LoggerAdapter[Any] = logger or LOGGER

        #: The opening handshake's request (server side: received; client: sent).
        self.request: Request | None = None
        #: The opening handshake's response (server side: sent; client: received).
        self.response: Response | None = None
        #: Round-trip time of the latest ping answered, in seconds; 0 before any.
        self.latency = 0.0

        # Addresses are read now: getpeername() fails once the socket is closed.
        self._local_address: Any = _address(socket.getsockname)
        self._remote_address: Any = _address(socket.getpeername)

        self._protocol_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._outgoing: list[bytes] = []
        self._messages = Assembler(max_queue)
        self._pong_waiters: dict[bytes, PongWaiter] = {}
        # The cause when the socket failed (chained to the ConnectionClosed raised).
        self._recv_exc: BaseException | None = None
        # The handshake waiter: set when the Request / Response arrives or on EOF.
        self._handshake_event = threading.Event()
        # Set when the reader thread is done and the socket closed.
        self._closed_event = threading.Event()
        self._closing = False
        self._close_deadline: float | None = None
        self._shut_down_write = False
        # Bad input after messages the application has not read: the reader fails the
        # connection once recv() finds the queue empty (set here), or after
        # FAILURE_GRACE seconds (see Protocol.fail_pending).
        protocol.defer_failure = True
        self._reads_done = threading.Event()
        # Set once the server's answer to the request is sent (never in the client role).
        self._response_sent = threading.Event()

        self._reader = threading.Thread(
            target=self._run_reader, name=f"wsconform-reader-{self.id}", daemon=True
        )
        self._reader.start()

    # --- properties ------------------------------------------------------------------

    @property
    def id(self) -> uuid.UUID:
        """A unique identifier of the connection, also used in the logs."""
        return self.protocol.id

    @property
    def local_address(self) -> Any:
        """The local address, as ``socket.getsockname()`` gave it."""
        return self._local_address

    @property
    def remote_address(self) -> Any:
        """The peer's address, as ``socket.getpeername()`` gave it."""
        return self._remote_address

    @property
    def state(self) -> State:
        """CONNECTING, OPEN, CLOSING or CLOSED, from the protocol core."""
        return self.protocol.state

    @property
    def subprotocol(self) -> str | None:
        """The negotiated subprotocol, ``None`` when there is none."""
        return getattr(self.protocol, "subprotocol", None)

    @property
    def close_code(self) -> int | None:
        """The close code received (1005 empty, 1006 none); ``None`` while open."""
        return self.protocol.close_code

    @property
    def close_reason(self) -> str | None:
        """The close reason received; ``None`` while open."""
        return self.protocol.close_reason

    def __enter__(self) -> Connection:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # The connection is closed on exit, also on error (1011 then).
        self.close(1000 if exc_type is None else 1011)

    def __iter__(self) -> Iterator[str | bytes]:
        """Yield messages until the peer closes; a normal close ends quietly.

        Raises:
            ConnectionClosedError: the connection closed abnormally or with an error.
        """
        try:
            while True:
                yield self.recv()
        except ConnectionClosedOK:
            return

    # --- receiving -------------------------------------------------------------------

    def recv(self, timeout: float | None = None, decode: bool | None = None) -> str | bytes:
        """Return the next message: ``str`` for a text message, ``bytes`` for binary.

        After a timeout the connection stays usable. ``decode`` overrides the
        type: ``False`` returns text as bytes, ``True`` decodes binary as UTF-8.

        Raises:
            TimeoutError: no message within ``timeout`` seconds.
            ConnectionClosed: the connection is closed and every message was read.
            ConcurrencyError: another thread is already in ``recv``.
        """
        if self.protocol.failure_pending is not None and not len(self._messages):
            self._reads_done.set()
        try:
            return self._messages.get(timeout, decode)
        except EOFError:
            raise self.protocol.close_exc from self._recv_exc

    # --- sending ---------------------------------------------------------------------

    def send(self, message: Data | Iterable[Data], text: bool | None = None) -> None:
        """Send a message: ``str`` as text, bytes-like as binary.

        An iterable of ``str`` or of bytes-like sends one fragmented message, a frame per
        item; items must all be of one kind. ``text`` overrides the opcode (send UTF-8
        bytes as text without decoding them, or a ``str`` as binary).

        Blocks until the bytes are handed to the kernel: a peer that does not read
        pushes back through TCP; :meth:`close` from another thread unblocks it.

        Raises:
            ConnectionClosed: the connection is closed or closing.
            TypeError: ``message`` has an unsupported type.
        """
        if isinstance(message, str):
            self._send_message(message.encode(), True if text is None else text)
        elif isinstance(message, bytes | bytearray | memoryview):
            self._send_message(bytes(message), False if text is None else text)
        elif isinstance(message, Mapping):
            # A dict is iterable, but sending its keys as fragments is surely a mistake.
            raise TypeError("data must be str, bytes-like or an iterable of them")
        elif isinstance(message, Iterable):
            self._send_fragments(iter(message), text)
        else:
            raise TypeError("data must be str, bytes-like or an iterable of them")

    def _send_message(self, data: bytes, text: bool) -> None:
        # The hot path of an echo server, so _sending() is inlined here.
        with self._send_lock:
            with self._protocol_lock:
                protocol = self.protocol
                if protocol.state is OPEN:
                    if text:
                        protocol.send_text(data)
                    else:
                        protocol.send_binary(data)
                    self._outgoing.extend(protocol.data_to_send())
                    sent = True
                else:
                    sent = False
            if not sent:
                self._raise_closed(None)
            try:
                self._flush()
            except OSError as exc:
                self._raise_closed(exc)

    def _send_fragments(self, fragments: Iterator[Data], text: bool | None) -> None:
        with self._send_lock:
            try:
                first = next(fragments)
            except StopIteration:
                return
            is_str = isinstance(first, str)
            if text is None:
                text = is_str
            with self._sending():
                send = self.protocol.send_text if text else self.protocol.send_binary
                send(_fragment_bytes(first, is_str), fin=False)
            try:
                for fragment in fragments:
                    data = _fragment_bytes(fragment, is_str)
                    with self._sending():
                        self.protocol.send_continuation(data, fin=False)
            except ConnectionClosed:
                raise
            except Exception:
                # The source broke half-way (or yielded a wrong type): the message can
                # never be completed, so the connection cannot go on (RFC 6455 5.4).
                self.logger.error("fragmented message source failed", exc_info=True)
                self._fail(1011, "error in fragmented message")
                raise
            with self._sending():
                self.protocol.send_continuation(b"", fin=True)

    def ping(self, data: Data | None = None) -> PongWaiter:
        """Send a ping; return a :class:`PongWaiter` that is set by the matching pong.

        Without ``data`` a random 4-byte payload is used. A pong also answers every
        earlier ping still waiting (RFC 6455 section 5.5.3 lets a peer answer only the
        most recent one).

        Raises:
            ConnectionClosed: the connection is closed or closing.
            ConcurrencyError: a ping with the same payload is waiting for its pong.
        """
        with self._sending():
            if data is None:
                payload = struct.pack("!I", int.from_bytes(os.urandom(4), "big"))
                while payload in self._pong_waiters:
                    payload = os.urandom(4)
            else:
                payload = data.encode() if isinstance(data, str) else bytes(data)
                if payload in self._pong_waiters:
                    raise ConcurrencyError("already waiting for a pong with the same data")
            waiter = PongWaiter(payload)
            self.protocol.send_ping(payload)
            self._pong_waiters[payload] = waiter
        return waiter

    def pong(self, data: Data = b"") -> None:
        """Send an unsolicited pong (a unidirectional heartbeat, RFC 6455 section 5.5.3).

        Raises:
            ConnectionClosed: the connection is closed or closing.
        """
        payload = data.encode() if isinstance(data, str) else bytes(data)
        with self._sending():
            self.protocol.send_pong(payload)

    @contextlib.contextmanager
    def _sending(self) -> Iterator[None]:
        """Run a core send under ``_protocol_lock``, then write what it produced.

        Raises:
            ConnectionClosed: the core refused (not OPEN) or the socket failed.
        """
        try:
            with self._protocol_lock:
                if self.protocol.state is not OPEN:
                    raise InvalidState(f"connection is {self.protocol.state.name}")
                yield
                self._outgoing.extend(self.protocol.data_to_send())
            self._flush()
        except InvalidState:
            self._raise_closed(None)
        except OSError as exc:
            self._raise_closed(exc)

    def _raise_closed(self, exc: OSError | None) -> NoReturn:
        """Raise the connection's ConnectionClosed, once its close code is known.

        Raises:
            ConnectionClosed: always; after the reader finished (bounded by
                ``close_timeout``) so that the code is the peer's.
        """
        if exc is not None:
            self._recv_exc = self._recv_exc or exc
            self._abort()
        self._reader.join(self.close_timeout)
        raise self.protocol.close_exc from self._recv_exc

    def _flush(self, *, blocking: bool = True, timeout: float | None = None) -> None:
        """Write every pending byte; see the module docstring for the protocol.

        With ``blocking=False``, return at once if another thread is writing: that
        thread writes our bytes too. ``_write_lock`` is released while holding
        ``_protocol_lock``, right after finding ``_outgoing`` empty: whoever queues
        bytes after that finds the write lock free, so no byte is left behind.

        Raises:
            OSError: the socket failed.
            TimeoutError: ``timeout`` elapsed before ``_write_lock`` was free.
        """
        write_lock, protocol_lock = self._write_lock, self._protocol_lock
        if blocking:
            if not write_lock.acquire(True, -1 if timeout is None else timeout):
                raise TimeoutError("timed out waiting to write")
        elif not write_lock.acquire(False):
            return
        held = True
        try:
            while True:
                with protocol_lock:
                    chunks, self._outgoing = self._outgoing, []
                    if not chunks:
                        write_lock.release()
                        held = False
                        return
                if not self._shut_down_write:
                    self.socket.sendall(chunks[0] if len(chunks) == 1 else b"".join(chunks))
        finally:
            if held:
                write_lock.release()

    # --- closing ---------------------------------------------------------------------

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Perform the closing handshake and wait for the TCP connection to close.

        Idempotent. Waits at most ``close_timeout`` for the peer, then drops the TCP
        connection (RFC 6455 section 7.1.1). Messages already received can still be
        read with :meth:`recv` afterwards.
        """
        self._messages.discard()
        self._reads_done.set()
        with contextlib.suppress(OSError, TimeoutError):
            with self._protocol_lock:
                # A failure held back for the application: the close says why.
                self.protocol.fail_pending()
                if self.protocol.state is OPEN:
                    self.protocol.send_close(code, reason)
                    self._outgoing.extend(self.protocol.data_to_send())
            self._flush(timeout=self.close_timeout)
        self.wait_closed(self.close_timeout)
        if not self._closed_event.is_set():
            self._abort()
            self.wait_closed(self.close_timeout)

    def wait_closed(self, timeout: float | None = None) -> bool:
        """Wait until the connection is closed; return whether it is."""
        if threading.current_thread() is self._reader:
            return self._closed_event.is_set()
        return self._closed_event.wait(timeout)

    def _fail(self, code: int, reason: str = "") -> None:
        """Fail the connection (RFC 6455 section 7.1.7) from an application thread."""
        with contextlib.suppress(OSError, TimeoutError):
            with self._protocol_lock:
                if self.protocol.state is OPEN:
                    self.protocol.fail(code, reason)
                    self._outgoing.extend(self.protocol.data_to_send())
            self._flush(timeout=self.close_timeout)
        self._messages.discard()
        self._abort()

    def _abort(self) -> None:
        """Drop the TCP connection; unblocks the reader and any writer."""
        with contextlib.suppress(OSError):
            self.socket.shutdown(socket.SHUT_RDWR)

    # --- the reader thread -----------------------------------------------------------

    def _run_reader(self) -> None:
        try:
            self._read_loop()
        except Exception as exc:
            # A bug in an event handler: log it, drop the connection.
            self.logger.error("unexpected error in reader thread", exc_info=True)
            self._recv_exc = self._recv_exc or exc
        finally:
            self._finish()

    def _read_loop(self) -> None:
        while True:
            try:
                if self._close_deadline is not None:
                    left = self._close_deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError("timed out waiting for the TCP connection to close")
                    self.socket.settimeout(left)
                data = self.socket.recv(self.recv_bufsize)
            except Exception as exc:
                # A timeout in the closing handshake, a reset, an SSL error...
                self._recv_exc = self._recv_exc or exc
                return
            if not data:
                return
            with self._protocol_lock:
                self.protocol.receive_data(data)
                if self.protocol.failure_pending is not None:
                    self._reads_done.clear()
                events = self.protocol.events_received()
                self._outgoing.extend(self.protocol.data_to_send())
                should_close = self.protocol.transport_should_close()
                closing = should_close or self.protocol.close_expected()
                pending = bool(self._outgoing)
            # Write automatic pongs and close frames before dispatching, which may wait
            # for room in the message queue.
            if pending and not self._flush_from_reader():
                return
            if closing:
                self._bound_closing()
            for event in events:
                self._dispatch(event)
            if any(isinstance(event, Request) for event in events):
                # Frames that came with the request are parsed when the 101 goes out
                # (ServerConnection.handshake, in the handler's thread); bad input among
                # them is held back as a pending failure that only this thread acts on:
                # wait for that, so that it is not left until the client's next bytes.
                self._response_sent.wait(RESPONSE_WAIT)
            if self.protocol.failure_pending is not None:
                if not self._fail_after_reads():
                    return
                should_close = True
            if should_close and not self._shut_down_write:
                self._close_write()

    def _fail_after_reads(self) -> bool:
        """Fail for the bad input held back once the application has read what came
        before it (and maybe answered), or after ``FAILURE_GRACE``; False if the socket
        failed meanwhile."""
        if len(self._messages):
            self._reads_done.wait(FAILURE_GRACE)
        with self._protocol_lock:
            self.protocol.fail_pending()
            self._outgoing.extend(self.protocol.data_to_send())
        if not self._flush_from_reader():
            return False
        self._bound_closing()
        return True

    def _flush_from_reader(self) -> bool:
        """Write what the core queued, from the reader thread; False if the socket
        failed (the error is kept for the ConnectionClosed raised later)."""
        try:
            self._flush(blocking=False)
        except OSError as exc:
            self._recv_exc = self._recv_exc or exc
            return False
        return True

    def _bound_closing(self) -> None:
        """The closing handshake is under way: bound the wait for the peer."""
        if not self._closing:
            self._closing = True
            if self.close_timeout is not None:
                self._close_deadline = time.monotonic() + self.close_timeout
                self.socket.settimeout(self.close_timeout)

    def _close_write(self) -> None:
        """Send what is left, then FIN; keep reading until the peer's FIN or the deadline.

        RFC 6455 section 7.1.1: "the server SHOULD close the underlying TCP connection
        first"; a half-close lets the peer read our last bytes without a reset.
        """
        with contextlib.suppress(OSError, TimeoutError):
            self._flush(timeout=self.close_timeout)
        self._shut_down_write = True
        # A refused handshake (the core answered a bad request itself) ends here too.
        self._handshake_event.set()
        with contextlib.suppress(OSError):
            self.socket.shutdown(socket.SHUT_WR)

    def _dispatch(self, event: Frame | Request | Response) -> None:
        if isinstance(event, Request):
            self.request = event
            self._handshake_event.set()
        elif isinstance(event, Response):
            self.response = event
            self._handshake_event.set()
        elif event.opcode is TEXT or event.opcode is BINARY or event.opcode is CONT:
            self._messages.put(event)
        elif event.opcode is PONG:
            self._acknowledge_pings(event.data)
        # PING and CLOSE: the core has already queued the pong / the close reply.

    def _acknowledge_pings(self, data: bytes) -> None:
        now = time.monotonic()
        with self._protocol_lock:
            if data not in self._pong_waiters:
                return  # unsolicited pong, or an answer to a ping already acknowledged
            acknowledged = []
            for payload in list(self._pong_waiters):
                acknowledged.append(self._pong_waiters.pop(payload))
                if payload == data:
                    break
        for waiter in acknowledged:
            waiter._pong(now)
        self.latency = now - acknowledged[-1].sent_at

    def _finish(self) -> None:
        """The reader is done: end the protocol, close the socket, wake every waiter."""
        events: list[Frame | Request | Response] = []
        with contextlib.suppress(Exception), self._protocol_lock:
            self.protocol.receive_eof()
            events = list(self.protocol.events_received())
            self.protocol.data_to_send()  # nothing can be written any more
        # Closed first, so that a late data frame cannot make put() wait for room.
        self._messages.close()
        for event in events:
            with contextlib.suppress(Exception):
                self._dispatch(event)
        self._abort()
        # Take the write lock (bounded) so that no writer is inside sendall() on an fd
        # number that close() frees and the kernel may hand to another socket.
        acquired = self._write_lock.acquire(True, self.close_timeout or 1)
        try:
            self.socket.close()
        finally:
            if acquired:
                self._write_lock.release()
        exc = self.protocol.close_exc
        with self._protocol_lock:
            waiters = list(self._pong_waiters.values())
            self._pong_waiters.clear()
        for waiter in waiters:
            waiter._abandon(exc)
        self._handshake_event.set()
        self._closed_event.set()

    # --- keepalive -------------------------------------------------------------------

    def start_keepalive(self) -> None:
        """Ping every ``ping_interval`` seconds; fail with 1011 when a pong is late."""
        if self.ping_interval is None:
            return
        threading.Thread(
            target=self._keepalive, name=f"wsconform-keepalive-{self.id}", daemon=True
        ).start()

    def _keepalive(self) -> None:
        assert self.ping_interval is not None
        while not self._closed_event.wait(self.ping_interval):
            try:
                waiter = self.ping()
                if self.ping_timeout is None or waiter.wait(self.ping_timeout):
                    continue
            except ConnectionClosed:
                return
            self.logger.info("keepalive ping timeout; closing connection %s", self.id)
            self._fail(1011, "keepalive ping timeout")
            return


def _fragment_bytes(fragment: object, is_str: bool) -> bytes:
    """Return a fragment's bytes, checking it is of the same kind as the first.

    Raises:
        TypeError: the fragment mixes ``str`` and bytes-like, or is neither.
    """
    if is_str and isinstance(fragment, str):
        return fragment.encode()
    if not is_str and isinstance(fragment, bytes | bytearray | memoryview):
        return bytes(fragment)
    raise TypeError("fragments must all be str or all be bytes-like")


def _address(getter: Any) -> Any:
    try:
        return getter()
    except OSError:
        return None
