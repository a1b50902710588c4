"""The one interface of a server under test that the harness may start itself.

Shaped like httpx's transports (``httpx/_transports/base.py``): a small synchronous
interface (:class:`ServerTarget`) with one implementation per kind (:mod:`.url`,
:mod:`.command`, :mod:`.docker`), usable as a context manager that stops the target
whatever happens. The interface is blocking on purpose: it is entered before the event
loop runs and left after it (so SIGTERM and Ctrl-C stop the target even while it
starts), and the supervisor calls :meth:`ServerTarget.restart` in a worker thread.

Readiness is a completed WebSocket opening handshake (RFC 6455 section 4.1), not a TCP
accept: a port published by Docker, or a server that listens before it serves, accepts
connections that it then drops (:func:`wait_ready`).
"""

from __future__ import annotations

import abc
import asyncio
import collections
import concurrent.futures
import contextlib
import functools
import os
import signal
import socket
import threading
import time
import types
from collections.abc import Callable, Coroutine, Iterator
from typing import IO, Any, Self

from wsconform.harness.runner.config import RunOptions, Target, Timeouts
from wsconform.harness.runner.scheduler import probe
from wsconform.harness.wire.exceptions import WireError

from .exceptions import TargetStartError

__all__ = [
    "DEFAULT_READY_TIMEOUT",
    "DEFAULT_STOP_GRACE",
    "LOG_LIMIT",
    "LogBuffer",
    "ServerTarget",
    "Terminated",
    "free_port",
    "sigterm_raises",
    "wait_ready",
]

#: Seconds a started target has to complete its first WebSocket handshake.
DEFAULT_READY_TIMEOUT = 30.0
#: Seconds between TERM and KILL when a target is stopped.
DEFAULT_STOP_GRACE = 5.0
#: Characters of a target's output kept for the report (the latest ones).
LOG_LIMIT = 256 * 1024

_RETRY = 0.05


class ServerTarget(abc.ABC):
    """A server under test: start it, reach it at :attr:`url`, watch it, stop it.

    ``name`` says what it is in messages ("the command 'x'", "the image 'y'").
    """

    name: str

    @property
    @abc.abstractmethod
    def url(self) -> str:
        """The ``ws://`` URL the cases connect to (known once started)."""

    @abc.abstractmethod
    def start(self, timeout: float = DEFAULT_READY_TIMEOUT) -> None:
        """Start the target and return once it completed a WebSocket handshake.

        Raises:
            TargetStartError: it exited or did not complete a handshake in time.
            EngineError: (Docker) no engine, or no such image.
        """

    @abc.abstractmethod
    def alive(self) -> bool:
        """Whether the target is still running (a URL target always is)."""

    @abc.abstractmethod
    def exit_reason(self) -> str:
        """How the target ended, in words ("exit status 1", "killed by SIGKILL")."""

    def restart(self, timeout: float = DEFAULT_READY_TIMEOUT) -> None:
        """Stop what is left of the target and start it again.

        Raises:
            TargetStartError: the new one did not become ready.
        """
        self.stop()
        self.start(timeout)

    @abc.abstractmethod
    def logs(self) -> str:
        """The target's output so far (stdout and stderr, the latest :data:`LOG_LIMIT`)."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop the target (TERM, then KILL after a grace period) and free its resources.

        Stopping a stopped target does nothing.
        """

    @property
    def restartable(self) -> bool:
        """Whether the harness started it, so that it can start it again."""
        return True

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        self.stop()


class LogBuffer:
    """The latest :data:`LOG_LIMIT` characters read from a pipe, by a daemon thread."""

    def __init__(self, limit: int = LOG_LIMIT) -> None:
        self._chunks: collections.deque[str] = collections.deque()
        self._size = 0
        self._limit = limit
        self._lock = threading.Lock()

    def add(self, text: str) -> None:
        """Append ``text``, dropping the oldest output beyond the limit."""
        with self._lock:
            self._chunks.append(text)
            self._size += len(text)
            while self._size > self._limit and len(self._chunks) > 1:
                self._size -= len(self._chunks.popleft())

    def follow(self, stream: IO[bytes]) -> threading.Thread:
        """Read ``stream`` to its end in a daemon thread (the pipe never fills up)."""

        def pump() -> None:
            with contextlib.suppress(OSError, ValueError):
                fd = stream.fileno()
                for chunk in iter(lambda: os.read(fd, 65536), b""):
                    self.add(chunk.decode("utf-8", "replace"))

        thread = threading.Thread(target=pump, daemon=True)
        thread.start()
        return thread

    def text(self) -> str:
        """Everything kept, oldest first."""
        with self._lock:
            return "".join(self._chunks)[-self._limit :]

    def last_line(self) -> str:
        """The last non-empty line, for one-line messages."""
        lines = [line.strip() for line in self.text().splitlines() if line.strip()]
        return lines[-1] if lines else ""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(  # noqa: PLR0917 - the target's three views of itself
    url: str,
    name: str,
    timeout: float,
    alive: Callable[[], bool],
    last_line: Callable[[], str],
    exit_reason: Callable[[], str],
) -> None:
    """Return once a WebSocket handshake with ``url`` completes.

    Connection refusals, resets and failed handshakes are retried until ``timeout``;
    a target that exits meanwhile ends the wait at once.

    Raises:
        TargetStartError: the target exited, or no handshake completed in time.
    """
    deadline = time.monotonic() + timeout
    last_error = "no handshake"
    while True:
        if not alive():
            raise TargetStartError(name, f"exited ({exit_reason()})", last_line())
        left = deadline - time.monotonic()
        if left <= 0:
            raise TargetStartError(
                name, f"completed no WebSocket handshake in {timeout:g} s ({last_error})"
            )
        step = max(0.1, min(left, 5.0))
        options = RunOptions(timeouts=Timeouts(open_handshake=step, connect=step))
        try:
            _run_blocking(functools.partial(_probe, url, options, step + 1))
        except (WireError, TimeoutError, OSError) as exc:
            last_error = str(exc) or type(exc).__name__
            time.sleep(_RETRY)
            continue
        return


async def _probe(url: str, options: RunOptions, timeout: float) -> None:
    await asyncio.wait_for(probe(Target(url), options), timeout)


def _run_blocking(make: Callable[[], Coroutine[Any, Any, object]]) -> None:
    """Run a coroutine to its end from blocking code, also when the caller's thread
    already runs an event loop (then in a thread of its own, with a loop of its own).

    Raises:
        whatever the coroutine raises.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(make())
        return
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, make()).result()


class Terminated(Exception):
    """SIGTERM arrived outside the event loop (while a target started or stopped)."""


def _raise_terminated(signum: int, _frame: object) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` while inside, as SIGINT is
    KeyboardInterrupt, so that the ``finally`` that stops a target runs on both."""
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
