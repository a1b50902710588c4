"""Reassemble incoming data frames into messages and hand them to ``recv()``.

The reader thread of a connection puts frames in; application threads take whole
messages out. The queue holds at most ``max_queue`` messages: when it is full, the reader
thread stops reading the socket until the application has drained it to a quarter (one
pause per several messages rather than a thread switch per message), so that a fast peer
pushes back through TCP flow control instead of filling our memory (every buffer has a
bound). Once the application has started closing the connection, the reader never waits
again: it has to read the closing handshake.
"""

from __future__ import annotations

import queue
import threading

from ..protocol.exceptions import ConcurrencyError
from ..protocol.frames import BINARY, CONT, TEXT, Frame

__all__ = ["Assembler"]


class _EndOfStream:
    """Queued by :meth:`Assembler.close` after the last message."""


_END = _EndOfStream()


class Assembler:
    """A bounded, thread-safe queue of messages built from data frames.

    The queue is a :class:`queue.SimpleQueue`, implemented in C: handing a message from
    the reader thread to ``recv()`` costs one put and one get, with no Python-level
    condition variable. Back pressure uses an event that only a full queue involves.

    Text messages are queued as UTF-8 bytes and decoded by :meth:`get`, in the thread
    that asked for them, which keeps the reader thread lean. The protocol core has
    already checked the UTF-8 (RFC 6455 section 8.1), so decoding cannot fail.
    """

    def __init__(self, max_queue: int | None = 16) -> None:
        if max_queue is not None and max_queue < 1:
            raise ValueError("max_queue must be at least 1 or None")
        self.max_queue = max_queue
        self._queue: queue.SimpleQueue[tuple[bool, bytes] | _EndOfStream] = queue.SimpleQueue()
        # Fragments of the message being received; only the reader thread touches them.
        self._fragments: list[bytes] = []
        self._text: bool | None = None
        # Held by the thread inside get(): a second one is refused, not queued.
        self._get_lock = threading.Lock()
        self._closed = False
        self._discarding = False
        # Back pressure: the reader waits on _room, a plain lock kept locked except to
        # wake it (cheaper than an Event, whose set() runs a Python condition). The
        # flag and the release are changed together under _flow, so that the lock is
        # released exactly once per wait.
        self._flow = threading.Lock()
        self._room = threading.Lock()
        self._room.acquire()
        self._waiting_for_room = False

    # --- reader thread ---------------------------------------------------------------

    def put(self, frame: Frame) -> None:
        """Add a data frame; queue the message when ``frame`` is its last fragment.

        Blocks while the queue is full, until :meth:`get`, :meth:`discard` or
        :meth:`close` makes room or gives up on the message.

        Raises:
            ValueError: ``frame`` is not a data frame, or continues no message.
        """
        if frame.opcode is TEXT or frame.opcode is BINARY:
            if self._text is not None:
                raise ValueError("a new message started before the previous one ended")
            if frame.fin:
                # The common case, an unfragmented message: no copy.
                self._enqueue(frame.opcode is TEXT, frame.data)
                return
            self._text = frame.opcode is TEXT
            self._fragments = [frame.data]
            return
        if frame.opcode is not CONT:
            raise ValueError(f"not a data frame: {frame.opcode.name}")
        if self._text is None:
            raise ValueError("a continuation frame continues no message")
        self._fragments.append(frame.data)
        if frame.fin:
            text, data = self._text, b"".join(self._fragments)
            self._text, self._fragments = None, []
            self._enqueue(text, data)

    def _enqueue(self, text: bool, data: bytes) -> None:
        limit = self.max_queue
        if limit is not None and self._queue.qsize() >= limit:
            self._wait_for_room(limit)
            if self._queue.qsize() >= limit:
                # Discarding or closed: nobody will read this message.
                return
        if self._closed:
            return
        self._queue.put((text, data))

    def _wait_for_room(self, limit: int) -> None:
        low_water = limit // 4
        while True:
            with self._flow:
                if self._queue.qsize() <= low_water or self._discarding or self._closed:
                    return
                self._waiting_for_room = True
            # Released by get() at the low-water mark, by discard() or by close().
            self._room.acquire()

    def _wake_reader(self, *, force: bool) -> None:
        with self._flow:
            if self._waiting_for_room and (
                force or self._queue.qsize() <= (self.max_queue or 0) // 4
            ):
                self._waiting_for_room = False
                self._room.release()

    def close(self) -> None:
        """No more messages will come: :meth:`get` raises ``EOFError`` once drained."""
        if not self._closed:
            self._closed = True
            self._queue.put(_END)
        self._wake_reader(force=True)

    # --- application threads ---------------------------------------------------------

    def discard(self) -> None:
        """Stop applying back pressure: the application is closing the connection.

        Messages already queued stay available to :meth:`get`; new ones that do not fit
        are dropped rather than making the reader thread wait.
        """
        self._discarding = True
        self._wake_reader(force=True)

    def get(self, timeout: float | None = None, decode: bool | None = None) -> str | bytes:
        """Return the next message: ``str`` for text, ``bytes`` for binary.

        ``decode=True`` decodes binary messages as UTF-8 too, ``decode=False`` returns
        text messages as bytes. ``timeout=0`` returns a queued message or raises at once.

        Raises:
            TimeoutError: no message arrived within ``timeout`` seconds.
            EOFError: the connection is closed and every message has been read.
            ConcurrencyError: another thread is already waiting in :meth:`get`.
            UnicodeDecodeError: ``decode=True`` and a binary message is not UTF-8.
        """
        if not self._get_lock.acquire(False):
            raise ConcurrencyError("another thread is already running recv() on this connection")
        try:
            try:
                if timeout is None:
                    item = self._queue.get()
                elif timeout <= 0:
                    item = self._queue.get_nowait()
                else:
                    item = self._queue.get(timeout=timeout)
            except queue.Empty:
                raise TimeoutError(f"no message within {timeout} seconds") from None
            if isinstance(item, _EndOfStream):
                self._queue.put(item)  # for the next caller
                raise EOFError("stream of messages ended")
        finally:
            self._get_lock.release()
        # Resume the reader only once the queue is down to a quarter: waking it for
        # each free slot would cost a thread switch per message.
        if self._waiting_for_room:
            self._wake_reader(force=False)
        text, data = item
        if decode is None:
            decode = text
        return data.decode() if decode else data

    def __len__(self) -> int:
        """Number of whole messages waiting."""
        return self._queue.qsize() - self._closed
