"""The fuzzing server: Autobahn's endpoints for testing WebSocket clients.

A client's test driver opens WebSocket connections to these paths (Autobahn|Testsuite's
fuzzing-server mode, ``autobahntestsuite/fuzzing.py``); case numbers ``N`` are 1-based
positions in the filtered, sorted case list:

=================================  =====================================================
``/getCaseCount``                  one text message, the number of cases, then a close
``/getCaseInfo?case=N``            one text message ``{"id": ..., "description": ...}``
``/runCase?case=N&agent=A``        case N runs on this connection, filed under agent A
``/getCaseStatus?case=N&agent=A``  ``{"behavior": ...}`` once case N of A has finished
``/updateReports?agent=A``         the reports are written, then a close
=================================  =====================================================

Unlike Autobahn, which runs one case at a time, every ``/runCase`` connection runs its
case on its own, so a driver may run cases (and several agents) in parallel; at most
``jobs`` cases run at once, past that a ``/runCase`` is answered 503. A case that
``excluded(agent, case id)`` names (a spec file's ``exclude-agent-cases``) is not run:
its ``/runCase`` connection is opened and closed at once, as Autobahn does; a case that
``interrupted(result)`` explains (the client the harness started died during it) gets
that harness error instead of its verdicts (a case waiting for that answer does not
count against ``jobs``). A request that is
not one of these (unknown path, no or a bad case number, no agent, a parameter given
twice) is answered 400 or 404 with a one-line reason, and logged.
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from collections.abc import Awaitable, Callable, Sequence

from wsconform.cases.model import Case
from wsconform.harness.record.observation import Observation
from wsconform.harness.report.model import (
    CaseFinished,
    CaseResult,
    CaseStarted,
    HarnessError,
    HarnessErrorRaised,
    Report,
    RunnerEvent,
)
from wsconform.harness.wire.connection import SERVER, TesterConnection
from wsconform.harness.wire.handshake import ServerSettings
from wsconform.harness.wire.server import Rejection
from wsconform.reference.protocol.http import Request

from .config import RunOptions
from .executor import ServedCase

__all__ = ["ENDPOINTS", "STATUS_WAIT", "FuzzingServer"]

#: The endpoints, as Autobahn names them.
ENDPOINTS = ("/getCaseCount", "/getCaseInfo", "/runCase", "/getCaseStatus", "/updateReports")

#: Longest wait of a ``/getCaseStatus`` connection for its case to finish, in seconds.
STATUS_WAIT = 600.0

_NORMAL = 1000
_INTERNAL_ERROR = 1011


class _Answer:
    """A control connection's case-less events: at open, ``text()`` is called and its
    value sent as one text message (with ``message=False`` nothing is sent), then the
    tester closes; ``text=None`` waits for :meth:`send`."""

    def __init__(self, text: Callable[[], str | None] | None, *, message: bool = True) -> None:
        self.text = text
        self.message = message
        self.conn: TesterConnection | None = None
        self.opened = False
        self.lost = False

    def on_open(self) -> None:
        self.opened = True
        if self.text is None:
            return
        value = self.text()
        if self.message:
            self.send(value)
        elif self.conn is not None and not self.lost:
            self.conn.send_close(_NORMAL)

    def send(self, text: str | None) -> None:
        """Send ``text`` (if any) and close; ``None`` closes with 1011."""
        conn = self.conn
        if conn is None or self.lost:
            return
        if text is None:
            conn.send_close(_INTERNAL_ERROR, b"no result")
            return
        conn.send_message(text.encode("utf-8"), binary=False)
        conn.send_close(_NORMAL)

    def on_message(self, payload: bytes, binary: bool) -> None:
        """Messages on a control connection are ignored, as in Autobahn."""

    def on_pong(self, payload: bytes) -> None:
        """Pongs too."""

    def on_lost(self) -> None:
        self.lost = True


class FuzzingServer:
    """The endpoints' state: the cases, the report, the cases running.

    ``route`` is the :data:`~wsconform.harness.wire.server.Route` to serve;
    ``update_reports(agent)`` writes the reports (called for ``/updateReports``);
    ``on_event`` sees every runner event after the report took it.
    """

    def __init__(
        self,
        cases: Sequence[Case],
        *,
        options: RunOptions,
        update_reports: Callable[[str], None],
        jobs: int = 16,
        report: Report | None = None,
        on_event: Callable[[RunnerEvent], None] | None = None,
        log: Callable[[str], None] | None = None,
        excluded: Callable[[str, str], bool] | None = None,
        interrupted: Callable[[CaseResult], Awaitable[str | None]] | None = None,
        protocols: Sequence[str] = (),
    ) -> None:
        if jobs < 1:
            raise ValueError(f"jobs must be at least 1, not {jobs}")
        self.cases = list(cases)
        self.options = options
        #: The subprotocols every endpoint agrees to, the client's first offered one.
        self.protocols = tuple(protocols)
        self.update_reports = update_reports
        self.jobs = jobs
        self.report = report if report is not None else Report()
        self.on_event = on_event
        self.log = log
        self.excluded = excluded
        self.interrupted = interrupted
        self.running: set[asyncio.Task[None]] = set()
        #: Cases in ``running`` whose connection is over, waiting for ``interrupted``
        #: (they do not count against ``jobs``).
        self.vetting = 0
        self.updated: asyncio.Event = asyncio.Event()
        self._waiting: dict[tuple[str, str], list[_Answer]] = {}

    # --- requests -------------------------------------------------------------------

    def route(self, request: Request) -> TesterConnection | Rejection:
        """Dispatch one upgrade request (see the module docstring)."""
        target = urllib.parse.urlsplit(request.path)
        params = urllib.parse.parse_qs(target.query, keep_blank_values=True)
        for name, values in params.items():
            if len(values) > 1:
                return Rejection(400, f"{name} given {len(values)} times")
        path = target.path
        if path not in ENDPOINTS:
            known = ", ".join(ENDPOINTS)
            return Rejection(404, f"unknown endpoint {path[:100]!r}; the endpoints are {known}")
        if path == "/getCaseCount":
            count = str(len(self.cases))
            return self._answer(lambda: count)
        if path == "/updateReports":
            agent = self._agent(params)
            if isinstance(agent, Rejection):
                return agent
            name = agent
            return self._answer(lambda: self._update(name), message=False)
        number = self._case_number(params)
        if isinstance(number, Rejection):
            return number
        case = self.cases[number - 1]
        if path == "/getCaseInfo":
            info = json.dumps({"id": case.id, "description": case.description})
            return self._answer(lambda: info)
        agent = self._agent(params)
        if isinstance(agent, Rejection):
            return agent
        if path == "/getCaseStatus":
            return self._status(agent, case)
        return self._run(agent, case, number)

    def _case_number(self, params: dict[str, list[str]]) -> int | Rejection:
        if "case" not in params:
            return Rejection(400, "need case parameter (case=N, 1-based)")
        text = params["case"][0]
        try:
            number = int(text)
        except ValueError:
            return Rejection(400, f"invalid case number {text[:40]!r}")
        if not 1 <= number <= len(self.cases):
            return Rejection(400, f"case {number} not found: cases are 1..{len(self.cases)}")
        return number

    @staticmethod
    def _agent(params: dict[str, list[str]]) -> str | Rejection:
        agent = params.get("agent", [""])[0]
        if not agent:
            return Rejection(400, "need agent parameter (agent=NAME)")
        return agent

    def _answer(
        self, text: Callable[[], str | None] | None, *, message: bool = True
    ) -> TesterConnection:
        events = _Answer(text, message=message)
        conn = TesterConnection(
            None, Observation(), events, timeouts=self.options.timeouts.wire(), role=SERVER,
            accept=ServerSettings(protocols=self.protocols),
        )  # fmt: skip
        events.conn = conn
        return conn

    def _update(self, agent: str) -> str | None:
        self.update_reports(agent)
        self.updated.set()
        return None

    def _status(self, agent: str, case: Case) -> TesterConnection:
        found = self.report.get(agent, case.id)
        if found is not None:
            behavior = found.verdicts.behavior.value
            return self._answer(lambda: json.dumps({"behavior": behavior}))
        conn = self._answer(None)
        events = conn.events
        assert isinstance(events, _Answer)
        self._waiting.setdefault((agent, case.id), []).append(events)
        loop = asyncio.get_running_loop()
        loop.call_later(STATUS_WAIT, self._status_timeout, agent, case.id, events)
        return conn

    def _status_timeout(self, agent: str, case_id: str, events: _Answer) -> None:
        waiting = self._waiting.get((agent, case_id), [])
        if events in waiting:
            waiting.remove(events)
            events.send(None)

    def _run(self, agent: str, case: Case, number: int) -> TesterConnection | Rejection:
        if self.excluded is not None and self.excluded(agent, case.id):
            if self.log is not None:
                self.log(f"skipping case {number} ({case.id}) for {agent}: excluded")
            return self._answer(lambda: None, message=False)
        if len(self.running) - self.vetting >= self.jobs:
            return Rejection(503, f"{self.jobs} cases are running already (-j {self.jobs})")
        served = ServedCase(
            case, agent=agent, run_index=number, options=self.options, protocols=self.protocols
        )
        self._emit(CaseStarted(agent, case.id, number, served.started))
        task = asyncio.ensure_future(self._judge(served))
        self.running.add(task)
        task.add_done_callback(self.running.discard)
        return served.connection

    async def _judge(self, served: ServedCase) -> None:
        agent, case_id = served.agent, served.case.id
        try:
            result = await served.result()
        except Exception as exc:
            self._emit(HarnessErrorRaised(HarnessError.from_exception(agent, case_id, exc)))
            behavior = None
        else:
            reason = None
            if self.interrupted is not None:
                self.vetting += 1
                try:
                    reason = await self.interrupted(result)
                finally:
                    self.vetting -= 1
            if reason is None:
                self._emit(CaseFinished(result))
                behavior = result.verdicts.behavior.value
            else:
                self._emit(HarnessErrorRaised(HarnessError(agent, case_id, reason)))
                behavior = None
        text = None if behavior is None else json.dumps({"behavior": behavior})
        for events in self._waiting.pop((agent, case_id), []):
            if events.opened:
                events.send(text)
            else:
                events.text = lambda text=text: text

    def _emit(self, event: RunnerEvent) -> None:
        self.report.handle(event)
        if self.on_event is not None:
            self.on_event(event)

    async def drain(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for the running cases, then cancel the rest."""
        if self.running:
            _done, pending = await asyncio.wait(set(self.running), timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=1.0)
