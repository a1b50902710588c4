"""The one report model: case results per agent, and harness errors kept apart.

The runner talks to a :class:`Report` through three events: :class:`CaseStarted`,
:class:`CaseFinished` (carrying a :class:`CaseResult`) and :class:`HarnessErrorRaised`
(carrying a :class:`HarnessError`). A verdict is about the target; a harness error (the
target could not be reached, a bug of ours) is about us, and it is never counted as a
FAILED verdict. Renderers (JSON in Autobahn's layout, HTML, JUnit, Markdown, terminal)
only read a report.

Several agents can be collected in one report (each result carries its agent), which is
how several targets end up in one output directory. A case re-run for the same agent
replaces the earlier result, as in Autobahn.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import enum
import traceback as traceback_module

from wsconform.cases.model import Case, Verdict, case_sort_key

from .observation import Observation

__all__ = [
    "CaseFinished",
    "CaseResult",
    "CaseStarted",
    "CloseVerdict",
    "HarnessError",
    "HarnessErrorRaised",
    "Report",
    "RunnerEvent",
    "Verdicts",
]


class CloseVerdict(enum.StrEnum):
    """``behaviorClose`` values (catalog 3.4), as the exact strings of the reports."""

    OK = "OK"
    FAILED = "FAILED"
    UNCLEAN = "UNCLEAN"
    WRONG_CODE = "WRONG CODE"
    FAILED_BY_CLIENT = "FAILED BY CLIENT"
    INFORMATIONAL = "INFORMATIONAL"


@dataclasses.dataclass(frozen=True, slots=True)
class Verdicts:
    """The two verdicts of a case and their explanations (catalog 3)."""

    behavior: Verdict
    behavior_close: CloseVerdict
    result: str
    result_close: str

    @property
    def failed(self) -> bool:
        """Whether the target failed this case.

        ``behavior`` FAILED, or a close verdict FAILED or UNCLEAN: the cells Autobahn's
        report paints red. WRONG CODE outside section 7 (which turns it into a FAILED
        behavior) and FAILED BY CLIENT are shown as near-passes and do not count.
        """
        return self.behavior is Verdict.FAILED or self.behavior_close in (
            CloseVerdict.FAILED,
            CloseVerdict.UNCLEAN,
        )


@dataclasses.dataclass(slots=True)
class CaseResult:
    """Everything known about one run of one case for one agent.

    ``run_index`` is the JSON ``case`` field: the global catalog position in client mode,
    the ``/runCase?case=N`` number in server mode. ``started`` is the UTC time of the TCP
    connect (client mode) or of the upgrade request (server mode); ``duration_ms`` runs
    from the opening handshake to TCP loss (for a connection that never opened, from the
    connect attempt: unlike Autobahn we do not report milliseconds since the epoch).
    ``target`` is the URL that was tested, when known.
    """

    case: Case
    agent: str
    run_index: int
    observation: Observation
    verdicts: Verdicts
    started: datetime.datetime
    duration_ms: int
    target: str | None = None

    @property
    def case_id(self) -> str:
        """The case id, e.g. ``"6.4.1"``."""
        return self.case.id


@dataclasses.dataclass(frozen=True, slots=True)
class HarnessError:
    """A run that produced no verdict because of us or the environment, not the target.

    ``case_id`` is ``None`` for errors outside any case (e.g. the URL cannot be
    resolved before the first case).
    """

    agent: str
    case_id: str | None
    message: str
    traceback: str | None = None

    @classmethod
    def from_exception(cls, agent: str, case_id: str | None, exc: BaseException) -> HarnessError:
        """Wrap an exception, keeping its traceback for the report."""
        text = "".join(traceback_module.format_exception(exc))
        return cls(agent, case_id, f"{type(exc).__name__}: {exc}", text)


@dataclasses.dataclass(frozen=True, slots=True)
class CaseStarted:
    """The runner opened the connection of a case."""

    agent: str
    case_id: str
    run_index: int
    started: datetime.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class CaseFinished:
    """A case ended with verdicts."""

    result: CaseResult


@dataclasses.dataclass(frozen=True, slots=True)
class HarnessErrorRaised:
    """A case (or the run) ended without verdicts."""

    error: HarnessError


RunnerEvent = CaseStarted | CaseFinished | HarnessErrorRaised


class Report:
    """Collects runner events into results per agent and harness errors."""

    def __init__(self) -> None:
        self._results: dict[str, dict[str, CaseResult]] = {}
        self._running: dict[tuple[str, str], CaseStarted] = {}
        self.errors: list[HarnessError] = []

    def handle(self, event: RunnerEvent) -> None:
        """Take one runner event."""
        if isinstance(event, CaseStarted):
            self._running[(event.agent, event.case_id)] = event
        elif isinstance(event, CaseFinished):
            self.add(event.result)
        else:
            self.add_error(event.error)

    def add(self, result: CaseResult) -> None:
        """Store a result, replacing an earlier one for the same agent and case."""
        self._running.pop((result.agent, result.case_id), None)
        self._results.setdefault(result.agent, {})[result.case_id] = result

    def add_error(self, error: HarnessError) -> None:
        """Store a harness error; it ends its case if one was running."""
        if error.case_id is not None:
            self._running.pop((error.agent, error.case_id), None)
        self.errors.append(error)

    @property
    def agents(self) -> list[str]:
        """Agents with at least one result, sorted by name."""
        return sorted(self._results)

    def results(self, agent: str | None = None) -> list[CaseResult]:
        """Results of one agent (or all), by agent then numeric case id."""
        agents = [agent] if agent is not None else self.agents
        return [
            result
            for name in agents
            for result in sorted(
                self._results.get(name, {}).values(), key=lambda r: case_sort_key(r.case_id)
            )
        ]

    def get(self, agent: str, case_id: str) -> CaseResult | None:
        """The result of one case for one agent, if it ran."""
        return self._results.get(agent, {}).get(case_id)

    def unfinished(self) -> list[CaseStarted]:
        """Cases that started and neither finished nor raised a harness error."""
        return sorted(self._running.values(), key=lambda e: (e.agent, case_sort_key(e.case_id)))

    def counts(self, agent: str | None = None) -> collections.Counter[str]:
        """How many results have each ``behavior`` value."""
        return collections.Counter(str(r.verdicts.behavior) for r in self.results(agent))

    def failed(self) -> list[CaseResult]:
        """Results whose verdicts count as failed (see :attr:`Verdicts.failed`)."""
        return [r for r in self.results() if r.verdicts.failed]

    def exit_code(self) -> int:
        """The CLI's exit status: 2 on any harness error, 1 when a case failed, else 0."""
        if self.errors or self._running:
            return 2
        return 1 if self.failed() else 0
