"""What every renderer reads: this run's report, merged with the output directory.

A :class:`Collection` is built once, before any file is written, and every output of a
run (``index.json`` and the per-case JSON files, the HTML index and pages, JUnit,
Markdown and the terminal summary) renders that one object, so they cannot disagree.

The merging rule (``docs/reports.md``): *a run replaces everything the output directory
held for the agents it tested; the results of other agents stay.* So a subset re-run of
one server into the same directory reports that subset and nothing older, while several
servers tested one after another into one directory give one report with one column
each. The per-case files of a replaced agent that this run did not write again are
:attr:`Collection.stale_files`, which the writer removes.

Entries of other agents carry what ``index.json`` holds (kept verbatim when the index
is written again) plus the result texts of their per-case JSON file (read only when it
is small enough, see :data:`CASE_FILE_LIMIT`); their per-case HTML pages are the ones
that earlier run wrote. Their harness errors come from the earlier
``harness_errors.json``.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import pathlib
from collections.abc import Iterable, Mapping
from typing import Any

from wsconform.cases import catalog
from wsconform.cases.catalog import section_title, subsection_title
from wsconform.cases.exceptions import UnknownCaseError
from wsconform.cases.ids import section_label, subsection_label
from wsconform.cases.model import case_sort_key
from wsconform.harness.record.outcome import Outcome, outcome_of, reason_of

from .exceptions import ReportError
from .model import CaseResult, HarnessError, Report, case_file_name

#: The file names of Autobahn's JSON layout, and ours beside it.
INDEX_FILE = "index.json"
ERRORS_FILE = "harness_errors.json"

__all__ = [
    "CASE_FILE_LIMIT",
    "ERROR",
    "ERRORS_FILE",
    "INDEX_FILE",
    "MISSING",
    "STATES",
    "Collection",
    "Entry",
    "Group",
    "Section",
]

#: Per-case JSON files of earlier runs larger than this are not read for their texts.
CASE_FILE_LIMIT = 8 * 2**20
#: Index size bound: an index of every case for 1000 agents is far below it.
_INDEX_LIMIT = 64 * 2**20

#: Cell states besides the outcomes: a harness error, and a case this agent did not run.
ERROR = "ERROR"
MISSING = "MISSING"
#: Every state of a matrix cell, best first.
STATES: tuple[str, ...] = (*(o.label for o in Outcome), ERROR, MISSING)

_UNFINISHED = "The case started but neither finished nor raised an error (run interrupted?)."


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    """One (agent, case) with verdicts; ``result`` is ``None`` for an earlier run's entry."""

    agent: str
    case_id: str
    behavior: str
    behavior_close: str
    remote_close_code: int | None
    duration_ms: int | None
    result_text: str | None
    result_close_text: str | None
    description: str | None
    result: CaseResult | None = None
    summary: Mapping[str, Any] | None = None

    @property
    def outcome(self) -> Outcome:
        """The folded verdict (:func:`~wsconform.harness.record.outcome.outcome_of`)."""
        return outcome_of(self.behavior, self.behavior_close)

    @property
    def reason(self) -> str:
        """The sentence that explains the outcome (:func:`~.outcome.reason_of`)."""
        text = reason_of(
            self.behavior, self.behavior_close, self.result_text, self.result_close_text
        )
        return text or f"{self.behavior} / {self.behavior_close}"

    @property
    def current(self) -> bool:
        """Whether this run produced the entry."""
        return self.result is not None

    @property
    def json_file(self) -> str:
        """The per-case JSON file name, relative to the output directory."""
        return case_file_name(self.agent, self.case_id)

    @property
    def html_file(self) -> str:
        """The per-case HTML page name, relative to the output directory."""
        return case_file_name(self.agent, self.case_id, "html")

    @classmethod
    def of(cls, result: CaseResult) -> Entry:
        """The entry of a result of this run."""
        verdicts = result.verdicts
        return cls(
            agent=result.agent,
            case_id=result.case_id,
            behavior=str(verdicts.behavior),
            behavior_close=str(verdicts.behavior_close),
            remote_close_code=result.observation.remote_close_code,
            duration_ms=result.duration_ms,
            result_text=verdicts.result,
            result_close_text=verdicts.result_close,
            description=result.case.description,
            result=result,
        )


@dataclasses.dataclass(frozen=True, slots=True)
class Group:
    """Consecutive cases of one subsection (``subsection`` ``None`` for 2.x, 3.x, 5.x)."""

    subsection: str | None
    title: str | None
    case_ids: list[str]


