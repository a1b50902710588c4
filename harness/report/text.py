"""The terminal summary printed at the end of a run: the one the commands print.

It renders the same :class:`~.collection.Collection` as the report files, for the
agents this run tested: per agent the count of each folded verdict and of harness
errors, a line per section, the cases that are not OK with the sentence that explains
each (bounded by :data:`MAX_LISTED`), and for the first :data:`DETAILED` failures what
was expected against what happened and the command that reproduces the case, as h2spec
and Schemathesis print them. Agents that only earlier runs put into the output
directory are named in one line. :func:`text_summary` gives plain text;
:func:`print_summary` prints through ``rich``, coloured by verdict on a terminal.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from wsconform.harness.record.describe import (
    describe_ending,
    describe_events,
    describe_expected_close,
)
from wsconform.harness.record.outcome import Outcome

from .collection import ERROR, MISSING, STATES, Collection, Entry
from .model import CaseResult

__all__ = ["DETAILED", "MAX_LISTED", "STYLES", "print_summary", "summary_lines", "text_summary"]

#: Cases listed per agent at most; the rest are counted.
MAX_LISTED = 40
#: Failures shown in detail (expected against actual, reproduce command) per agent.
DETAILED = 3
#: The rich style of each state.
STYLES: dict[str, str] = {
    "OK": "green",
    "NON-STRICT": "yellow",
    "INFORMATIONAL": "blue",
    "UNIMPLEMENTED": "magenta",
    "FAILED": "bold red",
    ERROR: "bold white on red",
    MISSING: "dim",
}
_SHOWN = tuple(s for s in STATES if s != MISSING)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _counts(collection: Collection, agent: str, case_ids: list[str] | None) -> list[Text]:
    counts = collection.counts(agent, case_ids)
    return [Text(f"{counts[s]} {s}", style=STYLES[s]) for s in _SHOWN if counts[s]]


def _joined(parts: list[Text]) -> Text:
    return Text(", ").join(parts) if parts else Text("nothing run")


def _detail(result: CaseResult) -> list[Text]:
    """Expected against actual for one failure, and how to run it again."""
    case, obs, verdicts = result.case, result.observation, result.verdicts
    wanted = " or ".join(
        describe_events(events) + ("" if name == "OK" else f" ({name})")
        for name, events in case.expected.items()
    )
    lines = [
        Text.assemble(
            f"    {result.case_id} ",
            (result.outcome.label, STYLES[result.outcome.label]),
            f" (behavior {verdicts.behavior}, behaviorClose {verdicts.behavior_close})",
        ),
        Text(f"      why:      {verdicts.reason}"),
    ]
    if case.expected:
        lines.append(
            Text(f"      expected: {wanted}; {describe_expected_close(case.expected_close)}")
        )
    else:
        lines.append(Text(f"      expected: {describe_expected_close(case.expected_close)}"))
    if obs.opened:
        lines.append(
            Text(f"      actual:   {describe_events(obs.received)}; {describe_ending(obs)}")
        )
    if result.reproduce is not None:
        lines.append(Text(f"      again:    {result.reproduce}"))
    return lines


def _problem_text(collection: Collection, agent: str, case_id: str, entry: Entry | None) -> str:
    if entry is None or collection.state(agent, case_id) == ERROR:
        errors = collection.errors(agent, case_id)
        return errors[0].message if errors else "harness error"
    return entry.reason


def _agent_lines(collection: Collection, agent: str, seconds: float | None) -> list[Text]:
    ran = sum(collection.state(agent, c) != MISSING for c in collection.case_ids)
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    lines = [
        Text.assemble(
            (agent, "bold"),
            f": {_plural(ran, 'case')}{took}: ",
            _joined(_counts(collection, agent, None)),
        )
    ]
    for section in collection.sections():
        ids = section.case_ids
        if all(collection.state(agent, c) == MISSING for c in ids):
            continue
        head = f"  {section.number:>2} {section.title:<44} "
        lines.append(Text.assemble(head, _joined(_counts(collection, agent, ids))))
    problems = [
        (case_id, state)
        for case_id in collection.case_ids
        if (state := collection.state(agent, case_id)) not in (Outcome.OK.label, MISSING)
    ]
    if problems:
        lines.append(Text(f"  not OK ({len(problems)}):"))
    for case_id, state in problems[:MAX_LISTED]:
        text = _problem_text(collection, agent, case_id, collection.entry(agent, case_id))
        lines.append(Text.assemble(f"    {case_id:<9}", (f"{state:<14}", STYLES[state]), text))
    if len(problems) > MAX_LISTED:
        lines.append(Text(f"    ... and {len(problems) - MAX_LISTED} more"))
    failures = [
        entry.result
        for case_id, state in problems
        if state == Outcome.FAILED.label
        and (entry := collection.entry(agent, case_id)) is not None
        and entry.result is not None
    ]
    if failures:
        shown = min(len(failures), DETAILED)
        which = "the failure" if len(failures) == 1 else f"the first {_plural(shown, 'failure')}"
        lines.append(Text(f"  {which} in detail:"))
        for result in failures[:DETAILED]:
            lines += _detail(result)
    return lines


def summary_lines(collection: Collection, seconds: float | None = None) -> list[Text]:
    """The summary as styled lines; ``seconds`` is the run's wall time, when known."""
    lines: list[Text] = []
    for agent in collection.tested:
        lines += _agent_lines(collection, agent, seconds)
    for error in collection.run_errors:
        if error.agent in collection.tested:
            lines.append(
                Text.assemble(
                    ("harness error", STYLES[ERROR]), f" ({error.agent}): ", error.message
                )
            )
    others = [agent for agent in collection.agents if agent not in collection.tested]
    if others:
        lines.append(
            Text(
                "the report directory also holds earlier results of "
                + ", ".join(others)
                + " (shown in the report files, not judged by this run)"
            )
        )
    return lines


def text_summary(collection: Collection, seconds: float | None = None) -> str:
    """The summary as plain text, one line each."""
    return "\n".join(line.plain for line in summary_lines(collection, seconds))


def print_summary(
    collection: Collection, seconds: float | None = None, console: Console | None = None
) -> None:
    """Print the summary through ``rich`` (colours on a terminal only)."""
    target = console if console is not None else Console(highlight=False, soft_wrap=True)
    for line in summary_lines(collection, seconds):
        target.print(line, soft_wrap=True)
