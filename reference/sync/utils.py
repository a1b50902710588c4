"""Small helpers shared by the thread-based front end."""

from __future__ import annotations

import time

__all__ = ["Deadline"]


class Deadline:
    """A point in time after which a multi-step operation gives up.

    The opening handshake is several blocking steps (TCP connect, TLS, HTTP request and
    response); each step gets what is left of one ``open_timeout`` rather than a full
    timeout of its own, so the whole handshake is bounded.
    """

    def __init__(self, timeout: float | None) -> None:
        self.deadline = None if timeout is None else time.monotonic() + timeout

    def timeout(self, *, raise_if_elapsed: bool = True) -> float | None:
        """Return the seconds left, ``None`` when there is no deadline.

        Raises:
            TimeoutError: the deadline has passed and ``raise_if_elapsed`` is true.
        """
        if self.deadline is None:
            return None
        left = self.deadline - time.monotonic()
        if left <= 0:
            if raise_if_elapsed:
                raise TimeoutError("timed out")
            return 0.0
        return left
