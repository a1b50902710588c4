"""Fuzzing a client (``wsconform fuzz --serve PORT``): the tester is the server.

The search is :func:`.runner.fuzz`'s, with conversations written as a server writes
them (``FuzzSettings(masked=False)``) and judged by the oracle's client side; only the
way a case reaches the peer differs. The tester listens on ``host:port``
(:func:`wsconform.harness.wire.server.serve`); each example waits for the next upgrade
request, on any path, and runs its case on that connection
(:class:`~wsconform.harness.runner.executor.ServedCase`, as ``wsconform test-client``
does). A request that comes while no conversation is ready (between two examples) is
answered ``503`` with a one-line reason; the client connects again.

So the client under test needs a driver that loops: connect to the URL, echo every
message with its type until the connection closes, connect again; stop when the
connection is refused (the fuzzer is done and has stopped listening). docs/fuzzing.md
has one. A client that does not connect within ``wait`` seconds is a harness error.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import threading
from collections.abc import Callable, Sequence

from wsconform.cases.model import Case
from wsconform.harness.report.model import CaseResult
from wsconform.harness.runner.executor import ServedCase, case_deadline
from wsconform.harness.wire.connection import TesterConnection
from wsconform.harness.wire.exceptions import ConnectError
from wsconform.harness.wire.server import Rejection, serve
from wsconform.reference.protocol.http import Request

from .runner import DEFAULT_AGENT, FuzzResult, FuzzSettings, Interrupted, LoopThread, fuzz

__all__ = ["DEFAULT_WAIT", "ClientSlots", "fuzz_clients"]

#: Seconds an example waits for the client to connect.
DEFAULT_WAIT = 30.0


class ClientSlots:
    """The cases waiting for a client connection; its :meth:`route` hands them out.

    Lives on the event loop that serves: every method runs there.
    """

    def __init__(self, url: str = "ws://127.0.0.1/") -> None:
        self.url = url
        self.waiting: collections.deque[tuple[ServedCase, asyncio.Future[None]]] = (
            collections.deque()
        )

    def route(self, request: Request) -> TesterConnection | Rejection:
        """The oldest waiting case takes the connection; none waiting: ``503``."""
        while self.waiting:
            served, taken = self.waiting.popleft()
            if not taken.done():
                taken.set_result(None)
                return served.connection
        return Rejection(503, "no conversation is ready yet: connect again")

    async def run(
        self,
        case: Case,
        *,
        agent: str,
        settings: FuzzSettings,
        wait: float,
        stop: threading.Event | None = None,
    ) -> CaseResult:
        """Run ``case`` on the next client connection and judge it.

        Raises:
            ConnectError: no client connected within ``wait`` seconds.
            Interrupted: ``stop`` was set while no client had connected yet.
            RuntimeError: our own failure while the case ran.
        """
        served = ServedCase(case, agent=agent, run_index=0, options=settings.options)
        taken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting.append((served, taken))
        loop = asyncio.get_running_loop()
        give_up = loop.time() + wait
        while not taken.done():
            left = give_up - loop.time()
            if stop is not None and stop.is_set():
                taken.cancel()
                raise Interrupted("stopped while waiting for a client")
            if left <= 0:
                taken.cancel()
                raise ConnectError(self.url, f"no client connected within {wait:g} s")
            # Look at ``stop`` (set from another thread) every 0.1 s.
            await asyncio.wait({taken}, timeout=min(left, 0.1))
        return await served.result()


async def _close(server: asyncio.Server) -> None:
    """Stop listening (on the server's loop: ``close`` is not thread-safe)."""
    server.close()
    await server.wait_closed()


def fuzz_clients(
    port: int,
    fuzz_settings: FuzzSettings | None = None,
    *,
    host: str = "127.0.0.1",
    agent: str = DEFAULT_AGENT,
    wait: float = DEFAULT_WAIT,
    listening: Callable[[str], None] | None = None,
    replay: Sequence[Case] = (),
    stop: threading.Event | None = None,
) -> tuple[FuzzResult, list[CaseResult]]:
    """Fuzz the clients that connect to ``host:port`` (0: a free port); see the module
    docstring. ``listening`` gets the ``ws://`` URL once the port is bound. The cases
    of ``replay`` (a client corpus) run first, one connection each; their results come
    back beside the search's. Setting ``stop`` ends the run (:func:`.runner.fuzz`): the
    replay stops, and a case still waiting for a client gives up.

    Raises:
        OSError: the address cannot be bound.
        ConnectError: no client connected for a replayed case within ``wait`` seconds.
    """
    settings = dataclasses.replace(
        fuzz_settings if fuzz_settings is not None else FuzzSettings(), masked=False
    )
    with LoopThread() as loop:
        slots = ClientSlots()
        server = loop.run(serve(slots.route, host, port), 10)
        try:
            bound = server.sockets[0].getsockname()[1]
            slots.url = f"ws://{host}:{bound}/"
            if listening is not None:
                listening(slots.url)

            def execute(case: Case) -> CaseResult:
                timeout = wait + case_deadline(case, settings.options) + 10
                coroutine = slots.run(case, agent=agent, settings=settings, wait=wait, stop=stop)
                return loop.run(coroutine, timeout)

            replayed: list[CaseResult] = []
            for case in replay:
                if stop is not None and stop.is_set():
                    break
                try:
                    replayed.append(execute(case))
                except Interrupted:
                    break
            result = fuzz(execute, settings, stop=stop)
        finally:
            with contextlib.suppress(TimeoutError):
                loop.run(_close(server), 10)
    if result.error is not None:
        result.error = dataclasses.replace(result.error, agent=agent)
    return result, replayed
