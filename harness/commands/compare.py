"""``wsconform compare OLD NEW``: which cases changed verdict between two runs.

OLD and NEW are report directories (their ``index.json``), ``index.json`` files, or
baseline files (:mod:`wsconform.harness.gate`). Each case's verdicts fold into one
outcome (``OK < INFORMATIONAL < UNIMPLEMENTED < NON-STRICT < FAILED``); the command
lists the cases that got worse, those that got better, and those present on one side
only. Agents are matched by name; when each side holds exactly one agent, those two
are compared whatever their names (an agent string often carries a version).

Exit codes: 0 nothing got worse, 1 some case got worse, 2 an input cannot be read.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import Any, TextIO

from wsconform.cases.model import case_sort_key

from ..gate import EXIT_ERROR, EXIT_FAILED, EXIT_OK, BaselineError, CaseVerdict, load_outcomes
from ..record.outcome import Outcome

__all__ = ["Comparison", "compare", "print_comparison", "register", "run"]

Outcomes = dict[str, dict[str, Outcome]]


@dataclasses.dataclass(slots=True)
class Comparison:
    """Cases whose outcome changed, or that exist on one side only.

    In each :class:`~wsconform.harness.gate.CaseVerdict`, ``baseline`` is the OLD
    outcome and ``outcome`` the NEW one; the agent is NEW's name.
    """

    worse: list[CaseVerdict] = dataclasses.field(default_factory=list)
    better: list[CaseVerdict] = dataclasses.field(default_factory=list)
    only_old: list[CaseVerdict] = dataclasses.field(default_factory=list)
    only_new: list[CaseVerdict] = dataclasses.field(default_factory=list)
    unchanged: int = 0
    pairs: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """1 when a case got worse, else 0."""
        return EXIT_FAILED if self.worse else EXIT_OK


def _pairs(old: Outcomes, new: Outcomes) -> list[tuple[str, str]]:
    """(old agent, new agent) pairs to compare."""
    if len(old) == 1 and len(new) == 1:
        return [(next(iter(old)), next(iter(new)))]
    return [(agent, agent) for agent in sorted(set(old) | set(new))]


def compare(old: Outcomes, new: Outcomes) -> Comparison:
    """Compare two sets of outcomes (agent -> case id -> outcome)."""
    result = Comparison(pairs=_pairs(old, new))
    for old_agent, new_agent in result.pairs:
        before, after = old.get(old_agent, {}), new.get(new_agent, {})
        for case_id in sorted(set(before) | set(after), key=case_sort_key):
            item = CaseVerdict(new_agent, case_id, after.get(case_id), before.get(case_id))
            if item.outcome is None:
                result.only_old.append(item)
            elif item.baseline is None:
                result.only_new.append(item)
            elif item.outcome > item.baseline:
                result.worse.append(item)
            elif item.outcome < item.baseline:
                result.better.append(item)
            else:
                result.unchanged += 1
    return result


def print_comparison(comparison: Comparison, out: TextIO) -> None:
    """The comparison as text: one line per changed case, grouped."""
    for old_agent, new_agent in comparison.pairs:
        if old_agent != new_agent:
            print(f"comparing agent {old_agent!r} (OLD) with {new_agent!r} (NEW)", file=out)
    groups = (
        ("worse", comparison.worse),
        ("better", comparison.better),
        ("only in OLD", comparison.only_old),
        ("only in NEW", comparison.only_new),
    )
    for name, items in groups:
        if items:
            print(f"{name} ({len(items)}):", file=out)
            for item in items:
                old = "-" if item.baseline is None else item.baseline.label
                new = "-" if item.outcome is None else item.outcome.label
                print(f"  {item.agent:<24} {item.case_id:<9} {old:>13} -> {new}", file=out)
    changed = len(comparison.worse) + len(comparison.better)
    print(
        f"{changed} changed ({len(comparison.worse)} worse, {len(comparison.better)} better), "
        f"{comparison.unchanged} unchanged, {len(comparison.only_old)} only in OLD, "
        f"{len(comparison.only_new)} only in NEW",
        file=out,
    )


#: The module docstring for ``--help``, without its reST markup.
_DESCRIPTION = """\
List the cases whose verdict changed between two runs.

OLD and NEW are report directories (their index.json), index.json files, or baseline
files (written by test-server --update-baseline). Each case's verdicts fold into one
outcome, in the order OK < INFORMATIONAL < UNIMPLEMENTED < NON-STRICT < FAILED; the
command lists the cases that got worse, those that got better, and those present on
one side only. Agents are matched by name; when each side holds exactly one agent,
those two are compared whatever their names (an agent string often carries a version).

Exit codes: 0 nothing got worse, 1 some case got worse, 2 an input cannot be read.
"""


def register(subparsers: Any) -> None:
    """Add the ``compare`` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "compare",
        help="list the cases whose verdict changed between two reports or baselines",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("old", metavar="OLD", help="report directory, index.json or baseline")
    parser.add_argument("new", metavar="NEW", help="report directory, index.json or baseline")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Compare OLD with NEW; exit 1 if some case got worse, 2 if an input is unreadable."""
    try:
        old = load_outcomes(args.old)
        new = load_outcomes(args.new)
    except BaselineError as exc:
        print(f"wsconform compare: {exc}", file=sys.stderr)
        return EXIT_ERROR
    comparison = compare(old, new)
    print_comparison(comparison, sys.stdout)
    return comparison.exit_code
