"""Shared by the command and Docker target tests: crash a target in the middle of a run."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from wsconform.cases import catalog
from wsconform.cases.model import Case
from wsconform.harness.record.outcome import Outcome
from wsconform.harness.report.model import CaseStarted, Report, RunnerEvent
from wsconform.harness.runner.config import RunOptions, Target
from wsconform.harness.runner.scheduler import run_cases
from wsconform.harness.targets.base import ServerTarget
from wsconform.harness.targets.supervisor import Supervisor

__all__ = ["CASES", "assert_restarted", "run_and_kill"]

#: 44 quick cases; the target is killed as the tenth one starts.
CASES = "1.*,2.*,3.*,4.*"
KILL_AT = 10


def run_and_kill(
    server: ServerTarget, kill: Callable[[], None], ready_timeout: float
) -> tuple[Report, Supervisor, str, list[Case]]:
    """Run :data:`CASES` on ``server`` (started), calling ``kill`` as case 10 starts;
    return the report, the supervisor and the id of the case that was starting."""
    cases = catalog.select(CASES.split(","), [])
    killed: list[str] = []

    def on_event(event: RunnerEvent) -> None:
        if isinstance(event, CaseStarted):
            killed.append(event.case_id)
            if len(killed) == KILL_AT:
                kill()

    async def main() -> tuple[Report, Supervisor]:
        supervisor = Supervisor(server, ready_timeout=ready_timeout)
        report = await run_cases(
            Target(server.url), cases, agent="killed", jobs=2, options=RunOptions(),
            on_event=on_event, supervisor=supervisor,
        )  # fmt: skip
        return report, supervisor

    report, supervisor = asyncio.run(main())
    return report, supervisor, killed[KILL_AT - 1], cases


def assert_restarted(
    report: Report, supervisor: Supervisor, killed: str, cases: list[Case]
) -> None:
    """The killed case is a harness error, every other case has a verdict: OK."""
    assert supervisor.restarts == 1, supervisor.deaths
    errors = {e.case_id: e.message for e in report.errors}
    assert killed in errors, (killed, errors)
    assert all("died during the case" in m for m in errors.values()), errors
    assert None not in errors, "no run-level error: the run went on"
    results = {r.case_id: r.outcome for r in report.results("killed")}
    assert set(results) | set(errors) == {c.id for c in cases}
    assert not set(results) & set(errors)
    # The cases running at the kill (-j 2), and one that started as the target died.
    assert len(errors) <= 3, errors
    # Every case that ran has the verdict it has against a server that never died: all
    # 44 are OK against the reference. (4.1.5 and 4.2.5 were NON-STRICT now and then
    # under load: the reference closed its socket while the tester still wrote, and
    # the reset cost the tester the unread echo; the reference now half-closes and
    # reads to EOF, RFC 6455 section 7.1.1.)
    assert set(results.values()) == {Outcome.OK}, results
