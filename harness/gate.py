"""The CI gate: from a report (and an accepted baseline) to the process exit code.

Each case's two verdicts fold into one :class:`~wsconform.harness.report.outcome.Outcome`
whose order is the severity order::

    OK < INFORMATIONAL < UNIMPLEMENTED < NON-STRICT < FAILED

* ``--fail-on LEVEL`` (``failed`` by default, or ``non-strict``, ``informational``):
  a case fails the gate when its outcome is at least LEVEL. ``informational`` fails
  on anything but OK (UNIMPLEMENTED included), except on the informational cases
  (7.1.6, 7.13.x), whose expected outcome is INFORMATIONAL: a case never fails for
  reaching the outcome it is meant to have (:func:`fails` is the one rule).
* ``--baseline FILE``: the accepted outcome of each case; a case fails the gate only
  when it is at least LEVEL *and* worse than its baseline. A case the baseline does not
  know is judged against LEVEL alone; a baseline case that did not run is listed, never
  fatal (the run may select fewer cases). A baseline with a single agent applies to any
  agent, so an agent string that carries a version does not void it.
* ``--update-baseline``: write this run's outcomes into FILE (merged over the entries
  already there), then judge against it, so the job passes unless harness errors.

Exit codes: :data:`EXIT_OK` 0, nothing fails the gate; :data:`EXIT_FAILED` 1, some case
fails it; :data:`EXIT_ERROR` 2, a harness error (or an unfinished case, an unreadable
baseline, bad usage), whatever the verdicts: a run that could not test the target must
never look green.

Baseline files are JSON (``{"wsconform-baseline": 1, "agents": {agent: {case id:
outcome label}}}``); wherever a baseline is read, a report directory or its
``index.json`` is accepted too (:func:`load_outcomes`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pathlib
import sys
from collections.abc import Mapping
from typing import Any, TextIO

from wsconform.cases.model import Case, case_sort_key

from .record.outcome import Outcome, outcome_of, parse_outcome
from .report.atomic import write_text
from .report.collection import INDEX_FILE, Collection
from .report.model import CaseResult, HarnessError, Report

__all__ = [
    "BASELINE_FORMAT",
    "EXIT_ERROR",
    "EXIT_FAILED",
    "EXIT_OK",
    "FAIL_ON",
    "Baseline",
    "BaselineError",
    "CaseVerdict",
    "GateResult",
    "Judged",
    "add_gate_arguments",
    "apply_gate",
    "evaluate",
    "expected_outcome",
    "fails",
    "judged",
    "load_outcomes",
    "result_fails",
    "run_gate",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_ERROR = 2

#: ``--fail-on`` values and the least outcome each one fails on.
FAIL_ON: Mapping[str, Outcome] = {
    "failed": Outcome.FAILED,
    "non-strict": Outcome.NON_STRICT,
    "informational": Outcome.INFORMATIONAL,
}
BASELINE_FORMAT = 1
_MARKER = "wsconform-baseline"
_LIMIT = 64 * 2**20

Outcomes = dict[str, dict[str, Outcome]]


def expected_outcome(case: Case) -> Outcome:
    """The outcome a conforming peer gets: INFORMATIONAL for the informational cases."""
    return Outcome.INFORMATIONAL if case.informational is not None else Outcome.OK


def fails(
    outcome: Outcome,
    fail_on: Outcome,
    expected: Outcome = Outcome.OK,
    accepted: Outcome | None = None,
) -> bool:
    """The one rule for what counts as failing, used by the gate, the progress and the
    summaries: at ``fail_on`` or worse, worse than the case's ``expected`` outcome, and
    worse than its ``accepted`` (baseline) outcome when there is one."""
    return outcome >= fail_on and outcome > expected and (accepted is None or outcome > accepted)


def result_fails(result: CaseResult, fail_on: Outcome = Outcome.FAILED) -> bool:
    """:func:`fails` for one result, with no baseline."""
    return fails(result.outcome, fail_on, expected_outcome(result.case))


class BaselineError(Exception):
    """A baseline or report cannot be read or written; ``path`` is which, ``reason`` why."""

    def __init__(self, path: pathlib.Path, reason: str) -> None:
        super().__init__(path, reason)
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def _parse_baseline(path: pathlib.Path, data: Mapping[str, Any]) -> Outcomes:
    if data.get(_MARKER) != BASELINE_FORMAT:
        raise BaselineError(path, f"unsupported baseline format {data.get(_MARKER)!r}")
    agents = data.get("agents")
    if not isinstance(agents, dict):
        raise BaselineError(path, "a baseline needs an 'agents' object")
    outcomes: Outcomes = {}
    for agent, cases in agents.items():
        if not isinstance(cases, dict):
            raise BaselineError(path, f"agent {agent!r}: expected an object of case ids")
        for case_id, label in cases.items():
            try:
                case_sort_key(case_id)
                outcome = parse_outcome(str(label))
            except ValueError as exc:
                raise BaselineError(path, f"agent {agent!r}, case {case_id!r}: {exc}") from None
            outcomes.setdefault(agent, {})[case_id] = outcome
    return outcomes


def _parse_index(path: pathlib.Path, data: Mapping[str, Any]) -> Outcomes:
    outcomes: Outcomes = {}
    for agent, cases in data.items():
        if not isinstance(cases, dict):
            raise BaselineError(path, "neither a baseline nor a report index.json")
        for case_id, summary in cases.items():
            if not isinstance(summary, dict):
                raise BaselineError(path, f"agent {agent!r}, case {case_id!r}: not a summary")
            behavior = summary.get("behavior", "FAILED")
            close = summary.get("behaviorClose", "FAILED")
            outcomes.setdefault(agent, {})[case_id] = outcome_of(str(behavior), str(close))
    return outcomes


def load_outcomes(path: pathlib.Path | str) -> Outcomes:
    """Agent -> case id -> outcome, from a baseline file, an ``index.json`` or its directory.

    Raises:
        BaselineError: the path does not exist, cannot be read, is not JSON, or is
            neither a baseline nor a report index.
    """
    file = pathlib.Path(path)
    if file.is_dir():
        file = file / INDEX_FILE
    try:
        if file.stat().st_size > _LIMIT:
            raise BaselineError(file, f"larger than {_LIMIT} bytes")
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(file, "no such file") from None
    except (OSError, ValueError) as exc:
        raise BaselineError(file, f"cannot be read ({exc})") from None
    if not isinstance(data, dict):
        raise BaselineError(file, "neither a baseline nor a report index.json")
    if _MARKER in data:
        return _parse_baseline(file, data)
    return _parse_index(file, data)


@dataclasses.dataclass(slots=True)
class Baseline:
    """The accepted outcome of each case, per agent."""

    outcomes: Outcomes = dataclasses.field(default_factory=dict)

    @classmethod
    def load(cls, path: pathlib.Path | str) -> Baseline:
        """Read a baseline file (or a report directory / ``index.json``).

        Raises:
            BaselineError: see :func:`load_outcomes`.
        """
        return cls(load_outcomes(path))

    @classmethod
    def of(cls, report: Report | Collection) -> Baseline:
        """The outcomes of a report (or a merged collection), as a baseline."""
        outcomes: Outcomes = {}
        for item in judged(report):
            outcomes.setdefault(item.agent, {})[item.case_id] = item.outcome
        return cls(outcomes)

    def merged(self, newer: Baseline) -> Baseline:
        """This baseline with ``newer``'s entries replacing the same (agent, case)."""
        outcomes = {agent: dict(cases) for agent, cases in self.outcomes.items()}
        for agent, cases in newer.outcomes.items():
            outcomes.setdefault(agent, {}).update(cases)
        return Baseline(outcomes)

    def cases(self, agent: str) -> dict[str, Outcome] | None:
        """The accepted outcomes for ``agent``: its own, or those of a single-agent baseline."""
        if agent in self.outcomes:
            return self.outcomes[agent]
        if len(self.outcomes) == 1:
            return next(iter(self.outcomes.values()))
        return None

    def lookup(self, agent: str, case_id: str) -> Outcome | None:
        """The accepted outcome of one case, ``None`` when the baseline does not know it."""
        cases = self.cases(agent)
        return None if cases is None else cases.get(case_id)

    def dumps(self) -> str:
        """The baseline file's text: agents sorted, cases in numeric order."""
        agents = {
            agent: {
                case_id: self.outcomes[agent][case_id].label
                for case_id in sorted(self.outcomes[agent], key=case_sort_key)
            }
            for agent in sorted(self.outcomes)
        }
        data = {
            _MARKER: BASELINE_FORMAT,
            "comment": "Accepted verdicts: a CI run fails only when a case gets worse.",
            "agents": agents,
        }
        return json.dumps(data, indent=2) + "\n"

    def save(self, path: pathlib.Path | str) -> None:
        """Write the baseline file.

        Raises:
            BaselineError: the file cannot be written.
        """
        file = pathlib.Path(path)
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            write_text(file, self.dumps())
        except OSError as exc:
            raise BaselineError(file, exc.strerror or str(exc)) from None


