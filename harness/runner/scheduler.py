"""Running many cases concurrently, each on its own connection, into one report.

:func:`run_cases` starts up to ``jobs`` cases at a time, in catalog order, and emits the
report model's runner events (:class:`~wsconform.harness.report.model.CaseStarted`,
:class:`~wsconform.harness.report.model.CaseFinished`,
:class:`~wsconform.harness.report.model.HarnessErrorRaised`) into a
:class:`~wsconform.harness.report.model.Report`, whose renderers sort by case id, so
the output does not depend on the order in which cases finish.

Every timer of a case is relative to that case's own connection, so running cases side
by side changes nothing for a peer that answers in time: ``-j 1`` and ``-j 16`` give
the same verdicts. Which case starts when is :class:`~.cost.Schedule`'s rule: CPU-heavy
cases (the large messages of section 9, the compressed loops of 12 and 13) run at most
:data:`HEAVY_JOBS` at once (one per core) and start first, the timer-bound rest fills
the other slots, so neither starves the other (see :mod:`.cost`).

When the target cannot be reached any more (a connect fails), no further case starts:
the failing case and every case not yet started are reported as harness errors, as
Autobahn skips the rest of a server's cases (docs/autobahn.md section 9.4).

:func:`probe` opens and closes one connection up front: it tells an unreachable target
(a harness error) from a reachable one, and reads the ``Server`` header that names the
agent when none is given (docs/autobahn.md section 9.3).
"""

from __future__ import annotations

import asyncio
import datetime
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from wsconform.cases.model import Case
from wsconform.harness.record.observation import Observation
from wsconform.harness.record.outcome import Outcome
from wsconform.harness.report.model import (
    CaseFinished,
    CaseStarted,
    HarnessError,
    HarnessErrorRaised,
    Report,
    RunnerEvent,
)
from wsconform.harness.wire.client import connect
from wsconform.harness.wire.connection import TesterConnection
from wsconform.harness.wire.exceptions import ConnectError, NotWebSocket

from .config import RunOptions, Target
from .cost import HEAVY_JOBS, Schedule, is_heavy
from .executor import execute_case

if TYPE_CHECKING:
    from wsconform.harness.targets.supervisor import Supervisor

__all__ = ["DEFAULT_JOBS", "HEAVY_JOBS", "UNKNOWN_AGENT", "is_heavy", "probe", "run_cases"]

#: Cases run at once by default: enough to hide the 1 s pauses of a few cases, few
#: enough not to load a small machine.
DEFAULT_JOBS = min(16, 4 * (os.cpu_count() or 1))

#: Autobahn's agent name when none is given and the server sends no ``Server`` header.
UNKNOWN_AGENT = "UnknownServer"

_PROBE_TIMEOUT = 10.0


class _Probe:
    """Connection events of the up-front probe: close as soon as it opens."""

    def __init__(self) -> None:
        self.conn: TesterConnection | None = None
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_open(self) -> None:
        assert self.conn is not None
        self.conn.send_close(1000)

    def on_message(self, payload: bytes, binary: bool) -> None:
        """Messages are not expected and ignored."""

    def on_pong(self, payload: bytes) -> None:
        """Pongs are not expected and ignored."""

    def on_lost(self) -> None:
        if not self.lost.done():
            self.lost.set_result(None)


async def probe(target: Target, options: RunOptions | None = None) -> str | None:
    """Open one connection to ``target``, close it, and return its ``Server`` header.

    Returns ``None`` when the server sends no ``Server`` header.

    Raises:
        ConnectError: the target cannot be reached.
        NotWebSocket: the opening handshake did not complete (a plain HTTP server, a
            wrong accept key, no answer in time): no case could be judged.
    """
    options = options if options is not None else RunOptions()
    obs = Observation()
    events = _Probe()
    uri = target.uri

    def factory() -> TesterConnection:
        conn = TesterConnection(
            uri,
            obs,
            events,
            settings=target.request_settings(),
            timeouts=options.timeouts.wire(),
        )
        events.conn = conn
        return conn

    conn = await connect(
        uri,
        factory,
        ssl_context=target.ssl_context(),
        server_hostname=target.server_hostname,
        timeout=options.timeouts.connect,
    )
    try:
        await asyncio.wait_for(asyncio.shield(events.lost), _PROBE_TIMEOUT)
    except TimeoutError:
        conn.drop(abort=True)
    if not obs.opened:
        reason = obs.was_not_clean_reason or "no response"
        raise NotWebSocket(target.url, reason.removeprefix("opening handshake failed: "))
    return _server_header(obs.http_response)