@dataclasses.dataclass(frozen=True, slots=True)
class Section:
    """The cases of one section, in numeric order, split into subsection groups."""

    #: The section's label: ``"6"`` for Autobahn's section 6, ``"hs"`` for a family.
    number: str
    title: str
    groups: list[Group]

    @property
    def case_ids(self) -> list[str]:
        """Every case id of the section."""
        return [case_id for group in self.groups for case_id in group.case_ids]


def _get(data: Any, key: str) -> Any:
    return data.get(key) if isinstance(data, dict) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class Collection:
    """Entries, harness errors and the section layout of one output directory."""

    def __init__(
        self,
        entries: Iterable[Entry],
        errors: Iterable[HarnessError] = (),
        *,
        pages: Iterable[str] = (),
        stale_files: Iterable[str] = (),
        tested: Iterable[str] | None = None,
        target_logs: Mapping[str, str] | None = None,
    ) -> None:
        self._entries: dict[tuple[str, str], Entry] = {}
        for entry in entries:
            self._entries[(entry.agent, entry.case_id)] = entry
        self.run_errors: list[HarnessError] = []
        self._errors: dict[tuple[str, str], list[HarnessError]] = {}
        for error in errors:
            if error.case_id is None:
                self.run_errors.append(error)
            else:
                self._errors.setdefault((error.agent, error.case_id), []).append(error)
        keys = set(self._entries) | set(self._errors)
        agents = {agent for agent, _ in keys} | {e.agent for e in self.run_errors}
        self.agents: list[str] = sorted(agents)
        self.case_ids: list[str] = sorted({case_id for _, case_id in keys}, key=case_sort_key)
        #: Per-case HTML pages that earlier runs wrote and that are still current.
        self.pages: frozenset[str] = frozenset(pages)
        #: Files of earlier runs that this run's agents replace (see the module docstring).
        self.stale_files: list[str] = sorted(set(stale_files))
        #: The agents this run tested (all of them when the collection holds no earlier run).
        self.tested: list[str] = self.agents if tested is None else sorted(set(tested))
        #: The output of the targets this run started, per agent (``docs/targets.md``).
        self.target_logs: dict[str, str] = dict(target_logs or {})

    # -- building

    @classmethod
    def of(cls, report: Report, outdir: pathlib.Path | str | None = None) -> Collection:
        """This run's report, plus what ``outdir`` holds for the agents it did not test.

        Raises:
            ReportError: ``outdir`` holds an ``index.json`` (or ``harness_errors.json``)
                that cannot be read or is not a report file.
        """
        entries = [Entry.of(result) for result in report.results()]
        errors = list(report.errors)
        errors += [
            HarnessError(started.agent, started.case_id, _UNFINISHED)
            for started in report.unfinished()
        ]
        logs = report.target_logs
        if outdir is None:
            return cls(entries, errors, target_logs=logs)
        out = pathlib.Path(outdir)
        tested = set(report.agents) | {e.agent for e in errors}
        stale: list[str] = []
        kept_pages: list[str] = []
        for entry in _earlier_entries(out):
            if entry.agent in tested:
                stale += [entry.json_file, entry.html_file]
            else:
                entries.append(entry)
                kept_pages.append(entry.html_file)
        for error in _earlier_errors(out):
            if error.agent not in tested:
                errors.append(error)
            elif error.case_id is not None:
                stale.append(case_file_name(error.agent, error.case_id, "html"))
        written = {e.json_file for e in entries if e.current}
        written |= {e.html_file for e in entries if e.current}
        written |= {case_file_name(e.agent, e.case_id, "html") for e in errors if e.case_id}
        existing = {p.name for p in out.glob("*_case_*.html")}
        pages = [name for name in kept_pages if name in existing]
        return cls(
            entries,
            errors,
            pages=pages,
            stale_files=set(stale) - written,
            tested=tested,
            target_logs=logs,
        )

    # -- reading

    def entry(self, agent: str, case_id: str) -> Entry | None:
        """The verdicts of one case for one agent, if any."""
        return self._entries.get((agent, case_id))

    def entries(self, agent: str | None = None) -> list[Entry]:
        """Entries of one agent (or all), by agent then numeric case id."""
        agents = self.agents if agent is None else [agent]
        return [
            entry
            for name in agents
            for case_id in self.case_ids
            if (entry := self._entries.get((name, case_id))) is not None
        ]

    def description(self, case_id: str) -> str | None:
        """A case's description: from an entry, else from the catalog, else ``None``."""
        for agent in self.agents:
            entry = self._entries.get((agent, case_id))
            if entry is not None and entry.description:
                return entry.description
        try:
            return catalog.get(case_id).description
        except UnknownCaseError:
            return None

    def errors(self, agent: str, case_id: str) -> list[HarnessError]:
        """Harness errors of one case for one agent."""
        return self._errors.get((agent, case_id), [])

    def case_errors(self) -> list[HarnessError]:
        """Every harness error tied to a case, by agent then case id."""
        keys = sorted(self._errors, key=lambda k: (k[0], case_sort_key(k[1])))
        return [error for key in keys for error in self._errors[key]]

    def state(self, agent: str, case_id: str) -> str:
        """The cell state: an outcome label, :data:`ERROR` or :data:`MISSING`.

        A result of this run beats an error; an error beats an earlier result.
        """
        entry = self._entries.get((agent, case_id))
        if entry is not None and (entry.current or (agent, case_id) not in self._errors):
            return entry.outcome.label
        if (agent, case_id) in self._errors:
            return ERROR
        return MISSING

    def counts(
        self, agent: str | None = None, case_ids: Iterable[str] | None = None
    ) -> collections.Counter[str]:
        """How many cells have each state, for one agent (or all) and some cases (or all)."""
        agents = self.agents if agent is None else [agent]
        ids = self.case_ids if case_ids is None else list(case_ids)
        return collections.Counter(self.state(a, c) for a in agents for c in ids)

    def all_ok(self, case_ids: Iterable[str]) -> bool:
        """Whether every agent is OK on every one of these cases."""
        return all(
            self.state(agent, case_id) == Outcome.OK.label
            for agent in self.agents
            for case_id in case_ids
        )

    def sections(self) -> list[Section]:
        """The cases grouped by section then subsection, in numeric order."""
        sections: list[Section] = []
        for case_id in self.case_ids:
            label = section_label(case_id)
            subsection = subsection_label(case_id)
            if not sections or sections[-1].number != label:
                sections.append(Section(label, section_title(label), []))
            groups = sections[-1].groups
            if not groups or groups[-1].subsection != subsection:
                title = None if subsection is None else subsection_title(subsection)
                groups.append(Group(subsection, title, []))
            groups[-1].case_ids.append(case_id)
        return sections