@dataclasses.dataclass(frozen=True, slots=True)
class CaseVerdict:
    """One case's outcome beside its baseline (``None``: not in the baseline, or not run)."""

    agent: str
    case_id: str
    outcome: Outcome | None
    baseline: Outcome | None

    @property
    def change(self) -> str:
        """``OLD -> NEW``, with ``-`` for a side that is not known."""
        old = "-" if self.baseline is None else self.baseline.label
        new = "-" if self.outcome is None else self.outcome.label
        return f"{old} -> {new}"

    def __str__(self) -> str:
        return f"{self.agent} {self.case_id}: {self.change}"


def _key(item: CaseVerdict) -> tuple[str, tuple[int, ...]]:
    return item.agent, case_sort_key(item.case_id)


@dataclasses.dataclass(slots=True)
class GateResult:
    """What the gate found, and the exit code it gives."""

    fail_on: Outcome
    failing: list[CaseVerdict] = dataclasses.field(default_factory=list)
    worse: list[CaseVerdict] = dataclasses.field(default_factory=list)
    better: list[CaseVerdict] = dataclasses.field(default_factory=list)
    new: list[CaseVerdict] = dataclasses.field(default_factory=list)
    missing: list[CaseVerdict] = dataclasses.field(default_factory=list)
    errors: list[HarnessError] = dataclasses.field(default_factory=list)
    baseline_used: bool = False

    @property
    def exit_code(self) -> int:
        """2 on any harness error, else 1 when a case fails the gate, else 0."""
        if self.errors:
            return EXIT_ERROR
        return EXIT_FAILED if self.failing else EXIT_OK

    def lines(self) -> list[str]:
        """The gate's decision in a few lines: each failing case named once."""
        level = self.fail_on.label
        against = " and worse than the baseline" if self.baseline_used else ""
        out = []
        if self.failing:
            out.append(f"gate: {_cases(len(self.failing))} at {level} or worse{against}:")
            out += _listing(self.failing, with_baseline=self.baseline_used)
        if self.baseline_used:
            for name, items in (("worse", self.worse), ("better", self.better)):
                if items:
                    out.append(f"gate: {_cases(len(items))} {name} than the baseline:")
                    out += _listing(items, with_baseline=True)
            if self.new:
                out.append(f"gate: {_cases(len(self.new))} not in the baseline")
            if self.missing:
                out.append(f"gate: {_cases(len(self.missing), 'baseline case')} did not run")
        if self.errors:
            out.append(f"gate: {len(self.errors)} harness error(s): no verdict, exit 2")
        verdict = {EXIT_OK: "pass", EXIT_FAILED: "FAIL", EXIT_ERROR: "ERROR"}[self.exit_code]
        out.append(f"gate: {verdict} (--fail-on {level.lower()}, exit {self.exit_code})")
        return out


