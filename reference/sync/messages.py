"""Reassemble incoming data frames into messages and hand them to ``recv()``.

The reader thread of a connection puts frames in; application threads take whole
messages out. The queue holds at most ``max_queue`` messages: when it is full, the reader
thread stops reading the socket until the application catches up, so that a fast peer
pushes back through TCP flow control instead of filling our memory (every buffer has a
bound). Once the application has started closing the connection, the reader never waits
again: it has to read the closing handshake.
"""

from __future__ import annotations

import collections
import threading
import time

from ..protocol.exceptions import ConcurrencyError
from ..protocol.frames import BINARY, CONT, TEXT, Frame

__all__ = ["Assembler"]


class Assembler:
    """A bounded, thread-safe queue of messages built from data frames.

    Text messages are queued as UTF-8 bytes and decoded by :meth:`get`, in the thread
    that asked for them, which keeps the reader thread lean. The protocol core has
    already checked the UTF-8 (RFC 6455 section 8.1), so decoding cannot fail.
    """

    def __init__(self, max_queue: int | None = 16) -> None:
        if max_queue is not None and max_queue < 1:
            raise ValueError("max_queue must be at least 1 or None")
        self.max_queue = max_queue
        self._cond = threading.Condition()
        self._queue: collections.deque[tuple[bool, bytes]] = collections.deque()
        # Fragments of the message being received; only the reader thread touches them.
        self._fragments: list[bytes] = []
        self._text: bool | None = None
        self._getting = False
        self._closed = False
        self._discarding = False

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
        with self._cond:
            limit = self.max_queue
            # Released by get() (room), discard() or close(): each of them notifies.
            while (
                limit is not None
                and len(self._queue) >= limit
                and not self._closed
                and not self._discarding
            ):
                self._cond.wait()
            if self._closed or (
                self._discarding and limit is not None and len(self._queue) >= limit
            ):
                # Nobody will read this message: the connection is closing.
                return
            self._queue.append((text, data))
            self._cond.notify_all()

    def close(self) -> None:
        """No more messages will come: :meth:`get` raises ``EOFError`` once drained."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    # --- application threads ---------------------------------------------------------

    def discard(self) -> None:
        """Stop applying back pressure: the application is closing the connection.

        Messages already queued stay available to :meth:`get`; new ones that do not fit
        are dropped rather than making the reader thread wait.
        """
        with self._cond:
            self._discarding = True
            self._cond.notify_all()

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
        with self._cond:
            if self._getting:
                raise ConcurrencyError(
                    "another thread is already running recv() on this connection"
                )
            self._getting = True
            try:
                deadline = None if timeout is None else time.monotonic() + timeout
                while not self._queue:
                    if self._closed:
                        raise EOFError("stream of messages ended")
                    if deadline is None:
                        self._cond.wait()
                    else:
                        left = deadline - time.monotonic()
                        if left <= 0:
                            raise TimeoutError(f"no message within {timeout} seconds")
                        self._cond.wait(left)
                text, data = self._queue.popleft()
                # Make room: the reader thread may be waiting in _enqueue().
                self._cond.notify_all()
            finally:
                self._getting = False
        if decode is None:
            decode = text
        return data.decode() if decode else data

    def __len__(self) -> int:
        """Number of whole messages waiting."""
        with self._cond:
            return len(self._queue)