def _server_header(head: str | None) -> str | None:
    if not head:
        return None
    for line in head.split("\r\n")[1:]:
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() == "server":
            return value.strip() or None
    return None


async def run_cases(
    target: Target,
    cases: Sequence[Case],
    *,
    agent: str,
    jobs: int = DEFAULT_JOBS,
    options: RunOptions | None = None,
    report: Report | None = None,
    run_index: Callable[[str], int] | None = None,
    on_event: Callable[[RunnerEvent], None] | None = None,
    supervisor: Supervisor | None = None,
) -> Report:
    """Run ``cases`` against ``target``, ``jobs`` at a time; return the report.

    ``run_index`` gives a case's JSON ``case`` number (default: its position in
    ``cases``, from 1). ``on_event`` sees every runner event after the report took it
    (for progress output). Results land in ``report`` when given, else in a new one.
    ``supervisor`` restarts a started target that died (see the module docstring).

    Raises:
        ValueError: ``jobs`` is below 1.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}")
    options = options if options is not None else RunOptions()
    report = report if report is not None else Report()
    positions = {case.id: i for i, case in enumerate(cases, start=1)}
    index_of = run_index if run_index is not None else positions.__getitem__
    context = target.ssl_context()
    schedule = Schedule(cases, jobs=jobs)
    unreachable: list[ConnectError] = []
    # Cases handed out by the schedule but never started because the target went away.
    waiting: list[Case] = []

    def emit(event: RunnerEvent) -> None:
        report.handle(event)
        if on_event is not None:
            on_event(event)

    async def run_one(case: Case) -> None:
        generation = None
        if supervisor is not None:
            generation = await supervisor.before_case()
            if generation is None:
                waiting.append(case)
                unreachable.append(ConnectError(target.url, supervisor.gone or "gone"))
                return
        started = CaseStarted(agent, case.id, index_of(case.id), _now())
        emit(started)
        error: HarnessError | None = None
        refused: ConnectError | None = None
        result = None
        try:
            result = await execute_case(
                case,
                target,
                agent=agent,
                run_index=started.run_index,
                options=options,
                ssl_context=context,
            )
        except ConnectError as exc:
            error = HarnessError(agent, case.id, str(exc))
            refused = exc
        except Exception as exc:
            error = HarnessError.from_exception(agent, case.id, exc)
        if supervisor is not None and generation is not None:
            bad = result is None or result.outcome is not Outcome.OK
            interrupted = await supervisor.after_case(generation, suspicious=bad)
            if interrupted is not None:
                emit(HarnessErrorRaised(HarnessError(agent, case.id, interrupted)))
                return
        if refused is not None:
            # Refused by a target that is alive (or one we did not start): unreachable.
            unreachable.append(refused)
        if error is not None:
            emit(HarnessErrorRaised(error))
            return
        assert result is not None
        emit(CaseFinished(result))

    running: dict[asyncio.Task[None], Case] = {}
    try:
        while True:
            while not unreachable and (case := schedule.take()) is not None:
                running[asyncio.create_task(run_one(case), name=f"case {case.id}")] = case
            if not running:
                break
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                schedule.finish(running.pop(task))
                task.result()
    finally:
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
    pending = schedule.drain()
    skipped = sorted([*waiting, *pending], key=lambda case: positions[case.id])
    if unreachable and skipped:
        ids = ", ".join(case.id for case in skipped[:10])
        more = f" and {len(skipped) - 10} more" if len(skipped) > 10 else ""
        message = (
            f"{len(skipped)} cases not run because the target became unreachable "
            f"({unreachable[0].reason}): {ids}{more}"
        )
        emit(HarnessErrorRaised(HarnessError(agent, None, message)))
    return report


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