def _cases(count: int, noun: str = "case") -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _listing(items: list[CaseVerdict], *, with_baseline: bool) -> list[str]:
    """Per agent, one line of case ids (with ``old -> new`` against a baseline)."""
    lines = []
    for agent in dict.fromkeys(item.agent for item in items):
        mine = [item for item in items if item.agent == agent]
        if with_baseline:
            shown = ", ".join(f"{item.case_id} ({item.change})" for item in mine)
        else:
            shown = ", ".join(item.case_id for item in mine)
        lines.append(f"  {agent}: {shown}")
    return lines


@dataclasses.dataclass(frozen=True, slots=True)
class Judged:
    """One case with a verdict, whatever holds it: a run's report or a merged collection
    (``wsconform merge``). ``expected`` is the case's :func:`expected_outcome`."""

    agent: str
    case_id: str
    outcome: Outcome
    expected: Outcome


def judged(source: Report | Collection) -> list[Judged]:
    """Every case with a verdict in ``source``."""
    if isinstance(source, Report):
        return [
            Judged(r.agent, r.case_id, r.outcome, expected_outcome(r.case))
            for r in source.results()
        ]
    from wsconform.cases import catalog
    from wsconform.cases.exceptions import UnknownCaseError

    items = []
    for entry in source.entries():
        try:
            expected = expected_outcome(catalog.get(entry.case_id))
        except UnknownCaseError:
            expected = Outcome.OK
        items.append(Judged(entry.agent, entry.case_id, entry.outcome, expected))
    return items


