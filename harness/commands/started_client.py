"""A client under test that ``test-client`` starts itself (``--client-cmd``,
``--client-image``): watch its driver, blame nobody for its death, lose no case.

The driver runs Autobahn's client loop against our fuzzing server (``docs/targets.md``).
The run ends when the driver has called ``/updateReports`` and exits (a driver still
running :attr:`Watch.grace` seconds after it, with no case started since, is stopped),
when it exits or dies, or after the run's timeout (then it is stopped). Afterwards:

* a case that was running when the driver died (or was stopped) gets a harness error,
  never a verdict (:meth:`Watch.interrupted`, the fuzzing server's hook): its connection
  was lost because the client went away, which says nothing about the case (a case that
  ends after the driver called ``/updateReports`` and exited with status 0 keeps its
  verdicts: the driver finished, it did not die);
* each selected case the driver never ran is a harness error too
  (:meth:`Watch.not_run`), so nothing is lost and the gate exits 2;
* the driver's output goes into the report, as a server target's does.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence

from wsconform.cases.model import Case
from wsconform.harness.record.outcome import Outcome
from wsconform.harness.report.model import (
    CaseResult,
    CaseStarted,
    HarnessError,
    Report,
    RunnerEvent,
)
from wsconform.harness.targets.clients import ClientTarget
from wsconform.harness.targets.supervisor import DYING_WAIT

__all__ = ["CLEAN_EXIT", "DEFAULT_CLIENT_TIMEOUT", "UNKNOWN_CLIENT", "Watch"]

#: Seconds a started client may run in all before it is stopped.
DEFAULT_CLIENT_TIMEOUT = 3600.0
#: The agent of a started client's errors when it used no agent name and none was given.
UNKNOWN_CLIENT = "UnknownClient"
#: How a client that ended well ended (:meth:`ClientTarget.exit_reason`).
CLEAN_EXIT = "exit status 0"
_POLL = 0.1


class Watch:
    """One started client during a run: its end, its interrupted and unrun cases."""

    def __init__(
        self,
        client: ClientTarget,
        *,
        timeout: float,
        grace: float,
        log: Callable[[str], None],
    ) -> None:
        self.client = client
        self.timeout = timeout
        self.grace = grace
        self.log = log
        #: Why the driver's run ended badly (``None``: it ended after /updateReports).
        self.failure: str | None = None
        self._stopped: str | None = None
        self._updated_at: float | None = None
        self.updated = False
        #: Set once the run is over (the client ended, or is being stopped).
        self._ended: asyncio.Event | None = None

    # --- the fuzzing server's callbacks ----------------------------------------------

    def on_update(self) -> None:
        """The driver called ``/updateReports`` (it counts until the next case starts)."""
        self.updated = True
        self._updated_at = time.monotonic()

    def on_event(self, event: RunnerEvent) -> None:
        """A case started after ``/updateReports``: the driver goes on (more agents)."""
        if isinstance(event, CaseStarted):
            self._updated_at = None
            self.updated = False

    async def _alive(self) -> bool:
        return await asyncio.to_thread(self.client.alive)

    async def interrupted(self, result: CaseResult) -> str | None:
        """Why ``result`` has no verdict (the client ended during the case), or ``None``.

        A case that ended badly waits up to the client's ``settle`` seconds for its end
        to be seen, longer when it is seen ending (:data:`DYING_WAIT`); a case that
        ended well keeps its verdicts at once.
        """
        ended = self._ended
        if ended is None:
            return None
        if not ended.is_set():
            if result.outcome is Outcome.OK:
                return None
            if not await _set_within(ended, self.client.settle) and not (
                self.client.ending() and await _set_within(ended, DYING_WAIT)
            ):
                return None
        if self.updated and self.client.exit_reason() == CLEAN_EXIT:
            # A case that ends after the driver called /updateReports and exited with
            # status 0 was not cut short by the driver's death: its verdicts stand.
            return None
        how = self._stopped or self.client.exit_reason()
        return f"{self.client.name} ended during the case ({how}); the case has no verdict"

    # --- the run -------------------------------------------------------------------------

    async def run(self, url: str, stop: asyncio.Event, running: Callable[[], bool]) -> None:
        """Start the client against ``url`` and return when its run is over (it is
        stopped then). ``running()`` says whether cases still run.

        Raises:
            TargetError: the client cannot be started.
        """
        self._ended = asyncio.Event()
        try:
            await self._watch(url, stop, running)
        finally:
            self._ended.set()
            await asyncio.to_thread(self.client.stop)

    async def _watch(self, url: str, stop: asyncio.Event, running: Callable[[], bool]) -> None:
        await asyncio.to_thread(self.client.start, url)
        self.log(f"started {self.client.name} against {url}")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        while True:
            if stop.is_set():
                self.failure = "was interrupted"
                self._stopped = "stopped: the run was interrupted"
                break
            if not await self._alive():
                how = self.client.exit_reason()
                if self.updated:
                    self.log(f"{self.client.name} ended ({how})")
                else:
                    self.failure = f"ended ({how}) before /updateReports"
                break
            updated_at = self._updated_at
            if (
                updated_at is not None
                and not running()
                and time.monotonic() - updated_at >= self.grace
            ):
                self.log(f"{self.client.name} still runs {self.grace:g} s after /updateReports")
                self._stopped = "stopped after /updateReports"
                break
            if loop.time() >= deadline:
                self.failure = f"was still running after {self.timeout:g} s (--client-timeout)"
                self._stopped = f"stopped after {self.timeout:g} s"
                break
            await _set_within(stop, _POLL)

    def not_run(
        self,
        report: Report,
        cases: Sequence[Case],
        agents: Sequence[str],
        skipped: Callable[[str, str], bool],
    ) -> int:
        """File a harness error for every case of ``cases`` that ``agents`` did not run
        (neither a verdict nor an error; ``skipped(agent, case id)``: excluded for it),
        and one for the run when it ended badly; the number of unrun cases."""
        errored = {(e.agent, e.case_id) for e in report.errors}
        missing = 0
        for agent in agents:
            left = [
                case
                for case in cases
                if report.get(agent, case.id) is None
                and (agent, case.id) not in errored
                and not skipped(agent, case.id)
            ]
            missing += len(left)
            why = self.failure or "did not run it"
            for case in left:
                report.add_error(HarnessError(agent, case.id, f"not run: {self.client.name} {why}"))
            if self.failure is not None or left:
                report.add_error(
                    HarnessError(
                        agent,
                        None,
                        f"{self.client.name} {self.failure or 'ended'}: "
                        f"{len(left)} of {len(cases)} cases not run",
                    )
                )
        return missing


async def _set_within(event: asyncio.Event, timeout: float) -> bool:
    """Whether ``event`` is set within ``timeout`` seconds."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout)
    return event.is_set()
