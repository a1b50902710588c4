"""Heavy cases run at most one per core and never hold up the timer-bound ones.

Against the reference server at ``-j 8``: section 9's large messages (see
harness/runner/cost.py) beside cases of sections 1-7 and 10. The runner's events show
how many heavy cases ran at once, and that every timer-bound case started while heavy
ones were still running rather than after all of them.
"""

from __future__ import annotations

from tests.integration.harness.test_verdicts_against_peers import reference_server
from tests.peers.running import AGENT, run
from tests.timing import unit
from wsconform.cases import catalog
from wsconform.harness.report.model import CaseFinished, CaseStarted, Report, RunnerEvent
from wsconform.harness.runner.config import RunOptions, Target
from wsconform.harness.runner.cost import HEAVY_JOBS, is_heavy
from wsconform.harness.runner.scheduler import run_cases

HEAVY = ["9.1.6", "9.2.6", "9.3.1", "9.4.1", "9.4.2", "9.5.1"]
LIGHT = ["1.1.1", "2.1", "3.1", "5.19", "6.4.1", "7.1.1", "7.5.1", "10.1.1"]


def test_heavy_cases_one_per_core_beside_the_timer_bound_ones() -> None:
    cases = [catalog.get(case_id) for case_id in HEAVY + LIGHT]
    assert [case.id for case in cases if is_heavy(case)] == HEAVY
    events: list[RunnerEvent] = []

    async def against_reference() -> Report:
        async with reference_server() as url:
            return await run_cases(
                Target(url), cases, agent=AGENT, jobs=8, options=RunOptions(),
                on_event=events.append,
            )  # fmt: skip

    report = run(against_reference(), unit(120))
    assert report.errors == []
    results = {result.case_id: result for result in report.results(AGENT)}
    assert {case_id: results[case_id].outcome.name for case_id in HEAVY + LIGHT} == dict.fromkeys(
        HEAVY + LIGHT, "OK"
    )
    heavy_now = 0
    most = 0
    light_started_with_heavy_left = 0
    heavy_left = len(HEAVY)
    for event in events:
        if isinstance(event, CaseStarted) and event.case_id in HEAVY:
            heavy_now += 1
            most = max(most, heavy_now)
        elif isinstance(event, CaseStarted) and heavy_left:
            light_started_with_heavy_left += 1
        elif isinstance(event, CaseFinished) and event.result.case_id in HEAVY:
            heavy_now -= 1
            heavy_left -= 1
    assert most == min(HEAVY_JOBS, 7)
    assert light_started_with_heavy_left == len(LIGHT)