def _read_json(path: pathlib.Path, limit: int) -> Any:
    """Parse a JSON file of at most ``limit`` bytes; ``None`` if it is larger or absent.

    Raises:
        ReportError: the file exists but cannot be read or parsed.
    """
    try:
        if path.stat().st_size > limit:
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ReportError(path, f"cannot be read ({exc})") from exc


def _earlier_entries(outdir: pathlib.Path) -> list[Entry]:
    """The entries of ``outdir/index.json`` (docs/autobahn.md section 7.2), with their
    per-case texts.

    Raises:
        ReportError: the index cannot be read or is not a report index.
    """
    index_path = outdir / INDEX_FILE
    index = _read_json(index_path, _INDEX_LIMIT)
    if index is None:
        return []
    if not isinstance(index, dict) or not all(isinstance(v, dict) for v in index.values()):
        raise ReportError(index_path, "the existing file is not a report index")
    entries = []
    for agent, cases in index.items():
        for case_id, summary in cases.items():
            try:
                case_sort_key(case_id)
            except ValueError:
                continue  # not a case id; nothing a matrix row could show
            reportfile = _text(_get(summary, "reportfile")) or case_file_name(agent, case_id)
            try:
                detail = _read_json(outdir / pathlib.Path(reportfile).name, CASE_FILE_LIMIT)
            except ReportError:
                detail = None  # the texts are a courtesy; the verdicts come from the index
            entries.append(
                Entry(
                    agent=agent,
                    case_id=case_id,
                    behavior=_text(_get(summary, "behavior")) or "FAILED",
                    behavior_close=_text(_get(summary, "behaviorClose")) or "FAILED",
                    remote_close_code=_int(_get(summary, "remoteCloseCode")),
                    duration_ms=_int(_get(summary, "duration")),
                    result_text=_text(_get(detail, "result")),
                    result_close_text=_text(_get(detail, "resultClose")),
                    description=_text(_get(detail, "description")),
                    summary=summary,
                )
            )
    return entries


def _earlier_errors(outdir: pathlib.Path) -> list[HarnessError]:
    """The harness errors of ``outdir/harness_errors.json``, as an earlier run wrote them.

    Raises:
        ReportError: the file cannot be read or is not a list of harness errors.
    """
    path = outdir / ERRORS_FILE
    data = _read_json(path, _INDEX_LIMIT)
    if data is None:
        return []
    if not isinstance(data, list):
        raise ReportError(path, "the existing file is not a list of harness errors")
    errors = []
    for item in data:
        agent, message = _text(_get(item, "agent")), _text(_get(item, "message"))
        if agent is None or message is None:
            raise ReportError(path, "the existing file is not a list of harness errors")
        case_id = _text(_get(item, "case"))
        errors.append(HarnessError(agent, case_id, message, _text(_get(item, "traceback"))))
    return errors
