"""Wall time of sections 1-7 and 10 against the reference server, against its floor.

Run with ``.venv/bin/python -m bench bench_sections``. These cases are timer-bound
(docs/autobahn.md sections 6.1-6.5): their pauses and close timers, not the CPU, make
their durations, and they run side by side. The floor of the set is its longest single
case (its timers cannot be shortened); the goal is a wall time of at most 1.2x that
case's duration, measured in the same run (the duration the report gives for it). A
second figure runs section 9's CPU-heavy cases beside them, as a full run does: 9.4.1's
duration there against its duration alone shows that the heavy cases do not starve (or
get starved by) the others (harness/runner/cost.py).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from wsconform.cases import catalog
from wsconform.cases.model import Case
from wsconform.harness.commands.conformance import reference_server
from wsconform.harness.report.model import Report
from wsconform.harness.runner.config import RunOptions, Target
from wsconform.harness.runner.data import testdata_loader
from wsconform.harness.runner.scheduler import DEFAULT_JOBS, run_cases
from wsconform.reference.asyncio import loop

__all__ = ["main"]

SECTIONS = ("1", "2", "3", "4", "5", "6", "7", "10")
GOAL = 1.2
PROBE = "9.4.1"


def _run(url: str, cases: Sequence[Case], options: RunOptions) -> tuple[float, Report]:
    start = time.monotonic()
    report = loop.run(run_cases(Target(url), cases, agent="bench", options=options))
    return time.monotonic() - start, report


def _durations(report: Report) -> dict[str, float]:
    return {r.case_id: r.duration_ms / 1000 for r in report.results()}


def main() -> None:
    """Print the set's wall time, its longest case and the ratio against the goal."""
    options = RunOptions(testdata=testdata_loader())
    cases = [c for c in catalog.CASES if c.id.split(".")[0] in SECTIONS]
    nine = [c for c in catalog.CASES if c.id.split(".")[0] == "9"]
    print(
        f"load average {os.getloadavg()[0]:.2f}; -j {DEFAULT_JOBS}; loop {loop.describe()}",
        flush=True,
    )
    with reference_server() as url:
        wall, report = _run(url, cases, options)
        durations = _durations(report)
        longest = max(durations, key=durations.__getitem__)
        ratio = wall / durations[longest]
        verdict = "ok" if ratio <= GOAL else "MISSED"
        print(
            f"sections 1-7, 10: {len(cases)} cases in {wall:.2f} s wall; longest case "
            f"{longest} {durations[longest]:.2f} s; wall / longest {ratio:.2f}x   "
            f"goal <= {GOAL:g}x {verdict}   ({len(report.errors)} harness errors)",
            flush=True,
        )
        _, alone = _run(url, [catalog.get(PROBE)], options)
        both_wall, both = _run(url, cases + nine, options)
        both_durations = _durations(both)
        longest_light = max(durations[c.id] for c in cases)
        light_now = max(both_durations[c.id] for c in cases)
        print(
            f"with section 9 beside them: {len(cases) + len(nine)} cases in {both_wall:.1f} s "
            f"wall; {PROBE} {both_durations[PROBE]:.2f} s (alone {_durations(alone)[PROBE]:.2f} "
            f"s); longest of 1-7, 10 {light_now:.2f} s (without 9: {longest_light:.2f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
