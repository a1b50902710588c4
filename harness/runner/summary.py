"""The short terminal summary of a run: counts per verdict and per section, the failures.

A renderer of the report model: it only reads a
:class:`~wsconform.harness.report.model.Report`.
"""

from __future__ import annotations

import collections

from wsconform.cases.catalog import SECTION_TITLES
from wsconform.harness.report.model import Report

__all__ = ["render_summary"]

_FAILURE_LINES = 40


def render_summary(report: Report, *, seconds: float | None = None) -> str:
    """The summary as text (several lines, no trailing newline)."""
    lines: list[str] = []
    for agent in report.agents:
        results = report.results(agent)
        took = f" in {seconds:.1f} s" if seconds is not None else ""
        lines.append(f"{agent}: {len(results)} cases{took}")
        behavior = collections.Counter(str(r.verdicts.behavior) for r in results)
        close = collections.Counter(str(r.verdicts.behavior_close) for r in results)
        lines.append("  behavior:      " + _counts(behavior))
        lines.append("  behaviorClose: " + _counts(close))
        sections: dict[int, collections.Counter[str]] = {}
        for result in results:
            counter = sections.setdefault(result.case.section, collections.Counter())
            counter["failed" if result.verdicts.failed else "passed"] += 1
            counter["total"] += 1
        for section in sorted(sections):
            counter = sections[section]
            title = SECTION_TITLES.get(section, "")
            failed = f", {counter['failed']} failed" if counter["failed"] else ""
            lines.append(f"  {section:>2} {title:<46} {counter['total']:>4} cases{failed}")
        failures = [r for r in results if r.verdicts.failed]
        if failures:
            lines.append(f"  failed cases ({len(failures)}):")
            for result in failures[:_FAILURE_LINES]:
                v = result.verdicts
                text = v.result if v.behavior == "FAILED" else v.result_close
                lines.append(
                    f"    {result.case_id:<8} {v.behavior!s:<13} {v.behavior_close!s:<16} {text}"
                )
            if len(failures) > _FAILURE_LINES:
                lines.append(f"    ... and {len(failures) - _FAILURE_LINES} more")
    if report.errors:
        lines.append(f"harness errors ({len(report.errors)}), not counted against the target:")
        for error in report.errors[:_FAILURE_LINES]:
            where = f"case {error.case_id}" if error.case_id else "run"
            lines.append(f"  {error.agent} {where}: {error.message}")
    for started in report.unfinished():
        lines.append(f"unfinished: {started.agent} case {started.case_id}")
    return "\n".join(lines)


def _counts(counter: collections.Counter[str]) -> str:
    order = ["OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "WRONG CODE", "UNCLEAN"]
    keys = sorted(counter, key=lambda k: (order.index(k) if k in order else len(order), k))
    return ", ".join(f"{key} {counter[key]}" for key in keys)
