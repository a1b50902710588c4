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

import dataclasses
import datetime
import hashlib
import shlex
import traceback as traceback_module

from wsconform.cases.model import Case, case_sort_key
from wsconform.harness.record.observation import Observation
from wsconform.harness.record.outcome import Outcome, Verdicts

__all__ = [
    "AGENT_FILE_LIMIT",
    "CaseFinished",
    "CaseResult",
    "CaseStarted",
    "HarnessError",
    "HarnessErrorRaised",
    "Report",
    "RunnerEvent",
    "case_file_name",
    "clean_agent",
    "reproduce_command",
    "target_log_name",
]


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

    @property
    def outcome(self) -> Outcome:
        """The folded verdict of the case."""
        return self.verdicts.outcome

    @property
    def reproduce(self) -> str | None:
        """The command that runs this case again, when the target URL is known."""
        if self.target is None:
            return None
        return reproduce_command(self.target, self.agent, self.case_id)


def reproduce_command(target: str, agent: str, case_id: str) -> str:
    """``wsconform test-server URL --agent A --cases ID``, quoted for a POSIX shell."""
    quoted = f"{shlex.quote(target)} --agent {shlex.quote(agent)}"
    return f"wsconform test-server {quoted} --cases {case_id}"


_FILENAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


#: Longest agent part of a report file name (see :func:`clean_agent`).
AGENT_FILE_LIMIT = 100


def clean_agent(agent: str) -> str:
    """Autobahn's file-name form of an agent, made safe for any name.

    Trim and lower-case; every character outside ``[a-z0-9]`` becomes a space; trim
    again; each remaining space becomes ``_`` (runs are not collapsed). Lower-casing is
    ASCII-only, as in Autobahn's byte strings.

    A name longer than :data:`AGENT_FILE_LIMIT` characters after that would give file
    names a file system refuses (255 bytes at most on most of them): it is cut, and the
    first 8 hex digits of the SHA-256 of the whole name keep two long names apart.
    Ordinary names keep Autobahn's form exactly.
    """
    lowered = "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in agent.strip())
    spaced = "".join(c if c in _FILENAME_CHARS else " " for c in lowered)
    cleaned = spaced.strip().replace(" ", "_")
    if len(cleaned) <= AGENT_FILE_LIMIT:
        return cleaned
    digest = hashlib.sha256(agent.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{cleaned[: AGENT_FILE_LIMIT - 9]}_{digest}"


def target_log_name(agent: str) -> str:
    """``<clean(agent)>_target.log``: the output of a target the harness started."""
    return f"{clean_agent(agent)}_target.log"


def case_file_name(agent: str, case_id: str, ext: str = "json") -> str:
    """``<clean(agent)>_case_<id with '.' replaced by '_'>.<ext>``, as Autobahn names them."""
    return f"{clean_agent(agent)}_case_{case_id.replace('.', '_')}.{ext}"


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
        #: What each started target wrote (stdout and stderr), per agent.
        self.target_logs: dict[str, str] = {}

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