def _errors_of(source: Report | Collection) -> list[HarnessError]:
    if isinstance(source, Report):
        return list(source.errors) + [
            HarnessError(s.agent, s.case_id, "the case never finished") for s in source.unfinished()
        ]
    return [*source.run_errors, *source.case_errors()]


def evaluate(
    report: Report | Collection,
    fail_on: Outcome = Outcome.FAILED,
    baseline: Baseline | None = None,
    *,
    compare: bool = True,
) -> GateResult:
    """Judge a report: which cases fail the gate, what changed against the baseline.

    With ``compare`` false the baseline only lists accepted outcomes (the conformance
    job's exemptions): cases are judged against it, but changes are not reported.
    """
    gate = GateResult(fail_on, baseline_used=baseline is not None and compare)
    gate.errors = _errors_of(report)
    results = judged(report)
    for result in results:
        outcome = result.outcome
        accepted = None if baseline is None else baseline.lookup(result.agent, result.case_id)
        item = CaseVerdict(result.agent, result.case_id, outcome, accepted)
        if fails(outcome, fail_on, result.expected, accepted):
            gate.failing.append(item)
        if not gate.baseline_used:
            continue
        if accepted is None:
            gate.new.append(item)
        elif outcome > accepted:
            gate.worse.append(item)
        elif outcome < accepted:
            gate.better.append(item)
    if baseline is not None and gate.baseline_used:
        tried = {(r.agent, r.case_id) for r in results}
        tried |= {(e.agent, e.case_id) for e in gate.errors if e.case_id is not None}
        for agent in sorted({r.agent for r in results}):
            for case_id, accepted in (baseline.cases(agent) or {}).items():
                if (agent, case_id) not in tried:
                    gate.missing.append(CaseVerdict(agent, case_id, None, accepted))
    for items in (gate.failing, gate.worse, gate.better, gate.new, gate.missing):
        items.sort(key=_key)
    return gate


# --- command-line glue -------------------------------------------------------------------


def add_gate_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--fail-on``, ``--baseline`` and ``--update-baseline`` to a command."""
    group = parser.add_argument_group("CI gate")
    group.add_argument(
        "--fail-on",
        choices=list(FAIL_ON),
        default="failed",
        help="exit 1 when a case is at this level or worse (default: failed); "
        "harness errors always exit 2",
    )
    group.add_argument(
        "--baseline",
        metavar="FILE",
        help="accepted verdicts (a baseline file or a report directory): fail only "
        "when a case gets worse than its baseline",
    )
    group.add_argument(
        "--update-baseline",
        action="store_true",
        help="write this run's verdicts into the --baseline FILE (merged) and accept them",
    )


def apply_gate(
    report: Report | Collection, args: argparse.Namespace, out: TextIO | None = None
) -> int:
    """Run the gate for a finished run; print its decision; return the exit code.

    Reads ``args.fail_on``, ``args.baseline`` and ``args.update_baseline`` (see
    :func:`add_gate_arguments`). Problems with the baseline file are printed to stderr
    and give :data:`EXIT_ERROR`.
    """
    stream = out if out is not None else sys.stdout
    fail_on = FAIL_ON[args.fail_on]
    baseline: Baseline | None = None
    try:
        if args.update_baseline:
            if not args.baseline:
                print("wsconform: --update-baseline needs --baseline FILE", file=sys.stderr)
                return EXIT_ERROR
            path = pathlib.Path(args.baseline)
            previous = Baseline.load(path) if path.exists() else Baseline()
            baseline = previous.merged(Baseline.of(report))
            baseline.save(path)
            print(f"gate: baseline written to {path}", file=stream)
        elif args.baseline:
            baseline = Baseline.load(args.baseline)
    except BaselineError as exc:
        print(f"wsconform: baseline: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return run_gate(report, fail_on, baseline, out=stream)


def run_gate(
    report: Report | Collection,
    fail_on: Outcome,
    baseline: Baseline | None = None,
    *,
    compare: bool = True,
    out: TextIO | None = None,
) -> int:
    """Evaluate the gate (:func:`evaluate`), print its decision, return the exit code.

    Every command that ends in a gate (``test-server``, ``conformance``) comes here.
    """
    gate = evaluate(report, fail_on, baseline, compare=compare)
    stream = out if out is not None else sys.stdout
    for line in gate.lines():
        print(line, file=stream)
    return gate.exit_code
