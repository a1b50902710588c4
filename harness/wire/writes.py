"""The tester's outgoing writes: Autobahn's send queue, without I/O.

:class:`WriteQueue` decides how each of the tester's writes reaches the transport, in
the modes of docs/autobahn.md section 2.2, and hands them out as :class:`Write` objects
that carry their mode; the front end performs them in order:

* *burst* (:data:`BURST`): a write issued while the send queue is empty is kept with the
  other bursts and handed out joined, so a step sequence's frames leave in one TCP
  write, as Twisted's transport buffer does for Autobahn;
* *sync* (:data:`SYNC`): the bytes are their own TCP write, and the front end lets its
  event loop run once (it polls the sockets) before it asks for the next queued write
  (:meth:`WriteQueue.next_turn`); a write issued while the queue is not empty waits its
  turn (:data:`QUEUED`), so byte order is kept;
* *chopsize* n (:data:`CHOP`): the bytes are cut into n-byte pieces, each queued as a
  sync write.

Every write is counted (``count``: ``txOctetStats`` and the ``TO`` wire log) under its
own size: a burst when it is issued, a queued write when it is handed out, so the log
shows each write where it happened.
"""

from __future__ import annotations

import collections
import dataclasses
import enum
from collections.abc import Callable

from wsconform.reference.protocol.mask import BytesLike

__all__ = ["BURST", "CHOP", "QUEUED", "SYNC", "Write", "WriteMode", "WriteQueue"]


class WriteMode(enum.IntEnum):
    """How the front end performs one :class:`Write` (module docstring)."""

    #: Bursts issued one after another, joined: written at once, nothing to wait for.
    BURST = 0
    #: A sync write: its own TCP write, then one turn of the event loop.
    SYNC = 1
    #: One piece of a chopped frame: as a sync write.
    CHOP = 2
    #: A write that waited behind a sync or chopped one: its own write, then a turn.
    QUEUED = 3


BURST, SYNC, CHOP, QUEUED = WriteMode


# Not frozen: one is built per write, and a frozen dataclass's __init__ costs more.
@dataclasses.dataclass(slots=True)
class Write:
    """One transport write; after one whose :attr:`turn` is set the front end lets its
    event loop run once, then calls :meth:`WriteQueue.next_turn`."""

    data: BytesLike
    mode: WriteMode

    @property
    def turn(self) -> bool:
        """Whether the event loop must run once after this write."""
        return self.mode is not BURST


class WriteQueue:
    """Autobahn's send queue (module docstring); ``count(data, sync)`` notes each write."""

    def __init__(self, count: Callable[[BytesLike, bool], None]) -> None:
        self._count = count
        # Writes handed out by the next take(), bursts not joined yet, and the send
        # queue with whether a turn of the loop is awaited.
        self._out: list[Write] = []
        self._burst: list[BytesLike] = []
        self._queue: collections.deque[tuple[BytesLike, WriteMode]] = collections.deque()
        self._triggered = False

    def write(self, data: BytesLike, *, sync: bool = False, chopsize: int | None = None) -> None:
        """Queue ``data`` in the mode the arguments say."""
        if chopsize:
            view = memoryview(data)
            self._queue.extend(
                (view[i : i + chopsize], CHOP) for i in range(0, max(len(view), 1), chopsize)
            )
            self._trigger()
        elif sync or self._queue:
            self._queue.append((data, SYNC if sync else QUEUED))
            self._trigger()
        else:
            self._count(data, False)
            self._burst.append(data)

    def burst(self, data: BytesLike) -> None:
        """Add to the burst a write the caller already counted (the unlogged sender)."""
        self._burst.append(data)

    @property
    def queued(self) -> bool:
        """Whether writes wait in the send queue (a new write would wait behind them)."""
        return bool(self._queue)

    @property
    def pending(self) -> bool:
        """Whether writes are still waiting: to be handed out, or for their turn."""
        return bool(self._queue) or bool(self._burst) or bool(self._out)

    @property
    def unsent(self) -> int:
        """Bytes issued and not handed out yet, outside the send queue."""
        return sum(len(data) for data in self._burst) + sum(len(w.data) for w in self._out)

    @property
    def turn_awaited(self) -> bool:
        """A sync, chopped or queued write was handed out: the front end must let its
        event loop run once, then call :meth:`next_turn`."""
        return self._triggered

    def take(self) -> list[Write]:
        """The writes to perform now, in order, and forget them.

        Bursts are joined into one; they wait while a turn of the loop is awaited after
        a sync write (:meth:`next_turn` hands them out first).
        """
        if self._burst and not self._triggered:
            self._flush_burst()
        out, self._out = self._out, []
        return out

    def next_turn(self) -> None:
        """The loop ran once after a sync write: hand out the bursts, then the next
        queued write."""
        if self._triggered:
            self._send_next()

    def drain(self) -> None:
        """Hand out everything at once, in order, with no turns (a server's orderly close:
        its close frame goes out before TCP is closed)."""
        self._flush_burst()
        while self._queue:
            data, mode = self._queue.popleft()
            self._count(data, mode is not QUEUED)
            self._out.append(Write(data, BURST))
        self._triggered = False

    def discard(self) -> None:
        """Forget what was not handed out yet (TCP is closed or gone); keep what was."""
        self._queue.clear()
        self._burst.clear()
        self._triggered = False

    def clear(self) -> None:
        """Forget everything, handed out or not (TCP is gone)."""
        self.discard()
        self._out.clear()

    def _flush_burst(self) -> None:
        burst = self._burst
        if burst:
            self._out.append(Write(burst[0] if len(burst) == 1 else b"".join(burst), BURST))
        self._burst = []

    def _trigger(self) -> None:
        if not self._triggered:
            self._triggered = True
            self._send_next()

    def _send_next(self) -> None:
        self._flush_burst()
        if not self._queue:
            self._triggered = False
            return
        data, mode = self._queue.popleft()
        self._count(data, mode is not QUEUED)
        self._out.append(Write(data, mode))
