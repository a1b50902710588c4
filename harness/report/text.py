"""The terminal summary printed at the end of a run.

Per agent: the count of each folded verdict (:mod:`.outcome`) and harness errors, a line
per section, then the cases that are not OK with their result texts (bounded by
:data:`MAX_LISTED`). :func:`text_summary` gives plain text; :func:`print_summary`
prints it through ``rich``, coloured by verdict when the console is a terminal.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from .collection import ERROR, MISSING, STATES, Collection
from .model import Report
from .outcome import Outcome

__all__ = ["MAX_LISTED", "STYLES", "print_summary", "summary_lines", "text_summary"]

#: Cases listed per agent at most; the rest are counted.
MAX_LISTED = 40
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


def _counts(collection: Collection, agent: str, case_ids: list[str] | None) -> list[Text]:
    counts = collection.counts(agent, case_ids)
    return [Text(f"{counts[s]} {s}", style=STYLES[s]) for s in _SHOWN if counts[s]]


def _joined(parts: list[Text]) -> Text:
    return Text(", ").join(parts) if parts else Text("nothing run")


def summary_lines(collection: Collection) -> list[Text]:
    """The summary as styled lines."""
    lines: list[Text] = []
    for agent in collection.agents:
        ran = sum(collection.state(agent, c) != MISSING for c in collection.case_ids)
        lines.append(
            Text.assemble(
                (agent, "bold"), f": {ran} cases: ", _joined(_counts(collection, agent, None))
            )
        )
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
        for case_id, state in problems[:MAX_LISTED]:
            entry = collection.entry(agent, case_id)
            if state == ERROR or entry is None:
                errors = collection.errors(agent, case_id)
                text = errors[0].message if errors else "harness error"
            else:
                text = entry.problem_text
            lines.append(Text.assemble(f"    {case_id:<9}", (f"{state:<14}", STYLES[state]), text))
        if len(problems) > MAX_LISTED:
            lines.append(Text(f"    ... and {len(problems) - MAX_LISTED} more"))
    for error in collection.run_errors:
        lines.append(
            Text.assemble(("harness error", STYLES[ERROR]), f" ({error.agent}): ", error.message)
        )
    return lines


def text_summary(collection: Collection) -> str:
    """The summary as plain text, one line each."""
    return "\n".join(line.plain for line in summary_lines(collection))


def print_summary(report: Report, console: Console | None = None) -> None:
    """Print the summary of this run (not of earlier runs in the same directory)."""
    target = console if console is not None else Console(highlight=False)
    for line in summary_lines(Collection.of(report)):
        target.print(line, soft_wrap=True)
